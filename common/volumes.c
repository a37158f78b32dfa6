#include "common/volumes.h"
#include "common/log.h"
#include "common/names.h"

#include <jansson.h>

static int opt_bool(json_t *obj, const char *key, const char *path, int *ret, struct pod_err *err)
{
        json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return pod_err_set(err, -EINVAL, "%s.%s: expected true or false", path, key);
        *ret = json_is_true(v);
        return 0;
}

static int req_str(json_t *obj, const char *key, const char *path, bool required, const char **ret, struct pod_err *err)
{
        json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v)) {
                if (required)
                        return pod_err_set(err, -EINVAL, "%s.%s: required", path, key);
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) || !*json_string_value(v))
                return pod_err_set(err, -EINVAL, "%s.%s: expected a non-empty string", path, key);
        *ret = json_string_value(v);
        return 0;
}

static int id_field(json_t *obj, const char *key, const char *path, unsigned *ret, struct pod_err *err)
{
        json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 0xfffffffe)
                return pod_err_set(err, -EINVAL, "%s.%s: expected an id from 0 to 4294967294", path, key);
        *ret = (unsigned)json_integer_value(v);
        return 0;
}

static void volume_done(struct volume *v)
{
        free(v->name);
        free(v->source);
        memset(v, 0, sizeof(*v));
}

/* One volume object; *v is filled (and owned by the caller) even on error. */
static int volume_parse(json_t *it, const char *p, struct volume *v, struct pod_err *err)
{
        const char *name, *kind, *source, *mode;
        unsigned uid = 0, gid = 0;
        int recursive = 1, r;

        v->read_only = -1;
        if (!json_is_object(it))
                return pod_err_set(err, -EINVAL, "%s: expected an object", p);
        if ((r = req_str(it, "name", p, true, &name, err)) < 0 || (r = req_str(it, "kind", p, true, &kind, err)) < 0 ||
            (r = req_str(it, "source", p, false, &source, err)) < 0 || (r = req_str(it, "mode", p, false, &mode, err)) < 0 ||
            (r = opt_bool(it, "readOnly", p, &v->read_only, err)) < 0 ||
            (r = opt_bool(it, "recursive", p, &recursive, err)) < 0 || (r = id_field(it, "uid", p, &uid, err)) < 0 ||
            (r = id_field(it, "gid", p, &gid, err)) < 0)
                return r;
        v->name = xstrdup(name);
        if (!acname_valid(name))
                return pod_err_set(err, -EINVAL, "%s.name: \"%s\" is not a valid volume name (lower-case letters, digits and single dashes)",
                                   p, name);
        if (!strcmp(kind, "host")) {
                v->kind = VOL_HOST;
                if (!source)
                        return pod_err_set(err, -EINVAL, "%s.source: required for a host volume (the host path to bind)", p);
                if (source[0] != '/')
                        return pod_err_set(err, -EINVAL, "%s.source: \"%s\" is not an absolute path", p, source);
                v->source = xstrdup(source);
        } else if (!strcmp(kind, "empty")) {
                v->kind = VOL_EMPTY;
        } else {
                return pod_err_set(err, -EINVAL, "%s.kind: \"%s\" is not a volume kind (host or empty)", p, kind);
        }
        v->recursive = recursive;
        v->mode = 0755;
        if (mode) {
                char *end;
                unsigned long m = strtoul(mode, &end, 8);
                if (*end || mode[0] < '0' || mode[0] > '7' || m > 07777)
                        return pod_err_set(err, -EINVAL, "%s.mode: \"%s\" is not an octal mode such as \"0755\"", p, mode);
                v->mode = (mode_t)m;
        }
        v->uid = uid;
        v->gid = gid;
        return 0;
}

/*
 * A JSON list of objects into a calloc'ed array of size-byte elements, one()
 * filling each; on failure release() frees what was filled (fields one() had
 * not set yet are NULL).  Paths in messages are "<path>[i]".
 */
typedef int (*item_fn)(json_t *it, const char *p, void *elem, struct pod_err *err);

static int parse_list(json_t *arr, const char *path, size_t size, item_fn one, void (*release)(void *, size_t),
                      void **ret, size_t *ret_n, struct pod_err *err)
{
        char *v;
        json_t *it;
        size_t i, n = 0;
        int r;

        if (arr && !json_is_null(arr) && !json_is_array(arr))
                return pod_err_set(err, -EINVAL, "%s: expected a list", path);
        if (json_array_size(arr) > POD_MAX_VOLUMES)
                return pod_err_set(err, -E2BIG, "%s: %zu entries, at most %u allowed", path, json_array_size(arr),
                                   POD_MAX_VOLUMES);
        v = xcalloc(json_array_size(arr) + 1, size);
        json_array_foreach(arr, i, it) {
                char p[160];
                snprintf(p, sizeof(p), "%s[%zu]", path, i);
                n = i + 1;
                if (!json_is_object(it)) {
                        r = pod_err_set(err, -EINVAL, "%s: expected an object", p);
                        goto fail;
                }
                if ((r = one(it, p, v + i * size, err)) < 0)
                        goto fail;
        }
        *ret = v;
        *ret_n = n;
        return 0;
fail:
        release(v, n);
        return r;
}

static int volume_item(json_t *it, const char *p, void *elem, struct pod_err *err)
{
        return volume_parse(it, p, elem, err);
}

static void volumes_release(void *v, size_t n)
{
        volumes_free(v, n);
}

int volume_list_parse(json_t *arr, const char *path, struct volume **ret, size_t *ret_n, struct pod_err *err)
{
        struct volume *v = NULL;
        size_t n = 0;
        int r = parse_list(arr, path, sizeof(*v), volume_item, volumes_release, (void **)&v, &n, err);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < i; k++)
                        if (!strcmp(v[k].name, v[i].name)) {
                                pod_err_set(err, -EINVAL, "%s[%zu].name: volume \"%s\" is defined twice", path, i, v[i].name);
                                volumes_free(v, n);
                                return -EINVAL;
                        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static int mount_point_item(json_t *it, const char *p, void *elem, struct pod_err *err)
{
        struct mount_point *m = elem;
        const char *name, *mp;
        int ro = 0, r;

        if ((r = req_str(it, "name", p, true, &name, err)) < 0 || (r = req_str(it, "path", p, true, &mp, err)) < 0 ||
            (r = opt_bool(it, "readOnly", p, &ro, err)) < 0)
                return r;
        if (!acname_valid(name))
                return pod_err_set(err, -EINVAL, "%s.name: \"%s\" is not a valid mount point name", p, name);
        m->name = xstrdup(name);
        m->path = xstrdup(mp);
        m->read_only = ro;
        return 0;
}

static void mount_points_release(void *m, size_t n)
{
        mount_points_free(m, n);
}

int mount_points_parse(json_t *arr, const char *path, struct mount_point **ret, size_t *ret_n, struct pod_err *err)
{
        return parse_list(arr, path, sizeof(**ret), mount_point_item, mount_points_release, (void **)ret, ret_n, err);
}

static int app_mount_item(json_t *it, const char *p, void *elem, struct pod_err *err)
{
        struct app_mount_spec *m = elem;
        const char *vol, *mp;
        json_t *av;
        int r;

        if ((r = req_str(it, "volume", p, true, &vol, err)) < 0 || (r = req_str(it, "path", p, true, &mp, err)) < 0)
                return r;
        m->volume = xstrdup(vol);
        m->path = xstrdup(mp);
        av = json_object_get(it, "appVolume");
        if (av && !json_is_null(av)) {
                char ap[192];
                snprintf(ap, sizeof(ap), "%s.appVolume", p);
                m->app_volume = xcalloc(1, sizeof(struct volume));
                if ((r = volume_parse(av, ap, m->app_volume, err)) < 0)
                        return r;
                if (strcmp(m->app_volume->name, vol))
                        return pod_err_set(err, -EINVAL, "%s.name: \"%s\" differs from the mount's volume \"%s\"", ap,
                                           m->app_volume->name, vol);
        }
        return 0;
}

static void app_mounts_release(void *m, size_t n)
{
        app_mounts_spec_free(m, n);
}

int app_mounts_parse(json_t *arr, const char *path, struct app_mount_spec **ret, size_t *ret_n, struct pod_err *err)
{
        return parse_list(arr, path, sizeof(**ret), app_mount_item, app_mounts_release, (void **)ret, ret_n, err);
}

void volumes_free(struct volume *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                volume_done(&v[i]);
        free(v);
}

void mount_points_free(struct mount_point *m, size_t n)
{
        for (size_t i = 0; m && i < n; i++) {
                free(m[i].name);
                free(m[i].path);
        }
        free(m);
}

void app_mounts_spec_free(struct app_mount_spec *m, size_t n)
{
        for (size_t i = 0; m && i < n; i++) {
                free(m[i].volume);
                free(m[i].path);
                if (m[i].app_volume)
                        volume_done(m[i].app_volume);
                free(m[i].app_volume);
        }
        free(m);
}

void app_mounts_free(struct app_mount *m, size_t n)
{
        for (size_t i = 0; m && i < n; i++) {
                free(m[i].volume);
                free(m[i].source);
                free(m[i].target);
                if (m[i].tree_fd >= 0)
                        close(m[i].tree_fd);
        }
        free(m);
}

struct mount_point *mount_points_copy(const struct mount_point *m, size_t n)
{
        struct mount_point *c = xcalloc(n + 1, sizeof(*c));
        for (size_t i = 0; i < n; i++) {
                c[i].name = xstrdup(m[i].name);
                c[i].path = xstrdup(m[i].path);
                c[i].read_only = m[i].read_only;
        }
        return c;
}
