/*
 * Host mounts for apps whose root the caller provides (stage0/rootfs.h).
 * Everything here runs on the host, in the caller's mount namespace.
 */
#include "stage0/rootfs.h"
#include "common/fdutil.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

/* A mount point: its mount id differs from its parent's (bind mounts of the same file system included). */
int stage0_is_mount_point(int dirfd, const char *path)
{
        _cleanup_free_ char *parent = xasprintf("%s/..", path);
        struct statx a, b;

        if (statx(dirfd, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &a) < 0 ||
            statx(dirfd, parent, 0, STATX_MNT_ID, &b) < 0)
                return -errno;
        if (!(a.stx_mask & STATX_MNT_ID) || !(b.stx_mask & STATX_MNT_ID))
                return a.stx_dev_major != b.stx_dev_major || a.stx_dev_minor != b.stx_dev_minor;
        return a.stx_mnt_id != b.stx_mnt_id;
}

int stage0_rootfs_share(const char *podpath, struct pod_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/" POD_S1 S1_STAGE2, podpath);
        int r = stage0_is_mount_point(AT_FDCWD, p);

        if (r < 0)
                return pod_err_set(err, r, "%s: %s", p, strerror(-r));
        if (r == 0 && mount(p, p, NULL, MS_BIND, NULL) < 0)
                return pod_err_set(err, -errno, "binding %s on itself: %s", p, strerror(errno));
        if (mount(NULL, p, NULL, MS_SHARED, NULL) < 0)
                return pod_err_set(err, -errno, "making %s a shared mount: %s", p, strerror(errno));
        return 0;
}

int stage0_rootfs_unshare(const char *podpath, struct pod_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/" POD_S1 S1_STAGE2, podpath);
        int r = stage0_is_mount_point(AT_FDCWD, p);

        if (r <= 0)
                return r == -ENOENT ? 0 : r;
        if (umount2(p, MNT_DETACH) < 0)
                return pod_err_set(err, -errno, "unmounting %s: %s", p, strerror(errno));
        return 0;
}

int stage0_rootfs_attach(const char *podpath, const char *name, const char *dir, struct pod_err *err)
{
        _cleanup_free_ char *place = xasprintf("%s/" POD_S1 S1_STAGE2 "/%s/rootfs", podpath, name);
        struct stat st;

        if (stat(dir, &st) < 0)
                return pod_err_set(err, -errno, "rootfs %s: %s", dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return pod_err_set(err, -ENOTDIR, "rootfs %s: not a directory", dir);
        if (mount(dir, place, NULL, MS_BIND | MS_REC, NULL) < 0)
                return pod_err_set(err, -errno, "rootfs %s: binding it at %s: %s", dir, place, strerror(errno));
        return 0;
}

int stage0_rootfs_detach(int podfd, const char *name)
{
        _cleanup_free_ char *place = xasprintf(POD_S1 S1_STAGE2 "/%s/rootfs", name);
        /* Bound more than once (a retried attach): each layer goes, within reason. */
        for (int i = 0; i < 16; i++) {
                _cleanup_close_ int fd = -1;
                char p[64];
                int r = stage0_is_mount_point(podfd, place);

                if (r <= 0)
                        return r == -ENOENT ? 0 : r;
                if ((fd = openat(podfd, place, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
                        return -errno;
                snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
                if (umount2(p, MNT_DETACH) < 0)
                        return -errno;
        }
        return -EBUSY;
}

/*
 * The mount that holds path (the longest mount point above it in
 * /proc/self/mountinfo; a later line for the same point is mounted over the
 * earlier) and whether it is shared: its optional fields have "shared:N".
 */
int stage0_rootfs_propagates(const char *podpath)
{
        _cleanup_free_ char *p = xasprintf("%s/" POD_S1 S1_STAGE2, podpath), *real = realpath(p, NULL);
        _cleanup_fclose_ FILE *f = NULL;
        char line[8192];
        size_t best = 0;
        int shared = 0;

        if (!real)
                return -errno;
        if (!(f = fopen("/proc/self/mountinfo", "re")))
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *save = NULL, *tok, *point = NULL;
                bool sh = false;
                size_t len;
                int field = 0;

                for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), field++) {
                        if (field == 4)
                                point = tok;
                        else if (field > 5 && !strcmp(tok, "-"))
                                break;
                        else if (field > 5 && str_startswith(tok, "shared:"))
                                sh = true;
                }
                if (!point)
                        continue;
                len = strlen(point);
                /* mountinfo escapes spaces as \040: such a point never matches, and is never ours. */
                if (strncmp(real, point, len) || (real[len] != '/' && real[len] != '\0' && strcmp(point, "/")))
                        continue;
                if (len >= best) {
                        best = len;
                        shared = sh;
                }
        }
        return shared;
}

static int by_length_desc(const void *a, const void *b)
{
        size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
        return la < lb ? 1 : la > lb ? -1 : 0;
}

int stage0_pod_unmount_all(const char *podpath, struct pod_err *err)
{
        _cleanup_free_ char *real = realpath(podpath, NULL);
        _cleanup_fclose_ FILE *f = NULL;
        char **points = NULL, line[8192];
        size_t n = 0, len;
        int done = 0, r = 0;

        if (!real)
                return errno == ENOENT ? 0 : pod_err_set(err, -errno, "%s: %s", podpath, strerror(errno));
        if (!(f = fopen("/proc/self/mountinfo", "re")))
                return pod_err_set(err, -errno, "reading /proc/self/mountinfo: %s", strerror(errno));
        len = strlen(real);
        while (fgets(line, sizeof(line), f)) {
                char *save = NULL, *point = NULL, *tok = strtok_r(line, " \n", &save);

                for (int field = 0; tok && field < 4; field++)
                        tok = strtok_r(NULL, " \n", &save);
                point = tok;
                /* mountinfo escapes spaces as \040: such a point never matches, and is never ours. */
                if (!point || strncmp(point, real, len) || (point[len] != '/' && point[len] != '\0'))
                        continue;
                points = xrealloc(points, (n + 1) * sizeof(*points));
                points[n++] = xstrdup(point);
        }
        if (n)
                qsort(points, n, sizeof(*points), by_length_desc);
        for (size_t i = 0; i < n; i++) {
                if (umount2(points[i], MNT_DETACH) == 0)
                        done++;
                else if (errno != EINVAL && errno != ENOENT && !r)
                        r = pod_err_set(err, -errno, "unmounting %s: %s", points[i], strerror(errno));
                free(points[i]);
        }
        free(points);
        return r < 0 ? r : done;
}

/*
 * path (absolute, inside the root root_fd) opened O_PATH, the missing
 * components created on the way (directories; the last an empty file
 * unless dir).  Every lookup is RESOLVE_IN_ROOT, so neither ".." nor a
 * symlink in the image leads outside the root; creation happens in a
 * parent opened that way.
 */
static int target_in_root_depth(int root_fd, const char *path, bool dir, int depth, int *ret_fd)
{
        _cleanup_free_ char *p = xstrdup(path);
        size_t len = strlen(p);
        int fd = -1;

        if (depth > 40)
                return -ELOOP;
        for (size_t i = 1; i <= len; i++) {
                bool last = i == len;
                char save;

                if (!last && p[i] != '/')
                        continue;
                save = p[i];
                p[i] = '\0';
                fd = open_in_root(root_fd, p, O_PATH | O_CLOEXEC | (last && dir ? O_DIRECTORY : 0), 0);
                if (fd == -ENOENT) {
                        char *slash = strrchr(p, '/'), *name = slash + 1, link[4096];
                        _cleanup_close_ int parent = -1;
                        ssize_t n;

                        *slash = '\0';
                        parent = open_in_root(root_fd, *p ? p : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
                        *slash = '/';
                        if (parent < 0)
                                return parent;
                        /* A symlink to nothing yet: make what it points to, inside the root. */
                        if ((n = readlinkat(parent, name, link, sizeof(link) - 1)) >= 0) {
                                _cleanup_free_ char *next = NULL;
                                link[n] = '\0';
                                *slash = '\0';
                                next = link[0] == '/' ? xasprintf("%s%s%s", link, last ? "" : "/", last ? "" : p + i + 1)
                                                      : xasprintf("%s/%s%s%s", p, link, last ? "" : "/", last ? "" : p + i + 1);
                                return target_in_root_depth(root_fd, next, dir, depth + 1, ret_fd);
                        }
                        if (!last || dir) {
                                if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
                                        return -errno;
                        } else {
                                int f = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                                if (f < 0 && errno != EEXIST)
                                        return -errno;
                                if (f >= 0)
                                        close(f);
                        }
                        fd = open_in_root(root_fd, p, O_PATH | O_CLOEXEC | (last && dir ? O_DIRECTORY : 0), 0);
                }
                p[i] = save;
                if (fd < 0)
                        return fd;
                if (!last)
                        closep(&fd);
        }
        *ret_fd = fd;
        return 0;
}

static int target_in_root(int root_fd, const char *path, bool dir, int *ret_fd)
{
        return target_in_root_depth(root_fd, path, dir, 0, ret_fd);
}

static int mount_at_fd(const char *src, int fd, const char *type, unsigned long flags, const char *data)
{
        char p[64];

        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        return mount(src, p, type, flags, data) < 0 ? -errno : 0;
}

/* One volume mounted at its target inside the rootfs (root_fd); the message names the target. */
static int mount_volume(int root_fd, const struct stage0_mount *m, struct pod_err *err)
{
        const char *kind = json_string_value(json_object_get(m->app_volume, "kind")) ?: "";
        const char *src = json_string_value(json_object_get(m->app_volume, "source"));
        const char *mode = json_string_value(json_object_get(m->app_volume, "mode"));
        bool ro = json_is_true(json_object_get(m->app_volume, "readOnly"));
        bool rec = !json_is_false(json_object_get(m->app_volume, "recursive"));
        _cleanup_close_ int fd = -1, again = -1;
        _cleanup_free_ char *opts = NULL;
        struct stat st;
        int r;

        if (!strcmp(kind, "host")) {
                if (!src || stat(src, &st) < 0)
                        return pod_err_set(err, src ? -errno : -EINVAL, "volume at %s: source %s: %s", m->path,
                                           src ?: "(none)", src ? strerror(errno) : "missing");
                if ((r = target_in_root(root_fd, m->path, S_ISDIR(st.st_mode), &fd)) < 0)
                        return pod_err_set(err, r, "volume at %s: its target in the rootfs: %s", m->path, strerror(-r));
                if ((r = mount_at_fd(src, fd, NULL, MS_BIND | (rec ? MS_REC : 0), NULL)) < 0)
                        return pod_err_set(err, r, "volume at %s: binding %s: %s", m->path, src, strerror(-r));
        } else if (!strcmp(kind, "empty")) {
                if ((r = target_in_root(root_fd, m->path, true, &fd)) < 0)
                        return pod_err_set(err, r, "volume at %s: its target in the rootfs: %s", m->path, strerror(-r));
                opts = xasprintf("mode=%s", mode ?: "0755");
                if ((r = mount_at_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_NODEV, opts)) < 0)
                        return pod_err_set(err, r, "volume at %s: mounting a tmpfs: %s", m->path, strerror(-r));
        } else {
                return pod_err_set(err, -EINVAL, "volume at %s: kind \"%s\" cannot be mounted here", m->path, kind);
        }
        if (!ro)
                return 0;
        /* The fd names the directory under the new mount: the remount needs a fresh one. */
        if ((r = target_in_root(root_fd, m->path, !strcmp(kind, "empty") || S_ISDIR(st.st_mode), &again)) < 0 ||
            (r = mount_at_fd(NULL, again, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL)) < 0)
                return pod_err_set(err, r, "volume at %s: making it read-only: %s", m->path, strerror(-r));
        return 0;
}

int stage0_rootfs_mount_volumes(struct stage0_app *a, struct pod_err *err)
{
        _cleanup_close_ int root_fd = -1;
        size_t keep = 0;
        int r = 0;

        if (!a->rootfs)
                return pod_err_set(err, -EINVAL, "app \"%s\": not an app with a rootfs", a->name ?: "");
        if ((root_fd = open(a->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                return pod_err_set(err, -errno, "rootfs %s: %s", a->rootfs, strerror(errno));
        /* Outer targets first, as podinit's volumes are: one at /data/sub lands inside the one at /data. */
        for (size_t depth = 1; depth <= 4096 && r == 0; depth++) {
                bool any = false;
                for (size_t i = 0; i < a->n_mounts && r == 0; i++) {
                        size_t d = 0;
                        if (!a->mounts[i].app_volume)
                                continue;
                        for (const char *c = a->mounts[i].path; *c; c++)
                                d += *c == '/' && c[1] && c[1] != '/';
                        if (d > depth)
                                any = true;
                        else if (d == depth)
                                r = mount_volume(root_fd, &a->mounts[i], err);
                }
                if (!any)
                        break;
        }
        if (r < 0)
                return r;
        for (size_t i = 0; i < a->n_mounts; i++) {
                if (a->mounts[i].app_volume) {
                        free(a->mounts[i].volume);
                        free(a->mounts[i].path);
                        json_decref(a->mounts[i].app_volume);
                } else {
                        a->mounts[keep++] = a->mounts[i];
                }
        }
        a->n_mounts = keep;
        return 0;
}
