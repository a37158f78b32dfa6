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

int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
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
        int r;

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

int read_file_at(int dirfd, const char *path, size_t max, char **ret_data, size_t *ret_len)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_fd_all(fd, max, ret_data, ret_len);
}

int open_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (uint64_t)(flags | O_CLOEXEC),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
        return fd < 0 ? -errno : (int)fd;
}

int read_file_in_root(int root_fd, const char *path, size_t max, char **ret_data, size_t *ret_len)
{
        _cleanup_close_ int fd = open_in_root(root_fd, path, O_RDONLY | O_NOCTTY, 0);
        if (fd < 0)
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

/* Remove the contents of the directory fd (consumed), then nothing else. */
static int rm_contents(int fd, dev_t dev)
{
        DIR *d = fdopendir(fd);
        struct dirent *de;
        int r = 0;

        if (!d) {
                close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                struct stat st;
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT && !r)
                                r = -errno;
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        int sub;
                        if (st.st_dev != dev) {
                                if (!r)
                                        r = -EBUSY;
                                continue;
                        }
                        sub = openat(dirfd(d), de->d_name,
                                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0) {
                                if (!r)
                                        r = -errno;
                                continue;
                        }
                        int k = rm_contents(sub, dev);
                        if (k < 0 && !r)
                                r = k;
                        if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && !r)
                                r = -errno;
                } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && !r) {
                        r = -errno;
                }
        }
        closedir(d);
        return r;
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
        r = rm_contents(fd, st.st_dev);
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
