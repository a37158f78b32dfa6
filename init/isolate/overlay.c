#include "init/isolate/overlay.h"
#include "common/fdutil.h"
#include "common/overlay.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>

static int store_fd = -1;       /* the store's directory, opened from the host's view (its locks) */
static int trees_fd = -1;       /* its trees/ bound into the pod's root: the lowerdirs' base (opened on first use) */

struct image_lock {
        char image[65];
        int fd;
};
static struct image_lock *locks;
static size_t n_locks;

int overlay_open_store(const char *s1, struct pod_err *err)
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
