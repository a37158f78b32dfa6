#include "init/isolate/overlay.h"
#include "common/fdutil.h"
#include "common/overlay.h"
#include "common/podstate.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>

static int store_fd = -1;       /* the store's directory, opened from the host's view (its locks) */
static int trees_fd = -1;       /* its trees/ bound into the pod's root: the lowerdirs' base (opened on first use) */

struct image_lock {
        char image[65];
        int fd;
};
static struct image_lock *locks;
static size_t n_locks;

static int open_store(const char *s1, struct pod_err *err);

/* Is path a mount point (its mount differs from its parent's)? */
static bool is_mount_point(const char *path)
{
        _cleanup_free_ char *parent = xasprintf("%s/..", path);
        struct statx a, b;

        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &a) < 0 ||
            statx(AT_FDCWD, parent, 0, STATX_MNT_ID, &b) < 0)
                return false;
        return a.stx_mnt_id != b.stx_mnt_id;
}

/*
 * Apps with no image (stage0/rootfs.h): <app>/rootfs-source names a host
 * directory that is the app's root.  For the apps the pod starts with, it is
 * bound here, in the pod's mount namespace, while the host's paths are still
 * in view: nothing is mounted on the host, so nothing is left there when
 * the pod ends.  An app whose rootfs is already a mount point (the caller
 * bound it on the host) is left as it is.  Apps added later are bound on the
 * host by the caller and reach PID 1 through mount propagation.
 */
static int bind_rootfs_sources(const char *s1, struct pod_err *err)
{
        _cleanup_free_ char *stage2 = xasprintf("%s" S1_STAGE2, s1);
        DIR *d = opendir(stage2);
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0 : pod_err_set(err, -errno, "opening %s: %s", stage2, strerror(errno));
        while (r == 0 && (de = readdir(d))) {
                _cleanup_free_ char *src_file = NULL, *src = NULL, *root = NULL;
                size_t len;

                if (de->d_name[0] == '.')
                        continue;
                src_file = xasprintf("%s/%s/" ROOTFS_SOURCE_FILE, stage2, de->d_name);
                if ((r = read_file_at(AT_FDCWD, src_file, 4096, &src, &len)) == -ENOENT) {
                        r = 0;
                        continue;
                }
                if (r < 0) {
                        r = pod_err_set(err, r, "app \"%s\": reading %s: %s", de->d_name, src_file, strerror(-r));
                        break;
                }
                src[strcspn(src, "\n")] = '\0';
                root = xasprintf("%s/%s/rootfs", stage2, de->d_name);
                if (is_mount_point(root))
                        continue;
                if (mount(src, root, NULL, MS_BIND | MS_REC, NULL) < 0)
                        r = pod_err_set(err, -errno, "app \"%s\": binding its rootfs %s: %s", de->d_name, src,
                                        strerror(errno));
        }
        closedir(d);
        return r;
}

int overlay_open_store(const char *s1, struct pod_err *err)
{
        int k = bind_rootfs_sources(s1, err);

        if (k < 0)
                return k;
        return open_store(s1, err);
}

static int open_store(const char *s1, struct pod_err *err)
{
        _cleanup_free_ char *path = NULL, *trees = NULL, *at = xasprintf("%s/%s", s1, OVERLAY_TREES_IN_POD);
        size_t len;
        int r = read_file_at(AT_FDCWD, OVERLAY_STORE_FILE, 4096, &path, &len);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return pod_err_set(err, r, "reading the pod's %s: %s", OVERLAY_STORE_FILE, strerror(-r));
        path[strcspn(path, "\n")] = '\0';
        if ((store_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                return pod_err_set(err, -errno, "opening the image store %s: %s", path, strerror(errno));
        /*
         * overlayfs takes a private clone of each lower layer's mount, which
         * must belong to the mount namespace of whoever mounts: once our root
         * is switched, the host's mounts are no longer ours.  So the trees are
         * bound (read-only) under the pod's root, which apps never see.
         */
        trees = xasprintf("%s/trees", path);
        if ((r = mkdir_p_at(AT_FDCWD, at, 0700)) < 0)
                return pod_err_set(err, r, "creating %s: %s", at, strerror(-r));
        if (mount(trees, at, NULL, MS_BIND, NULL) < 0 ||
            mount(NULL, at, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                return pod_err_set(err, -errno, "binding the image store's trees %s into the pod: %s", trees, strerror(errno));
        return 0;
}

/* The image's in-use lock, once per image for PID 1's life. */
static int lock_image(const char *image, struct pod_err *err)
{
        char p[80];
        int fd;

        for (size_t i = 0; i < n_locks; i++)
                if (!strcmp(locks[i].image, image))
                        return 0;
        snprintf(p, sizeof(p), "locks/%s", image);
        fd = openat(store_fd, p, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return pod_err_set(err, -errno, "opening the image's lock %s: %s", p, strerror(errno));
        if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
                int e = errno;
                close(fd);
                return pod_err_set(err, -e, "the image %.12s is being removed from the store (%s)", image,
                                   e == EWOULDBLOCK ? "podctl image rm holds it" : strerror(e));
        }
        locks = xrealloc(locks, (n_locks + 1) * sizeof(*locks));
        snprintf(locks[n_locks].image, sizeof(locks[n_locks].image), "%s", image);
        locks[n_locks++].fd = fd;
        return 0;
}

int overlay_mount_app(const char *rootfs, bool *ret_mounted, struct pod_err *err)
{
        _cleanup_free_ char *appdir = xstrdup(rootfs), *file = NULL, *text = NULL, *opts = NULL;
        _cleanup_close_ int cwd = -1;
        struct pod_overlay o;
        char *slash = strrchr(appdir, '/');
        size_t len;
        int r;

        *ret_mounted = false;
        if (!slash || appdir[0] != '/')
                return pod_err_set(err, -EINVAL, "app rootfs %s: not an absolute path", rootfs);
        *slash = '\0';
        file = xasprintf("%s/%s", appdir, OVERLAY_LAYERS_FILE);
        r = read_file_at(AT_FDCWD, file, OVERLAY_MAX_FILE, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return pod_err_set(err, r, "reading %s: %s", file, strerror(-r));
        if ((r = pod_overlay_parse(text, &o, err)) < 0)
                return pod_err_prefix(err, "%s", file);
        /* Opened in our final root: the bind above was copied when the pod's root was bound onto itself. */
        if (trees_fd < 0 && store_fd >= 0 && (trees_fd = open("/" OVERLAY_TREES_IN_POD, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
                pod_overlay_done(&o);
                return pod_err_set(err, -errno, "opening /%s: %s", OVERLAY_TREES_IN_POD, strerror(errno));
        }
        if (trees_fd < 0) {
                pod_overlay_done(&o);
                return pod_err_set(err, -ENOENT, "the app's root is an overlay of image-store trees, but the pod has no image store (no %s in the pod directory)",
                                   OVERLAY_STORE_FILE);
        }
        if ((r = lock_image(o.image, err)) < 0) {
                pod_overlay_done(&o);
                return r;
        }
        r = pod_overlay_options(appdir, o.lowers, &opts, err);
        pod_overlay_done(&o);
        if (r < 0)
                return r;
        /* The lowerdirs are relative to the store's trees/ (bound at /rkt/image-trees): mount from there.
         * upperdir and workdir are absolute: they resolve in our root whatever the cwd. */
        if ((cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 || fchdir(trees_fd) < 0)
                return pod_err_set(err, -errno, "entering the image store: %s", strerror(errno));
        r = mount("overlay", rootfs, "overlay", 0, opts) < 0 ? -errno : 0;
        if (fchdir(cwd) < 0 && r == 0)
                r = -errno;
        if (r < 0)
                return pod_err_set(err, r, "mounting the app's overlay on %s: %s", rootfs, strerror(-r));
        *ret_mounted = true;
        return 0;
}
