/*
 * coreos.com/rkt/stage1/enter: `enter --pid=PID [--appname=APP] -- CMD...`
 * (rkt enter, rkt app exec).  As rkt's own stage1: join the ipc, uts, net,
 * pid and mount namespaces of PID (not the user or cgroup namespace), go to
 * the pod's root, fork (joining a pid namespace applies to children), and in
 * the child chroot into the app's rootfs, load the app's environment from
 * /rkt/env/APP (plus the caller's TERM, or vt100), chdir("/") and execvp.
 * The entered command is not confined like the app: uid 0, every
 * capability, no seccomp, the caller's cgroup.  The parent waits and exits
 * with the command's code, or dies of the same signal.
 */
#include "stage1/entry.h"
#include "stage1/shared.h"
#include "common/args.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define ENV_FILE_MAX (1u << 20)

static pid_t child_pid;

static void forward(int sig)
{
        if (child_pid > 0)
                kill(child_pid, sig);
}

/* The app's environment file as an envp, with the caller's TERM. */
static char **load_env(const char *app, struct pod_err *err)
{
        _cleanup_free_ char *path = xasprintf("/rkt/env/%s", app), *data = NULL;
        const char *term = getenv("TERM");
        char **env = NULL, *line, *save = NULL;
        size_t len;
        int r = read_file_at(AT_FDCWD, path, ENV_FILE_MAX, &data, &len);

        if (r < 0 && r != -ENOENT) {
                pod_err_set(err, r, "reading %s: %s", path, strerror(-r));
                return NULL;
        }
        for (line = data ? strtok_r(data, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
                if (strchr(line, '=') && line != strchr(line, '='))
                        strv_push(&env, line);
        strv_env_set(&env, "TERM", term && *term ? term : "vt100", !!(term && *term));
        return env;
}

static __attribute__((noreturn)) void run_child(const char *app, char **cmd)
{
        struct pod_err err = { 0 };
        char **env = NULL;

        if (app) {
                _cleanup_free_ char *root = xasprintf("/opt/stage2/%s/rootfs", app);
                if (!(env = load_env(app, &err))) {
                        log_error("%s", err.msg);
                        _exit(1);
                }
                if (chroot(root) < 0) {
                        log_error("entering app %s: chroot %s: %s", app, root, strerror(errno));
                        _exit(2);
                }
                if (chdir("/") < 0) {
                        log_error("entering app %s: chdir /: %s", app, strerror(errno));
                        _exit(2);
                }
                environ = env;
        }
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        execvp(cmd[0], cmd);
        log_error("Unable to run \"%s\": %s", cmd[0], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
}

int s1_enter(int argc, char **argv)
{
        static const char *const nss[] = { "ipc", "uts", "net", "pid", "mnt" };
        const char *pid_s = NULL, *app = NULL, *app2 = NULL;
        struct pod_err err = { 0 };
        int nsfd[ARRAY_SIZE(nss)], idx = 1, st;
        _cleanup_close_ int rootfd = -1;
        long pid;
        const struct opt opts[] = {
                { "pid", OPT_STR, &pid_s },
                { "appname", OPT_STR, &app },
                { "app", OPT_STR, &app2 },      /* rkt's enter matches flag prefixes */
        };

        log_init("enter", false);
        if (args_parse(argc, argv, &idx, opts, ARRAY_SIZE(opts), &err) < 0) {
                log_error("%s", err.msg);
                fprintf(stderr, "usage: enter --pid=PID [--appname=APP] -- CMD [ARGS...]\n");
                return S1_EXIT_USAGE;
        }
        if (!app)
                app = app2;
        if (!pid_s || parse_long(pid_s, 1, 1L << 30, &pid) < 0) {
                log_error(pid_s ? "--pid=%s is not a process id" : "--pid is required%s", pid_s ? pid_s : "");
                return S1_EXIT_USAGE;
        }
        if (idx >= argc) {
                log_error("no command given (usage: enter --pid=PID [--appname=APP] -- CMD [ARGS...])");
                return S1_EXIT_USAGE;
        }
        if (app && !acname_valid(app)) {
                log_error("--appname=%s is not a valid app name", app);
                return S1_EXIT_USAGE;
        }
        s1_cloexec_inherited();

        {
                _cleanup_free_ char *p = xasprintf("/proc/%ld/root", pid);
                rootfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (rootfd < 0) {
                        log_error("opening %s: %s (is the pod running?)", p, strerror(errno));
                        return 1;
                }
        }
        for (size_t i = 0; i < ARRAY_SIZE(nss); i++) {
                _cleanup_free_ char *p = xasprintf("/proc/%ld/ns/%s", pid, nss[i]);
                nsfd[i] = open(p, O_RDONLY | O_CLOEXEC);
                if (nsfd[i] < 0) {
                        log_error("opening %s: %s", p, strerror(errno));
                        return 1;
                }
        }
        for (size_t i = 0; i < ARRAY_SIZE(nss); i++) {
                if (setns(nsfd[i], 0) < 0) {
                        log_error("joining the pod's %s namespace: %s", nss[i], strerror(errno));
                        return 2;
                }
                close(nsfd[i]);
        }
        if (fchdir(rootfd) < 0 || chroot(".") < 0) {
                log_error("entering the pod's root: %s", strerror(errno));
                return 2;
        }
        if (app) {
                _cleanup_free_ char *root = xasprintf("/opt/stage2/%s/rootfs", app);
                if (access(root, F_OK) < 0) {
                        log_error("the pod has no app \"%s\"", app);
                        return 3;
                }
        }

        /* ^C and ^\ reach the command through the terminal; the rest is forwarded. */
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        signal(SIGTERM, forward);
        signal(SIGHUP, forward);
        fflush(NULL);
        child_pid = fork();
        if (child_pid < 0) {
                log_error("fork: %s", strerror(errno));
                return 2;
        }
        if (child_pid == 0)
                run_child(app, argv + idx);
        while (waitpid(child_pid, &st, 0) < 0)
                if (errno != EINTR) {
                        log_error("waitpid: %s", strerror(errno));
                        return 2;
                }
        if (WIFSIGNALED(st)) {
                signal(WTERMSIG(st), SIG_DFL);
                kill(getpid(), WTERMSIG(st));
                st = (128 + WTERMSIG(st)) << 8;
        }
        /* _exit, not exit: we now live in the pod's pid namespace for our
         * children, and exit-time machinery that forks and ptraces us (a leak
         * checker in sanitizer builds) would hang there. */
        fflush(NULL);
        _exit(WEXITSTATUS(st));
}
