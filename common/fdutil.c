#include "common/fdutil.h"
#include "common/util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int fd_set_cloexec(int fd, int on)
{
        int fl = fcntl(fd, F_GETFD);
        if (fl < 0)
                return -errno;
        fl = on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC;
        return RET_NERRNO(fcntl(fd, F_SETFD, fl)) < 0 ? -errno : 0;
}

int fd_set_nonblock(int fd, int on)
{
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0)
                return -errno;
        fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
        return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

static int put_all(int fd, const void *buf, size_t len, bool sock)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
        return put_all(fd, buf, len, false);
}

int send_all(int fd, const void *buf, size_t len)
{
        return put_all(fd, buf, len, true);
}

ssize_t read_full(int fd, void *buf, size_t len)
{
        size_t got = 0;
        while (got < len) {
                ssize_t n = read(fd, (char *)buf + got, len - got);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        return (ssize_t)got;
}

int write_file_atomic(int dirfd, const char *path, const void *data, size_t len, mode_t mode, int flags)
{
        char tmp[4096];
        _cleanup_close_ int fd = -1;
        int r = 0;      /* fchmod failing leaves it unset */

        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >= sizeof(tmp))
                return -ENAMETOOLONG;
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, mode) < 0 || (r = write_all(fd, data, len)) < 0 ||
            ((flags & WRITE_SYNC) && fdatasync(fd) < 0)) {
                r = r < 0 ? r : -errno;
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        if (renameat(dirfd, tmp, dirfd, path) < 0) {
                r = -errno;
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        return 0;
}

static int read_fd_all(int fd, size_t max, char **ret_data, size_t *ret_len)
{
        struct stat st;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 4096;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        if ((size_t)st.st_size > max)
                return -EFBIG;
        buf = xmalloc(cap + 1);
        for (;;) {
                ssize_t n;
                if (len == cap) {
                        if (cap >= max + 1)
                                return -EFBIG;
                        cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
                        buf = xrealloc(buf, cap + 1);
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *ret_data = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

/*
 * Open a path found as an O_PATH fd for reading, but only if it is a regular
 * file.  Opening a FIFO for reading blocks until a writer comes (forever, in
 * PID 1), and opening a device can have side effects: the O_PATH fd pins the
 * inode, fstat checks it, and /proc/self/fd reopens that very inode.  path_fd
 * is consumed.
 */
static int reopen_regular(int path_fd)
{
        _cleanup_close_ int pfd = path_fd;
        struct stat st;
        char p[64];
        int fd;

        if (fstat(pfd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        snprintf(p, sizeof(p), "/proc/self/fd/%d", pfd);
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        return fd < 0 ? -errno : fd;
}

int read_file_at(int dirfd, const char *path, size_t max, char **ret_data, size_t *ret_len)
{
        int pfd = openat(dirfd, path, O_PATH | O_CLOEXEC);
        _cleanup_close_ int fd = -1;

        if (pfd < 0)
                return -errno;
        if ((fd = reopen_regular(pfd)) < 0)
                return fd;
        return read_fd_all(fd, max, ret_data, ret_len);
}

const char *read_file_strerror(int r, char *buf, size_t len, size_t max)
{
        if (r == -EINVAL)
                return "not a regular file (a FIFO, socket or device is never read)";
        if (r == -EFBIG) {
                snprintf(buf, len, "larger than the limit of %zu bytes", max);
                return buf;
        }
        return strerror(-r);
}

int open_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        long fd = -1;

        /* With RESOLVE_IN_ROOT the kernel fails ".." with EAGAIN when any
         * rename or mount happened meanwhile, anywhere (other pods starting
         * do both): try again, a bounded number of times. */
        for (int i = 0; i < 64; i++) {
                fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
                if (fd >= 0 || errno != EAGAIN)
                        break;
        }
        return fd < 0 ? -errno : (int)fd;
}

int read_file_in_root(int root_fd, const char *path, size_t max, char **ret_data, size_t *ret_len)
{
        int pfd = open_in_root(root_fd, path, O_PATH, 0);
        _cleanup_close_ int fd = -1;

        if (pfd < 0)
                return pfd;
        if ((fd = reopen_regular(pfd)) < 0)
                return fd;
        return read_fd_all(fd, max, ret_data, ret_len);
}

int mkdir_p_at(int dirfd, const char *path, mode_t mode)
{
        char buf[4096];
        size_t len = strlen(path);

        if (len == 0)
                return -EINVAL;
        if (len >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, len + 1);
        for (char *p = buf + 1; ; p++) {
                if (*p == '/' || *p == '\0') {
                        char c = *p;
                        struct stat st;
                        *p = '\0';
                        if (mkdirat(dirfd, buf, mode) < 0) {
                                if (errno != EEXIST)
                                        return -errno;
                                /* EEXIST is fine only for a directory (or a link to one). */
                                if (fstatat(dirfd, buf, &st, 0) < 0)
                                        return -errno;
                                if (!S_ISDIR(st.st_mode))
                                        return -ENOTDIR;
                        }
                        *p = c;
                        if (!c)
                                break;
                }
        }
        return 0;
}

/*
 * rm -rf without one fd per level.  A tree may be as deep as an app cared
 * to make it (25,000 levels is a few seconds of mkdir), so holding a
 * directory stream per level runs out of fds and recursing runs out of
 * stack.  Instead each level's subdirectory names are read into memory, its
 * other entries unlinked, and its stream closed; the walk holds one fd, the
 * current directory, and climbs back with "..", checking that it arrives
 * where it came from (device and inode), so a directory moved meanwhile
 * cannot send it elsewhere.  Nothing is followed: entries are lstat'ed,
 * directories opened O_NOFOLLOW, and one on another device or mount (a
 * mount point, a bind mount of the same file system included) is left alone
 * with -EBUSY: what someone mounted into a tree is theirs, not the tree's.  Errors are remembered (the first one is
 * returned) and the walk goes on with what it can remove.
 */
struct rm_level {
        char **subdirs;
        size_t n, next;
        dev_t dev;
        ino_t ino;
};

static void rm_note(int *r, int e)
{
        if (*r == 0 && e != -ENOENT)
                *r = e;
}

/* The mount id of fd's directory or of name in it (0: unknown). */
static uint64_t mnt_id_at(int fd, const char *name)
{
        struct statx sx;

        if (statx(fd, name, AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH), STATX_MNT_ID, &sx) < 0 ||
            !(sx.stx_mask & STATX_MNT_ID))
                return 0;
        return sx.stx_mnt_id;
}

/* List fd's subdirectories into lv and unlink everything else in it. */
static void rm_level_read(int fd, dev_t dev, uint64_t mnt, struct rm_level *lv, int *r)
{
        int sfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        size_t cap = 0;
        struct dirent *de;
        DIR *d;

        if (sfd < 0 || !(d = fdopendir(sfd))) {
                rm_note(r, -errno);
                if (sfd >= 0)
                        close(sfd);
                return;
        }
        while ((de = readdir(d))) {
                struct stat st;
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        rm_note(r, -errno);
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (unlinkat(fd, de->d_name, 0) < 0)
                                rm_note(r, -errno);
                        continue;
                }
                if (st.st_dev != dev || (mnt && mnt_id_at(fd, de->d_name) != mnt)) {
                        rm_note(r, -EBUSY);
                        continue;
                }
                if (lv->n == cap) {
                        cap = cap ? cap * 2 : 8;
                        lv->subdirs = xrealloc(lv->subdirs, cap * sizeof(char *));
                }
                lv->subdirs[lv->n++] = xstrdup(de->d_name);
        }
        closedir(d);
}

static void rm_level_free(struct rm_level *lv)
{
        for (size_t i = 0; i < lv->n; i++)
                free(lv->subdirs[i]);
        free(lv->subdirs);
}

/* Remove everything below the directory fd (consumed), on device dev and mount mnt (0: unknown). */
static int rm_contents(int fd, dev_t dev, uint64_t mnt)
{
        _cleanup_free_ struct rm_level *lv = NULL;
        size_t depth = 0, cap = 0;
        struct stat st;
        int r = 0;

        if (fstat(fd, &st) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        for (;;) {
                struct rm_level *top;

                if (depth == cap) {
                        cap = cap ? cap * 2 : 64;
                        lv = xrealloc(lv, cap * sizeof(*lv));
                }
                lv[depth] = (struct rm_level){ .dev = st.st_dev, .ino = st.st_ino };
                rm_level_read(fd, dev, mnt, &lv[depth], &r);
                depth++;
                /* Descend into the next subdirectory, or climb while a level is done. */
                for (;;) {
                        top = &lv[depth - 1];
                        if (top->next < top->n) {
                                int sub = openat(fd, top->subdirs[top->next++],
                                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                                if (sub < 0) {
                                        rm_note(&r, -errno);
                                        continue;
                                }
                                int e = fstat(sub, &st) < 0 ? -errno
                                        : st.st_dev != dev || (mnt && mnt_id_at(sub, "") != mnt) ? -EBUSY : 0;
                                if (e) {
                                        rm_note(&r, e);
                                        close(sub);
                                        continue;
                                }
                                close(fd);
                                fd = sub;
                                break;
                        }
                        rm_level_free(top);
                        if (--depth == 0) {
                                close(fd);
                                return r;
                        }
                        int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        close(fd);
                        fd = up;
                        top = &lv[depth - 1];
                        if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev != top->dev || st.st_ino != top->ino) {
                                /* Moved under us: stop rather than remove elsewhere. */
                                rm_note(&r, fd < 0 ? -errno : -ESTALE);
                                for (size_t i = 0; i < depth; i++)
                                        rm_level_free(&lv[i]);
                                if (fd >= 0)
                                        close(fd);
                                return r;
                        }
                        if (unlinkat(fd, top->subdirs[top->next - 1], AT_REMOVEDIR) < 0)
                                rm_note(&r, -errno);
                }
        }
}

int rm_rf_at(int dirfd, const char *path)
{
        struct stat st;
        int fd, r;

        if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return RET_NERRNO(unlinkat(dirfd, path, 0)) < 0 ? -errno : 0;
        fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = rm_contents(fd, st.st_dev, mnt_id_at(fd, ""));
        if (r < 0)
                return r;
        return unlinkat(dirfd, path, AT_REMOVEDIR) < 0 ? -errno : 0;
}

int pty_open(unsigned short rows, unsigned short cols, int *ret_master, int *ret_slave)
{
        struct winsize ws = { .ws_row = rows ? rows : 24, .ws_col = cols ? cols : 80 };
        int master, slave, unlock = 0, n;
        char path[64];

        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return -errno;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0) {
                int r = -errno;
                close(master);
                return r;
        }
        snprintf(path, sizeof(path), "/dev/pts/%d", n);
        slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0) {
                int r = -errno;
                close(master);
                return r;
        }
        /* The size is right before the program's first ioctl(TIOCGWINSZ). */
        ioctl(master, TIOCSWINSZ, &ws);
        *ret_master = master;
        *ret_slave = slave;
        return 0;
}

int unix_connect(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, e;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                e = errno;
                close(fd);
                return -e;
        }
        return fd;
}
