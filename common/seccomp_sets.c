#include "common/seccomp_sets.h"

#include <errno.h>
#include <string.h>

/*
 * Syscall name lists.  These are facts (which calls exist and which lists
 * Docker and rkt publish), transcribed from rkt's
 * stage1/init/common/seccomp_wildcards.go (Docker's 2016 default profile) and
 * from the kernel's syscall tables for the calls added since.  Names unknown
 * on the running architecture (chown32 on x86_64, set_tls off arm) are
 * skipped by PID 1, so one list serves every architecture.
 */

/* Docker's 2016 default allow-list, as rkt ships it (@docker/default-whitelist). */
static const char *const docker_whitelist[] = {
        "accept", "accept4", "access", "alarm", "bind", "brk", "capget", "capset", "chdir", "chmod",
        "chown", "chown32", "clock_getres", "clock_gettime", "clock_nanosleep", "close", "connect",
        "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
        "epoll_ctl_old", "epoll_pwait", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
        "execveat", "exit", "exit_group", "faccessat", "fadvise64", "fadvise64_64", "fallocate",
        "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
        "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr",
        "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64",
        "futex", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
        "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
        "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
        "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid",
        "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32",
        "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
        "ioctl", "io_destroy", "io_getevents", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc",
        "kill", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr",
        "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "memfd_create",
        "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
        "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend",
        "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
        "munmap", "nanosleep", "newfstatat", "_newselect", "open", "openat", "pause", "personality",
        "pipe", "pipe2", "poll", "ppoll", "prctl", "pread64", "preadv", "prlimit64", "pselect6",
        "pwrite64", "pwritev", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom",
        "recvmmsg", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
        "restart_syscall", "rmdir", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
        "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo", "sched_getaffinity",
        "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
        "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget",
        "semop", "semtimedop", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
        "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
        "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid",
        "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
        "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid",
        "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack",
        "signalfd", "signalfd4", "sigreturn", "socket", "socketcall", "socketpair", "splice", "stat",
        "stat64", "statfs", "statfs64", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
        "sysinfo", "syslog", "tee", "tgkill", "time", "timer_create", "timer_delete", "timerfd_create",
        "timerfd_gettime", "timerfd_settime", "timer_getoverrun", "timer_gettime", "timer_settime",
        "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat",
        "utime", "utimensat", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
        "writev", "arch_prctl", "modify_ldt", "chroot", "clone",
};

/* rkt adds these on arm and arm64; elsewhere they do not resolve and are skipped. */
static const char *const arm_extra[] = {
        "arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush", "set_tls", "sync_file_range2",
};

/*
 * Unprivileged calls added to the kernel after 2016 that today's libcs and
 * tools use, some at every start (glibc 2.35+ registers rseq in every
 * thread; statx, clone3, faccessat2, close_range, openat2 and the *_time64
 * calls back ordinary library functions).  Privileged calls (the new mount
 * API, bpf, io_uring, kexec) are not here; see docs/manifest.md.
 */
static const char *const modern_extra[] = {
        "statx", "clone3", "rseq", "faccessat2", "openat2", "close_range", "pidfd_open", "pidfd_send_signal",
        "epoll_pwait2", "futex_waitv", "preadv2", "pwritev2", "membarrier", "pkey_alloc", "pkey_free",
        "pkey_mprotect", "io_pgetevents", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
        "process_mrelease", "fchmodat2", "cachestat", "map_shadow_stack",
        /* 32-bit architectures' 64-bit time calls (y2038). */
        "clock_getres_time64", "clock_gettime64", "clock_nanosleep_time64", "futex_time64",
        "io_pgetevents_time64", "mq_timedreceive_time64", "mq_timedsend_time64", "ppoll_time64",
        "pselect6_time64", "recvmmsg_time64", "rt_sigtimedwait_time64", "sched_rr_get_interval_time64",
        "semtimedop_time64", "timer_gettime64", "timer_settime64", "timerfd_gettime64", "timerfd_settime64",
        "utimensat_time64",
};

/* Docker's 2016 default deny-list (@docker/default-blacklist). */
static const char *const docker_blacklist[] = {
        "acct", "add_key", "adjtimex", "bpf", "clock_adjtime", "clock_settime", "create_module",
        "delete_module", "finit_module", "get_kernel_syms", "get_mempolicy", "init_module", "ioperm",
        "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount",
        "move_pages", "name_to_handle_at", "nfsservctl", "open_by_handle_at", "perf_event_open",
        "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl",
        "reboot", "request_key", "set_mempolicy", "setns", "settimeofday", "stime", "swapon", "swapoff",
        "sysfs", "_sysctl", "umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86",
        "vm86old",
};

/* Privileged calls added since, denied with their 2016 relatives (mount, ptrace). */
static const char *const modern_blacklist[] = {
        "fsconfig", "fsmount", "fsopen", "fspick", "move_mount", "open_tree", "mount_setattr", "pidfd_getfd",
        "process_madvise", "io_uring_setup", "io_uring_enter", "io_uring_register",
};

/*
 * What every allow-list permits, listed or not: PID 1 installs the filter
 * just before execve, and an app must be able to exit and return from a
 * signal handler.  This is systemd's implicit set for allow-lists (its
 * @default group of 2017), which rkt's stage1 relied on.
 */
static const char *const implicit_allow[] = {
        "execve", "exit", "exit_group", "rt_sigreturn", "sigreturn", "getrlimit", "clock_getres", "clock_gettime",
        "clock_nanosleep", "gettimeofday", "nanosleep", "pause", "time",
};

struct name_list {
        const char *const *names;
        size_t n;
};
#define LIST(a) { a, ARRAY_SIZE(a) }

static const struct group {
        const char *name;
        enum seccomp_entry_kind kind;
        struct name_list lists[3];
} groups[] = {
        { "@docker/default-whitelist", SECCOMP_ENTRY_GROUP, { LIST(docker_whitelist), LIST(arm_extra), LIST(modern_extra) } },
        { "@rkt/default-whitelist", SECCOMP_ENTRY_GROUP, { LIST(docker_whitelist), LIST(arm_extra), LIST(modern_extra) } },
        { "@docker/default-blacklist", SECCOMP_ENTRY_GROUP, { LIST(docker_blacklist), LIST(modern_blacklist) } },
        { "@rkt/default-blacklist", SECCOMP_ENTRY_GROUP, { LIST(docker_blacklist), LIST(modern_blacklist) } },
        { "@appc.io/all", SECCOMP_ENTRY_ALL, { { NULL, 0 } } },
        { "@appc.io/empty", SECCOMP_ENTRY_EMPTY, { { NULL, 0 } } },
};

static const struct {
        const char *name;
        int value;
} errnos[] = {
#define E(x) { #x, x }
        E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC), E(EBADF), E(ECHILD),
        E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
        E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(ETXTBSY), E(EFBIG), E(ENOSPC),
        E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
        E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(EWOULDBLOCK), E(ENOMSG), E(EIDRM), E(ECHRNG), E(EL2NSYNC),
        E(EL3HLT), E(EL3RST), E(ELNRNG), E(EUNATCH), E(ENOCSI), E(EL2HLT), E(EBADE), E(EBADR), E(EXFULL),
        E(ENOANO), E(EBADRQC), E(EBADSLT), E(EDEADLOCK), E(EBFONT), E(ENOSTR), E(ENODATA), E(ETIME), E(ENOSR),
        E(ENONET), E(ENOPKG), E(EREMOTE), E(ENOLINK), E(EADV), E(ESRMNT), E(ECOMM), E(EPROTO), E(EMULTIHOP),
        E(EDOTDOT), E(EBADMSG), E(EOVERFLOW), E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC), E(ELIBBAD),
        E(ELIBSCN), E(ELIBMAX), E(ELIBEXEC), E(EILSEQ), E(ERESTART), E(ESTRPIPE), E(EUSERS), E(ENOTSOCK),
        E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT),
        E(EOPNOTSUPP), E(ENOTSUP), E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL),
        E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(EISCONN),
        E(ENOTCONN), E(ESHUTDOWN), E(ETOOMANYREFS), E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN),
        E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EUCLEAN), E(ENOTNAM), E(ENAVAIL), E(EISNAM),
        E(EREMOTEIO), E(EDQUOT), E(ENOMEDIUM), E(EMEDIUMTYPE), E(ECANCELED), E(ENOKEY), E(EKEYEXPIRED),
        E(EKEYREVOKED), E(EKEYREJECTED), E(EOWNERDEAD), E(ENOTRECOVERABLE), E(ERFKILL), E(EHWPOISON),
#undef E
};

int sc_errno_parse(const char *name, int *ret)
{
        for (size_t i = 0; name && i < ARRAY_SIZE(errnos); i++)
                if (!strcmp(name, errnos[i].name)) {
                        *ret = errnos[i].value;
                        return 0;
                }
        return -EINVAL;
}

const char *sc_errno_name(int e)
{
        for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
                if (errnos[i].value == e)
                        return errnos[i].name;
        return NULL;
}

static const struct group *group_find(const char *entry, size_t len)
{
        for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
                if (strlen(groups[i].name) == len && !memcmp(groups[i].name, entry, len))
                        return &groups[i];
        return NULL;
}

int sc_entry_check(const char *entry, size_t len, enum seccomp_entry_kind *ret, struct pod_err *err)
{
        const struct group *g;

        if (len == 0 || len > SECCOMP_NAME_MAX)
                return pod_err_set(err, -EINVAL, "\"%.*s\" is not a syscall name or @group (1 to %d characters)",
                                   (int)len, entry, SECCOMP_NAME_MAX);
        if (entry[0] == '@') {
                /* Any @scope/name is accepted: rkt ignores the groups it does not know. */
                for (size_t i = 1; i < len; i++)
                        if (!((entry[i] >= 'a' && entry[i] <= 'z') || (entry[i] >= '0' && entry[i] <= '9') ||
                              strchr("._-/", entry[i])))
                                return pod_err_set(err, -EINVAL, "\"%.*s\" is not a group name (@scope/name)", (int)len, entry);
                g = group_find(entry, len);
                *ret = g ? g->kind : SECCOMP_ENTRY_UNKNOWN_GROUP;
                return 0;
        }
        for (size_t i = 0; i < len; i++)
                if (!((entry[i] >= 'a' && entry[i] <= 'z') || (entry[i] >= '0' && entry[i] <= '9') || entry[i] == '_'))
                        return pod_err_set(err, -EINVAL, "\"%.*s\" is not a syscall name (lower-case letters, digits and _)",
                                           (int)len, entry);
        *ret = SECCOMP_ENTRY_NAME;
        return 0;
}

static void list_foreach(const struct name_list *l, size_t n, sc_name_fn fn, void *userdata)
{
        for (size_t k = 0; k < n; k++)
                for (size_t i = 0; i < l[k].n; i++)
                        fn(l[k].names[i], SECCOMP_ENTRY_GROUP, userdata);
}

void sc_set_foreach(const char *set, sc_name_fn fn, void *userdata)
{
        char name[SECCOMP_NAME_MAX + 1];

        while (set && *set) {
                const char *comma = strchr(set, ',');
                size_t len = comma ? (size_t)(comma - set) : strlen(set);
                enum seccomp_entry_kind kind;

                if (sc_entry_check(set, len, &kind, NULL) == 0) {
                        const struct group *g = kind == SECCOMP_ENTRY_GROUP ? group_find(set, len) : NULL;
                        if (g)
                                list_foreach(g->lists, ARRAY_SIZE(g->lists), fn, userdata);
                        else if (kind == SECCOMP_ENTRY_NAME || kind == SECCOMP_ENTRY_UNKNOWN_GROUP) {
                                memcpy(name, set, len);
                                name[len] = '\0';
                                fn(name, kind, userdata);
                        }
                }
                set = comma ? comma + 1 : NULL;
        }
}

void sc_default_foreach(sc_name_fn fn, void *userdata)
{
        list_foreach(groups[0].lists, ARRAY_SIZE(groups[0].lists), fn, userdata);
}

void sc_implicit_foreach(sc_name_fn fn, void *userdata)
{
        const struct name_list l = LIST(implicit_allow);
        list_foreach(&l, 1, fn, userdata);
}
