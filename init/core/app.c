/*
 * One app's runs: starting it with its streams, its exit (drained, logged,
 * recorded), restarts, stops and re-runs.  Its plan is made before the first
 * fork (prepare.c); the pod-level policy (what an exit means for the other
 * apps) lives in supervise.c, which hears of the exit through the observer
 * list (POD_EV_APP_EXITED), as the control server and attach clients do.
 *
 * Ordering constraints:
 *  - the pid goes into the pid table in the same loop iteration as fork, so
 *    the reaper can never mistake the app for an orphan;
 *  - on exit, the report pipe is read before the status is recorded, so an
 *    exec failure is never reported as a plain exit code;
 *  - rkt/status/<app> and the JSON status are written (fsync + rename) before
 *    PID 1 tells anyone the app exited.
 */
#include "init/core/app.h"
#include "init/core/pod.h"
#include "init/core/appproc.h"
#include "init/core/persist.h"
#include "init/core/ready.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <sys/wait.h>

/*
 * Streams, before fork.  Each mode gives the child an fd and PID 1 the other
 * end (docs/io.md):
 *   null         /dev/null
 *   log          a pipe; PID 1 reads it into the app's logger (file and console)
 *   stream       a pipe; PID 1 reads (stdout/stderr) or writes (stdin) it for attach clients
 *   tty          the slave of a pty opened in the pod's devpts; PID 1 keeps the master
 *   interactive  PID 1's own fd 0/1/2: the terminal `podctl run` was started from
 */
static int open_pty(struct app *a, int *ret_master, int *ret_slave)
{
        int r = pty_open(a->spec->tty_rows, a->spec->tty_cols, ret_master, ret_slave);

        if (r == 0) {
                a->io.rows = a->spec->tty_rows ? a->spec->tty_rows : 24;
                a->io.cols = a->spec->tty_cols ? a->spec->tty_cols : 80;
        }
        return r;
}

static void on_out_eof(struct io_out *o);

/* One drain callback for every writer of the app's stdin, framed or raw. */
static void on_stdin_drained(struct io_in *in)
{
        struct app_io *io = container_of(in, struct app_io, in);
        struct app *a = container_of(io, struct app, io);

        pod_emit(a->pod, POD_EV_APP_STDIN_DRAINED, a);
}

/* Close the child's ends that io_setup created: pipe ends and the pty slave,
 * never the pod's shared /dev/null or PID 1's own terminal fds. */
static void close_child_fds(struct app_io *io)
{
        for (int i = 0; i < IO_STREAMS; i++) {
                if (io->child_fd_owned[i] && io->child_fd[i] >= 0)
                        close(io->child_fd[i]);
                io->child_fd[i] = -1;
                io->child_fd_owned[i] = false;
        }
        if (io->ctty_fd >= 0)
                close(io->ctty_fd);
        io->ctty_fd = -1;
}

static int io_setup(struct app *a)
{
        struct app_io *io = &a->io;
        struct pod *pod = a->pod;
        int master = -1, slave = -1, r, pfd[2];

        if (io->persistent)
                return 0;       /* a restart: the same pipes, pty and clients (docs/lifecycle.md) */
        for (int i = 0; i < IO_STREAMS; i++)
                io->child_fd[i] = -1;
        io->ctty_fd = -1;
        io->tty = pod_app_uses(a->spec, IO_TTY);
        io->outs_open = 0;
        if (io->tty) {
                if ((r = open_pty(a, &master, &slave)) < 0) {
                        snprintf(a->error, sizeof(a->error), "allocating a pty: %s", strerror(-r));
                        return r;
                }
                io->ctty_fd = slave;
                /* The app's terminal is its user's, like a login's (tty group kept). */
                if (fchown(slave, a->plan.uid, (gid_t)-1) < 0)
                        log_warn("app %s: handing its pty to uid %u: %s", a->spec->name, (unsigned)a->plan.uid,
                                 strerror(errno));
                /* The master is read even if only stdin is a tty: echo must not fill it. */
                if ((r = io_out_start(&pod->loop, &io->out[0], master, IO_STDOUT, a->spec->scrollback, true,
                                      a->spec->log_attached ? app_log_sink(&a->log, IO_STDOUT) : NULL,
                                      on_out_eof)) < 0) {
                        close(slave);
                        io->ctty_fd = -1;
                        snprintf(a->error, sizeof(a->error), "watching the pty: %s", uv_strerror(r));
                        return r;
                }
                io->out_used[0] = true;
                io->outs_open++;
                if (a->spec->io[IO_STDIN] == IO_TTY) {
                        io_in_share(&io->in, &io->out[0], APP_STDIN_QUEUE, on_stdin_drained);
                        io->in_used = true;
                }
        }
        for (int i = 0; i < IO_STREAMS; i++) {
                switch (a->spec->io[i]) {
                case IO_NULL:
                        io->child_fd[i] = pod->devnull_fd;
                        break;
                case IO_INTERACTIVE:
                        io->child_fd[i] = i;    /* PID 1's own terminal fds */
                        break;
                case IO_TTY:
                        io->child_fd[i] = slave;
                        break;
                case IO_LOG:
                case IO_STREAM:
                        if (pipe2(pfd, O_CLOEXEC) < 0) {
                                r = -errno;
                                snprintf(a->error, sizeof(a->error), "pipe for %s: %s", io_stream_name(i), strerror(errno));
                                return r;
                        }
                        /* The pipe belongs to the app's user, as crun hands it over: a
                         * non-root app may then reopen it through /dev/stdout (nginx
                         * as www-data does).  One inode serves both ends. */
                        if (fchown(pfd[0], a->plan.uid, a->plan.gid) < 0) {
                                r = -errno;
                                snprintf(a->error, sizeof(a->error), "handing the %s pipe to uid %u: %s",
                                         io_stream_name(i), (unsigned)a->plan.uid, strerror(errno));
                                close(pfd[0]);
                                close(pfd[1]);
                                return r;
                        }
                        if (i == IO_STDIN) {
                                io->child_fd[i] = pfd[0];
                                io->child_fd_owned[i] = true;
                                if ((r = io_in_start(&pod->loop, &io->in, pfd[1], APP_STDIN_QUEUE, on_stdin_drained)) < 0) {
                                        close(pfd[1]);
                                        snprintf(a->error, sizeof(a->error), "watching stdin: %s", uv_strerror(r));
                                        return r;
                                }
                                io->in_used = true;
                                break;
                        }
                        io->child_fd[i] = pfd[1];
                        io->child_fd_owned[i] = true;
                        {
                                int k = i - 1;
                                struct io_sink *sink = NULL;
                                if (a->spec->io[i] == IO_LOG || a->spec->log_attached)
                                        sink = app_log_sink(&a->log, i);
                                /* Scrollback only where a client can attach to replay it. */
                                if ((r = io_out_start(&pod->loop, &io->out[k], pfd[0], i,
                                                      a->spec->io[i] == IO_STREAM ? a->spec->scrollback : 0, false,
                                                      sink, on_out_eof)) < 0) {
                                        snprintf(a->error, sizeof(a->error), "watching %s: %s", io_stream_name(i),
                                                 uv_strerror(r));
                                        return r;
                                }
                                io->out_used[k] = true;
                                io->outs_open++;
                        }
                        break;
                default:
                        break;
                }
        }
        a->plan.stdin_fd = io->child_fd[IO_STDIN];
        a->plan.stdout_fd = io->child_fd[IO_STDOUT];
        a->plan.stderr_fd = io->child_fd[IO_STDERR];
        a->plan.ctty_fd = io->ctty_fd;
        a->plan.interactive = pod_app_uses(a->spec, IO_INTERACTIVE);
        io->persistent = a->keep_child_fds;
        return 0;
}

static void app_proc_exit(struct pod_child *c, int wstatus)
{
        app_on_exit(container_of(c, struct app, proc), wstatus);
}

/*
 * Start (or restart) the app.  A failure before the program runs (no fork,
 * no pipe) is an exit with code 203, handled like any other exit: the
 * restart policy applies and the status is recorded.
 */
void app_start(struct app *a)
{
        int r, fd;

        if (app_fire(a, a->state == APP_BACKOFF ? EV_RESTART : EV_START, NULL) < 0)
                return;
        a->pid = 0;
        a->stop_requested = false;
        a->started_ns = now_real_ns();
        a->exec_ns = 0;
        a->wstatus = 0;
        a->reaped = false;
        a->give_up = false;
        a->exited_by_pod = false;
        a->error[0] = '\0';
        a->oom_kills = 0;
        a->oom_killed = false;
        if (a->cg_ready && cg_app_oom_kills(&a->cg, &a->cg.oom_kills_at_start) < 0)
                a->cg.oom_kills_at_start = 0;
        r = io_setup(a);
        if (r < 0) {
                close_child_fds(&a->io);
                goto failed;
        }
        if ((r = ready_before_fork(a)) < 0) {
                snprintf(a->error, sizeof(a->error), "readiness pipe: %s", strerror(-r));
                if (!a->keep_child_fds)
                        close_child_fds(&a->io);
                goto failed;
        }
        r = spawn_app(&a->plan, &a->pid, &fd);
        ready_after_fork(a, r < 0 ? -1 : fd);
        if (!a->keep_child_fds)
                close_child_fds(&a->io);        /* the child has its copies */
        if (r < 0) {
                snprintf(a->error, sizeof(a->error), "fork: %s", strerror(-r));
                a->pid = 0;
                goto failed;
        }
        a->proc.on_exit = app_proc_exit;
        pidtab_put(&a->pod->pids, a->pid, &a->proc);
        pod_emit(a->pod, POD_EV_APP_STARTED, a);
        return;
failed:
        log_error("app %s: %s", a->spec->name, a->error);
        app_on_exit(a, SETUP_EXEC << 8);
}

/*
 * Rule 4: an app's exit is recorded only once its output is drained to EOF
 * (grandchildren may still hold the pipes: they get APP_DRAIN_TIMEOUT_MS),
 * every partial line is flushed, the log file is synced (log_finished), and
 * then the status is written and synced.
 */
static void log_finished(void *arg)
{
        struct app *a = arg;
        json_t *extra;

        if (app_state_final(a->state))
                return;
        if (a->io.in_used && a->io.in.own)
                io_in_close(&a->io.in);
        a->io.in_used = false;
        if (a->error[0] && WIFEXITED(a->wstatus))
                a->rkt_code = WEXITSTATUS(a->wstatus);  /* the setup code */
        else if (a->exited_by_pod)
                a->rkt_code = 0;                        /* rkt: killed by pod shutdown */
        else if (WIFSIGNALED(a->wstatus))
                a->rkt_code = WTERMSIG(a->wstatus);
        else
                a->rkt_code = WEXITSTATUS(a->wstatus);
        uv_timer_stop(&a->stop_timer);
        extra = app_exit_json(a);
        if (a->give_up)
                json_object_set_new(extra, "restarts", json_integer(a->restarts));
        if (app_fire(a, a->give_up ? EV_GIVE_UP : EV_EXIT, extra) < 0) {
                /* Not reachable from the table's states that own a process; be safe. */
                a->state = a->give_up ? APP_FAILED : APP_EXITED;
                app_write_rkt_status(a);
                app_write_status(a);
        }
        /* Its status files were written as it reached the final state
         * (persist.c); now clients are told, then the pod decides. */
        pod_emit(a->pod, POD_EV_APP_EXITED, a);
}

static void app_finalize(struct app *a)
{
        if (app_state_final(a->state) || a->log_finishing)
                return;
        a->log_finishing = true;
        app_kill_rest(a);
        if (a->drain_timer_init)
                uv_timer_stop(&a->drain_timer);
        if (a->log_ready)
                app_log_finish(&a->log, log_finished, a);
        else
                log_finished(a);
}

static void on_out_eof(struct io_out *o)
{
        struct app_io *io = o->stream == IO_STDERR ? container_of(o, struct app_io, out[1])
                                                   : container_of(o, struct app_io, out[0]);
        struct app *a = container_of(io, struct app, io);

        if (io->outs_open > 0)
                io->outs_open--;
        if (io->outs_open == 0 && a->reaped)
                app_finalize(a);
}

static void on_drain_timeout(uv_timer_t *t)
{
        struct app *a = container_of(t, struct app, drain_timer);
        uint64_t now = now_mono_ns(), give_up = a->reaped_mono_ns + (uint64_t)LOG_FINISH_DEADLINE_MS * 1000000ull;

        /* Bytes already in a pipe are read before anything else: the
         * deadline is for writers that keep it open, not for the time PID 1
         * itself was busy (reaping a thousand apps, say). */
        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k])
                        io_out_read_now(&a->io.out[k]);
        if (app_state_final(a->state) || a->log_finishing)
                return;                 /* that reached the end of every stream */

        /* A stream paused by the log's backpressure still has data to give:
         * the deadline is for children holding the pipe, not for a slow log.
         * But a log file that cannot be written at all (a full disk) gets
         * LOG_FINISH_DEADLINE_MS from the app's end; then the rest of the
         * output is dropped and counted, so the pod can finish. */
        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k] && a->io.out[k].open && a->io.out[k].paused && !a->io.out[k].eof) {
                        uint64_t next = APP_DRAIN_TIMEOUT_MS;
                        if (a->log.file && log_file_failing(a->log.file)) {
                                if (now >= give_up)
                                        log_file_give_up(a->log.file);
                                else if ((give_up - now) / 1000000ull + 1 < next)
                                        next = (give_up - now) / 1000000ull + 1;
                        }
                        uv_timer_start(&a->drain_timer, on_drain_timeout, next, 0);
                        return;
                }

        log_debug("app %s: output still open %d ms after exit (a child keeps it); closing it",
                  a->spec->name, APP_DRAIN_TIMEOUT_MS);
        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k])
                        io_out_close(&a->io.out[k]);    /* eof -> on_out_eof -> finalize */
        app_finalize(a);
}

/*
 * The main process is gone: what the memory cgroup says about OOM kills.
 * The processes it left behind keep running while the app's output is
 * drained (DESIGN rule 4: a grandchild may still write, up to the drain
 * deadline); app_finalize then kills what is left in the cgroup, so nothing
 * an app started outlives it, whatever session or process group it moved to.
 */
static void cgroup_app_ended(struct app *a)
{
        uint64_t n;

        if (!a->cg_ready)
                return;
        if (cg_app_oom_kills(&a->cg, &n) == 0 && n > a->cg.oom_kills_at_start)
                a->oom_kills = n - a->cg.oom_kills_at_start;
        a->oom_killed = a->oom_kills > 0 && WIFSIGNALED(a->wstatus) && WTERMSIG(a->wstatus) == SIGKILL;
        if (a->oom_killed && a->spec->app.iso.has_memory)
                log_warn("app %s: killed by the kernel's OOM killer: its memory limit (%llu bytes) was reached",
                         a->spec->name, (unsigned long long)a->spec->app.iso.memory_limit);
        else if (a->oom_killed)
                log_warn("app %s: killed by the kernel's OOM killer (it has no memory limit of its own: the host ran out)",
                         a->spec->name);
        else if (a->oom_kills)
                log_warn("app %s: %llu of its processes were killed by the OOM killer", a->spec->name,
                         (unsigned long long)a->oom_kills);
}

/* Wait for the app's output to end (or the drain deadline), then finalize. */
static void app_drain(struct app *a)
{
        if (a->keep_child_fds) {
                close_child_fds(&a->io);        /* no next run: EOF once the last writer is gone */
                a->io.persistent = false;
        }
        if (a->log_ready && a->log.file)
                log_file_finish_by(a->log.file, a->reaped_mono_ns + (uint64_t)LOG_FINISH_DEADLINE_MS * 1000000ull);
        if (a->io.outs_open == 0) {
                app_finalize(a);
                return;
        }
        if (!a->drain_timer_init) {
                uv_timer_init(&a->pod->loop, &a->drain_timer);
                a->drain_timer_init = true;
        }
        /* The loop's clock is from before this callback, which may have
         * reaped many apps: the deadline counts from now. */
        uv_update_time(&a->pod->loop);
        uv_timer_start(&a->drain_timer, on_drain_timeout, APP_DRAIN_TIMEOUT_MS, 0);
}

/*
 * The restart policy (docs/lifecycle.md "Restarts"): whether this exit is
 * followed by another run.  A run of at least reset_ms ends a crash loop:
 * the backoff starts again from its first delay.
 */
static bool restart_wanted(struct app *a)
{
        const struct app_policy *p = a->pol;
        uint64_t ran_ms = a->exec_ns && a->exited_ns > a->exec_ns ? (a->exited_ns - a->exec_ns) / 1000000ull : 0;

        if (a->stop_requested || a->state == APP_STOPPING ||
            (a->pod->state != POD_STARTING && a->pod->state != POD_RUNNING))
                return false;
        if (p->restart == RESTART_NEVER || (p->restart == RESTART_ON_FAILURE && !app_failed(a)))
                return false;
        if (ran_ms >= p->reset_ms)
                a->crash_streak = 0;
        if (p->restart_max && a->crash_streak >= p->restart_max) {
                a->give_up = true;
                log_warn("app %s: exited (code %d) after %u restarts in a row; giving up (%s=%u)", a->spec->name,
                         a->final_code, a->crash_streak, ANN_RESTART_MAX, p->restart_max);
                return false;
        }
        return true;
}

static void on_restart_timer(uv_timer_t *t)
{
        struct app *a = container_of(t, struct app, restart_timer);

        if (a->state == APP_BACKOFF)
                app_start(a);
}

/*
 * The process ended and another run follows.  What it wrote and is still
 * in the pipe is read first, its last partial line ends, anything it left
 * in its cgroup is killed; its streams stay open for the next run, and
 * attached clients get the event as a restart marker.
 */
static void app_schedule_restart(struct app *a)
{
        json_t *extra = app_exit_json(a);
        uint64_t delay;

        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k])
                        io_out_read_now(&a->io.out[k]);
        if (a->log_ready)
                app_log_break(&a->log);
        app_kill_rest(a);
        a->crash_streak++;
        a->restarts++;
        delay = policy_backoff_ms(a->pol, a->crash_streak);
        a->last_backoff_ms = delay;
        json_object_set_new(extra, "restarts", json_integer(a->restarts));
        json_object_set_new(extra, "backoffMs", json_integer((json_int_t)delay));
        log_info("app %s: exited (code %d); restart %u in %llu ms", a->spec->name, a->final_code, a->restarts,
                 (unsigned long long)delay);
        app_fire(a, EV_CRASH, extra);
        /* +1: the loop's clock counts whole milliseconds, and the delay is a minimum. */
        uv_update_time(&a->pod->loop);
        uv_timer_start(&a->restart_timer, on_restart_timer, delay + 1, 0);
        app_write_status(a);
}

void app_on_exit(struct app *a, int wstatus)
{
        app_report_consume(a);
        a->wstatus = wstatus;
        a->exited_ns = now_real_ns();
        a->reaped = true;
        a->reaped_mono_ns = now_mono_ns();
        ready_on_exit(a);
        cgroup_app_ended(a);
        a->final_code = app_policy_map_code(a->pol, a->error[0] && WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
                                                                                  : shell_code_from_wait(wstatus));
        if (restart_wanted(a)) {
                app_schedule_restart(a);
                return;
        }
        app_drain(a);
}

/*
 * Run a finished app again (docs/lifecycle.md "Mutable pods"; rkt's
 * app/start after app/stop).  Its streams ended with its last run: they are
 * closed now and made anew on the next loop iteration, when libuv has run
 * their close callbacks, since the handles' memory is reused.  Clients that
 * were still subscribed (rkt's raw attach sockets) are ended as at EOF.
 * The log file carries on; the last run's rkt status file is removed, as
 * rkt's stage0 does before app start.
 */
static void on_rerun_timer(uv_timer_t *t)
{
        struct app *a = container_of(t, struct app, restart_timer);
        char path[512];

        a->rerun_pending = false;
        if (!app_state_final(a->state) || (a->pod->state != POD_STARTING && a->pod->state != POD_RUNNING))
                return;
        for (int k = 0; k < 2; k++) {
                if (a->io.out_used[k])
                        io_out_done(&a->io.out[k]);
                memset(&a->io.out[k], 0, sizeof(a->io.out[k]));
                a->io.out_used[k] = false;
        }
        memset(&a->io.in, 0, sizeof(a->io.in));
        a->io.in_used = false;
        a->io.outs_open = 0;
        a->io.persistent = false;
        if (a->log_ready)
                app_log_rearm(&a->log);
        a->log_finishing = false;
        if (a->drain_timer_init)
                uv_timer_stop(&a->drain_timer);
        a->crash_streak = 0;
        a->final_seq = 0;
        a->final_code = 0;
        a->rkt_code = -1;
        snprintf(path, sizeof(path), "%s/%s", S1_RKT_STATUS, a->spec->name);
        unlink(path);
        app_start(a);
}

void app_rerun(struct app *a)
{
        if (a->rerun_pending || !app_state_final(a->state))
                return;
        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k]) {
                        io_out_drop_subscribers(&a->io.out[k]);
                        io_out_close(&a->io.out[k]);
                }
        io_in_close_now(&a->io.in);
        a->rerun_pending = true;
        uv_timer_start(&a->restart_timer, on_rerun_timer, 0, 0);
}

/*
 * Stop one app (docs/lifecycle.md "Stopping"): its stop signal to its
 * process group, SIGKILL to it and whatever it left in its cgroup after its
 * stop timeout.  The stop ends as soon as the process is reaped.  An app
 * waiting to restart is finished at once; one never started just exits.
 */
static void on_app_stop_timeout(uv_timer_t *t)
{
        struct app *a = container_of(t, struct app, stop_timer);

        if (a->state == APP_STOPPING && !a->reaped) {
                log_warn("app %s did not stop within %llu ms of %s; killing it", a->spec->name,
                         (unsigned long long)(a->pol->stop_timeout_ms ?: a->pod->opt.stop_timeout_ms),
                         sigabbrev_np(a->pol->stop_signal) ?: "its stop signal");
                app_signal(a, SIGKILL);
        }
}

void app_stop(struct app *a, bool force)
{
        a->stop_requested = true;
        switch (a->state) {
        case APP_CREATED:
                app_fire(a, EV_STOP, NULL);     /* final: its status is written as it changes */
                return;
        case APP_BACKOFF:
                uv_timer_stop(&a->restart_timer);
                app_fire(a, EV_STOP, NULL);
                app_drain(a);
                return;
        case APP_STARTING:
        case APP_RUNNING:
        case APP_READY:
                app_fire(a, EV_STOP, json_pack("{s:b}", "force", force));
                app_write_status(a);
                break;
        case APP_STOPPING:
                if (!force)
                        return;
                break;
        default:
                return;
        }
        if (a->reaped)
                return;
        /* The pod's stop sent it already (pod_request_stop: signals first). */
        if (a->stop_signal_sent != (force ? SIGKILL : a->pol->stop_signal))
                app_signal(a, force ? SIGKILL : a->pol->stop_signal);
        a->stop_signal_sent = 0;
        if (!force) {
                uv_update_time(&a->pod->loop);
                uv_timer_start(&a->stop_timer, on_app_stop_timeout, a->pol->stop_timeout_ms ?: a->pod->opt.stop_timeout_ms, 0);
        }
}

void app_close_handles(struct app *a)
{
        ready_close_handles(a);
        pod_emit(a->pod, POD_EV_APP_CLOSING, a);
        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k])
                        io_out_close(&a->io.out[k]);
        io_in_close_now(&a->io.in);
        a->io.in_used = false;
        if (a->drain_timer_init && !uv_is_closing((uv_handle_t *)&a->drain_timer))
                uv_close((uv_handle_t *)&a->drain_timer, NULL);
        if (a->timers_init) {
                uv_close((uv_handle_t *)&a->restart_timer, NULL);
                uv_close((uv_handle_t *)&a->stop_timer, NULL);
                uv_close((uv_handle_t *)&a->probe_timer, NULL);
                uv_close((uv_handle_t *)&a->watchdog_timer, NULL);
                a->timers_init = false;
        }
        if (a->log_ready)
                app_log_close(&a->log);
}
