/*
 * Mutable pods (CRI's pod sandbox, rkt's `app sandbox`): apps added to and
 * removed from a running pod (docs/lifecycle.md "Mutable pods").
 *
 * podctl (or rkt's stage0) unpacks the app's image into the pod and checks
 * the new pod manifest as a whole; podinit then prepares the app exactly as
 * it prepares the pod's first apps (user, environment, mounts, cgroup, log,
 * readiness) and keeps it "created" until `app start`.
 *
 * A removed app goes to the pod's graveyard (supervise.c): its handles are
 * closed at once, its memory freed once libuv has run their close callbacks.
 */
#include "init/core/mutable.h"
#include "init/core/app.h"
#include "init/core/events.h"
#include "init/core/persist.h"
#include "init/core/prepare.h"
#include "init/core/supervise.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <jansson.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>

/* Apps added later get what their image gives (app section, readiness) as the launcher gives it to the first apps. */
static int take_image_app(struct pod_app *spec, struct pod_err *err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s/manifest", S1_STAGE2, spec->name), *data = NULL;
        struct image_manifest *im = NULL;
        size_t len;
        int r;

        r = read_file_at(AT_FDCWD, path, POD_MANIFEST_MAX_BYTES, &data, &len);
        if (r < 0 && spec->has_app)
                return 0;
        if (r < 0)
                return pod_err_set(err, r, "app \"%s\": no \"app\" section and its image manifest %s cannot be read: %s",
                                   spec->name, path, strerror(-r));
        if ((r = image_manifest_parse(data, len, &im, err)) < 0) {
                if (spec->has_app)
                        return 0;       /* only its readiness hint is lost */
                return pod_err_prefix(err, "app \"%s\": %s", spec->name, path);
        }
        r = pod_app_take_image_app(spec, im, err);
        image_manifest_free(im);
        return r;
}

/* What only a pod's first apps can have, and what the new app may not ask for. */
static int check_addable(struct pod *pod, const struct pod_app *spec, struct pod_err *err)
{
        if (pod_find_app(pod, spec->name))
                return pod_err_set(err, -EEXIST, "the pod already has an app \"%s\"", spec->name);
        if (pod_app_uses(spec, IO_INTERACTIVE))
                return pod_err_set(err, -EINVAL, "app \"%s\": interactive mode needs the terminal the pod was started from; an app added later can use tty or stream",
                                   spec->name);
        if (spec->log.path)
                return pod_err_set(err, -EINVAL, "app \"%s\": %s is not available for apps added to a running pod yet (their log is in the pod: podctl logs)",
                                   spec->name, ANN_LOG_PATH);
        if (spec->n_mounts_spec || spec->app.n_mount_points)
                return pod_err_set(err, -EINVAL, "app \"%s\": volumes cannot be mounted into apps added to a running pod yet; give the pod's apps their volumes at `podctl app sandbox`/`run`",
                                   spec->name);
        for (char **d = spec->pol.after; d && *d; d++) {
                if (!strcmp(*d, spec->name))
                        return pod_err_set(err, -EINVAL, "app \"%s\": %s: an app cannot start after itself", spec->name, ANN_AFTER);
                if (!pod_find_app(pod, *d))
                        return pod_err_set(err, -ENOENT, "app \"%s\": %s/%s: the pod has no app \"%s\"", spec->name, ANN_AFTER,
                                           ANN_REQUIRES, *d);
        }
        return 0;
}

/* PID 1's bounding set was fixed at start (docs/architecture.md "Capabilities"). */
static int check_caps(const struct app *a, struct pod_err *err)
{
        for (int c = 0; c < 64 && c <= a->plan.cap_last; c++)
                if ((a->plan.caps_bounding & (1ull << c)) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1) {
                        char *name = cap_to_name(c);
                        int r = pod_err_set(err, -EPERM,
                                            "app \"%s\" wants capability %s, which the pod dropped when it started (a pod's capabilities are fixed then; give it to an app of the pod at `app sandbox`, or --disable-capabilities-restriction)",
                                            a->spec->name, name ? name : "?");
                        cap_free(name);
                        return r;
                }
        return 0;
}

int pod_app_add(struct pod *pod, json_t *obj, struct app **ret, struct pod_err *err)
{
        struct pod_app *spec;
        struct app *a;
        int r;

        if (!pod->opt.mutable_pod)
                return pod_err_set(err, -EPERM, "this pod is not mutable; apps can be added only to a pod started with `podctl app sandbox` (rkt: --mutable)");
        if (pod->state != POD_STARTING && pod->state != POD_RUNNING)
                return pod_err_set(err, -ESHUTDOWN, "the pod is stopping");
        if (pod->n_apps >= POD_MAX_APPS)
                return pod_err_set(err, -E2BIG, "the pod has %zu apps, the most one pod may hold", pod->n_apps);
        spec = xcalloc(1, sizeof(*spec));
        if ((r = pod_app_parse(obj, "app", spec, err)) < 0 || (r = check_addable(pod, spec, err)) < 0 ||
            (r = take_image_app(spec, err)) < 0) {
                pod_app_done(spec);
                free(spec);
                return r;
        }
        a = xcalloc(1, sizeof(*a));
        pod_app_init(pod, a, spec, pod->next_serial++);
        a->spec_owned = spec;
        a->want_start = false;
        if ((r = app_prepare(a, err)) < 0 || (!pod->opt.caps_unrestricted && (r = check_caps(a, err)) < 0)) {
                if (a->plan.rootfs)
                        umount2(a->plan.rootfs, MNT_DETACH);
                if (a->cg_ready)
                        cg_app_destroy(&a->cg);
                a->cg_ready = false;
                pod_bury(pod, a);
                return r;
        }
        if (pod->n_apps + 1 > pod->cap_apps) {
                pod->cap_apps = pod->cap_apps * 2 + 8;
                pod->apps = xrealloc(pod->apps, pod->cap_apps * sizeof(*pod->apps));
        }
        pod->apps[pod->n_apps++] = a;
        app_note(a, "added", NULL);
        app_write_status(a);
        *ret = a;
        return 0;
}

int pod_app_start_req(struct pod *pod, struct app *a, struct pod_err *err)
{
        if (pod->state != POD_STARTING && pod->state != POD_RUNNING)
                return pod_err_set(err, -ESHUTDOWN, "the pod is stopping");
        a->want_start = true;
        if (app_state_final(a->state)) {
                app_rerun(a);           /* a new run, with new streams, on the next loop iteration */
                return 0;
        }
        if (a->state != APP_CREATED)
                return 0;               /* already running or starting: nothing to do (rkt's app/start) */
        pod_start_ready_apps(pod);
        return 0;
}

int pod_app_remove(struct pod *pod, struct app *a, struct pod_err *err)
{
        static const char *const files[] = { S1_RKT_STATUS, S1_RKT_ENV, S1_PODINIT_DIR "/apps" };
        char path[512];
        size_t i;

        if (!app_state_final(a->state) && a->state != APP_CREATED)
                return pod_err_set(err, -EBUSY, "app %s is %s; stop it first (podctl app stop)", a->spec->name,
                                   app_state_name(a->state));
        if (a->state == APP_CREATED && a->want_start)
                return pod_err_set(err, -EBUSY, "app %s is waiting to start; stop it first (podctl app stop)", a->spec->name);
        for (i = 0; i < pod->n_apps && pod->apps[i] != a; i++)
                ;
        if (i == pod->n_apps)
                return pod_err_set(err, -ENOENT, "no app \"%s\" in this pod", a->spec->name);
        app_note(a, "removed", NULL);
        memmove(&pod->apps[i], &pod->apps[i + 1], (pod->n_apps - i - 1) * sizeof(*pod->apps));
        pod->n_apps--;
        for (size_t k = 0; k < ARRAY_SIZE(files); k++) {
                snprintf(path, sizeof(path), "%s/%s%s", files[k], a->spec->name, k == 2 ? ".json" : "");
                unlink(path);
        }
        snprintf(path, sizeof(path), "/rkt/iottymux/%s", a->spec->name);
        rm_rf_at(AT_FDCWD, path);
        /* Its mounts (the rootfs bound onto itself, /dev, /proc, /sys, volumes) go with one detach. */
        if (a->plan.rootfs && umount2(a->plan.rootfs, MNT_DETACH) < 0 && errno != EINVAL)
                log_warn("app %s: unmounting %s: %s", a->spec->name, a->plan.rootfs, strerror(errno));
        if (a->cg_ready)
                cg_app_destroy(&a->cg);
        a->cg_ready = false;
        pod_bury(pod, a);
        return 0;
}
