#include "init/volumes.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

static int openat2_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
        return fd < 0 ? -errno : fd;
}

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
                fd = openat2_in_root(root_fd, prefix, flags, 0);
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
                                fd = openat2_in_root(root_fd, prefix, flags, 0);
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
                        return r;
                src = shared;
        }
        if (stat(src, &st) < 0)
                return pod_err_set(err, -errno, "app \"%s\": volume \"%s\": Failed to stat %s: %s (create it, or fix the volume's source)",
                                   app, am->volume, src, strerror(errno));
        am->is_dir = S_ISDIR(st.st_mode);
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                am->dev_type = S_ISCHR(st.st_mode) ? 'c' : 'b';
                am->dev_major = major(st.st_rdev);
                am->dev_minor = minor(st.st_rdev);
        }
        am->tree_fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (am->recursive ? AT_RECURSIVE : 0));
        if (am->tree_fd < 0)
                return pod_err_set(err, -errno, "app \"%s\": volume \"%s\": cloning the mount of %s: %s", app, am->volume,
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

int volumes_attach(struct pod_app *a, int root_fd, bool read_only_root, const char *rootfs, struct pod_err *err)
{
        int *targets = xcalloc(a->n_mounts + 1, sizeof(int));
        int r = 0;

        for (size_t k = 0; k < a->n_mounts; k++)
                targets[k] = -1;
        /* Targets first: they may need creating, which a read-only root forbids. */
        for (size_t k = 0; k < a->n_mounts && r == 0; k++) {
                r = open_target_in_root(root_fd, a->mounts[k].target, a->mounts[k].is_dir, &targets[k]);
                if (r < 0)
                        pod_err_set(err, r, "volume \"%s\": mount target %s in the app's rootfs: %s%s", a->mounts[k].volume,
                                    a->mounts[k].target, strerror(-r),
                                    r == -ENOENT ? " (a symlink on the way points to nothing)" : "");
        }
        if (r == 0 && read_only_root &&
            mount(NULL, rootfs, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                r = pod_err_set(err, -errno, "making the app's root read-only: %s", strerror(errno));
        for (size_t k = 0; k < a->n_mounts && r == 0; k++) {
                struct app_mount *am = &a->mounts[k];
                if (move_mount(am->tree_fd, "", targets[k], "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        r = pod_err_set(err, -errno, "volume \"%s\": mounting it at %s: %s", am->volume, am->target,
                                        strerror(errno));
        }
        for (size_t k = 0; k < a->n_mounts; k++) {
                if (targets[k] >= 0)
                        close(targets[k]);
                if (a->mounts[k].tree_fd >= 0)
                        close(a->mounts[k].tree_fd);
                a->mounts[k].tree_fd = -1;
        }
        free(targets);
        return r;
}
