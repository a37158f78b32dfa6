/*
 * Seccomp programs for apps, built in PID 1 before fork (DESIGN rule 2).
 *
 * libseccomp compiles a profile to classic BPF; seccomp_export_bpf() writes
 * it to an fd, so we hand it a memfd and read the program back into memory.
 * The child then needs a single prctl(PR_SET_SECCOMP) with that program: no
 * libseccomp, no allocation between fork and exec.
 *
 * The filter covers the native architecture and its 32-bit compat ABI (i386
 * on x86_64, arm on aarch64), so 32-bit binaries in an image keep working and
 * a deny-list cannot be bypassed through int 0x80; calls from any other ABI
 * (x32) kill the process.  Each ABI costs time: the default allow-list
 * compiles in about 1 ms for x86_64 alone, 4-5 ms with i386, 8 ms with x32
 * as well, hence no x32 (off by default in distribution kernels).
 *
 * Programs are cached by profile for PID 1's lifetime, since a pod may start
 * a thousand apps with the same profile.
 */
#include "init/isolate/seccomp.h"
#include "common/seccomp_sets.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct sc_entry {
        struct sc_entry *next;
        enum seccomp_mode mode;
        int err_no;
        char *set;
        char *warn;             /* ignored names, for the caller's warning */
        struct sock_fprog prog;
};

static struct sc_entry *cache;

struct build {
        scmp_filter_ctx ctx;
        uint32_t action;
        int r;
        const char *failed;
        char warn[512];
};

static void warn_add(struct build *b, const char *what, const char *name)
{
        size_t len = strlen(b->warn);
        if (len + strlen(name) + 16 >= sizeof(b->warn)) {
                if (!strstr(b->warn, "..."))
                        snprintf(b->warn + len, sizeof(b->warn) - len, ", ...");
                return;
        }
        snprintf(b->warn + len, sizeof(b->warn) - len, "%s%s %s", len ? ", " : "", what, name);
}

static void add_name(const char *name, enum seccomp_entry_kind kind, void *userdata)
{
        struct build *b = userdata;
        int nr, r;

        if (b->r < 0)
                return;
        if (kind == SECCOMP_ENTRY_UNKNOWN_GROUP) {
                warn_add(b, "unknown group", name);
                return;
        }
        nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) {
                /* Group members for other architectures are expected; a name
                 * given by hand that no architecture knows is likely a typo. */
                if (kind == SECCOMP_ENTRY_NAME)
                        warn_add(b, "unknown syscall", name);
                return;
        }
        r = seccomp_rule_add(b->ctx, b->action, nr, 0);
        if (r < 0 && r != -EEXIST) {
                b->r = r;
                b->failed = name;
        }
}

static int build_prog(const struct isolators *iso, struct sock_fprog *ret, char *warn, size_t warn_len,
                      struct pod_err *err)
{
        struct build b = { .r = 0 };
        uint32_t dflt, filtered = iso->seccomp_errno ? SCMP_ACT_ERRNO((uint32_t)iso->seccomp_errno)
                                                     : SCMP_ACT_KILL_PROCESS;
        _cleanup_close_ int fd = -1;
        struct stat st;
        void *buf = NULL;
        int r;

        switch (iso->seccomp) {
        case SECCOMP_DEFAULT:
                /* Unlisted calls fail with ENOSYS, which libcs take as "this
                 * kernel lacks it" and fall back (docs/manifest.md). */
                dflt = SCMP_ACT_ERRNO((uint32_t)(iso->seccomp_errno ? iso->seccomp_errno : ENOSYS));
                b.action = SCMP_ACT_ALLOW;
                break;
        case SECCOMP_RETAIN:
                dflt = filtered;
                b.action = SCMP_ACT_ALLOW;
                break;
        case SECCOMP_REMOVE:
                dflt = SCMP_ACT_ALLOW;
                b.action = filtered;
                break;
        default:
                return -EINVAL;
        }
        b.ctx = seccomp_init(dflt);
        if (!b.ctx)
                return pod_err_set(err, -ENOMEM, "seccomp: cannot create a filter");
        if ((r = seccomp_attr_set(b.ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0) {
                seccomp_release(b.ctx);
                return pod_err_set(err, r, "seccomp: setting the action for other architectures: %s", strerror(-r));
        }
        switch (seccomp_arch_native()) {
        case SCMP_ARCH_X86_64:
                (void)seccomp_arch_add(b.ctx, SCMP_ARCH_X86);
                break;
        case SCMP_ARCH_AARCH64:
                (void)seccomp_arch_add(b.ctx, SCMP_ARCH_ARM);
                break;
        default:
                break;
        }
        if (iso->seccomp == SECCOMP_DEFAULT)
                sc_default_foreach(add_name, &b);
        else
                sc_set_foreach(iso->seccomp_set, add_name, &b);
        if (iso->seccomp != SECCOMP_REMOVE)
                sc_implicit_foreach(add_name, &b);
        if (b.r < 0) {
                seccomp_release(b.ctx);
                return pod_err_set(err, b.r, "seccomp: adding %s to the filter: %s", b.failed, strerror(-b.r));
        }

        fd = memfd_create("podinit-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                r = -errno;
        else if ((r = seccomp_export_bpf(b.ctx, fd)) >= 0)
                r = fstat(fd, &st) < 0 ? -errno : 0;
        seccomp_release(b.ctx);
        if (r < 0)
                return pod_err_set(err, r, "seccomp: compiling the filter: %s", strerror(-r));
        if (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) ||
            st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return pod_err_set(err, -E2BIG, "seccomp: the filter has %lld instructions; the kernel takes at most %d",
                                   (long long)(st.st_size / sizeof(struct sock_filter)), BPF_MAXINSNS);
        buf = xmalloc((size_t)st.st_size);
        if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
                r = -errno;
                free(buf);
                return pod_err_set(err, r ? r : -EIO, "seccomp: reading the compiled filter back");
        }
        ret->filter = buf;
        ret->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
        snprintf(warn, warn_len, "%s", b.warn);
        return 0;
}

int app_seccomp_prog(const struct isolators *iso, const struct sock_fprog **ret_prog, char *warn, size_t warn_len,
                     struct pod_err *err)
{
        const char *set = iso->seccomp == SECCOMP_DEFAULT ? "" : iso->seccomp_set;
        char w[512] = "";
        struct sc_entry *e;
        int r;

        if (iso->seccomp == SECCOMP_UNCONFINED) {
                *ret_prog = NULL;
                snprintf(warn, warn_len, "%s", "");
                return 0;
        }
        for (e = cache; e; e = e->next)
                if (e->mode == iso->seccomp && e->err_no == iso->seccomp_errno && !strcmp(e->set, set))
                        break;
        if (!e) {
                struct sock_fprog prog;
                if ((r = build_prog(iso, &prog, w, sizeof(w), err)) < 0)
                        return r;
                e = xcalloc(1, sizeof(*e));
                e->mode = iso->seccomp;
                e->err_no = iso->seccomp_errno;
                e->set = xstrdup(set);
                e->warn = xstrdup(w);
                e->prog = prog;
                e->next = cache;
                cache = e;
        }
        *ret_prog = &e->prog;
        snprintf(warn, warn_len, "%s", e->warn);
        return 0;
}

void app_seccomp_cache_clear(void)
{
        while (cache) {
                struct sc_entry *e = cache;
                cache = e->next;
                free(e->prog.filter);
                free(e->set);
                free(e->warn);
                free(e);
        }
}
