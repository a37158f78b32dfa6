#include "init/mounts.h"
#include "init/volumes.h"
#include "common/fdutil.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags,
                    const char *data, struct pod_err *err)
{
        if (mount(src, dst, type, flags, data) < 0)
                return pod_err_set(err, -errno, "mounting %s on %s: %s", type ? type : src, dst,
                                   strerror(errno));
        return 0;
}

static int touch(const char *path, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

/* A device node: mknod where allowed, else bind the host's node over a file. */
static int make_dev(const char *dev_dir, const char *name, mode_t mode, unsigned maj, unsigned min,
                    struct pod_err *err)
{
        char dst[4096], src[64];

        snprintf(dst, sizeof(dst), "%s/%s", dev_dir, name);
        if (mknod(dst, S_IFCHR | mode, makedev(maj, min)) == 0) {
                chmod(dst, mode);
                return 0;
        }
        snprintf(src, sizeof(src), "/dev/%s", name);
        if (touch(dst, 0666) < 0)
                return pod_err_set(err, -errno, "creating %s: %s", dst, strerror(errno));
        return do_mount(src, dst, NULL, MS_BIND, NULL, err);
}

static int setup_dev(const char *s1, const char *console_tty, struct pod_err *err)
{
        static const struct { const char *name; unsigned maj, min; } nodes[] = {
                { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
                { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
        };
        static const struct { const char *name, *target; } links[] = {
                { "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
                { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
                { "core", "/proc/kcore" },
        };
        char dev[4096], p[4096];
        int r;

        snprintf(dev, sizeof(dev), "%s/dev", s1);
        mkdir(dev, 0755);
        if ((r = do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", err)) < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
                if ((r = make_dev(dev, nodes[i].name, 0666, nodes[i].maj, nodes[i].min, err)) < 0)
                        return r;
        for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
                snprintf(p, sizeof(p), "%s/%s", dev, links[i].name);
                if (symlink(links[i].target, p) < 0 && errno != EEXIST)
                        return pod_err_set(err, -errno, "creating %s: %s", p, strerror(errno));
        }
        snprintf(p, sizeof(p), "%s/pts", dev);
        mkdir(p, 0755);
        if ((r = do_mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC,
                          "newinstance,ptmxmode=0666,mode=0620,gid=5", err)) < 0)
                return r;
        snprintf(p, sizeof(p), "%s/shm", dev);
        mkdir(p, 01777);
        if ((r = do_mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=65536k", err)) < 0)
                return r;
        if (console_tty) {
                snprintf(p, sizeof(p), "%s/console", dev);
                if (touch(p, 0600) < 0)
                        return pod_err_set(err, -errno, "creating %s: %s", p, strerror(errno));
                if ((r = do_mount(console_tty, p, NULL, MS_BIND, NULL, err)) < 0)
                        return r;
        }
        return 0;
}

static int bind_ro(const char *src, const char *dst, struct pod_err *err)
{
        int r = do_mount(src, dst, NULL, MS_BIND | MS_REC, NULL, err);
        if (r < 0)
                return r;
        return do_mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                        NULL, err);
}

int mounts_setup_pod(const char *s1, const char *console_tty, struct pod_err *err)
{
        char p[4096];
        int r;

        /* Receive the host's mount events (rkt's app add mounts new app
         * rootfs there) but never send ours back. */
        if ((r = do_mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL, err)) < 0)
                return r;
        if ((r = do_mount(s1, s1, NULL, MS_BIND | MS_REC, NULL, err)) < 0)
                return r;

        snprintf(p, sizeof(p), "%s/proc", s1);
        mkdir(p, 0555);
        if ((r = do_mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err)) < 0)
                return r;
        snprintf(p, sizeof(p), "%s/sys", s1);
        mkdir(p, 0555);
        /* A fresh sysfs shows this pod's network namespace; where the kernel
         * refuses one (host network), the host's is bound read-only. */
        if (mount("sysfs", p, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 &&
            (r = bind_ro("/sys", p, err)) < 0)
                return r;
        if ((r = setup_dev(s1, console_tty, err)) < 0)
                return r;
        snprintf(p, sizeof(p), "%s/tmp", s1);
        mkdir(p, 01777);

        /* Switch root: pivot_root(".", ".") stacks the old root on top of the
         * new one; detaching it leaves only $s1. */
        if (chdir(s1) < 0)
                return pod_err_set(err, -errno, "chdir %s: %s", s1, strerror(errno));
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return pod_err_set(err, -errno, "pivot_root into %s: %s", s1, strerror(errno));
        if (umount2(".", MNT_DETACH) < 0)
                return pod_err_set(err, -errno, "detaching the old root: %s", strerror(errno));
        if (chdir("/") < 0)
                return pod_err_set(err, -errno, "chdir /: %s", strerror(errno));
        return 0;
}

/*
 * Kernel interfaces an app has no business writing or reading (rkt's
 * ReadOnlyPaths and InaccessiblePaths, docs/manifest.md "Paths"), applied
 * under the app's rootfs, so each app's view is masked and PID 1's is not.
 * Paths the kernel does not have are skipped.
 */
static const char *const ro_paths[] = {
        "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
        "sys/block", "sys/bus", "sys/class", "sys/dev", "sys/devices", "sys/kernel",
};
static const char *const hidden_paths[] = {
        "proc/config.gz", "proc/kallsyms", "proc/sched_debug", "proc/kcore", "proc/kmem", "proc/mem",
        "proc/keys", "proc/timer_list", "proc/latency_stats", "proc/acpi", "proc/scsi",
        "sys/firmware", "sys/fs", "sys/hypervisor", "sys/module", "sys/power",
};
#define HIDDEN_FILE S1_PODINIT_DIR "/inaccessible-file"
#define HIDDEN_DIR S1_PODINIT_DIR "/inaccessible-dir"

static int mask_paths(const char *rootfs, struct pod_err *err)
{
        char p[4096];
        struct stat st;
        int r;

        /* Mode-000 stand-ins, made once: stat shows ---------- / d---------. */
        if (lstat(HIDDEN_FILE, &st) < 0 && (r = touch(HIDDEN_FILE, 0)) < 0)
                return pod_err_set(err, r, "creating %s: %s", HIDDEN_FILE, strerror(-r));
        chmod(HIDDEN_FILE, 0);
        if (mkdir(HIDDEN_DIR, 0) < 0 && errno != EEXIST)
                return pod_err_set(err, -errno, "creating %s: %s", HIDDEN_DIR, strerror(errno));
        chmod(HIDDEN_DIR, 0);
        for (size_t i = 0; i < ARRAY_SIZE(ro_paths); i++) {
                snprintf(p, sizeof(p), "%s/%s", rootfs, ro_paths[i]);
                if (lstat(p, &st) < 0)
                        continue;
                if ((r = do_mount(p, p, NULL, MS_BIND | MS_REC, NULL, err)) < 0 ||
                    (r = do_mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                  NULL, err)) < 0)
                        return r;
        }
        for (size_t i = 0; i < ARRAY_SIZE(hidden_paths); i++) {
                snprintf(p, sizeof(p), "%s/%s", rootfs, hidden_paths[i]);
                if (lstat(p, &st) < 0)
                        continue;
                if ((r = do_mount(S_ISDIR(st.st_mode) ? HIDDEN_DIR : HIDDEN_FILE, p, NULL, MS_BIND, NULL, err)) < 0 ||
                    (r = do_mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                  NULL, err)) < 0)
                        return r;
        }
        return 0;
}

int mounts_setup_app(const char *rootfs, struct pod_app *a, bool restrict_paths, struct pod_err *err)
{
        static const struct { const char *name; mode_t mode; } dirs[] = {
                { "dev", 0755 }, { "proc", 0555 }, { "sys", 0555 }, { "tmp", 01777 }, { "etc", 0755 },
        };
        char p[4096];
        struct stat st;
        int r;

        if (lstat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
                return pod_err_set(err, -ENOENT, "app rootfs %s is missing or not a directory", rootfs);
        if ((r = do_mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL, err)) < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                snprintf(p, sizeof(p), "%s/%s", rootfs, dirs[i].name);
                /* A symlink here would redirect our mounts outside the rootfs. */
                if (lstat(p, &st) == 0 && !S_ISDIR(st.st_mode))
                        return pod_err_set(err, -ENOTDIR, "%s in the app rootfs is not a directory", p);
                if (mkdir(p, dirs[i].mode) < 0 && errno != EEXIST)
                        return pod_err_set(err, -errno, "creating %s: %s", p, strerror(errno));
        }
        snprintf(p, sizeof(p), "%s/dev", rootfs);
        if ((r = do_mount("/dev", p, NULL, MS_BIND | MS_REC, NULL, err)) < 0)
                return r;
        snprintf(p, sizeof(p), "%s/proc", rootfs);
        if ((r = do_mount("/proc", p, NULL, MS_BIND | MS_REC, NULL, err)) < 0)
                return r;
        snprintf(p, sizeof(p), "%s/sys", rootfs);
        if ((r = bind_ro("/sys", p, err)) < 0)
                return r;
        if (restrict_paths && (r = mask_paths(rootfs, err)) < 0)
                return r;
        /* Volumes last: one at /dev/x, /sys or /tmp is what the app sees there. */
        if (a->n_mounts || a->read_only_rootfs) {
                _cleanup_close_ int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (root_fd < 0)
                        return pod_err_set(err, -errno, "opening %s: %s", rootfs, strerror(errno));
                return volumes_attach(a, root_fd, a->read_only_rootfs, rootfs, err);
        }
        return 0;
}
