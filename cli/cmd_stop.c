/*
 * podctl stop [--force] [--no-wait] POD: ask podinit to stop the pod over
 * its control socket, then wait until the pod has finished (podinit closes
 * the connection when it exits; the lock tells when the launcher is gone).
 *
 * --force must work on a pod whose PID 1 does not answer (stopped, hung):
 * podinit gets FORCE_ASK_MS to take the request, and then, as the stage1
 * stop entrypoint does (stage1/stop.c), the launcher and PID 1 get SIGKILL
 * (the pid file is <pod>/pid; the launcher is PID 1's parent whose working
 * directory is the pod; the kernel ends every app with PID 1, the pid
 * namespace's init).  The pod is finished when nobody holds its lock.
 */
#include "cli/cli.h"
#include "cli/poddir.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/client.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#define FORCE_ASK_MS 1000u      /* --force: podinit's time to take the request */
#define FORCE_WAIT_MS 10000u    /* --force: the pod's time to be gone after SIGKILL */
#define ENDED_WAIT_MS 3000u     /* a pod that closed the socket under us: its launcher's time to finish */

static int kill_pod(const struct pod_ref *p, struct pod_err *err)
{
        pid_t pid, launcher;
        int r;

        if ((r = pod_pid1(p->path, &pid, err)) < 0)
                return r;
        launcher = pod_launcher_of(pid, p->path);
        if (launcher > 0 && kill(launcher, SIGKILL) < 0 && errno != ESRCH)
                return pod_err_set(err, -errno, "killing the pod's launcher (%d): %s", (int)launcher, strerror(errno));
        if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
                return pod_err_set(err, -errno, "killing the pod's PID 1 (%d): %s", (int)pid, strerror(errno));
        return 0;
}

/* Until nobody holds the pod's lock (the launcher exits last): 0, or -ETIMEDOUT. */
static int wait_unlocked(const char *path, unsigned timeout_ms)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint64_t deadline = now_mono_ns() + (uint64_t)timeout_ms * 1000000u;

        if (fd < 0)
                return 0;       /* gone (gc) */
        if (!timeout_ms)
                return flock(fd, LOCK_SH) < 0 ? -errno : 0;
        while (flock(fd, LOCK_SH | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                if (now_mono_ns() >= deadline)
                        return -ETIMEDOUT;
                nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000000 }, NULL);
        }
        return 0;
}

int cmd_stop(int argc, char **argv)
{
        struct pod_err err = { 0 };
        struct pod_ref p = { 0 };
        struct ctl_conn *c = NULL;
        bool force = false, no_wait = false;
        int idx, r, rc = 1;
        const struct opt opts[] = {
                { "force", OPT_BOOL, &force },
                { "no-wait", OPT_BOOL, &no_wait },
        };
        struct args_rest rest;
        json_t *resp = NULL;

        if ((r = cli_parse("stop", argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0)
                return r > 0 ? 0 : 2;
        if (rest.n_pos != 1 || rest.dashdash) {
                cli_usage_error("stop", rest.n_pos ? "give one POD" : "no POD given (a UUID or a unique prefix)");
                return 2;
        }
        idx = rest.first;
        if (pod_find(argv[idx], &p, &err) < 0) {
                log_error("stop: %s", err.msg);
                return 1;
        }
        if (p.state != PODDIR_RUNNING) {
                log_error("stop: pod %s is not running (it is %s)", p.uuid, pod_dir_state_name(p.state));
                goto out;
        }
        r = ctl_connect_timeout(p.path, force ? FORCE_ASK_MS : CTL_TIMEOUT_MS, &c, &err);
        if (r == 0)
                r = ctl_call(c, json_pack("{s:s,s:b}", "op", "stop", "force", force), &resp, &err);
        /*
         * The pod ended on its own while we asked (its last app exited): PID 1
         * closed the socket under us.  What was asked for is done; say so.
         */
        if ((r == -ECONNRESET || r == -EPIPE || r == -ECONNREFUSED || r == -ENOENT) &&
            wait_unlocked(p.path, ENDED_WAIT_MS) == 0) {
                log_info("stop: pod %s ended on its own while it was being stopped", p.uuid);
                rc = 0;
                goto out;
        }
        /* Refused: a kill would be refused too (and must not be tried as a way around). */
        if (r < 0 && (!force || r == -EACCES)) {
                log_error("stop: pod %s: %s%s", p.uuid, err.msg,
                          r == -ETIMEDOUT || r == -ECONNREFUSED ? " (podctl stop --force kills it)" : "");
                goto out;
        }
        if (r < 0) {
                struct pod_err kerr = { 0 };
                log_warn("stop: pod %s: podinit does not take the request (%s); killing the pod", p.uuid, err.msg);
                ctl_close(TAKE_PTR(c));
                if (kill_pod(&p, &kerr) < 0) {
                        /* Its podinit may have finished in between: then the lock is free. */
                        if (wait_unlocked(p.path, 100) == 0) {
                                rc = 0;
                                goto out;
                        }
                        log_error("stop: pod %s: %s", p.uuid, kerr.msg);
                        goto out;
                }
                if (!no_wait && wait_unlocked(p.path, FORCE_WAIT_MS) < 0) {
                        log_error("stop: pod %s: still running %u s after SIGKILL (see `podctl status %.8s`)", p.uuid,
                                  FORCE_WAIT_MS / 1000, p.uuid);
                        goto out;
                }
                rc = 0;
                goto out;
        }
        rc = 0;
        if (!no_wait) {
                ctl_wait_closed(c);
                /* podinit is gone; the launcher releases the lock right after. */
                wait_unlocked(p.path, 0);
        }
out:
        json_decref(resp);
        ctl_close(c);
        pod_ref_done(&p);
        return rc;
}
