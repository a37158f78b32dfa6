/*
 * Starting an app process.  Everything the child needs is prepared before
 * fork (DESIGN rule 2); between fork and exec the child only makes syscalls
 * (no malloc, no stdio, no locks), so it is safe whatever PID 1's heap looks
 * like at that moment.
 *
 * The child reports a failure before exec through a CLOEXEC pipe: a struct
 * spawn_report, then _exit() with the systemd-style setup code.  A successful
 * exec closes the pipe with nothing written, which PID 1 sees as EOF.
 */
#ifndef POD_INIT_SPAWN_H
#define POD_INIT_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/filter.h>

#include "common/rlimits.h"

struct cg_app;

struct exec_plan {
        char *rootfs;           /* the app's root (pivot_root in its own mount namespace), as PID 1 sees it */
        char **argv;            /* argv[0] is the program as given in the manifest */
        char **envp;
        char *path_env;         /* PATH value from envp (search list), or NULL */
        char *workdir;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        int stdin_fd;           /* dup'ed to 0; -1 keeps PID 1's */
        int stdout_fd;          /* dup'ed to 1; -1 keeps PID 1's */
        int stderr_fd;          /* dup'ed to 2; -1 keeps PID 1's */
        int ctty_fd;            /* tty mode: pty slave, made the controlling terminal; -1 none */
        bool interactive;       /* use PID 1's terminal (fd 0) in the foreground instead of setsid */
        /* Isolation (docs/manifest.md "Isolators"), prepared before fork. */
        bool caps_restrict;     /* false: --disable-capabilities-restriction, keep every capability */
        uint64_t caps_bounding; /* the bounding set */
        int cap_last;           /* highest capability the kernel knows */
        struct _cap_struct *caps;       /* libcap: the sets after setuid (root: = bounding; else none) */
        bool nnp;               /* PR_SET_NO_NEW_PRIVS */
        const struct sock_fprog *seccomp;       /* installed last before execve; NULL: none (not owned: PID 1's cache) */
        bool has_oom;
        int oom_score_adj;
        struct app_rlimits rlimits;     /* setrlimit() before setuid */
        const struct cg_app *cg;        /* joined first thing in the child; NULL: no cgroup (not owned) */
        int ready_fd_src;               /* fd:N readiness: dup'ed to ready_fd_target; -1 none */
        int ready_fd_target;
        int join_mnt_ns_fd;             /* >= 0: setns into this app's mount namespace (exec, probes); -1: a new one */
        int base_mnt_ns_fd;             /* a new one: made from this base (init/isolate/appns.h); -1: a copy of PID 1's (not owned) */
        char **pre_start;               /* rkt's pre-start event handler, run first as root (not owned) */
};

struct spawn_report {
        int code;               /* setup code (enum setup_code), or the failed pre-start handler's exit code */
        int err;                /* errno of the failing call */
        char what[32];          /* "chroot", "chdir", "setgid", "exec", ... */
        char path[256];         /* the path involved, if any */
};

void exec_plan_done(struct exec_plan *p);

/*
 * Fork and exec.  On success *ret_pid is the child and *ret_report_fd the
 * read end of its report pipe (O_CLOEXEC|O_NONBLOCK).  The caller must put
 * the pid in its table before returning to the event loop.
 */
int spawn_app(const struct exec_plan *p, pid_t *ret_pid, int *ret_report_fd);

/* Read a child's report: 1 and *ret if it wrote one, 0 at EOF (exec succeeded),
 * -EAGAIN if nothing is there yet. */
int spawn_read_report(int fd, struct spawn_report *ret);

#endif
