/*
 * Exec sessions (init/control/exec.h).  The command is forked like a readiness
 * probe, from the app's own exec plan: the same root, ids, capabilities,
 * seccomp filter, rlimits and cgroup (so the app's memory and pids limits
 * cover it, and it dies with the app), joining the app's mount namespace
 * instead of making one.  Its streams are pipes, or one pty for -t.
 *
 * Order at the end: reaped, then every output stream at EOF (or the drain
 * deadline, for a child that keeps them open), then the client gets the
 * exit, then the handles are closed and the memory freed on the next loop
 * iteration.
 */
#include "init/control/exec.h"
#include "init/core/pod.h"
#include "init/core/appproc.h"
#include "init/core/supervise.h"
#include "common/fdutil.h"
#include "common/log.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

#define EXEC_STDIN_QUEUE (1u << 20)

struct exec_session {
        struct pod *pod;
        char app[256];
        const struct exec_ops *ops;
        void *ctx;                      /* the client, NULL once it is gone */
        struct pod_child proc;
        pid_t pid;
        bool tty;
        struct io_out out[2];
        bool out_used[2];
        unsigned outs_open;
        struct io_sink sink[2];
        struct io_in in;
        bool in_used;
        int wstatus;
        char error[384];
        bool reaped, finished, closed;
        int report_fd;
        uv_timer_t drain_timer;
        struct exec_session *next;
        struct pod_deferred dead;       /* freed with the pod's graveyard once ended */
};

static struct exec_session **sessions(struct pod *pod)
{
        return (struct exec_session **)&pod->execs;
}

static void session_close(struct exec_session *x)
{
        if (x->closed)
                return;
        x->closed = true;
        for (int k = 0; k < 2; k++)
                if (x->out_used[k])
                        io_out_close(&x->out[k]);
        io_in_close_now(&x->in);
        uv_close((uv_handle_t *)&x->drain_timer, NULL);
}

static void session_free(struct exec_session *x)
{
        /* x->dead is not linked anywhere once this runs. */
        if (x->report_fd >= 0)
                close(x->report_fd);
        for (int k = 0; k < 2; k++)
                if (x->out_used[k])
                        io_out_done(&x->out[k]);
        free(x);
}

static void session_free_deferred(struct pod_deferred *d)
{
        session_free(container_of(d, struct exec_session, dead));
}

/* Removed from the pod's list; freed once libuv has run the close callbacks. */
static void session_end(struct exec_session *x)
{
        struct exec_session **pp;

        for (pp = sessions(x->pod); *pp && *pp != x; pp = &(*pp)->next)
                ;
        if (*pp)
                *pp = x->next;
        session_close(x);
        x->dead.free = session_free_deferred;
        pod_defer_free(x->pod, &x->dead);
}

static void maybe_finish(struct exec_session *x)
{
        if (x->finished || !x->reaped || x->outs_open)
                return;
        x->finished = true;
        uv_timer_stop(&x->drain_timer);
        if (x->ctx)
                x->ops->exited(x->ctx, x->wstatus, x->error[0] ? x->error : NULL);
        x->ctx = NULL;
        session_end(x);
}

static void on_out_eof(struct io_out *o)
{
        struct exec_session *x = o->stream == IO_STDERR ? container_of(o, struct exec_session, out[1])
                                                        : container_of(o, struct exec_session, out[0]);
        if (x->outs_open)
                x->outs_open--;
        maybe_finish(x);
}

static bool sink_data(struct io_sink *k, struct io_out *o, const char *buf, size_t len)
{
        struct exec_session *x = o->stream == IO_STDERR ? container_of(k, struct exec_session, sink[1])
                                                        : container_of(k, struct exec_session, sink[0]);
        if (!x->ctx)
                return true;    /* nobody to tell: drop */
        return x->ops->output(x->ctx, o->stream == IO_STDERR ? 2 : 1, buf, len);
}

static void sink_eof(struct io_sink *k, struct io_out *o)
{
}

static void on_drain_timeout(uv_timer_t *t)
{
        struct exec_session *x = container_of(t, struct exec_session, drain_timer);

        for (int k = 0; k < 2; k++)
                if (x->out_used[k] && x->out[k].open && !x->out[k].eof) {
                        if (x->out[k].paused && x->ctx) {
                                /* The client is slow, not the command: wait for it. */
                                uv_timer_start(&x->drain_timer, on_drain_timeout, APP_DRAIN_TIMEOUT_MS, 0);
                                return;
                        }
                        io_out_close(&x->out[k]);       /* -> on_out_eof */
                }
}

static void on_exec_exit(struct pod_child *c, int wstatus)
{
        struct exec_session *x = container_of(c, struct exec_session, proc);
        struct spawn_report rep;

        /* The child's report is in the pipe if it failed before exec (no such command...). */
        if (x->report_fd >= 0) {
                if (spawn_read_report(x->report_fd, &rep) == 1)
                        snprintf(x->error, sizeof(x->error), "%s%s%s: %s", rep.what, rep.path[0] ? " " : "", rep.path,
                                 strerror(rep.err));
                close(x->report_fd);
                x->report_fd = -1;
        }
        x->wstatus = wstatus;
        x->reaped = true;
        if (x->outs_open) {
                uv_update_time(&x->pod->loop);
                uv_timer_start(&x->drain_timer, on_drain_timeout, APP_DRAIN_TIMEOUT_MS, 0);
        }
        maybe_finish(x);
}

static void on_stdin_drained(struct io_in *in)
{
        struct exec_session *x = container_of(in, struct exec_session, in);

        if (x->ctx && x->ops->stdin_drained)
                x->ops->stdin_drained(x->ctx);
}

/* The app's environment, with the request's NAME=VALUE variables added or replacing. */
static char **exec_env(char **base, char **add)
{
        char **env = strv_copy(base);

        for (char **a = add; a && *a; a++) {
                _cleanup_free_ char *name = strndup(*a, strcspn(*a, "="));
                strv_env_set(&env, name, *a + strlen(name) + 1, true);
        }
        return env;
}

/* Close the command's ends of its streams (the pty slave once, never /dev/null). */
static void close_child_ends(int fds[3], int *slave, int devnull)
{
        for (int i = 0; i < 3; i++) {
                if (fds[i] >= 0 && fds[i] != devnull && fds[i] != *slave)
                        close(fds[i]);
                fds[i] = -1;
        }
        if (*slave >= 0)
                close(*slave);
        *slave = -1;
}

int exec_start(struct pod *pod, struct app *a, const struct exec_request *req, const struct exec_ops *ops,
               void *ctx, struct exec_session **ret, struct pod_err *err)
{
        struct exec_session *x;
        struct exec_plan p;
        /* fds: the command's stdin, stdout, stderr; parent: PID 1's ends (pipes). */
        int fds[3] = { -1, -1, -1 }, parent[3] = { -1, -1, -1 }, master = -1, slave = -1, report_fd, r;
        unsigned n = 0;
        _cleanup_strv_ char **env = NULL;

        for (struct exec_session *s = pod->execs; s; s = s->next)
                n++;
        if (n >= EXEC_MAX_PER_POD)
                return pod_err_set(err, -EBUSY, "%u exec sessions run in this pod, the most at once; try again later", n);
        if (a->reaped || (a->state != APP_RUNNING && a->state != APP_READY))
                return pod_err_set(err, -ESRCH, "app %s is %s; exec needs it running", a->spec->name,
                                   app_state_name(a->state));
        if (req->tty) {
                if ((r = pty_open(req->rows, req->cols, &master, &slave)) < 0)
                        return pod_err_set(err, r, "allocating a pty: %s", strerror(-r));
                fds[0] = fds[1] = fds[2] = slave;     /* input is forwarded only with stdin_open */
        } else {
                for (int i = 0; i < 3; i++) {
                        int pfd[2];
                        if (i == 0 && !req->stdin_open) {
                                fds[0] = pod->devnull_fd;
                                continue;
                        }
                        if (pipe2(pfd, O_CLOEXEC) < 0) {
                                r = pod_err_set(err, -errno, "pipe: %s", strerror(errno));
                                goto fail;
                        }
                        fds[i] = i == 0 ? pfd[0] : pfd[1];
                        parent[i] = i == 0 ? pfd[1] : pfd[0];
                }
        }
        env = exec_env(a->plan.envp, req->env);
        if ((r = app_command_plan(a, req->argv, fds[0], fds[1], fds[2], &p)) < 0) {
                r = pod_err_set(err, r, "app %s: its mount namespace: %s", a->spec->name, strerror(-r));
                goto fail;
        }
        p.envp = env;
        p.ctty_fd = slave;

        x = xcalloc(1, sizeof(*x));
        x->report_fd = -1;
        x->pod = pod;
        snprintf(x->app, sizeof(x->app), "%s", a->spec->name);
        x->ops = ops;
        x->ctx = ctx;
        x->tty = req->tty;
        r = spawn_app(&p, &x->pid, &report_fd);
        if (p.join_mnt_ns_fd >= 0)
                close(p.join_mnt_ns_fd);
        close_child_ends(fds, &slave, pod->devnull_fd);        /* the child has its copies */
        if (r < 0) {
                free(x);
                r = pod_err_set(err, r, "fork: %s", strerror(-r));
                goto fail;
        }
        x->proc.on_exit = on_exec_exit;
        pidtab_put(&pod->pids, x->pid, &x->proc);
        x->report_fd = report_fd;       /* read at exit: an exec failure is exit 203 and a report */
        uv_timer_init(&pod->loop, &x->drain_timer);
        for (int k = 0; k < 2; k++) {
                int fd = req->tty ? (k == 0 ? master : -1) : parent[k + 1];
                if (fd < 0)
                        continue;
                x->sink[k].data = sink_data;
                x->sink[k].eof = sink_eof;
                if (io_out_start(&pod->loop, &x->out[k], fd, k + 1, 0, req->tty, &x->sink[k], on_out_eof) == 0) {
                        x->out_used[k] = true;
                        x->outs_open++;
                }
        }
        if (req->stdin_open) {
                if (req->tty) {
                        io_in_share(&x->in, &x->out[0], EXEC_STDIN_QUEUE, on_stdin_drained);
                        x->in_used = true;
                } else if (io_in_start(&pod->loop, &x->in, parent[0], EXEC_STDIN_QUEUE, on_stdin_drained) == 0) {
                        x->in_used = true;
                }
        }
        x->next = pod->execs;
        pod->execs = x;
        log_debug("app %s: exec %s: pid %d", x->app, req->argv[0], (int)x->pid);
        *ret = x;
        return 0;
fail:
        close_child_ends(fds, &slave, pod->devnull_fd);
        for (int i = 0; i < 3; i++)
                if (parent[i] >= 0)
                        close(parent[i]);
        if (master >= 0)
                close(master);
        return r;
}

int exec_write_stdin(struct exec_session *x, const char *buf, size_t len)
{
        if (!x->in_used)
                return -EPIPE;
        return io_in_write(&x->in, buf, len);
}

void exec_close_stdin(struct exec_session *x)
{
        if (x->in_used)
                io_in_close(&x->in);
}

int exec_resize(struct exec_session *x, unsigned short rows, unsigned short cols)
{
        struct winsize ws = { .ws_row = rows, .ws_col = cols };
        uv_os_fd_t fd;
        pid_t fg;

        if (!x->tty || !x->out_used[0] || !x->out[0].open || uv_fileno((uv_handle_t *)&x->out[0].pipe, &fd) < 0)
                return -ENOTTY;
        if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
                return -errno;
        fg = tcgetpgrp(fd);
        if (fg > 0)
                kill(-fg, SIGWINCH);
        return 0;
}

int exec_signal(struct exec_session *x, int sig)
{
        if (x->reaped)
                return -ESRCH;
        kill(-x->pid, sig);
        return kill(x->pid, sig) < 0 ? -errno : 0;
}

void exec_resume(struct exec_session *x)
{
        for (int k = 0; k < 2; k++)
                if (x->out_used[k])
                        io_out_resume(&x->out[k]);
}

pid_t exec_pid(const struct exec_session *x)
{
        return x->pid;
}

bool exec_tty(const struct exec_session *x)
{
        return x->tty;
}

void exec_detach(struct exec_session *x)
{
        x->ctx = NULL;
        if (!x->reaped) {
                kill(-x->pid, SIGKILL);
                kill(x->pid, SIGKILL);
        }
        exec_resume(x);         /* what is left is read and dropped */
}

void exec_close_all(struct pod *pod)
{
        for (struct exec_session *x = pod->execs; x; x = x->next) {
                x->ctx = NULL;
                session_close(x);
        }
}

void exec_free_all(struct pod *pod)
{
        while (pod->execs) {
                struct exec_session *x = pod->execs;
                pod->execs = x->next;
                session_free(x);
        }
        /* Ended ones were freed with the pod's graveyard (pod_free_all). */
}
