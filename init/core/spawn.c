#include "init/core/spawn.h"
#include "init/isolate/appns.h"
#include "common/cgroup.h"
#include "common/status.h"
#include "common/util.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>

void exec_plan_done(struct exec_plan *p)
{
        free(p->rootfs);
        strv_free(p->argv);
        strv_free(p->envp);
        free(p->path_env);
        free(p->workdir);
        free(p->groups);
        if (p->caps)
                cap_free(p->caps);
        memset(p, 0, sizeof(*p));
        p->stdin_fd = p->stdout_fd = p->stderr_fd = p->ctty_fd = -1;
        p->ready_fd_src = p->join_mnt_ns_fd = p->base_mnt_ns_fd = -1;
        p->interactive = false;
}

/* Async-signal-safe string copy, used only in the child. */
static void child_copy(char *dst, size_t cap, const char *a, const char *b, const char *c)
{
        size_t n = 0;
        for (const char *parts[3] = { a, b, c }, **s = parts; s < parts + 3; s++)
                for (const char *q = *s; q && *q && n + 1 < cap; q++)
                        dst[n++] = *q;
        dst[n] = '\0';
}

static __attribute__((noreturn)) void child_fail(int fd, int code, const char *what, const char *path)
{
        struct spawn_report r;
        memset(&r, 0, sizeof(r));
        r.code = code;
        r.err = errno;
        child_copy(r.what, sizeof(r.what), what, NULL, NULL);
        child_copy(r.path, sizeof(r.path), path, NULL, NULL);
        (void)!write(fd, &r, sizeof(r));
        _exit(code);
}

/*
 * Search PATH the way rkt's stage1 does for a bare program name: each entry
 * (relative ones taken from the working directory, as we have chdir'ed there),
 * remembering EACCES over ENOENT so "permission denied" wins when the file
 * exists but cannot be executed.  The found path becomes argv[0].
 */
static void child_exec(const struct exec_plan *p, int fd)
{
        static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        char buf[4096];
        const char *prog = p->argv[0];
        int saved = ENOENT;

        if (strchr(prog, '/')) {
                execve(prog, p->argv, p->envp);
                child_fail(fd, SETUP_EXEC, "exec", prog);
        }
        for (const char *s = p->path_env ? p->path_env : default_path; ; ) {
                const char *e = strchr(s, ':');
                size_t dl = e ? (size_t)(e - s) : strlen(s);
                if (dl + 1 + strlen(prog) + 1 <= sizeof(buf)) {
                        memcpy(buf, s, dl);
                        if (dl == 0)
                                buf[dl++] = '.';
                        buf[dl] = '/';
                        memcpy(buf + dl + 1, prog, strlen(prog) + 1);
                        p->argv[0] = buf;       /* our copy-on-write page; the parent's is untouched */
                        execve(buf, p->argv, p->envp);
                        if (errno == EACCES)
                                saved = EACCES;
                        else if (errno != ENOENT && errno != ENOTDIR) {
                                saved = errno;
                                child_copy(buf, sizeof(buf), prog, NULL, NULL);
                                break;
                        }
                }
                if (!e)
                        break;
                s = e + 1;
        }
        errno = saved;
        child_fail(fd, SETUP_EXEC, "exec", prog);
}

static void child_oom_adjust(int v, int fd)
{
        char buf[16], *e = buf + sizeof(buf), *b = e;
        unsigned u = v < 0 ? (unsigned)-v : (unsigned)v;
        int o;

        do
                *--b = (char)('0' + u % 10);
        while ((u /= 10) && b > buf + 1);
        if (v < 0)
                *--b = '-';
        o = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (o < 0 || write(o, b, (size_t)(e - b)) != e - b)
                child_fail(fd, SETUP_OOM_ADJUST, "writing", "/proc/self/oom_score_adj");
        close(o);
}

/*
 * Capabilities (appc / rkt semantics, docs/manifest.md "Isolators"): the
 * bounding set is the app's set; a root app also has it as its permitted,
 * effective and inheritable sets; a non-root app has none (setuid from root
 * clears permitted and effective; the prepared empty set clears
 * inheritable), and no app has ambient capabilities.  Order matters:
 * dropping from the bounding set needs CAP_SETPCAP, which a non-root app
 * loses at setuid, so child_bounding() runs before setuid and child_caps()
 * after it.
 */
static void child_caps(const struct exec_plan *p, int fd)
{
        if (!p->caps_restrict)
                return;
        if (p->caps && cap_set_proc(p->caps) < 0)
                child_fail(fd, SETUP_CAPABILITIES, "capset", NULL);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                child_fail(fd, SETUP_CAPABILITIES, "clearing ambient capabilities", NULL);
}

static void child_bounding(const struct exec_plan *p, int fd)
{
        if (!p->caps_restrict)
                return;
        for (int c = 0; c <= p->cap_last; c++)
                if (!(p->caps_bounding & (1ull << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        child_fail(fd, SETUP_CAPABILITIES, "dropping from the capability bounding set", NULL);
}

/*
 * The seccomp filter goes last, so that it constrains only the app: the one
 * call after it is execve, which every allow-list permits (common/seccomp_sets.c).
 * The kernel accepts a filter from a task that has no_new_privs or holds
 * CAP_SYS_ADMIN.  A non-root app has no_new_privs by then (isolation_prepare
 * forces it, as rkt does); a root app keeps no_new_privs off (rkt's
 * behaviour, which setuid programs in the image rely on), so its prepared
 * capability sets hold CAP_SYS_ADMIN in permitted and effective even when
 * the bounding set lacks it: execve then recomputes a root process's
 * permitted set as inheritable | bounding and the extra capability is gone.
 */
static void child_seccomp(const struct exec_plan *p, int fd)
{
        if (p->seccomp && prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p->seccomp, 0, 0) < 0)
                child_fail(fd, SETUP_SECCOMP, "installing the seccomp filter", NULL);
}

/* Before setuid: raising a hard limit needs CAP_SYS_RESOURCE, which only PID 1's credentials may hold. */
static void child_rlimits(const struct exec_plan *p, int fd)
{
        for (int r = 0; r < RLIMITS_N; r++)
                if ((p->rlimits.set & (1u << r)) && setrlimit(r, &p->rlimits.lim[r]) < 0)
                        child_fail(fd, SETUP_LIMITS, "setrlimit", rlimit_name(r));
}

/*
 * rkt's pre-start event handler: in the app's root, working directory,
 * environment and streams, but as root with PID 1's capabilities, no
 * seccomp and no no_new_privs (systemd's PermissionsStartOnly).  The app's
 * program runs only if it exits 0; otherwise the app ends with the
 * handler's exit code (or dies of its signal), and a report says why.
 */
static void child_pre_start(const struct exec_plan *p, int fd)
{
        struct exec_plan q = *p;
        struct spawn_report rep;
        int pfd[2], st;
        pid_t pid;
        ssize_t n;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                child_fail(fd, SETUP_EXEC, "pre-start: pipe", NULL);
        pid = fork();
        if (pid < 0)
                child_fail(fd, SETUP_EXEC, "pre-start: fork", NULL);
        if (pid == 0) {
                close(pfd[0]);
                q.argv = p->pre_start;
                child_exec(&q, pfd[1]);
                _exit(SETUP_EXEC);
        }
        close(pfd[1]);
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        child_fail(fd, SETUP_EXEC, "pre-start: waitpid", NULL);
        do
                n = read(pfd[0], &rep, sizeof(rep));
        while (n < 0 && errno == EINTR);
        close(pfd[0]);
        if (n == (ssize_t)sizeof(rep)) {        /* it could not be executed */
                errno = rep.err;
                child_fail(fd, rep.code, "pre-start handler: exec", p->pre_start[0]);
        }
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return;
        errno = 0;
        if (WIFSIGNALED(st)) {
                memset(&rep, 0, sizeof(rep));
                rep.code = 128 + WTERMSIG(st);
                child_copy(rep.what, sizeof(rep.what), "pre-start handler killed", NULL, NULL);
                child_copy(rep.path, sizeof(rep.path), p->pre_start[0], NULL, NULL);
                (void)!write(fd, &rep, sizeof(rep));
                kill(getpid(), WTERMSIG(st));   /* default dispositions by now: the app dies the same way */
                _exit(rep.code);
        }
        child_fail(fd, WEXITSTATUS(st), "pre-start handler failed", p->pre_start[0]);
}

/*
 * The app's root becomes the root of its mount namespace: pivot_root(".",
 * ".") stacks the pod's root on top of the app's rootfs (a mount point:
 * mounts_setup_app binds it on itself), and detaching that leaves nothing
 * above the app's root in its namespace.  A chroot alone would not do: a
 * process with CAP_SYS_CHROOT (in the default set) gets out of a chroot by
 * chroot'ing into a subdirectory and walking up "..", and would reach the
 * control socket and every other app's files.  The namespace was made
 * private to the child above (MS_SLAVE), so pivot_root accepts it and the
 * pod's view is untouched.  A command joining a running app's namespace
 * (join_mnt_ns_fd) is already at that namespace's root.
 */
static void child_enter_root(const struct exec_plan *p, int fd)
{
        if (p->join_mnt_ns_fd >= 0)
                return;
        if (chdir(p->rootfs) < 0)
                child_fail(fd, SETUP_CHROOT, "chdir", p->rootfs);
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                child_fail(fd, SETUP_CHROOT, "pivot_root", p->rootfs);
        if (umount2(".", MNT_DETACH) < 0)
                child_fail(fd, SETUP_CHROOT, "detaching the pod's root", p->rootfs);
        if (chdir("/") < 0)
                child_fail(fd, SETUP_CHROOT, "chdir", "/");
}

static __attribute__((noreturn)) void child_main(const struct exec_plan *p, int fd)
{
        sigset_t all;
        struct sigaction sa;

        /* The app's cgroup first, so that its limits (and the device policy)
         * hold from the first thing the child does, and before close_range
         * below closes the pre-opened cgroup.procs fds. */
        if (p->cg && cg_app_join_child(p->cg) < 0)
                child_fail(fd, SETUP_CGROUP, "joining the app's cgroup", NULL);
        /* Its own mount namespace, receiving the pod's mount events but never
         * sending its own: what the app mounts stays its own.  Its root is
         * switched below (child_enter_root).  A command in a running app's
         * context joins that namespace, whose root is already the app's. */
        if (p->join_mnt_ns_fd >= 0) {
                if (setns(p->join_mnt_ns_fd, CLONE_NEWNS) < 0)
                        child_fail(fd, SETUP_NAMESPACE, "joining the app's mount namespace", NULL);
        } else if (p->base_mnt_ns_fd >= 0) {
                const char *what = NULL;
                int e = appns_enter(p->base_mnt_ns_fd, p->rootfs, &what);
                if (e < 0) {
                        errno = -e;
                        child_fail(fd, SETUP_NAMESPACE, what, p->rootfs);
                }
        } else if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                child_fail(fd, SETUP_NAMESPACE, "creating the app's mount namespace", NULL);
        }

        /* Interactive: stay in the terminal's session (no setsid), become a
         * process group of our own and take the terminal's foreground, which
         * needs SIGTTOU ignored for the moment of the call. */
        if (p->interactive) {
                signal(SIGTTOU, SIG_IGN);
                if (setpgid(0, 0) < 0 || tcsetpgrp(STDIN_FILENO, getpid()) < 0)
                        child_fail(fd, SETUP_STDIN, "tcsetpgrp", NULL);
        }

        /* Default dispositions and an empty mask: PID 1's libuv handlers and
         * blocked signals must not leak into the app.  SIGPIPE is ignored, as
         * rkt's systemd-based stage1 does (IgnoreSIGPIPE=yes). */
        memset(&sa, 0, sizeof(sa));
        for (int s = 1; s < NSIG; s++) {
                if (s == SIGKILL || s == SIGSTOP)
                        continue;
                sa.sa_handler = s == SIGPIPE ? SIG_IGN : SIG_DFL;
                sigaction(s, &sa, NULL);
        }
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);

        if (!p->interactive && setsid() < 0)
                child_fail(fd, SETUP_SETSID, "setsid", NULL);
        if (p->ctty_fd >= 0 && ioctl(p->ctty_fd, TIOCSCTTY, 0) < 0)
                child_fail(fd, SETUP_STDIN, "TIOCSCTTY", NULL);
        if ((p->stdin_fd >= 0 && dup2(p->stdin_fd, 0) < 0) ||
            (p->stdout_fd >= 0 && dup2(p->stdout_fd, 1) < 0) ||
            (p->stderr_fd >= 0 && dup2(p->stderr_fd, 2) < 0))
                child_fail(fd, SETUP_STDIN, "dup2", NULL);
        /* The readiness notification fd (s6's notification-fd) at the number
         * the app expects; the report pipe moves out of its way first. */
        if (p->ready_fd_src >= 0) {
                if (fd == p->ready_fd_target && (fd = fcntl(fd, F_DUPFD_CLOEXEC, p->ready_fd_target + 1)) < 0)
                        _exit(SETUP_STDIN);
                if (dup2(p->ready_fd_src, p->ready_fd_target) < 0)
                        child_fail(fd, SETUP_STDIN, "dup2 (readiness fd)", NULL);
        }
        /* No fd of PID 1 (control sockets, lock fd, other apps' pipes) reaches
         * the app: everything from 3 up is closed except the report pipe,
         * which is CLOEXEC and goes away at exec, and the readiness fd. */
        {
                unsigned keep[2] = { (unsigned)fd, p->ready_fd_src >= 0 ? (unsigned)p->ready_fd_target : ~0u };
                unsigned lo = 3;
                if (keep[1] < keep[0]) {
                        unsigned t = keep[0];
                        keep[0] = keep[1];
                        keep[1] = t;
                }
                for (int k = 0; k < 2; k++) {
                        if (keep[k] == ~0u)
                                break;
                        if (keep[k] > lo)
                                syscall(SYS_close_range, lo, keep[k] - 1, 0u);
                        lo = keep[k] + 1;
                }
                syscall(SYS_close_range, lo, ~0u, 0u);
        }

        /* Before chroot (the app's /proc is not ours to trust) and while
         * PID 1's capabilities are still held (lowering needs CAP_SYS_RESOURCE). */
        if (p->has_oom)
                child_oom_adjust(p->oom_score_adj, fd);
        child_rlimits(p, fd);
        child_enter_root(p, fd);
        if (chdir(p->workdir ? p->workdir : "/") < 0)
                child_fail(fd, SETUP_CHDIR, "chdir", p->workdir ? p->workdir : "/");
        if (p->pre_start)
                child_pre_start(p, fd);
        child_bounding(p, fd);
        if (setgroups(p->n_groups, p->groups) < 0)
                child_fail(fd, SETUP_GROUP, "setgroups", NULL);
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                child_fail(fd, SETUP_GROUP, "setgid", NULL);
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                child_fail(fd, SETUP_USER, "setuid", NULL);
        child_caps(p, fd);
        if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(fd, SETUP_NO_NEW_PRIVILEGES, "prctl(PR_SET_NO_NEW_PRIVS)", NULL);
        child_seccomp(p, fd);
        child_exec(p, fd);
        _exit(SETUP_EXEC);
}

/*
 * Every signal is blocked across fork.  Until the child has reset PID 1's
 * dispositions (child_main), a signal delivered to it would run libuv's
 * handler there, which writes to PID 1's signal pipe: a SIGTERM meant for
 * the new app (app-stop right after app-start) would reach PID 1 as if sent
 * to it, and stop the whole pod, while the app never saw it.  Blocked, the
 * signal stays pending on the child and is delivered to the app's default
 * disposition the moment child_main unblocks it.
 */
int spawn_app(const struct exec_plan *p, pid_t *ret_pid, int *ret_report_fd)
{
        sigset_t all, old;
        int pfd[2], e;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        sigfillset(&all);
        sigprocmask(SIG_SETMASK, &all, &old);
        pid = fork();
        e = errno;
        if (pid == 0) {
                close(pfd[0]);
                child_main(p, pfd[1]);
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (pid < 0) {
                close(pfd[0]);
                close(pfd[1]);
                return -e;
        }
        close(pfd[1]);
        fcntl(pfd[0], F_SETFL, O_NONBLOCK);
        *ret_pid = pid;
        *ret_report_fd = pfd[0];
        return 0;
}

int spawn_read_report(int fd, struct spawn_report *ret)
{
        struct spawn_report r;
        ssize_t n;

        do
                n = read(fd, &r, sizeof(r));
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n == 0)
                return 0;
        if ((size_t)n != sizeof(r))
                return -EBADMSG;
        r.what[sizeof(r.what) - 1] = '\0';
        r.path[sizeof(r.path) - 1] = '\0';
        *ret = r;
        return 1;
}
