#include "init/isolate/volumes.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>


/*
 * Component by component: each prefix is resolved by the kernel inside the
 * root (RESOLVE_IN_ROOT: ".." stops at the root, symlinks resolve against
 * it), and a missing one is created in the directory its parent resolved
 * to.  A symlink whose target does not exist yet (rkt creates through
 * those too) is replaced by its target, read with readlinkat and taken
 * inside the root, and the walk starts again; 40 of them is a loop.
 */
static int open_in_root_depth(int root_fd, const char *path, bool dir, int depth, int *ret_fd)
{
        _cleanup_free_ char *copy = xstrdup(path), *prefix = xcalloc(strlen(path) + 2, 1);
        _cleanup_close_ int parent = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        char *save = NULL, **comps = xcalloc(strlen(path) / 2 + 2, sizeof(char *));
        size_t n = 0;
        int fd = -1, r = 0;

        if (parent < 0) {
                free(comps);
                return -errno;
        }
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
                comps[n++] = c;
        for (size_t i = 0; i < n && r == 0; i++) {
                bool last = i + 1 == n;
                int flags = O_PATH | (last && !dir ? 0 : O_DIRECTORY);
                size_t plen = strlen(prefix);

                strcat(prefix, "/");
                strcat(prefix, comps[i]);
                fd = open_in_root(root_fd, prefix, flags, 0);
                if (fd == -ENOENT && strcmp(comps[i], "..") && strcmp(comps[i], ".")) {
                        struct stat st;
                        if (fstatat(parent, comps[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
                                /* A symlink to something missing: follow it by hand. */
                                char link[4096];
                                ssize_t l = readlinkat(parent, comps[i], link, sizeof(link) - 1);
                                _cleanup_free_ char *next = NULL, *rest = xstrdup("");
                                if (l < 0) {
                                        r = -errno;
                                        break;
                                }
                                if (depth >= 40) {
                                        r = -ELOOP;
                                        break;
                                }
                                link[l] = '\0';
                                for (size_t k = i + 1; k < n; k++) {
                                        char *t = xasprintf("%s/%s", rest, comps[k]);
                                        free(rest);
                                        rest = t;
                                }
                                prefix[plen] = '\0';
                                next = link[0] == '/' ? xasprintf("%s%s", link, rest)
                                                      : xasprintf("%s/%s%s", prefix, link, rest);
                                r = open_in_root_depth(root_fd, next, dir, depth + 1, &fd);
                                if (r == 0) {
                                        free(comps);
                                        *ret_fd = fd;
                                        return 0;
                                }
                                break;
                        }
                        if (!last || dir) {
                                if (mkdirat(parent, comps[i], 0755) < 0 && errno != EEXIST)
                                        r = -errno;
                        } else {
                                int f = openat(parent, comps[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                                if (f < 0 && errno != EEXIST)
                                        r = -errno;
                                if (f >= 0)
                                        close(f);
                        }
                        if (r == 0)
                                fd = open_in_root(root_fd, prefix, flags, 0);
                }
                if (r == 0 && fd < 0)
                        r = fd;
                if (r == 0) {
                        close(parent);
                        parent = fd;
                }
        }
        free(comps);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(parent);
        return 0;
}

int open_target_in_root(int root_fd, const char *path, bool dir, int *ret_fd)
{
        return open_in_root_depth(root_fd, path, dir, 0, ret_fd);
}

/* $pod/sharedVolumes/<name>: created once, then given the volume's mode and owner. */
static int shared_dir(const struct app_mount *am, char **ret, struct pod_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", SHARED_VOLUMES_DIR, am->volume);

        if (mkdir(SHARED_VOLUMES_DIR, 0755) < 0 && errno != EEXIST)
                return pod_err_set(err, -errno, "creating %s: %s", SHARED_VOLUMES_DIR, strerror(errno));
        if (mkdir(p, am->mode) < 0 && errno != EEXIST)
                return pod_err_set(err, -errno, "creating %s: %s", p, strerror(errno));
        if (chmod(p, am->mode) < 0 || chown(p, am->uid, am->gid) < 0)
                return pod_err_set(err, -errno, "setting the mode and owner of %s: %s", p, strerror(errno));
        *ret = TAKE_PTR(p);
        return 0;
}

/*
 * Before pivot_root (host paths visible): each source tree is cloned
 * (open_tree) and made read-only recursively if asked (mount_setattr, so
 * submounts are read-only too).  The detached copies are kept as fds and
 * attached later by PID 1 (volumes_attach), after the app's /dev, /proc
 * and /sys, so a volume there wins, and never visible writable.
 */
static int prepare_one(struct app_mount *am, const char *app, struct pod_err *err)
{
        _cleanup_free_ char *shared = NULL;
        const char *src = am->source;
        struct stat st;
        int r;

        if (am->kind == VOL_EMPTY) {
                if ((r = shared_dir(am, &shared, err)) < 0)
                        return r == -ENOENT ? -EIO : r;
                src = shared;
        }
        /* Any stat failure of a host source is -ENOENT, whatever errno says
         * (the message does): the launcher exits 1 for it, as rkt did (its
         * nspawn's "Failed to stat"), and no other failure here returns -ENOENT. */
        if (stat(src, &st) < 0)
                return pod_err_set(err, am->kind == VOL_HOST ? -ENOENT : errno == ENOENT ? -EIO : -errno,
                                   "app \"%s\": volume \"%s\": Failed to stat %s: %s (create it, or fix the volume's source)",
                                   app, am->volume, src, strerror(errno));
        am->is_dir = S_ISDIR(st.st_mode);
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                am->dev_type = S_ISCHR(st.st_mode) ? 'c' : 'b';
                am->dev_major = major(st.st_rdev);
                am->dev_minor = minor(st.st_rdev);
        }
        am->tree_fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (am->recursive ? AT_RECURSIVE : 0));
        if (am->tree_fd < 0)
                return pod_err_set(err, errno == ENOENT ? -EIO : -errno, "app \"%s\": volume \"%s\": cloning the mount of %s: %s", app, am->volume,
                                   src, strerror(errno));
        if (am->read_only) {
                struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
                if (mount_setattr(am->tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                        return pod_err_set(err, -errno, "app \"%s\": volume \"%s\": making it read-only: %s", app,
                                           am->volume, strerror(errno));
        }
        return 0;
}

int volumes_prepare(struct pod_manifest *m, struct pod_err *err)
{
        for (size_t i = 0; i < m->n_apps; i++)
                for (size_t k = 0; k < m->apps[i].n_mounts; k++) {
                        int r = prepare_one(&m->apps[i].mounts[k], m->apps[i].name, err);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* What is at path in the root, for a message: "a directory", "a file", or NULL if nothing. */
static const char *kind_in_root(int root_fd, const char *path, bool *ret_dir)
{
        _cleanup_close_ int fd = open_in_root(root_fd, path, O_PATH, 0);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return NULL;
        *ret_dir = S_ISDIR(st.st_mode);
        return *ret_dir ? "a directory" : S_ISLNK(st.st_mode) ? "a symlink" : "a file";
}

static int type_mismatch(const struct app_mount *am, const char *found, struct pod_err *err)
{
        return pod_err_set(err, am->is_dir ? -ENOTDIR : -EISDIR,
                           "volume \"%s\": source %s is %s but target %s in the image is %s (mount it at a path that is %s there, or does not exist)",
                           am->volume, am->source ? am->source : "(an empty volume)", am->is_dir ? "a directory" : "a file",
                           am->target, found, am->is_dir ? "a directory" : "a file");
}

/* One volume: its target is opened (made if missing) now, after the mounts of outer targets. */
static int attach_one(struct app_mount *am, int root_fd, struct pod_err *err)
{
        _cleanup_close_ int target = -1;
        const char *found;
        struct stat st;
        bool dir = false;
        int r = open_target_in_root(root_fd, am->target, am->is_dir, &target);

        if (r == -ENOTDIR && (found = kind_in_root(root_fd, am->target, &dir)) && dir != am->is_dir)
                return type_mismatch(am, found, err);
        if (r < 0)
                return pod_err_set(err, r, "volume \"%s\": mount target %s in the app's rootfs: %s%s", am->volume,
                                   am->target, strerror(-r),
                                   r == -ENOENT ? " (a symlink on the way points to nothing)" :
                                   r == -EROFS ? " (it is inside a read-only volume or root: create it in the source)" : "");
        if (fstat(target, &st) < 0)
                return pod_err_set(err, -errno, "volume \"%s\": mount target %s: %s", am->volume, am->target, strerror(errno));
        if (!!S_ISDIR(st.st_mode) != am->is_dir)
                return type_mismatch(am, S_ISDIR(st.st_mode) ? "a directory" : "a file", err);
        if (move_mount(am->tree_fd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return pod_err_set(err, -errno, "volume \"%s\": mounting it at %s: %s", am->volume, am->target,
                                   strerror(errno));
        return 0;
}

/*
 * In the order volumes_resolve sorted them, outer targets first, each
 * target opened only after the mounts before it: /data/sub is then made
 * and mounted inside the /data volume, not in the rootfs under it (where
 * /data would hide it).  The root goes read-only last: targets in it may
 * need creating, and a bind remount changes only the root's own mount,
 * not the volumes mounted below it.
 */
int volumes_attach(struct pod_app *a, int root_fd, bool read_only_root, const char *rootfs, struct pod_err *err)
{
        int r = 0;

        for (size_t k = 0; k < a->n_mounts && r == 0; k++)
                r = attach_one(&a->mounts[k], root_fd, err);
        if (r == 0 && read_only_root &&
            mount(NULL, rootfs, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                r = pod_err_set(err, -errno, "making the app's root read-only: %s", strerror(errno));
        for (size_t k = 0; k < a->n_mounts; k++) {
                if (a->mounts[k].tree_fd >= 0)
                        close(a->mounts[k].tree_fd);
                a->mounts[k].tree_fd = -1;
        }
        return r;
}
