/*
 * coreos.com/rkt/stage1/app/{add,start,stop,rm} (`--debug=B --app=NAME`,
 * add also `--uuid=UUID`), cwd = the pod, environment RKT_STAGE1_ENTERCMD,
 * RKT_STAGE1_ENTERPID and PATH only.  stage0 has already done the files
 * (rendered the rootfs, rewritten `pod`, the env file and the
 * created/started markers); these entrypoints ask the pod's PID 1 over the
 * control socket (ops app-add, app-start, app-stop, app-rm) and wait until
 * the supervisor has done it, as rkt's systemctl calls do:
 *   add    the app is known and prepared, not started;
 *   start  the app has been started (ready, for apps with a readiness
 *          protocol); starting a running app is a no-op;
 *   stop   the app has exited and its status is on disk; exit 5 if no such
 *          app exists at all (rkt's "unit not loaded"), 0 if it is in the
 *          manifest but was never added or has already exited;
 *   rm     the app is forgotten and its mounts in the pod are gone.
 *
 * rkt's k8s-plain log mode (docs/stage1-abi.md "app/add"): with the pod
 * annotations coreos.com/rkt/experiment/logmode=k8s-plain and
 * .../kubernetes-log-dir=DIR and the app annotation
 * .../kubernetes-log-path=FILE, add makes the app log its stream output too
 * (podinit.io/log-attached) and DIR/FILE a symlink to the app's CRI log file
 * in the pod, where kubelet reads it.  rkt's iottymux wrote DIR/FILE itself,
 * untagged; PID 1 cannot reach host paths for an app added later, and its
 * files are tagged CRI, which today's kubelet needs.
 */
#include "stage1/entry.h"
#include "stage1/shared.h"
#include "common/args.h"
#include "common/client.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/podstate.h"
#include "common/volumes.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>

#define WAIT_START_MS 90000u    /* start: rkt's systemd had no start timeout; ours is generous */
#define WAIT_STOP_MS 300000u    /* stop: the app's stop timeout bounds it long before this */
#define POLL_MS 20

struct app_args {
        const char *app, *uuid;
        bool debug;
};

static int parse(const char *who, int argc, char **argv, struct app_args *a, bool add)
{
        struct pod_err err = { 0 };
        const char *ignored_s = NULL;
        bool ignored_b = false;
        int idx = 1;
        const struct opt opts[] = {
                { "debug", OPT_BOOL, &a->debug },
                { "app", OPT_STR, &a->app },
                { "uuid", OPT_STR, &a->uuid },
                /* Documented for app/add but never sent by stage0: runtime-config has them. */
                { "disable-capabilities-restriction", OPT_BOOL, &ignored_b },
                { "disable-paths", OPT_BOOL, &ignored_b },
                { "disable-seccomp", OPT_BOOL, &ignored_b },
                { "private-users", OPT_STR, &ignored_s },
        };

        log_init(who, false);
        if (args_parse(argc, argv, &idx, opts, add ? ARRAY_SIZE(opts) : 3, &err) < 0 || idx != argc) {
                log_error("%s", err.msg[0] ? err.msg : "unexpected arguments");
                fprintf(stderr, "usage: %s --debug=BOOL --app=NAME%s\n", who, add ? " --uuid=UUID" : "");
                return S1_EXIT_USAGE;
        }
        log_init(who, a->debug);
        if (!a->app || !acname_valid(a->app)) {
                log_error(a->app ? "--app=%s is not a valid app name" : "--app is required%s", a->app ? a->app : "");
                return S1_EXIT_USAGE;
        }
        return 0;
}

static int connect_pod(struct ctl_conn **ret)
{
        struct pod_err err = { 0 };

        if (ctl_connect(".", ret, &err) < 0) {
                log_error("the pod's supervisor cannot be reached: %s", err.msg);
                return -1;
        }
        return 0;
}

static int call(struct ctl_conn *c, json_t *req, json_t **ret, struct pod_err *err)
{
        json_t *resp = NULL;
        int r = ctl_call(c, req, &resp, err);

        if (r < 0)
                return r;
        if (ret)
                *ret = json_incref(json_object_get(resp, "result"));
        json_decref(resp);
        return 0;
}

/* The app's entry in the pod status (a new reference), or NULL if unknown. */
static json_t *app_status(struct ctl_conn *c, const char *name, struct pod_err *err)
{
        json_t *st = NULL, *app, *found = NULL;
        size_t i;

        if (call(c, json_pack("{s:s}", "op", "status"), &st, err) < 0)
                return NULL;
        json_array_foreach(json_object_get(st, "apps"), i, app)
                if (!strcmp(json_string_value(json_object_get(app, "name")) ?: "", name))
                        found = json_incref(app);
        json_decref(st);
        if (!found)
                pod_err_set(err, -ENOENT, "no app \"%s\" in this pod", name);
        return found;
}

static const char *field(json_t *app, const char *k)
{
        return json_string_value(json_object_get(app, k)) ?: "";
}

static bool state_is(json_t *app, const char *const *states)
{
        for (; *states; states++)
                if (!strcmp(field(app, "state"), *states))
                        return true;
        return false;
}

static void sleep_ms(unsigned ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
}

/* Is NAME among the apps of the pod manifest `pod` (which stage0 rewrites)? */
static json_t *manifest_app(const char *name)
{
        _cleanup_free_ char *data = NULL;
        json_t *pod, *app, *found = NULL;
        size_t len, i;

        if (read_file_at(AT_FDCWD, "pod", POD_MANIFEST_MAX_BYTES, &data, &len) < 0)
                return NULL;
        pod = json_loadb(data, len, 0, NULL);
        json_array_foreach(json_object_get(pod, "apps"), i, app)
                if (!strcmp(json_string_value(json_object_get(app, "name")) ?: "", name))
                        found = json_incref(app);
        json_decref(pod);
        return found;
}

#define ANN_RKT_LOGMODE "coreos.com/rkt/experiment/logmode"
#define ANN_RKT_K8S_LOG_DIR "coreos.com/rkt/experiment/kubernetes-log-dir"
#define ANN_RKT_K8S_LOG_PATH "coreos.com/rkt/experiment/kubernetes-log-path"

/* The value of annotation name in an appc annotation list, or NULL. */
static const char *ann_value(json_t *list, const char *name)
{
        json_t *it;
        size_t i;

        json_array_foreach(list, i, it)
                if (!strcmp(json_string_value(json_object_get(it, "name")) ?: "", name))
                        return json_string_value(json_object_get(it, "value"));
        return NULL;
}

/* The pod manifest's annotation name (a new string), or NULL. */
static char *pod_annotation(const char *name)
{
        _cleanup_free_ char *data = NULL;
        const char *v;
        char *ret = NULL;
        size_t len;
        json_t *pod;

        if (read_file_at(AT_FDCWD, "pod", POD_MANIFEST_MAX_BYTES, &data, &len) < 0)
                return NULL;
        pod = json_loadb(data, len, 0, NULL);
        if ((v = ann_value(json_object_get(pod, "annotations"), name)))
                ret = xstrdup(v);
        json_decref(pod);
        return ret;
}

/* Is the app's stdout or stderr in stream mode (rkt's app annotations)? */
static bool streamed(json_t *anns)
{
        const char *o = ann_value(anns, "coreos.com/rkt/stage2/stdout"), *e = ann_value(anns, "coreos.com/rkt/stage2/stderr");
        return (o && !strcmp(o, "stream")) || (e && !strcmp(e, "stream"));
}

/*
 * k8s-plain, before the add: check FILE (one name inside DIR once cleaned,
 * as rkt's iottymux required) and ask for the stream output to be logged.
 * *ret_link is DIR/FILE for k8s_link_log after the add, or NULL if there is
 * nothing to link.
 */
static int k8s_plain_prepare(json_t *entry, const char *app, char **ret_link, struct pod_err *err)
{
        _cleanup_free_ char *mode = pod_annotation(ANN_RKT_LOGMODE), *dir = NULL;
        json_t *anns = json_object_get(entry, "annotations");
        const char *file = ann_value(anns, ANN_RKT_K8S_LOG_PATH);

        *ret_link = NULL;
        if (!mode || strcmp(mode, "k8s-plain"))
                return 0;
        if (!file && !streamed(anns))
                return 0;       /* rkt needed the file only for stream output */
        if (!file)
                return pod_err_set(err, -EINVAL, "kubernetes-log-path annotation needs to be specified when k8s-plain logging mode is used (app \"%s\": set %s)",
                                   app, ANN_RKT_K8S_LOG_PATH);
        /* rkt: Clean(Join(dir, FILE)) must be dir/<one name>. */
        _cleanup_free_ char *joined = xasprintf("/d/%s", file), *clean = volume_target_normalize(joined);
        if (!str_startswith(clean, "/d/") || strchr(clean + 3, '/'))
                return pod_err_set(err, -EINVAL, "app \"%s\": %s=%s: log path is not inside the kubernetes log directory, refusing path traversal",
                                   app, ANN_RKT_K8S_LOG_PATH, file);
        if (!json_is_array(anns)) {
                anns = json_array();
                json_object_set_new(entry, "annotations", anns);
        }
        if (!ann_value(anns, ANN_LOG_ATTACHED))
                json_array_append_new(anns, json_pack("{s:s,s:s}", "name", ANN_LOG_ATTACHED, "value", "true"));
        dir = pod_annotation(ANN_RKT_K8S_LOG_DIR);
        if (!dir) {
                log_warn("app %s: k8s-plain without %s: its log is only in the pod (%s/%s.log)", app, ANN_RKT_K8S_LOG_DIR,
                         LOG_DIR, app);
                return 0;
        }
        if (dir[0] != '/')
                return pod_err_set(err, -EINVAL, "%s=%s: expected an absolute host path", ANN_RKT_K8S_LOG_DIR, dir);
        *ret_link = xasprintf("%s%s", dir, clean + 2);
        return 0;
}

/* k8s-plain, after the add: link points at the app's log file in the pod (replacing an old file there). */
static int k8s_link_log(const char *link, const char *app, struct pod_err *err)
{
        char cwd[PATH_MAX];
        _cleanup_free_ char *target = NULL;
        struct stat st;

        if (!getcwd(cwd, sizeof(cwd)))
                return pod_err_set(err, -errno, "getcwd: %s", strerror(errno));
        target = xasprintf("%s/%s%s/%s.log", cwd, POD_S1, LOG_DIR, app);
        if (lstat(link, &st) == 0) {
                if (S_ISDIR(st.st_mode))
                        return pod_err_set(err, -EISDIR, "the kubernetes log file %s is a directory", link);
                if (unlink(link) < 0)
                        return pod_err_set(err, -errno, "replacing the kubernetes log file %s: %s", link, strerror(errno));
        }
        if (symlink(target, link) < 0)
                return pod_err_set(err, -errno, "linking the kubernetes log file %s to %s: %s", link, target, strerror(errno));
        return 0;
}

int s1_app_add(int argc, char **argv)
{
        struct app_args a = { 0 };
        struct pod_err err = { 0 };
        struct ctl_conn *c = NULL;
        _cleanup_free_ char *k8s_link = NULL;
        json_t *entry;
        int r;

        if ((r = parse("app-add", argc, argv, &a, true)))
                return r;
        s1_cloexec_inherited();
        if (!(entry = manifest_app(a.app))) {
                log_error("the pod manifest (pod) has no app \"%s\"", a.app);
                return S1_EXIT_ERROR;
        }
        if (k8s_plain_prepare(entry, a.app, &k8s_link, &err) < 0) {
                log_error("%s", err.msg);
                json_decref(entry);
                return S1_EXIT_ERROR;
        }
        if (connect_pod(&c) < 0) {
                json_decref(entry);
                return S1_EXIT_ERROR;
        }
        r = call(c, json_pack("{s:s,s:o}", "op", "app-add", "app", entry), NULL, &err);
        ctl_close(c);
        if (r < 0 || (k8s_link && k8s_link_log(k8s_link, a.app, &err) < 0)) {
                log_error("%s", err.msg);
                return S1_EXIT_ERROR;
        }
        log_debug("app %s added", a.app);
        return 0;
}

int s1_app_start(int argc, char **argv)
{
        static const char *const up[] = { "running", "ready", "stopping", NULL };
        static const char *const pending[] = { "created", "starting", NULL };
        struct app_args a = { 0 };
        struct pod_err err = { 0 };
        struct ctl_conn *c = NULL;
        _cleanup_free_ char *started0 = NULL;
        json_t *st;
        int r;

        if ((r = parse("app-start", argc, argv, &a, false)))
                return r;
        s1_cloexec_inherited();
        if (connect_pod(&c) < 0)
                return S1_EXIT_ERROR;
        if (!(st = app_status(c, a.app, &err)))
                goto fail;
        if (state_is(st, up)) {
                json_decref(st);
                ctl_close(c);
                return 0;               /* already running: a no-op, as rkt's */
        }
        started0 = xstrdup(field(st, "startedAt"));
        json_decref(st);
        if (call(c, json_pack("{s:s,s:s}", "op", "app-start", "app", a.app), NULL, &err) < 0)
                goto fail;
        for (unsigned waited = 0; waited < WAIT_START_MS; waited += POLL_MS) {
                bool done;
                if (!(st = app_status(c, a.app, &err)))
                        goto fail;
                /* A new run that has left "starting": exec'd (or failed, which its status file records). */
                done = *field(st, "startedAt") && strcmp(field(st, "startedAt"), started0) && !state_is(st, pending) &&
                       !(!strcmp(field(st, "state"), "running") && strcmp(field(st, "readiness"), "exec"));
                json_decref(st);
                if (done) {
                        ctl_close(c);
                        return 0;
                }
                sleep_ms(POLL_MS);
        }
        pod_err_set(&err, -ETIMEDOUT, "app %s did not start within %u s", a.app, WAIT_START_MS / 1000);
fail:
        log_error("%s", err.msg);
        ctl_close(c);
        return S1_EXIT_ERROR;
}

/* Stop and wait for the app to be finished; 1 if the supervisor does not know it. */
static int stop_and_wait(struct ctl_conn *c, const char *name, struct pod_err *err)
{
        static const char *const down[] = { "created", "exited", "failed", NULL };
        json_t *st = app_status(c, name, err);

        if (!st)
                return err->code == -ENOENT ? 1 : -1;
        if (state_is(st, down)) {
                json_decref(st);
                return 0;
        }
        json_decref(st);
        if (call(c, json_pack("{s:s,s:s}", "op", "app-stop", "app", name), NULL, err) < 0)
                return -1;
        for (unsigned waited = 0; waited < WAIT_STOP_MS; waited += POLL_MS) {
                bool done;
                if (!(st = app_status(c, name, err)))
                        return -1;
                done = state_is(st, down);
                json_decref(st);
                if (done)
                        return 0;
                sleep_ms(POLL_MS);
        }
        return pod_err_set(err, -ETIMEDOUT, "app %s did not stop within %u s", name, WAIT_STOP_MS / 1000);
}

int s1_app_stop(int argc, char **argv)
{
        struct app_args a = { 0 };
        struct pod_err err = { 0 };
        struct ctl_conn *c = NULL;
        json_t *entry;
        int r;

        if ((r = parse("app-stop", argc, argv, &a, false)))
                return r;
        s1_cloexec_inherited();
        if (connect_pod(&c) < 0)
                return S1_EXIT_ERROR;
        r = stop_and_wait(c, a.app, &err);
        ctl_close(c);
        if (r < 0) {
                log_error("%s", err.msg);
                return S1_EXIT_ERROR;
        }
        if (r == 1) {
                if ((entry = manifest_app(a.app))) {
                        /* In the manifest, never added (a failed app/add): nothing runs, so rm can go on. */
                        json_decref(entry);
                        log_debug("app %s is not known to the supervisor; nothing to stop", a.app);
                        return 0;
                }
                log_error("no app \"%s\" in this pod", a.app);
                return S1_EXIT_NO_APP;
        }
        return 0;
}

int s1_app_rm(int argc, char **argv)
{
        struct app_args a = { 0 };
        struct pod_err err = { 0 };
        struct ctl_conn *c = NULL;
        json_t *st;
        int r;

        if ((r = parse("app-rm", argc, argv, &a, false)))
                return r;
        s1_cloexec_inherited();
        if (connect_pod(&c) < 0)
                return S1_EXIT_ERROR;
        if (!(st = app_status(c, a.app, &err))) {
                ctl_close(c);
                if (err.code == -ENOENT) {
                        log_debug("app %s is not known to the supervisor; nothing to remove", a.app);
                        return 0;
                }
                log_error("%s", err.msg);
                return S1_EXIT_ERROR;
        }
        json_decref(st);
        r = call(c, json_pack("{s:s,s:s}", "op", "app-rm", "app", a.app), NULL, &err);
        ctl_close(c);
        if (r < 0) {
                log_error("%s", err.msg);
                return S1_EXIT_ERROR;
        }
        return 0;
}
