/*
 * Readiness (docs/lifecycle.md "Readiness"): how an app tells PID 1 it is
 * ready, beyond "its program runs".
 *
 *  - notify: systemd's sd_notify protocol.  Each such app gets a datagram
 *    socket of its own in the abstract namespace (no path to reach inside
 *    the app's root), named in NOTIFY_SOCKET.  A datagram counts only if the
 *    kernel-checked sender pid (SCM_CREDENTIALS) belongs to the app: its
 *    main process, its session, or its cgroup.  READY=1, STATUS=, STOPPING=1
 *    and WATCHDOG=1 are understood; WATCHDOG_USEC tells the app the deadline,
 *    and missing it gets the app SIGABRT (systemd's default), after which
 *    its restart policy applies.
 *  - fd:N: s6's notification-fd.  The app gets the write end of a fresh pipe
 *    at fd N for each run and writes a newline when it is ready.
 *  - probe: a command run in the app's context (its mount namespace, root,
 *    cgroup, user and environment) every interval until it exits 0; a probe
 *    that outlives its timeout is killed and counts as a failure.
 *
 * The exec report (spawn.c) comes first: its pipe closes at exec (the
 * program runs: EXEC, and "exec" readiness is reached) or carries why the
 * child could not get there.  Ordering: a readiness message may arrive
 * before PID 1 has seen the exec report, so the report is read first
 * (app_report_consume).
 */
#include "init/core/ready.h"
#include "init/core/pod.h"
#include "init/core/appproc.h"
#include "init/core/persist.h"
#include "init/isolate/mounts.h"
#include "common/log.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#define NOTIFY_MAX_DATAGRAM 4096

/* Does pid (as PID 1 sees it) belong to the app? */
static bool sender_is_app(const struct app *a, pid_t pid)
{
        char path[64], buf[4096];
        _cleanup_free_ char *want = NULL;
        ssize_t n;
        int fd;

        if (pid <= 0 || a->pid <= 0 || a->reaped)
                return false;
        if (pid == a->pid || getsid(pid) == a->pid)
                return true;
        if (!a->cg_ready)
                return false;
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        want = xasprintf("/system.slice/%s.service\n", a->spec->name);
        return strstr(buf, want) != NULL;
}

static void watchdog_arm(struct app *a);
static void ready_on_exec(struct app *a);

/* Stop watching a pipe of this run and close it (the exec report, the fd:N pipe). */
static void watched_fd_close(uv_poll_t *h, bool *active, int *fd)
{
        if (*active) {
                uv_poll_stop(h);
                uv_close((uv_handle_t *)h, NULL);
                *active = false;
        }
        if (*fd >= 0) {
                close(*fd);
                *fd = -1;
        }
}

/* The app is ready (docs/lifecycle.md "Readiness"); status is the text it sent, if any. */
static void app_set_ready(struct app *a, const char *status)
{
        json_t *extra = status ? json_pack("{s:s}", "status", status) : NULL;

        if (app_fire(a, EV_READY, extra) < 0)
                return;
        app_write_status(a);
        pod_emit(a->pod, POD_EV_APP_READY, a);
}

void app_report_consume(struct app *a)
{
        struct spawn_report rep;
        int r;

        if (a->report_fd < 0)
                return;
        r = spawn_read_report(a->report_fd, &rep);
        if (r == -EAGAIN)
                return;
        if (r == 1) {
                char prog[256], interp[256];
                snprintf(a->error, sizeof(a->error), "%s%s%s%s%s", rep.what, rep.path[0] ? " " : "", rep.path,
                         rep.err ? ": " : "", rep.err ? strerror(rep.err) : "");
                /* ENOENT for a program that is there: what it names as its
                 * interpreter is not (rkt said which file it could not open). */
                if (rep.code == SETUP_EXEC && rep.err == ENOENT && rep.path[0] &&
                    mounts_missing_interpreter(a->plan.rootfs, a->plan.workdir, a->plan.path_env, rep.path, prog,
                                               sizeof(prog), interp, sizeof(interp)) == 0) {
                        snprintf(a->error, sizeof(a->error), "%s %s: its interpreter %s is missing", rep.what, prog, interp);
                        log_error("app %s: cannot run %s: its interpreter %s is missing (%s)", a->spec->name, prog, interp,
                                  strerror(rep.err));
                } else if (rep.code == SETUP_EXEC)
                        log_error("app %s: cannot run %s: %s", a->spec->name, rep.path, strerror(rep.err));
                else
                        log_error("app %s: %s", a->spec->name, a->error);
        } else if (r == 0 && a->state == APP_STARTING) {
                a->exec_ns = now_real_ns();
                app_fire(a, EV_EXEC, NULL);
                ready_on_exec(a);
                pod_emit(a->pod, POD_EV_APP_RUNNING, a);
                if (a->pol->ready == READY_EXEC && a->state == APP_RUNNING)
                        app_set_ready(a, NULL);         /* writes the status */
                else
                        app_write_status(a);
        } else if (r == 0 && !a->exec_ns) {
                a->exec_ns = now_real_ns();     /* exec'd, but a stop came first */
        }
        watched_fd_close(&a->report_poll, &a->report_poll_active, &a->report_fd);
}

static void on_report(uv_poll_t *h, int status, int events)
{
        app_report_consume(container_of(h, struct app, report_poll));
}


static void notify_message(struct app *a, char *msg)
{
        bool ready = false;

        for (char *line = strtok(msg, "\n"); line; line = strtok(NULL, "\n")) {
                if (!strcmp(line, "READY=1"))
                        ready = true;
                else if (!strncmp(line, "STATUS=", 7))
                        snprintf(a->status_text, sizeof(a->status_text), "%s", line + 7);
                else if (!strcmp(line, "STOPPING=1"))
                        a->stopping_self = true;
                else if (!strcmp(line, "WATCHDOG=1"))
                        watchdog_arm(a);
        }
        if (ready && a->state == APP_RUNNING)
                app_set_ready(a, a->status_text[0] ? a->status_text : NULL);
        else
                app_write_status(a);
}

static void on_notify(uv_poll_t *h, int status, int events)
{
        struct app *a = container_of(h, struct app, notify_poll);

        app_report_consume(a);
        for (;;) {
                char buf[NOTIFY_MAX_DATAGRAM + 1];
                union {
                        struct cmsghdr hdr;
                        char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 8)];
                } control;
                struct iovec iov = { buf, NOTIFY_MAX_DATAGRAM };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                                     .msg_controllen = sizeof(control) };
                struct ucred *cred = NULL;
                ssize_t n = recvmsg(a->notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);

                if (n < 0)
                        return;         /* EAGAIN: all read */
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                            c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                                cred = (struct ucred *)CMSG_DATA(c);
                        else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                                for (int *f = (int *)CMSG_DATA(c); (char *)(f + 1) <= (char *)c + c->cmsg_len; f++)
                                        close(*f);      /* fd store: not supported, never leaked */
                }
                if ((size_t)n > NOTIFY_MAX_DATAGRAM || (mh.msg_flags & MSG_TRUNC)) {
                        log_warn("app %s: notify datagram over %d bytes ignored", a->spec->name, NOTIFY_MAX_DATAGRAM);
                        continue;
                }
                if (!cred || !sender_is_app(a, cred->pid)) {
                        log_warn("app %s: notify datagram from pid %d ignored: not a process of this app", a->spec->name,
                                 cred ? (int)cred->pid : 0);
                        continue;
                }
                buf[n] = '\0';
                notify_message(a, buf);
        }
}

static void on_watchdog(uv_timer_t *t)
{
        struct app *a = container_of(t, struct app, watchdog_timer);

        if (a->reaped || (a->state != APP_RUNNING && a->state != APP_READY))
                return;
        a->watchdog_timeouts++;
        log_warn("app %s: no WATCHDOG=1 within %llu ms; sending SIGABRT", a->spec->name,
                 (unsigned long long)a->pol->watchdog_ms);
        app_note(a, "watchdog", json_pack("{s:I}", "watchdogMs", (json_int_t)a->pol->watchdog_ms));
        app_signal(a, SIGABRT);
}

static void watchdog_arm(struct app *a)
{
        if (!a->pol->watchdog_ms || a->reaped)
                return;
        uv_update_time(&a->pod->loop);
        uv_timer_start(&a->watchdog_timer, on_watchdog, a->pol->watchdog_ms, 0);
}

int ready_prepare(struct app *a, struct pod_err *err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t idx = a->serial;
        int one = 1, n;
        char env[128];

        if (a->pol->ready != READY_NOTIFY)
                return 0;
        /* Abstract: "@podinit/<pod uuid>/<app index>" */
        n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "podinit/%s/%zu", a->pod->opt.uuid, idx);
        a->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (a->notify_fd < 0)
                return pod_err_set(err, -errno, "app \"%s\": creating its notify socket: %s", a->spec->name, strerror(errno));
        if (bind(a->notify_fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) < 0 ||
            setsockopt(a->notify_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return pod_err_set(err, -errno, "app \"%s\": binding its notify socket @%s: %s", a->spec->name,
                                   sa.sun_path + 1, strerror(errno));
        if (uv_poll_init(&a->pod->loop, &a->notify_poll, a->notify_fd) == 0) {
                a->notify_poll_active = true;
                uv_poll_start(&a->notify_poll, UV_READABLE, on_notify);
        }
        snprintf(env, sizeof(env), "NOTIFY_SOCKET=@%s", sa.sun_path + 1);
        strv_push(&a->plan.envp, env);
        if (a->pol->watchdog_ms) {
                snprintf(env, sizeof(env), "WATCHDOG_USEC=%llu", (unsigned long long)a->pol->watchdog_ms * 1000ull);
                strv_push(&a->plan.envp, env);
        }
        return 0;
}

static void on_ready_pipe(uv_poll_t *h, int status, int events)
{
        struct app *a = container_of(h, struct app, ready_pipe_poll);
        char buf[512];
        ssize_t n;

        app_report_consume(a);
        while ((n = read(a->ready_pipe, buf, sizeof(buf))) > 0)
                if (memchr(buf, '\n', (size_t)n) && a->state == APP_RUNNING)
                        app_set_ready(a, NULL);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                /* The app closed it (s6: after the newline, or without one). */
                watched_fd_close(&a->ready_pipe_poll, &a->ready_pipe_poll_active, &a->ready_pipe);
        }
}

int ready_before_fork(struct app *a)
{
        int pfd[2];

        a->plan.ready_fd_src = -1;
        if (a->pol->ready != READY_FD)
                return 0;
        if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        fcntl(pfd[1], F_SETFL, 0);      /* the app's end blocks, as it expects */
        a->ready_pipe = pfd[0];
        a->ready_pipe_child = pfd[1];
        a->plan.ready_fd_src = pfd[1];
        a->plan.ready_fd_target = a->pol->ready_fd;
        return 0;
}

void ready_after_fork(struct app *a, int report_fd)
{
        a->report_fd = report_fd;       /* -1: the fork failed */
        if (report_fd >= 0 && uv_poll_init(&a->pod->loop, &a->report_poll, report_fd) == 0) {
                a->report_poll_active = true;
                uv_poll_start(&a->report_poll, UV_READABLE | UV_DISCONNECT, on_report);
        }
        if (a->ready_pipe_child >= 0) {
                close(a->ready_pipe_child);
                a->ready_pipe_child = -1;
        }
        a->plan.ready_fd_src = -1;
        if (a->ready_pipe >= 0 && uv_poll_init(&a->pod->loop, &a->ready_pipe_poll, a->ready_pipe) == 0) {
                a->ready_pipe_poll_active = true;
                uv_poll_start(&a->ready_pipe_poll, UV_READABLE | UV_DISCONNECT, on_ready_pipe);
        }
}

/* ---- probes ---------------------------------------------------------- */

static void probe_schedule(struct app *a, uint64_t ms);

static void on_probe_exit(struct pod_child *c, int wstatus)
{
        struct app *a = container_of(c, struct app, probe_proc);

        a->probe_pid = 0;
        if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
                if (a->state == APP_RUNNING)
                        app_set_ready(a, NULL);
                return;
        }
        a->probes_failed++;
        if (a->state == APP_RUNNING && !a->reaped)
                probe_schedule(a, a->pol->probe_interval_ms);
}

static void on_probe_timer(uv_timer_t *t)
{
        struct app *a = container_of(t, struct app, probe_timer);
        struct exec_plan p;
        int report_fd, r;

        if (a->probe_pid > 0) {
                /* Still running at its deadline: a failure (reaped as usual). */
                log_warn("app %s: readiness probe still running after %llu ms; killing it", a->spec->name,
                         (unsigned long long)a->pol->probe_timeout_ms);
                kill(a->probe_pid, SIGKILL);
                return;
        }
        if (a->state != APP_RUNNING || a->reaped)
                return;
        /* The app's own plan, with the probe's argv and no streams. */
        if (app_command_plan(a, a->pol->probe_argv, a->pod->devnull_fd, a->pod->devnull_fd, a->pod->devnull_fd, &p) < 0) {
                probe_schedule(a, a->pol->probe_interval_ms);
                return;
        }
        r = spawn_app(&p, &a->probe_pid, &report_fd);
        if (p.join_mnt_ns_fd >= 0)
                close(p.join_mnt_ns_fd);
        if (r < 0) {
                a->probe_pid = 0;
                probe_schedule(a, a->pol->probe_interval_ms);
                return;
        }
        close(report_fd);       /* a probe that cannot run exits non-zero: a failure */
        a->probe_proc.on_exit = on_probe_exit;
        pidtab_put(&a->pod->pids, a->probe_pid, &a->probe_proc);
        uv_timer_start(&a->probe_timer, on_probe_timer, a->pol->probe_timeout_ms, 0);
}

static void probe_schedule(struct app *a, uint64_t ms)
{
        uv_update_time(&a->pod->loop);
        uv_timer_start(&a->probe_timer, on_probe_timer, ms, 0);
}

void ready_on_exit(struct app *a)
{
        uv_timer_stop(&a->watchdog_timer);
        if (a->probe_pid <= 0)
                uv_timer_stop(&a->probe_timer);
        else
                kill(a->probe_pid, SIGKILL);    /* its exit is reaped; no new probe for this run */
        watched_fd_close(&a->ready_pipe_poll, &a->ready_pipe_poll_active, &a->ready_pipe);
        a->status_text[0] = '\0';
        a->stopping_self = false;
}

void ready_close_handles(struct app *a)
{
        ready_on_exit(a);
        watched_fd_close(&a->report_poll, &a->report_poll_active, &a->report_fd);
        if (a->notify_poll_active) {
                uv_poll_stop(&a->notify_poll);
                uv_close((uv_handle_t *)&a->notify_poll, NULL);
                a->notify_poll_active = false;
        }
}

void ready_free(struct app *a)
{
        if (a->notify_fd >= 0)
                close(a->notify_fd);
        a->notify_fd = -1;
}

static void ready_on_exec(struct app *a)
{
        if (a->pol->ready == READY_PROBE)
                probe_schedule(a, 0);
        if (a->pol->watchdog_ms)
                watchdog_arm(a);
}
