/*
 * podctl app VERB: the apps of a mutable pod (docs/lifecycle.md "Mutable pods").
 *
 *   app sandbox [-d] [POD FLAGS]      an empty mutable pod (podctl run --mutable)
 *   app add POD IMAGE [APP FLAGS]     unpack and prepare an app (cmd_run.c: cmd_app_add)
 *   app start POD --app=N             start it (once the apps it starts after are ready)
 *   app stop POD --app=N [--force]    stop it; returns once it has exited
 *   app rm POD --app=N                stop it if needed, remove it and its image
 *   app list POD | app status POD --app=N [--json]
 *
 * Flags may come before or after POD.
 */
#include "cli/cli.h"
#include "cli/poddir.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/client.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "stage0/app.h"

#include <fcntl.h>
#include <time.h>

struct app_cmd {
        const char *verb;
        const char *pod;
        const char *app;
        bool force, json;
        struct pod_ref p;
};

static int parse(int argc, char **argv, struct app_cmd *ac, bool want_app)
{
        struct pod_err err = { 0 };
        const struct opt opts[] = {
                { "app", OPT_STR, &ac->app },
                { "force", OPT_BOOL, &ac->force },
                { "json", OPT_BOOL, &ac->json },
        };
        _cleanup_free_ char *verb = xasprintf("app %s", ac->verb);
        struct args_rest rest;
        int r;

        if ((r = cli_parse(verb, argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0)
                return r > 0 ? 1 : -EINVAL;
        if (rest.n_pos != 1 || rest.dashdash || (want_app && !ac->app)) {
                log_error("%s: %s", verb, rest.n_pos != 1 || rest.dashdash ? "give one POD" : "no --app=NAME given");
                fprintf(stderr, "usage: podctl app %s POD%s\n(podctl app --help)\n", ac->verb,
                        !want_app ? "" : !strcmp(ac->verb, "stop") ? " --app=NAME [--force]"
                                       : !strcmp(ac->verb, "status") ? " --app=NAME [--json]" : " --app=NAME");
                return -EINVAL;
        }
        ac->pod = argv[rest.first];
        if (pod_find(ac->pod, &ac->p, &err) < 0) {
                log_error("app %s: %s", ac->verb, err.msg);
                return -ENOENT;
        }
        return 0;
}

static int call(struct app_cmd *ac, json_t *req, json_t **ret)
{
        struct pod_err err = { 0 };
        struct ctl_conn *c = NULL;
        int r;

        if (ac->p.state != PODDIR_RUNNING) {
                json_decref(req);
                log_error("app %s: pod %s is not running (it is %s)", ac->verb, ac->p.uuid, pod_dir_state_name(ac->p.state));
                return -ESRCH;
        }
        r = ctl_connect(ac->p.path, &c, &err);
        if (r == 0)
                r = ctl_call(c, req, ret, &err);
        else
                json_decref(req);
        ctl_close(c);
        if (r < 0)
                log_error("app %s: pod %s: %s", ac->verb, ac->p.uuid, err.msg);
        return r;
}

/* The app's entry in the pod's status document (NULL if it has none). */
static json_t *app_entry(json_t *st, const char *name)
{
        size_t i;
        json_t *a;

        json_array_foreach(json_object_get(st, "apps"), i, a)
                if (!strcmp(json_string_value(json_object_get(a, "name")) ?: "", name))
                        return a;
        return NULL;
}

static const char *app_state(const struct app_cmd *ac, json_t **ret_st)
{
        struct pod_err err = { 0 };
        json_t *st = NULL, *a;

        if (pod_status_load(&ac->p, &st, &err) < 0)
                return NULL;
        a = app_entry(st, ac->app);
        *ret_st = st;
        return a ? json_string_value(json_object_get(a, "state")) : NULL;
}

/* Wait until the app is exited or failed (or gone), polling its status: bounded by timeout_ms. */
static int wait_app_final(struct app_cmd *ac, uint64_t timeout_ms)
{
        uint64_t end = now_mono_ns() + timeout_ms * 1000000ull;

        for (;;) {
                json_t *st = NULL;
                const char *s = app_state(ac, &st);
                bool done = !s || !strcmp(s, "exited") || !strcmp(s, "failed") || !strcmp(s, "created");
                json_decref(st);
                if (done)
                        return 0;
                if (now_mono_ns() > end)
                        return -ETIMEDOUT;
                nanosleep(&(struct timespec){ 0, 20 * 1000000 }, NULL);
        }
}

static int app_stop_and_wait(struct app_cmd *ac)
{
        json_t *resp = NULL, *st = NULL;
        uint64_t timeout = 0;

        if (call(ac, json_pack("{s:s,s:s,s:b}", "op", "app-stop", "app", ac->app, "force", ac->force), &resp) < 0)
                return -1;
        json_decref(resp);
        if (app_state(ac, &st))
                timeout = (uint64_t)json_integer_value(json_object_get(st, "stopTimeoutMs"));
        json_decref(st);
        /* Its own stop timeout may be longer than the pod's: the kill comes after it; allow for both. */
        if (wait_app_final(ac, (timeout ? timeout : 10000) * 2 + 5000) < 0) {
                log_error("app %s: app %s did not stop in time", ac->verb, ac->app);
                return -1;
        }
        return 0;
}

static int app_rm(struct app_cmd *ac)
{
        struct pod_err err = { 0 };
        json_t *resp = NULL, *st = NULL, *pod = NULL;
        _cleanup_close_ int podfd = -1, lockfd = -1;
        _cleanup_free_ char *out = NULL, *stage2 = NULL;
        const char *s;
        bool live, in_manifest = false;
        size_t i;
        int r;

        s = app_state(ac, &st);
        live = st && !strcmp(json_string_value(json_object_get(st, "state")) ?: "", "running");
        if (!s && !live) {
                json_decref(st);
                log_error("app rm: no app \"%s\" in pod %s", ac->app, ac->p.uuid);
                return 1;
        }
        if (s && strcmp(s, "exited") && strcmp(s, "failed") && strcmp(s, "created") && app_stop_and_wait(ac) < 0) {
                json_decref(st);
                return 1;
        }
        json_decref(st);
        if (pod_manifest_lock(&ac->p, &podfd, &lockfd, &err) < 0 || pod_manifest_load(podfd, &pod, &err) < 0) {
                log_error("app rm: pod %s: %s", ac->p.uuid, err.msg);
                return 1;
        }
        stage2 = xasprintf("stage1/rootfs/opt/stage2/%s", ac->app);
        {
                json_t *apps = json_object_get(pod, "apps"), *a;
                json_array_foreach(apps, i, a)
                        if (!strcmp(json_string_value(json_object_get(a, "name")) ?: "", ac->app)) {
                                json_array_remove(apps, i);
                                in_manifest = true;
                                break;
                        }
        }
        /* podinit does not know the app, but the manifest or its image does: an
         * app add or rm killed half-way left it.  Finish removing it. */
        if (!s && !in_manifest && faccessat(podfd, stage2, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
                json_decref(pod);
                log_error("app rm: no app \"%s\" in pod %s", ac->app, ac->p.uuid);
                return 1;
        }
        if (s && call(ac, json_pack("{s:s,s:s}", "op", "app-rm", "app", ac->app), &resp) < 0) {
                json_decref(pod);
                return 1;
        }
        json_decref(resp);
        /* The manifest without it, then its image. */
        out = in_manifest ? json_dumps(pod, JSON_INDENT(2)) : NULL;
        json_decref(pod);
        if (in_manifest && (!out || pod_manifest_store(podfd, out, &err) < 0)) {
                log_error("app rm: pod %s: %s", ac->p.uuid, out ? err.msg : "the pod manifest cannot be serialised");
                return 1;
        }
        /* stage0_app_discard unmounts a --rootfs first, so that nothing of the caller's directory is removed. */
        if ((r = stage0_app_discard(podfd, ac->app)) < 0 && r != -ENOENT)
                log_warn("app rm: removing %s/%s: %s", ac->p.path, stage2, strerror(-r));
        return 0;
}

static int app_list(struct app_cmd *ac)
{
        struct pod_err err = { 0 };
        json_t *st = NULL, *a;
        size_t i;

        if (pod_status_load(&ac->p, &st, &err) < 0) {
                log_error("app list: %s", err.msg);
                return 1;
        }
        if (ac->json) {
                char *s = json_dumps(json_object_get(st, "apps"), JSON_INDENT(2));
                printf("%s\n", s ? s : "[]");
                free(s);
        } else {
                printf("%-24s  %-9s  %-7s  %-8s  %s\n", "APP", "STATE", "PID", "RESTARTS", "IMAGE");
                json_array_foreach(json_object_get(st, "apps"), i, a) {
                        char pid[16] = "-";
                        if (json_is_integer(json_object_get(a, "pid")))
                                snprintf(pid, sizeof(pid), "%lld", (long long)json_integer_value(json_object_get(a, "pid")));
                        printf("%-24s  %-9s  %-7s  %-8lld  %s\n", json_string_value(json_object_get(a, "name")) ?: "-",
                               json_string_value(json_object_get(a, "state")) ?: "-", pid,
                               (long long)json_integer_value(json_object_get(a, "restarts")),
                               json_string_value(json_object_get(a, "image")) ?: "-");
                }
        }
        json_decref(st);
        return 0;
}

static int app_status(struct app_cmd *ac)
{
        json_t *st = NULL, *a;
        char *s;

        if (!app_state(ac, &st) || !(a = app_entry(st, ac->app))) {
                json_decref(st);
                log_error("app status: no app \"%s\" in pod %s", ac->app, ac->p.uuid);
                return 1;
        }
        s = json_dumps(a, JSON_INDENT(2));
        if (ac->json)
                printf("%s\n", s);
        else {
                printf("app      %s\nstate    %s\n", ac->app, json_string_value(json_object_get(a, "state")) ?: "-");
                if (json_is_integer(json_object_get(a, "pid")))
                        printf("pid      %lld\n", (long long)json_integer_value(json_object_get(a, "pid")));
                printf("restarts %lld\n", (long long)json_integer_value(json_object_get(a, "restarts")));
                if (json_is_integer(json_object_get(a, "shellCode")))
                        printf("exit     %lld\n", (long long)json_integer_value(json_object_get(a, "shellCode")));
                if (json_object_get(a, "statusText"))
                        printf("status   %s\n", json_string_value(json_object_get(a, "statusText")));
                if (json_object_get(a, "error"))
                        printf("error    %s\n", json_string_value(json_object_get(a, "error")));
        }
        free(s);
        json_decref(st);
        return 0;
}

int cmd_app(int argc, char **argv)
{
        struct app_cmd ac = { 0 };
        json_t *resp = NULL;
        int rc = 1;

        if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                cli_usage("app", argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        ac.verb = argv[1];
        if (!strcmp(ac.verb, "sandbox")) {
                _cleanup_strv_ char **rargv = NULL;
                strv_push(&rargv, "run");
                strv_push(&rargv, "--mutable");
                for (int i = 2; i < argc; i++)
                        strv_push(&rargv, argv[i]);
                return cmd_run((int)strv_length(rargv), rargv);
        }
        if (!strcmp(ac.verb, "add"))
                return cmd_app_add(argc - 1, argv + 1);
        if (strcmp(ac.verb, "start") && strcmp(ac.verb, "stop") && strcmp(ac.verb, "rm") && strcmp(ac.verb, "list") &&
            strcmp(ac.verb, "status")) {
                log_error("app: unknown verb \"%s\" (sandbox, add, start, stop, rm, list, status)", ac.verb);
                return 2;
        }
        if ((rc = parse(argc - 1, argv + 1, &ac, strcmp(ac.verb, "list") != 0)) != 0) {
                pod_ref_done(&ac.p);
                return rc > 0 ? 0 : rc == -EINVAL ? 2 : 1;     /* > 0: --help was printed */
        }
        if (!strcmp(ac.verb, "start"))
                rc = call(&ac, json_pack("{s:s,s:s}", "op", "app-start", "app", ac.app), &resp) < 0 ? 1 : 0;
        else if (!strcmp(ac.verb, "stop"))
                rc = app_stop_and_wait(&ac) < 0 ? 1 : 0;
        else if (!strcmp(ac.verb, "rm"))
                rc = app_rm(&ac);
        else if (!strcmp(ac.verb, "list"))
                rc = app_list(&ac);
        else
                rc = app_status(&ac);
        json_decref(resp);
        pod_ref_done(&ac.p);
        return rc;
}
