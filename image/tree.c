#include "image/tree.h"
#include "common/fdutil.h"
#include "common/log.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/xattr.h>

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Directory entries of fd in byte order (the caller frees each and the list). */
static int list_dir(int fd, char ***ret, size_t *ret_n)
{
        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;
        struct dirent *de;
        char **v = NULL;
        size_t n = 0, cap = 0;

        if (dfd < 0)
                return -errno;
        if (!(d = fdopendir(dfd))) {
                close(dfd);
                return -errno;
        }
        while ((errno = 0, de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (n == cap) {
                        cap = cap ? 2 * cap : 32;
                        v = xrealloc(v, cap * sizeof(*v));
                }
                v[n++] = xstrdup(de->d_name);
        }
        closedir(d);
        /* Byte order: the digest of a tree must not depend on readdir's. Names are unique, so qsort is enough. */
        if (n > 1)
                qsort(v, n, sizeof(*v), cmp_names);
        *ret = v;
        *ret_n = n;
        return 0;
}

static void list_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

/* Copy the xattrs of src to dst (both fds opened on the objects; symlinks carry none we keep). */
static int copy_xattrs(int src, int dst)
{
        char list[8192], val[65536];
        ssize_t n = flistxattr(src, list, sizeof(list));

        if (n < 0)
                return errno == ENOTSUP ? 0 : -errno;
        for (char *k = list; k < list + n; k += strlen(k) + 1) {
                ssize_t vl;
                if (str_startswith(k, "trusted.overlay."))
                        continue;       /* overlay's own markers are applied, not copied */
                vl = fgetxattr(src, k, val, sizeof(val));
                if (vl < 0)
                        continue;
                if (fsetxattr(dst, k, val, (size_t)vl, 0) < 0 && errno != ENOTSUP)
                        return -errno;
        }
        return 0;
}

static bool is_opaque(int dirfd)
{
        char v[4];
        ssize_t n = fgetxattr(dirfd, TREE_OPAQUE_XATTR, v, sizeof(v));
        return n == 1 && v[0] == 'y';
}

/* Regular file content: a reflink where the file system shares extents, else a kernel copy. */
static int copy_content(int in, int out, off_t size)
{
        off_t done = 0;

        if (size == 0)
                return 0;
        if (ioctl(out, FICLONE, in) == 0)
                return 0;
        while (done < size) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(size - done), 0);
                if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
                        n = sendfile(out, in, NULL, (size_t)(size - done));
                }
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;  /* the file shrank: trees are immutable, so this is a bug elsewhere */
                done += n;
        }
        return 0;
}

static int merge_entry(int src, int dst, const char *name, const char *path, struct pod_err *err);

static int merge_dir(int src, int dst, const char *path, struct pod_err *err)
{
        char **names;
        size_t n;
        int r = list_dir(src, &names, &n);

        if (r < 0)
                return pod_err_set(err, r, "reading %s: %s", *path ? path : "/", strerror(-r));
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *sub = xasprintf("%s/%s", path, names[i]);
                r = merge_entry(src, dst, names[i], sub, err);
        }
        list_free(names, n);
        return r;
}

static int set_meta(int fd, const struct stat *st, int src_fd)
{
        struct timespec ts[2] = { st->st_atim, st->st_mtim };

        if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0)
                return -errno;
        if (src_fd >= 0) {
                int r = copy_xattrs(src_fd, fd);
                if (r < 0)
                        return r;
        }
        return futimens(fd, ts) < 0 ? -errno : 0;
}

static int merge_entry(int src, int dst, const char *name, const char *path, struct pod_err *err)
{
        struct stat st, dt;
        bool have = fstatat(dst, name, &dt, AT_SYMLINK_NOFOLLOW) == 0;
        int r = 0;

        if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return pod_err_set(err, -errno, "reading %s: %s", path, strerror(errno));
        if (tree_is_whiteout(&st)) {
                if (have && (r = rm_rf_at(dst, name)) < 0)
                        return pod_err_set(err, r, "removing %s (whited out): %s", path, strerror(-r));
                return 0;
        }
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), d = -1;
                if (s < 0)
                        return pod_err_set(err, -errno, "opening %s: %s", path, strerror(errno));
                if (have && (!S_ISDIR(dt.st_mode) || is_opaque(s))) {
                        if ((r = rm_rf_at(dst, name)) < 0)
                                return pod_err_set(err, r, "replacing %s: %s", path, strerror(-r));
                        have = false;
                }
                if (!have && mkdirat(dst, name, 0700) < 0)
                        return pod_err_set(err, -errno, "creating %s: %s", path, strerror(errno));
                d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (d < 0)
                        return pod_err_set(err, -errno, "opening %s: %s", path, strerror(errno));
                if ((r = merge_dir(s, d, path, err)) < 0)
                        return r;
                if ((r = set_meta(d, &st, s)) < 0)
                        return pod_err_set(err, r, "setting the owner and mode of %s: %s", path, strerror(-r));
                return 0;
        }
        if (have && (r = rm_rf_at(dst, name)) < 0)
                return pod_err_set(err, r, "replacing %s: %s", path, strerror(-r));
        if (S_ISREG(st.st_mode)) {
                _cleanup_close_ int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1;
                if (in < 0)
                        return pod_err_set(err, -errno, "opening %s: %s", path, strerror(errno));
                out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (out < 0 || (r = copy_content(in, out, st.st_size)) < 0 || (r = set_meta(out, &st, in)) < 0) {
                        r = out < 0 ? -errno : r;
                        return pod_err_set(err, r, "copying %s: %s%s", path, strerror(-r),
                                           r == -ENOSPC || r == -EDQUOT ? " (free space on that file system)" : "");
                }
                return 0;
        }
        if (S_ISLNK(st.st_mode)) {
                char target[4097];
                ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
                struct timespec ts[2] = { st.st_atim, st.st_mtim };
                if (n < 0)
                        return pod_err_set(err, -errno, "reading the link %s: %s", path, strerror(errno));
                target[n] = '\0';
                if (symlinkat(target, dst, name) < 0 || fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
                    utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
                        return pod_err_set(err, -errno, "creating the link %s: %s", path, strerror(errno));
                return 0;
        }
        if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0 ||
                    fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return pod_err_set(err, -errno, "creating %s: %s", path, strerror(errno));
                return 0;
        }
        return 0;       /* sockets: nothing to copy */
}

int tree_merge(int src_fd, int dst_fd, struct pod_err *err)
{
        return merge_dir(src_fd, dst_fd, "", err);
}

int tree_lookup(const int *layers, size_t n, const char *path, size_t *ret_i)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *p = xstrdup(path);
                bool stop = false;
                struct stat st;
                char *slash;

                /* Each parent: a whiteout or a non-directory here hides path for every layer below;
                 * an opaque directory hides it for the layers below this one. */
                for (slash = strchr(p, '/'); slash; slash = strchr(slash + 1, '/')) {
                        *slash = '\0';
                        if (fstatat(layers[i], p, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                                if (!S_ISDIR(st.st_mode))
                                        return -ENOENT;
                                _cleanup_close_ int d = openat(layers[i], p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                                if (d >= 0 && is_opaque(d))
                                        stop = true;
                        }
                        *slash = '/';
                }
                if (fstatat(layers[i], p, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                        if (tree_is_whiteout(&st))
                                return -ENOENT;
                        *ret_i = i;
                        return 0;
                }
                if (stop)
                        return -ENOENT;
        }
        return -ENOENT;
}

static void digest_str(struct digest *d, const char *s)
{
        digest_update(d, s, strlen(s) + 1);
}

static int digest_dir(int fd, const char *path, struct digest *d, uint64_t *bytes, struct pod_err *err)
{
        char **names;
        size_t n;
        int r = list_dir(fd, &names, &n);

        if (r < 0)
                return pod_err_set(err, r, "reading %s: %s", *path ? path : "/", strerror(-r));
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *sub = xasprintf("%s/%s", path, names[i]);
                struct stat st;
                char head[128];

                if (fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = pod_err_set(err, -errno, "reading %s: %s", sub, strerror(errno));
                        break;
                }
                digest_str(d, sub);
                snprintf(head, sizeof(head), "%o %u %u %llu %llu", st.st_mode, st.st_uid, st.st_gid,
                         S_ISREG(st.st_mode) ? (unsigned long long)st.st_size : 0ull,
                         S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? (unsigned long long)st.st_rdev : 0ull);
                digest_str(d, head);
                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int s = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (s < 0)
                                r = pod_err_set(err, -errno, "opening %s: %s", sub, strerror(errno));
                        else
                                r = digest_dir(s, sub, d, bytes, err);
                } else if (S_ISLNK(st.st_mode)) {
                        char target[4097];
                        ssize_t k = readlinkat(fd, names[i], target, sizeof(target) - 1);
                        target[k < 0 ? 0 : k] = '\0';
                        digest_str(d, target);
                } else if (S_ISREG(st.st_mode)) {
                        _cleanup_close_ int s = openat(fd, names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                        char buf[65536];
                        ssize_t k;
                        if (s < 0) {
                                r = pod_err_set(err, -errno, "opening %s: %s", sub, strerror(errno));
                                break;
                        }
                        while ((k = read(s, buf, sizeof(buf))) > 0)
                                digest_update(d, buf, (size_t)k);
                        if (k < 0)
                                r = pod_err_set(err, -errno, "reading %s: %s", sub, strerror(errno));
                        *bytes += (uint64_t)st.st_size;
                }
        }
        list_free(names, n);
        return r;
}

int tree_digest(int fd, char hex[DIGEST_HEX_LEN + 1], uint64_t *ret_bytes, struct pod_err *err)
{
        struct digest d;
        uint64_t bytes = 0;
        int r;

        digest_init(&d);
        digest_str(&d, "podinit-tree-v1");
        if ((r = digest_dir(fd, "", &d, &bytes, err)) < 0) {
                digest_done(&d);
                return r;
        }
        digest_final(&d, hex);
        if (ret_bytes)
                *ret_bytes = bytes;
        return 0;
}

static int usage_dir(int fd, uint64_t *bytes, uint64_t *entries, int depth)
{
        char **names;
        size_t n;
        int r = list_dir(fd, &names, &n);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                if (fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                (*entries)++;
                if (S_ISREG(st.st_mode))
                        *bytes += (uint64_t)st.st_size;
                else if (S_ISDIR(st.st_mode) && depth < 4096) {
                        _cleanup_close_ int s = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (s >= 0)
                                usage_dir(s, bytes, entries, depth + 1);
                }
        }
        list_free(names, n);
        return 0;
}

int tree_usage(int fd, uint64_t *ret_bytes, uint64_t *ret_entries)
{
        *ret_bytes = *ret_entries = 0;
        return usage_dir(fd, ret_bytes, ret_entries, 0);
}
