/*
 * coreos.com/rkt/stage1/stop: `stop [--force] UUID`, cwd = the pod.  Returns
 * at once; rkt polls the pod's state.  Graceful: SIGTERM to the launcher (the
 * `rkt run` process; PID 1 itself if the launcher cannot be told apart),
 * which forwards it to PID 1, which stops every app in order (each app's
 * stop signal, SIGKILL after its stop timeout), records their statuses and
 * exits.  --force: SIGKILL to the
 * launcher (the `rkt run` process, which PID 1's PR_SET_PDEATHSIG ties the
 * pod to) and to PID 1: the pod dies at once and rkt run dies "killed".
 */
#include "stage1/entry.h"
#include "stage1/shared.h"
#include "common/podstate.h"
#include "common/args.h"
#include "common/fdutil.h"
#include "common/log.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

int s1_stop(int argc, char **argv)
{
        struct pod_err err = { 0 };
        bool force = false;
        int idx = 1;
        pid_t pid, launcher;
        const struct opt opts[] = { { "force", OPT_BOOL, &force } };

        log_init("stop", false);
        if (args_parse(argc, argv, &idx, opts, ARRAY_SIZE(opts), &err) < 0 || argc - idx > 1) {
                log_error("%s", err.msg[0] ? err.msg : "too many arguments");
                fprintf(stderr, "usage: stop [--force] UUID\n");
                return S1_EXIT_USAGE;
        }
        if (!s1_pod_running()) {
                log_info("pod %s is not running", idx < argc ? argv[idx] : ".");
                return 0;
        }
        if (s1_pod_pid(&pid, &err) < 0) {
                log_error("%s", err.msg);
                return S1_EXIT_ERROR;
        }
        launcher = pod_launcher_of(pid, ".");
        if (!force) {
                /* The launcher forwards it to PID 1 (and tells a service manager STOPPING=1). */
                pid_t target = launcher > 0 ? launcher : pid;
                if (kill(target, SIGTERM) < 0 && errno != ESRCH) {
                        log_error("signalling the pod (%d): %s", (int)target, strerror(errno));
                        return S1_EXIT_ERROR;
                }
                return 0;
        }
        if (launcher > 0 && kill(launcher, SIGKILL) < 0 && errno != ESRCH) {
                log_error("killing the pod's launcher (%d): %s", (int)launcher, strerror(errno));
                return S1_EXIT_ERROR;
        }
        if (kill(pid, SIGKILL) < 0 && errno != ESRCH) {
                log_error("killing the pod's PID 1 (%d): %s", (int)pid, strerror(errno));
                return S1_EXIT_ERROR;
        }
        return 0;
}
