#include "init/isolate/mounts.h"
#include "init/isolate/overlay.h"
#include "init/isolate/volumes.h"
#include "common/cgroup.h"
#include "common/fdutil.h"
#include "common/manifest.h"
#include "common/podstate.h"

#include <elf.h>
#include <fcntl.h>
#include <linux/openat2.h>
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

int dns_conf_mode_parse(const char *s, enum hosts_mode *ret_hosts, enum resolv_mode *ret_resolv, struct pod_err *err)
{
        static const char *const hosts[] = { "default", "stage0", "host" };
        static const char *const resolv[] = { "default", "stage0", "host", "none" };
        _cleanup_free_ char *copy = xstrdup(s ? s : "");
        char *tok, *save = NULL;

        *ret_hosts = HOSTS_DEFAULT;
        *ret_resolv = RESOLV_DEFAULT;
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *v = strchr(tok, '=');
                bool ok = false;
                if (v)
                        *v++ = 0;
                if (v && !strcmp(tok, "hosts"))
                        for (size_t i = 0; i < ARRAY_SIZE(hosts); i++)
                                if (!strcmp(v, hosts[i]))
                                        *ret_hosts = (enum hosts_mode)i, ok = true;
                if (v && !strcmp(tok, "resolv"))
                        for (size_t i = 0; i < ARRAY_SIZE(resolv); i++)
                                if (!strcmp(v, resolv[i]))
                                        *ret_resolv = (enum resolv_mode)i, ok = true;
                if (!ok)
                        return pod_err_set(err, -EINVAL,
                                           "--dns-conf-mode=%s: expected resolv=default|stage0|host|none and hosts=default|stage0|host, comma-separated",
                                           s);
        }
        return 0;
}

/* Add hostname to the 127.0.0.1 line of the hosts file at path (created from the fallback text if missing). */
static int hosts_add_name(const char *path, const char *hostname, char *const *addrs, struct pod_err *err)
{
        static const char fallback[] = "127.0.0.1 localhost localhost.domain localhost4 localhost4.localdomain4\n"
                                       "::1 ip6-localhost ip6-loopback localhost6 localhost6.localdomain6\n";
        _cleanup_free_ char *data = NULL, *out = NULL;
        size_t len, n = 0, cap;
        bool done = false;
        char *line, *save = NULL;
        int r = read_file_at(AT_FDCWD, path, 1u << 20, &data, &len);

        if (r == -ENOENT) {
                data = xstrdup(fallback);
                len = strlen(data);
        } else if (r < 0)
                return pod_err_set(err, r, "reading %s: %s", path, strerror(-r));
        cap = len + strlen(hostname) + 64;
        for (size_t i = 0; addrs && addrs[i]; i++)
                cap += strlen(addrs[i]) + strlen(hostname) + 2;
        out = xmalloc(cap);
        for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                bool add = !done && str_startswith(line, "127.0.0.1") && (line[9] == ' ' || line[9] == '\t');
                n += (size_t)snprintf(out + n, cap - n, "%s%s%s\n", line, add ? " " : "", add ? hostname : "");
                done |= add;
        }
        if (!done)
                n += (size_t)snprintf(out + n, cap - n, "127.0.0.1 localhost %s\n", hostname);
        /* The pod's own addresses (its CNI networks') name it too. */
        for (size_t i = 0; addrs && addrs[i]; i++)
                n += (size_t)snprintf(out + n, cap - n, "%s %s\n", addrs[i], hostname);
        if ((r = write_file_atomic(AT_FDCWD, path, out, n, 0644, 0)) < 0)
                return pod_err_set(err, r, "writing %s: %s", path, strerror(-r));
        return 0;
}

static int bind_host_file(const char *src, const char *dst, struct pod_err *err)
{
        int r = write_file_atomic(AT_FDCWD, dst, "", 0, 0644, 0);

        if (r < 0)
                return pod_err_set(err, r, "creating %s: %s", dst, strerror(-r));
        if ((r = bind_ro(src, dst, err)) < 0)
                return pod_err_prefix(err, "binding the host's %s", src);
        return 0;
}

int mounts_etc_files(const char *s1, const char *hostname, char *const *addrs, enum hosts_mode hosts,
                     enum resolv_mode resolv, struct pod_err *err)
{
        char p[4096];
        int r;

        if ((r = do_mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL, err)) < 0)
                return r;
        switch (hosts) {
        case HOSTS_DEFAULT:
                snprintf(p, sizeof(p), "%s/etc/hosts-fallback", s1);
                r = hosts_add_name(p, hostname, addrs, err);
                break;
        case HOSTS_STAGE0:
                snprintf(p, sizeof(p), "%s/etc/rkt-hosts", s1);
                r = hosts_add_name(p, hostname, addrs, err);
                break;
        case HOSTS_HOST:
                snprintf(p, sizeof(p), "%s/etc/rkt-hosts", s1);
                r = bind_host_file("/etc/hosts", p, err);
                break;
        }
        if (r < 0)
                return r;
        if (resolv == RESOLV_HOST) {
                snprintf(p, sizeof(p), "%s/etc/rkt-resolv.conf", s1);
                return bind_host_file("/etc/resolv.conf", p, err);
        }
        return 0;
}

/* Bind src (a file in PID 1's root) read-only on path inside the app's root (created if missing). */
static int bind_in_root(int root_fd, const char *src, const char *path, struct pod_err *err)
{
        char p[64];
        _cleanup_close_ int fd = -1;
        int r = open_target_in_root(root_fd, path, false, &fd);

        if (r < 0)
                return pod_err_set(err, r, "creating %s in the app rootfs: %s", path, strerror(-r));
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        if ((r = do_mount(src, p, NULL, MS_BIND, NULL, err)) < 0)
                return pod_err_prefix(err, "%s on /%s", src, path);
        /* The old fd names the file under the new mount: the remount needs a fresh one. */
        closep(&fd);
        if ((r = open_target_in_root(root_fd, path, false, &fd)) < 0)
                return pod_err_set(err, r, "reopening %s in the app rootfs: %s", path, strerror(-r));
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        if ((r = do_mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
                          err)) < 0)
                return pod_err_prefix(err, "%s on /%s", src, path);
        return 0;
}

/* rkt's per-app files: resolv.conf and hosts from the pod (rkt-* always win;
 * the fallback only where the image has no /etc/hosts), /etc/hostname. */
static int etc_files_attach(int root_fd, struct pod_err *err)
{
        struct stat st;
        int r = 0;

        if (access("/etc/rkt-resolv.conf", F_OK) == 0 &&
            (r = bind_in_root(root_fd, "/etc/rkt-resolv.conf", "etc/resolv.conf", err)) < 0)
                return r;
        if (access("/etc/rkt-hosts", F_OK) == 0)
                r = bind_in_root(root_fd, "/etc/rkt-hosts", "etc/hosts", err);
        else if (access("/etc/hosts-fallback", F_OK) == 0 && fstatat(root_fd, "etc/hosts", &st, AT_SYMLINK_NOFOLLOW) < 0)
                r = bind_in_root(root_fd, "/etc/hosts-fallback", "etc/hosts", err);
        if (r < 0)
                return r;
        return bind_in_root(root_fd, "/proc/sys/kernel/hostname", "etc/hostname", err);
}

/* Clone the tree at src (a host path), read-only, onto dst. */
static int bind_tree_ro(const char *src, const char *dst, struct pod_err *err)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
        _cleanup_close_ int fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

        if (fd < 0)
                return pod_err_set(err, -errno, "cloning the mount of %s: %s", src, strerror(errno));
        if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return pod_err_set(err, -errno, "making the copy of %s read-only: %s", src, strerror(errno));
        if (move_mount(fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return pod_err_set(err, -errno, "mounting the copy of %s on %s: %s", src, dst, strerror(errno));
        return 0;
}

/*
 * The pod's /sys/fs/cgroup, made before pivot_root from the host's (the
 * pod has no cgroup namespace, so /proc/self/cgroup shows host paths, and
 * tools, rkt's tests among them, read <mnt>/<hierarchy>/<that path>/...).
 * cgroup v1: a read-only tmpfs with the host's directory (and symlink)
 * names, where each hierarchy the pod is in shows the pod's own cgroup,
 * read-only, at its host path; nothing else of the host's tree is shown.
 * cgroup v2: the mount point itself must be cgroup2 (tools statfs it to
 * tell v2 from v1), so it is the host's cgroup2 root, read-only.  No cgroup
 * at all: an empty read-only tmpfs.  PID 1 never writes through this view:
 * it uses the directories the launcher opened (common/cgroup.h).
 */
static int cgroup_view(const char *s1, const struct cg_pod *cg, struct pod_err *err)
{
        char view[4096], p[4096], done[CG_NHIER][64];
        size_t n_done = 0;
        struct stat st;
        int r;

        snprintf(view, sizeof(view), "%s/sys/fs/cgroup", s1);
        if (stat(view, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0;       /* a kernel without cgroups has no mount point for them */
        if (cg && cg->layout == CG_V2) {
                if ((r = bind_tree_ro(CG_DEFAULT_MOUNT, view, err)) < 0)
                        return pod_err_prefix(err, "the pod's /sys/fs/cgroup");
                return 0;
        }
        if ((r = do_mount("tmpfs", view, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_STRICTATIME,
                          "mode=755,size=1024k", err)) < 0)
                return r;
        for (int h = 0; cg && cg->layout == CG_V1 && h < CG_NHIER; h++) {
                char link[64], host[4096];
                const char *name = cg_hier_dir(h);
                bool seen = false;
                ssize_t l;

                if (cg->dirfd[h] < 0)
                        continue;
                /* "cpu -> cpu,cpuacct" on the host: the same link here, the mount under its target. */
                snprintf(host, sizeof(host), "%s/%s", CG_DEFAULT_MOUNT, name);
                l = readlink(host, link, sizeof(link) - 1);
                if (l > 0) {
                        link[l] = '\0';
                        if (strchr(link, '/'))
                                continue;
                        snprintf(p, sizeof(p), "%s/%s", view, name);
                        if (symlink(link, p) < 0 && errno != EEXIST)
                                return pod_err_set(err, -errno, "creating %s: %s", p, strerror(errno));
                        name = link;
                }
                /* Co-mounted controllers (cpu and cpuacct) are one hierarchy: mounted once. */
                for (size_t i = 0; i < n_done; i++)
                        seen |= !strcmp(done[i], name);
                if (seen)
                        continue;
                snprintf(done[n_done++], sizeof(done[0]), "%s", name);
                snprintf(host, sizeof(host), "%s/%s/%s", CG_DEFAULT_MOUNT, name, cg->path);
                snprintf(p, sizeof(p), "%s/%s/%s", view, name, cg->path);
                if ((r = mkdir_p_at(AT_FDCWD, p, 0755)) < 0)
                        return pod_err_set(err, r, "creating %s: %s", p, strerror(-r));
                if ((r = bind_tree_ro(host, p, err)) < 0)
                        return pod_err_prefix(err, "the pod's /sys/fs/cgroup");
        }
        return do_mount(NULL, view, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
}

int mounts_setup_pod(const char *s1, const char *console_tty, const struct cg_pod *cg, struct pod_err *err)
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
        if ((r = cgroup_view(s1, cg, err)) < 0)
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
        "sys/firmware", "sys/hypervisor", "sys/module", "sys/power",     /* sys/fs: sys_fs_view */
};
#define HIDDEN_FILE S1_PODINIT_DIR "/inaccessible-file"
#define HIDDEN_DIR S1_PODINIT_DIR "/inaccessible-dir"

/*
 * The app's /sys/fs: a read-only tmpfs holding only "cgroup", the pod's
 * view (cgroup_view), so an app can read its own limits at
 * /sys/fs/cgroup/<hierarchy>/<its /proc/self/cgroup path>/; the rest of
 * /sys/fs (bpf, fuse, pstore, selinux, ...) is not there at all.
 */
static int sys_fs_view(const char *rootfs, struct pod_err *err)
{
        char p[4096], c[4200];
        struct stat st;
        int r;

        snprintf(p, sizeof(p), "%s/sys/fs", rootfs);
        if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0;
        if ((r = do_mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k", err)) < 0)
                return r;
        snprintf(c, sizeof(c), "%s/cgroup", p);
        if (mkdir(c, 0755) < 0)
                return pod_err_set(err, -errno, "creating %s: %s", c, strerror(errno));
        if (lstat("/sys/fs/cgroup", &st) == 0 && S_ISDIR(st.st_mode) &&
            ((r = do_mount("/sys/fs/cgroup", c, NULL, MS_BIND | MS_REC, NULL, err)) < 0 ||
             (r = do_mount(NULL, c, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
                           err)) < 0))
                return r;
        return do_mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
}

static int mask_paths(const char *rootfs, bool with_sys, struct pod_err *err)
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
                if ((!with_sys && str_startswith(ro_paths[i], "sys/")) || lstat(p, &st) < 0)
                        continue;
                if ((r = do_mount(p, p, NULL, MS_BIND | MS_REC, NULL, err)) < 0 ||
                    (r = do_mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                  NULL, err)) < 0)
                        return r;
        }
        for (size_t i = 0; i < ARRAY_SIZE(hidden_paths); i++) {
                snprintf(p, sizeof(p), "%s/%s", rootfs, hidden_paths[i]);
                if ((!with_sys && str_startswith(hidden_paths[i], "sys/")) || lstat(p, &st) < 0)
                        continue;
                if ((r = do_mount(S_ISDIR(st.st_mode) ? HIDDEN_DIR : HIDDEN_FILE, p, NULL, MS_BIND, NULL, err)) < 0 ||
                    (r = do_mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                  NULL, err)) < 0)
                        return r;
        }
        return with_sys ? sys_fs_view(rootfs, err) : 0;
}

int mounts_setup_app(const char *rootfs, struct pod_app *a, bool restrict_paths, struct pod_err *err)
{
        static const struct { const char *name; mode_t mode; } dirs[] = {
                { "dev", 0755 }, { "proc", 0555 }, { "sys", 0555 }, { "tmp", 01777 }, { "etc", 0755 },
        };
        /* rkt: an app with a volume at or under /sys gets no sysfs (TestVolumeSysfs):
         * a file volume at /sys/class is then made in the image's /sys, not in sysfs. */
        bool with_sys = !volume_targets_under(a->mounts, a->n_mounts, "/sys");
        char p[4096];
        struct stat st;
        bool overlay;
        int r;

        if (lstat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
                return pod_err_set(err, -ENOENT, "app rootfs %s is missing or not a directory", rootfs);
        /* The root is a mount point either way (pivot_root wants one): an overlay of image-store trees, or the
         * copied tree bound on itself.  Removing the app detaches it with everything mounted below. */
        if ((r = overlay_mount_app(rootfs, &overlay, err)) < 0)
                return r;
        if (!overlay && (r = do_mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL, err)) < 0)
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
        if (with_sys && (r = bind_ro("/sys", p, err)) < 0)
                return r;
        if (restrict_paths && (r = mask_paths(rootfs, with_sys, err)) < 0)
                return r;
        _cleanup_close_ int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return pod_err_set(err, -errno, "opening %s: %s", rootfs, strerror(errno));
        if ((r = etc_files_attach(root_fd, err)) < 0)
                return r;
        /* Volumes last: one at /dev/x, /sys or /tmp is what the app sees there. */
        if (a->n_mounts || a->read_only_rootfs)
                return volumes_attach(a, root_fd, a->read_only_rootfs, rootfs, err);
        return 0;
}

/* Open path (absolute, or relative to workdir) for reading inside the root dir root_fd. */
static int open_in_app_root(int root_fd, const char *workdir, const char *path, int flags)
{
        _cleanup_free_ char *full = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", workdir ? workdir : "/", path);

        /* Non-blocking: a FIFO in the image must not wedge PID 1. */
        return open_in_root(root_fd, full, flags | O_NONBLOCK, 0);
}

/* The interpreter a program names: "#!" line, or an ELF's PT_INTERP. */
static int program_interpreter(int fd, char *ret, size_t len)
{
        unsigned char head[256];
        ssize_t n = pread(fd, head, sizeof(head) - 1, 0);

        if (n >= 2 && head[0] == '#' && head[1] == '!') {
                char *p = (char *)head + 2, *e;
                head[n] = '\0';
                p += strspn(p, " \t");
                e = p + strcspn(p, " \t\n");
                if (e == p)
                        return -ENOENT;
                snprintf(ret, len, "%.*s", (int)(e - p), p);
                return 0;
        }
        if (n < (ssize_t)sizeof(Elf32_Ehdr) || memcmp(head, ELFMAG, SELFMAG))
                return -ENOEXEC;
        /* Program headers of either class, read field by field (native byte order only). */
        bool is64 = head[EI_CLASS] == ELFCLASS64;
        uint64_t phoff;
        uint16_t phnum, phentsize;
        if (is64) {
                Elf64_Ehdr eh;
                if (n < (ssize_t)sizeof(eh))
                        return -ENOEXEC;
                memcpy(&eh, head, sizeof(eh));
                phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
        } else {
                Elf32_Ehdr eh;
                memcpy(&eh, head, sizeof(eh));
                phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
        }
        for (uint16_t i = 0; i < phnum && i < 256; i++) {
                uint64_t type, off, size;
                if (is64) {
                        Elf64_Phdr ph;
                        if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * phentsize)) != (ssize_t)sizeof(ph))
                                return -ENOEXEC;
                        type = ph.p_type, off = ph.p_offset, size = ph.p_filesz;
                } else {
                        Elf32_Phdr ph;
                        if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + (uint64_t)i * phentsize)) != (ssize_t)sizeof(ph))
                                return -ENOEXEC;
                        type = ph.p_type, off = ph.p_offset, size = ph.p_filesz;
                }
                if (type != PT_INTERP)
                        continue;
                if (size == 0 || size >= len)
                        return -ENOEXEC;
                if (pread(fd, ret, size, (off_t)off) != (ssize_t)size)
                        return -ENOEXEC;
                ret[size - 1] = '\0';  /* the section ends with its NUL */
                return 0;
        }
        return -ENOENT;         /* static: no interpreter */
}

int mounts_missing_interpreter(const char *rootfs, const char *workdir, const char *path_env, const char *prog,
                               char *ret_prog, size_t prog_len, char *ret_interp, size_t interp_len)
{
        static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        _cleanup_close_ int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -1, ifd = -1;
        char found[4096];

        if (root_fd < 0)
                return -errno;
        if (strchr(prog, '/')) {
                snprintf(found, sizeof(found), "%s", prog);
                fd = open_in_app_root(root_fd, workdir, prog, O_RDONLY | O_NOCTTY);
        } else {
                /* The child's search (init/core/spawn.c): the first entry holding the name. */
                for (const char *s = path_env ? path_env : default_path; fd < 0;) {
                        size_t dl = strcspn(s, ":");
                        snprintf(found, sizeof(found), "%.*s%s/%s", (int)dl, s, dl ? "" : ".", prog);
                        fd = open_in_app_root(root_fd, workdir, found, O_RDONLY | O_NOCTTY);
                        if (!s[dl])
                                break;
                        s += dl + 1;
                }
        }
        if (fd < 0)
                return fd;
        if (program_interpreter(fd, ret_interp, interp_len) < 0)
                return -ENOENT;
        ifd = open_in_app_root(root_fd, "/", ret_interp, O_PATH);
        if (ifd >= 0)
                return -EEXIST;
        snprintf(ret_prog, prog_len, "%s", found);
        return 0;
}
