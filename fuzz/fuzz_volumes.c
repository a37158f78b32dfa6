/*
 * Volumes and mounts (common/volumes.c, common/resolve.c): a pod's
 * `volumes`, an app's `mounts` (with inline appVolumes) and its image's
 * `mountPoints`, given as one object {"volumes": [...], "mounts": [...],
 * "mountPoints": [...]}, parsed and resolved into one app's bind mounts as
 * podinit does before it mounts anything.  Targets go through
 * volume_target_normalize, which must be idempotent.
 */
#include "fuzz.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/resolve.h"
#include "common/volumes.h"

#include <jansson.h>

static void normalize(const char *t)
{
        _cleanup_free_ char *once = volume_target_normalize(t);
        _cleanup_free_ char *twice = volume_target_normalize(once);

        FUZZ_CHECK(once[0] == '/');
        FUZZ_CHECK(!strcmp(once, twice));
        FUZZ_CHECK(!strstr(once, "//") && !strstr(once, "/./") && !strstr(once, "/../"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = fuzz_str(data, size);
        struct pod_manifest *m = xcalloc(1, sizeof(*m));
        struct pod_app *a;
        struct pod_err err = { 0 };
        json_t *root;

        log_init("fuzz", false);
        normalize(s);
        m->apps = xcalloc(1, sizeof(*m->apps));
        m->n_apps = 1;
        a = &m->apps[0];
        a->name = xstrdup("app");
        a->has_app = true;
        root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
        if (!root)
                goto out;
        if (volume_list_parse(json_object_get(root, "volumes"), "volumes", &m->volumes, &m->n_volumes, &err) < 0 ||
            mount_points_parse(json_object_get(root, "mountPoints"), "mountPoints", &a->app.mount_points,
                               &a->app.n_mount_points, &err) < 0 ||
            app_mounts_parse(json_object_get(root, "mounts"), "mounts", &a->mounts_spec, &a->n_mounts_spec, &err) < 0)
                goto out;
        for (size_t i = 0; i < a->app.n_mount_points; i++)
                normalize(a->app.mount_points[i].path);
        if (volumes_resolve(m, &err) < 0)
                goto out;
        for (size_t i = 0; i < a->n_mounts; i++) {
                normalize(a->mounts[i].target);
                FUZZ_CHECK(a->mounts[i].kind != VOL_HOST || (a->mounts[i].source && a->mounts[i].source[0] == '/'));
                FUZZ_CHECK(volume_targets_under(a->mounts, a->n_mounts, a->mounts[i].target));
        }
        /* Resolving again replaces the first result (an app added later re-resolves the pod). */
        FUZZ_CHECK(volumes_resolve(m, &err) == 0);
out:
        json_decref(root);
        pod_manifest_free(m);
        return 0;
}
