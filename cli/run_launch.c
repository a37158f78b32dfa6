/*
 * podctl run, once the pod is prepared: podinit is started in the pod
 * directory with the pod's lock (RKT_LOCK_FD), as rkt's stage0 starts a
 * stage1.  In the foreground podctl execs it, so the pod's exit code is
 * run's.  Detached (-d), podinit runs in its own session and podctl waits
 * for its ready fd, then watches the pod's events for --start-grace, so an
 * app that fails at once fails the run instead of a later `podctl status`.
 */
#include "cli/run_launch.h"
#include "common/client.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/owner.h"
#include "common/podstate.h"
#include "common/proto.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

/* ... how long it waits for podinit's "stopping" after an app failed (it follows at once) ... */
#define RUN_STOPPING_WAIT_MS 1000u
/* ... and then how long run waits for the pod to end, to report its exit code. */
#define RUN_FAILED_STOP_WAIT_MS 2000u

/* How an app ended badly ("exited with code 3" etc. in buf), from an exit event or its status; false if it did not. */
static bool app_end_failed(json_t *ev, char *buf, size_t len)
{
        json_t *sig = json_object_get(ev, "signal");
        const char *error = json_string_value(json_object_get(ev, "error"));
        json_t *code = json_object_get(ev, "exitCode");

        if (json_is_true(json_object_get(ev, "stoppedByPod")))
                return false;
        if (error)
                snprintf(buf, len, "could not start: %s", error);
        else if (json_is_integer(sig))
                snprintf(buf, len, "was killed by signal %lld (SIG%s)", (long long)json_integer_value(sig),
                         sigabbrev_np((int)json_integer_value(sig)) ?: "?");
        else if (json_is_integer(code) && json_integer_value(code) != 0)
                snprintf(buf, len, "exited with code %lld", (long long)json_integer_value(code));
        else
                return false;
        return true;
}

/* An app event that says it ended badly and is not restarted. */
static bool app_failed(json_t *ev, char *buf, size_t len)
{
        const char *event = json_string_value(json_object_get(ev, "event")) ?: "";

        /* A restart to come ("backoff") is the app's policy at work, not a failed start. */
        if (strcmp(json_string_value(json_object_get(ev, "type")) ?: "", "app") ||
            (strcmp(event, "exit") && strcmp(event, "give-up")) || !app_end_failed(ev, buf, len))
                return false;
        if (!strcmp(event, "give-up"))
                snprintf(buf + strlen(buf), len - strlen(buf), " (after %lld restarts)",
                         (long long)json_integer_value(json_object_get(ev, "restarts")));
        return true;
}

/*
 * podinit declares the pod started once every app has exec'd its program
 * (or is ready), so an app that fails at once -- a bad flag, a missing
 * config file -- still gets the pod declared started a moment before it
 * exits.  `run -d` therefore watches the pod's events (replayed from the
 * first) for grace_ms more.  An app that ends badly in that time and is not
 * to be restarted (an app that is restarted is left to its policy, which
 * `podctl events` shows) is reported, its name and status in *ret_app and
 * what: WATCH_POD_FAILED if the pod is stopping because of it (then
 * *ret_pod_ended says whether it ended within RUN_FAILED_STOP_WAIT_MS, for
 * its exit code), WATCH_APP_FAILED if the pod runs on (a non-essential
 * app).  WATCH_OK otherwise; *ret_pod_ended is set whenever podinit closed
 * the connection (the pod ended).
 */
enum { WATCH_OK, WATCH_APP_FAILED, WATCH_POD_FAILED };

static int watch_start(unsigned grace_ms, char **ret_app, char *what, size_t what_len, bool *ret_pod_ended)
{
        struct pod_err err = { 0 };
        struct ctl_conn *c = NULL;
        json_t *resp = NULL;
        uint64_t deadline = now_mono_ns() + (uint64_t)grace_ms * 1000000u;
        int found = WATCH_OK;

        *ret_pod_ended = false;
        /* cwd is the pod directory. */
        if (ctl_connect(".", &c, &err) < 0 ||
            ctl_call(c, json_pack("{s:s,s:I}", "op", "events", "since", (json_int_t)0), &resp, &err) < 0) {
                log_debug("run: watching the pod's start: %s", err.msg);
                ctl_close(c);
                *ret_pod_ended = err.code == -ECONNRESET || err.code == -ECONNREFUSED || err.code == -ENOENT;
                return WATCH_OK;
        }
        json_decref(resp);
        for (;;) {
                uint8_t type;
                const uint8_t *pl;
                size_t len;
                uint64_t now;
                ssize_t n;

                while (found != WATCH_POD_FAILED && ctl_buffered_frame(c, &type, &pl, &len) == 1) {
                        json_t *ev;
                        const char *evname;
                        if (type != FRAME_EVENT || !(ev = json_loadb((const char *)pl, len, 0, NULL)))
                                continue;
                        evname = json_string_value(json_object_get(ev, "event")) ?: "";
                        if (found == WATCH_OK && app_failed(ev, what, what_len)) {
                                *ret_app = xstrdup(json_string_value(json_object_get(ev, "app")) ?: "?");
                                found = WATCH_APP_FAILED;
                                /* podinit decides at once whether this stops the pod: its
                                 * "stopping" (or, for the last app, "exited") follows. */
                                deadline = now_mono_ns() + RUN_STOPPING_WAIT_MS * 1000000ull;
                        } else if (found == WATCH_APP_FAILED &&
                                   !strcmp(json_string_value(json_object_get(ev, "type")) ?: "", "pod") &&
                                   (!strcmp(evname, "stopping") || !strcmp(evname, "exited"))) {
                                /* Wait for the pod to end, to report its exit code. */
                                found = WATCH_POD_FAILED;
                                deadline = now_mono_ns() + RUN_FAILED_STOP_WAIT_MS * 1000000ull;
                        }
                        json_decref(ev);
                }
                now = now_mono_ns();
                if (now >= deadline)
                        break;
                ctl_set_timeout(c, (unsigned)((deadline - now) / 1000000u) + 1);
                n = ctl_read_some(c);
                if (n == 0) {
                        /* The pod ended; its last events came first. */
                        *ret_pod_ended = true;
                        deadline = 0;
                } else if (n < 0) {
                        break;  /* the deadline */
                }
        }
        ctl_close(c);
        return found;
}

/* The pod ended before run could watch it: the first app that failed, from its status file. */
static bool failed_app_from_disk(char **ret_app, char *what, size_t what_len)
{
        _cleanup_free_ char *data = NULL;
        json_t *st, *a;
        size_t i;
        bool found = false;

        /* cwd is the pod directory. */
        if (read_file_at(AT_FDCWD, POD_PODINIT_DIR "/" POD_STATUS_JSON, 16u << 20, &data, NULL) < 0 ||
            !(st = json_loads(data, 0, NULL)))
                return false;
        json_array_foreach(json_object_get(st, "apps"), i, a)
                if (app_end_failed(a, what, what_len)) {
                        *ret_app = xstrdup(json_string_value(json_object_get(a, "name")) ?: "?");
                        found = true;
                        break;
                }
        json_decref(st);
        return found;
}

/* Detached: start podinit in its own session and return once the pod is ready. */
static int start_detached(const char *podinit, char **argv, int podfd, const char *uuid, unsigned grace_ms)
{
        int ready[2];
        pid_t pid;
        char c;
        ssize_t n;

        if (pipe2(ready, O_CLOEXEC) < 0) {
                log_error("pipe: %s", strerror(errno));
                return 254;
        }
        pid = fork();
        if (pid < 0) {
                log_error("fork: %s", strerror(errno));
                return 254;
        }
        if (pid == 0) {
                int out = openat(podfd, POD_CONSOLE_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
                int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
                char rfd[32];
                int fd;

                setsid();
                close(ready[0]);
                if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(254);
                fd = fcntl(ready[1], F_DUPFD, 3);       /* without CLOEXEC: podinit inherits it */
                snprintf(rfd, sizeof(rfd), "--ready-fd=%d", fd);
                for (char **a = argv; *a; a++)
                        if (!strcmp(*a, "--ready-fd=X"))
                                *a = rfd;
                execv(podinit, argv);
                _exit(254);
        }
        close(ready[1]);
        close(podfd);   /* the child's copy keeps the lock */
        do
                n = read(ready[0], &c, 1);
        while (n < 0 && errno == EINTR);
        if (n == 1) {
                _cleanup_free_ char *app = NULL;
                char what[512];
                bool ended = false;
                int st = 0;

                int w = grace_ms ? watch_start(grace_ms, &app, what, sizeof(what), &ended) : WATCH_OK;
                int code = 0;

                if (ended) {
                        /* The pod's own verdict, its exit code, decides. */
                        waitpid(pid, &st, 0);
                        code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        if (!app)
                                failed_app_from_disk(&app, what, sizeof(what));
                        if (!app && code) {
                                log_error("pod %s exited with code %d right after it started; see `podctl status %.8s`",
                                          uuid, code, uuid);
                                return code;
                        }
                        w = !app ? WATCH_OK : code ? WATCH_POD_FAILED : WATCH_APP_FAILED;
                }
                if (w == WATCH_APP_FAILED) {
                        /* Not essential (or the pod ended well): say so, the pod is what was asked for. */
                        log_warn("pod %s: app %s %s right after it started (it does not stop the pod; "
                                 "`podctl logs --app=%s %.8s`)", uuid, app, what, app, uuid);
                        w = WATCH_OK;
                }
                if (w == WATCH_OK) {
                        printf("%s\n", uuid);
                        return 0;
                }
                if (!ended) {
                        log_error("pod %s failed: app %s %s right after it started; the pod is stopping "
                                  "(`podctl status %.8s`, `podctl logs --app=%s %.8s`)", uuid, app, what, uuid, app, uuid);
                        return 1;
                }
                log_error("pod %s failed: app %s %s right after it started (pod exit code %d; `podctl logs --app=%s %.8s`)",
                          uuid, app, what, code, app, uuid);
                return code;
        }
        {
                int st = 0;
                _cleanup_free_ char *data = NULL;
                waitpid(pid, &st, 0);
                /* cwd is the pod directory (its path may be relative to where podctl started). */
                _cleanup_free_ char *app = NULL;
                char what[512];
                if (read_file_at(AT_FDCWD, POD_CONSOLE_LOG, 64 * 1024, &data, NULL) == 0 && *data)
                        fputs(data, stderr);
                if (failed_app_from_disk(&app, what, sizeof(what)))
                        log_error("pod %s failed to start: app %s %s (pod exit code %d; `podctl logs --app=%s %.8s`)",
                                  uuid, app, what, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), app, uuid);
                else
                        log_error("pod %s failed to start (exit code %d); see `podctl status %.8s`", uuid,
                                  WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), uuid);
                return WIFEXITED(st) ? WEXITSTATUS(st) : 254;
        }
}

int run_launch(const struct run_launch *l)
{
        _cleanup_strv_ char **largv = NULL;
        char lockenv[32];

        strv_push(&largv, l->podinit);
        if (l->debug)
                strv_push(&largv, "--debug");
        if (l->netns) {
                _cleanup_free_ char *a = xasprintf("--netns=%s", l->netns);
                strv_push(&largv, a);
        } else {
                /* rkt's default: the pod joins the "default" CNI network. */
                _cleanup_free_ char *net = xasprintf("--net=%s", l->net ? l->net : "default");
                _cleanup_free_ char *dir = xasprintf("--net-config-dir=%s", l->net_config_dir ? l->net_config_dir
                                                                                              : PODCTL_NET_CONFIG_DIR);
                strv_push(&largv, net);
                strv_push(&largv, dir);
        }
        if (l->net_plugin_dir) {
                _cleanup_free_ char *a = xasprintf("--net-plugin-dir=%s", l->net_plugin_dir);
                strv_push(&largv, a);
        }
        if (l->net_timeout) {
                _cleanup_free_ char *a = xasprintf("--net-timeout=%s", l->net_timeout);
                strv_push(&largv, a);
        }
        if (l->dns_mode) {
                _cleanup_free_ char *a = xasprintf("--dns-conf-mode=%s", l->dns_mode);
                strv_push(&largv, a);
        }
        if (l->hostname) {
                _cleanup_free_ char *h = xasprintf("--hostname=%s", l->hostname);
                strv_push(&largv, h);
        }
        if (l->owner != 0 && l->owner != POD_NO_OWNER) {
                _cleanup_free_ char *o = xasprintf("--owner-uid=%u", (unsigned)l->owner);
                strv_push(&largv, o);
        }
        {
                /* A detached pod's output is in its log files (podctl logs); a
                 * copy in console.log would grow without rotation. */
                _cleanup_free_ char *cf = xasprintf("--console-format=%s", l->console_format ? l->console_format
                                                                    : l->detach ? "none" : "raw");
                strv_push(&largv, cf);
        }
        if (l->detach)
                strv_push(&largv, "--ready-fd=X");
        strv_push(&largv, l->uuid);

        /* Its absolute path: a --dir relative to podctl's cwd does not resolve from inside it. */
        _cleanup_free_ char *abs = realpath(l->pod_path, NULL);
        if (chdir(l->pod_path) < 0) {
                log_error("run: entering %s: %s", l->pod_path, strerror(errno));
                return 254;
        }
        snprintf(lockenv, sizeof(lockenv), "%d", l->lock_fd);
        setenv("RKT_LOCK_FD", lockenv, 1);
        fd_set_cloexec(l->lock_fd, 0);
        if (l->detach)
                return start_detached(l->podinit, largv, l->lock_fd, l->uuid, l->grace_ms);
        execv(l->podinit, largv);
        log_error("run: executing %s: %s", l->podinit, strerror(errno));
        rm_rf_at(AT_FDCWD, abs ?: l->pod_path);
        return 254;
}
