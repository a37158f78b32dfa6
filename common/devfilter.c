#include "common/devfilter.h"

#include <fcntl.h>
#include <sys/syscall.h>

/* Instruction encoders (the kernel's filter.h macros are not uapi). */
static struct bpf_insn insn(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
        struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
        return i;
}
#define LDX_W(dst, src, off) insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define AND32(dst, imm) insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32(dst, imm) insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int access_bits(const char *a)
{
        int bits = 0;
        for (; a && *a; a++)
                bits |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : *a == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
        return bits;
}

/*
 * r2 = device type, r3 = requested access, r4 = major, r5 = minor (from
 * struct bpf_cgroup_dev_ctx); then one block per rule that jumps to the
 * next block on the first mismatch and returns 1 (allow) at its end; the
 * program ends by returning 0 (deny).  A rule's access is a mask: the
 * request must be within it.
 */
int devfilter_build(const struct cg_device *devs, size_t n, struct bpf_insn **ret, size_t *ret_len)
{
        struct bpf_insn *p = calloc(6 + n * 7 + 2, sizeof(*p));
        size_t k = 0;

        if (!p)
                return -ENOMEM;
        p[k++] = LDX_W(BPF_REG_2, BPF_REG_1, 0);
        p[k++] = AND32(BPF_REG_2, 0xffff);
        p[k++] = LDX_W(BPF_REG_3, BPF_REG_1, 0);
        p[k++] = RSH32(BPF_REG_3, 16);
        p[k++] = LDX_W(BPF_REG_4, BPF_REG_1, 4);
        p[k++] = LDX_W(BPF_REG_5, BPF_REG_1, 8);
        for (size_t i = 0; i < n; i++) {
                const struct cg_device *d = &devs[i];
                int acc = access_bits(d->access), all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
                size_t jumps[4], nj = 0;

                if (d->type == 'c' || d->type == 'b') {
                        jumps[nj++] = k;
                        p[k++] = JNE_IMM(BPF_REG_2, d->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0);
                }
                if ((acc & all) != all) {
                        p[k++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
                        p[k++] = AND32(BPF_REG_1, ~acc & all);
                        jumps[nj++] = k;
                        p[k++] = JNE_IMM(BPF_REG_1, 0, 0);
                }
                if (d->major >= 0) {
                        jumps[nj++] = k;
                        p[k++] = JNE_IMM(BPF_REG_4, (__s32)d->major, 0);
                }
                if (d->minor >= 0) {
                        jumps[nj++] = k;
                        p[k++] = JNE_IMM(BPF_REG_5, (__s32)d->minor, 0);
                }
                p[k++] = MOV64_IMM(BPF_REG_0, 1);
                p[k++] = EXIT();
                for (size_t j = 0; j < nj; j++)
                        p[jumps[j]].off = (__s16)(k - jumps[j] - 1);
        }
        p[k++] = MOV64_IMM(BPF_REG_0, 0);
        p[k++] = EXIT();
        *ret = p;
        *ret_len = k;
        return 0;
}

int devfilter_attach(int cgroup_fd, const struct cg_device *devs, size_t n, struct pod_err *err)
{
        _cleanup_free_ struct bpf_insn *prog = NULL;
        _cleanup_close_ int pfd = -1, dfd = -1;
        char log[4096] = "";
        union bpf_attr attr;
        size_t len;
        int r;

        if ((r = devfilter_build(devs, n, &prog, &len)) < 0)
                return pod_err_set(err, r, "building the device filter: %s", strerror(-r));
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (__u64)(uintptr_t)prog;
        attr.insn_cnt = (__u32)len;
        attr.license = (__u64)(uintptr_t) "GPL";
        attr.log_buf = (__u64)(uintptr_t)log;
        attr.log_size = sizeof(log);
        attr.log_level = 1;
        pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
        if (pfd < 0 && errno == ENOSPC) {       /* the verifier's log did not fit: load without it */
                attr.log_buf = 0;
                attr.log_size = 0;
                attr.log_level = 0;
                pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
        }
        if (pfd < 0)
                return pod_err_set(err, -errno, "loading the device filter (BPF): %s%s%.200s", strerror(errno),
                                   log[0] ? ": " : "", log);
        /* BPF wants a real directory fd, not an O_PATH one. */
        dfd = openat(cgroup_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return pod_err_set(err, -errno, "opening the cgroup for its device filter: %s", strerror(errno));
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (__u32)dfd;
        attr.attach_bpf_fd = (__u32)pfd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
                return pod_err_set(err, -errno, "attaching the device filter to the cgroup: %s", strerror(errno));
        return 0;
}
