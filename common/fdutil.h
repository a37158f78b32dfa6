/*
 * File and path helpers: atomic writes, bounded reads, recursive mkdir and
 * removal that never crosses mount points or follows symlinks, and opening
 * a path inside an app's rootfs as if chrooted there (openat2 RESOLVE_IN_ROOT).
 * Every fd is O_CLOEXEC from birth.
 */
#ifndef POD_COMMON_FDUTIL_H
#define POD_COMMON_FDUTIL_H

#include <stddef.h>
#include <sys/types.h>

enum {
        WRITE_SYNC = 1 << 0,    /* fdatasync before the rename: the content survives a crash */
};
/*
 * Write data to dirfd/path through a temp file + rename, so readers see the
 * old or the new content, never a mix.  WRITE_SYNC adds an fdatasync: use it
 * for what must survive a crash (exit statuses), not for files that are
 * worthless after one (a pod being prepared, a running pod's status).
 */
int write_file_atomic(int dirfd, const char *path, const void *data, size_t len, mode_t mode, int flags);
/* Read a whole regular file of at most max bytes; result is NUL-terminated.
 * Anything else is refused before it is opened for reading: a FIFO or a
 * device gives -EINVAL (it would block or have side effects), a directory
 * -EISDIR, a file over max -EFBIG.  Reads are non-blocking. */
int read_file_at(int dirfd, const char *path, size_t max, char **ret_data, size_t *ret_len);
/* Same, but resolving path as if root_fd were "/" (symlinks cannot escape). */
int read_file_in_root(int root_fd, const char *path, size_t max, char **ret_data, size_t *ret_len);
/* What a read_file_* error means, for a message (buf holds the -EFBIG text). */
const char *read_file_strerror(int r, char *buf, size_t len, size_t max);
/* openat2(RESOLVE_IN_ROOT) with a fallback error if the kernel lacks it. */
int open_in_root(int root_fd, const char *path, int flags, mode_t mode);
/* mkdir -p relative to dirfd; existing directories are fine. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode);
/* rm -rf below dirfd/path: no symlink is followed and no mount point crossed;
 * returns -EBUSY if something is still mounted inside. */
int rm_rf_at(int dirfd, const char *path);
int fd_set_cloexec(int fd, int on);
int fd_set_nonblock(int fd, int on);
/* write() all of buf, retrying on EINTR/short writes (blocking fds only). */
int write_all(int fd, const void *buf, size_t len);
/* The same on a socket with send(MSG_NOSIGNAL): a closed peer is -EPIPE, never SIGPIPE. */
int send_all(int fd, const void *buf, size_t len);
/* read() exactly len bytes unless EOF comes first; returns bytes read or -errno. */
ssize_t read_full(int fd, void *buf, size_t len);
/* A new pty from /dev/ptmx (the current devpts), unlocked, rows x cols (0: 24x80),
 * both ends O_CLOEXEC and O_NOCTTY. */
/* A connected AF_UNIX stream socket (CLOEXEC) to path (< 108 bytes): the fd, or -errno. */
int unix_connect(const char *path);
int pty_open(unsigned short rows, unsigned short cols, int *ret_master, int *ret_slave);

#endif
