/* Unit tests for common/fdutil.c: atomic writes, bounded reads, reads inside a
 * root, mkdir -p and rm -rf that never follows symlinks. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "test.h"
#include "common/fdutil.h"
#include "common/util.h"

static int open_dir(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                FAIL_AT("open %s: %s", path, strerror(errno));
        return fd;
}

static void put_file(int dfd, const char *path, const char *content)
{
        int fd = openat(dfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                FAIL_AT("create %s: %s", path, strerror(errno));
        ASSERT_EQ(0, write_all(fd, content, strlen(content)));
        close(fd);
}

static size_t count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        ASSERT(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

TEST(fdutil_write_file_atomic_content_and_mode)
{
        _cleanup_close_ int dfd = open_dir(test_tmpdir());
        _cleanup_free_ char *a = NULL, *b = NULL;
        struct stat st, st2;
        size_t len;

        ASSERT_EQ(0, write_file_atomic(dfd, "f", "hello\0world", 11, 0600, 0));
        ASSERT_EQ(0, fstatat(dfd, "f", &st, 0));
        ASSERT_EQ(0600, st.st_mode & 07777);
        ASSERT_EQ(11, st.st_size);
        ASSERT_EQ(0, read_file_at(dfd, "f", 100, &a, &len));
        ASSERT_EQ(11, len);
        ASSERT(!memcmp(a, "hello\0world", 12)); /* NUL-terminated too */

        /* Replacing: new content, new mode, a new inode (rename, not rewrite). */
        ASSERT_EQ(0, write_file_atomic(dfd, "f", "x", 1, 0640, WRITE_SYNC));
        ASSERT_EQ(0, fstatat(dfd, "f", &st2, 0));
        ASSERT_EQ(0640, st2.st_mode & 07777);
        ASSERT(st.st_ino != st2.st_ino);
        ASSERT_EQ(0, read_file_at(dfd, "f", 100, &b, &len));
        ASSERT_STREQ("x", b);
        ASSERT_EQ(1, count_entries(test_tmpdir()));

        /* The mode is exact despite the umask. */
        umask(0077);
        ASSERT_EQ(0, write_file_atomic(dfd, "g", "", 0, 0755, 0));
        ASSERT_EQ(0, fstatat(dfd, "g", &st, 0));
        ASSERT_EQ(0755, st.st_mode & 07777);
        ASSERT_EQ(0, st.st_size);
        ASSERT_EQ(2, count_entries(test_tmpdir()));
}

TEST(fdutil_write_file_atomic_replaces_symlink_not_target)
{
        _cleanup_close_ int dfd = open_dir(test_tmpdir());
        _cleanup_free_ char *data = NULL;
        struct stat st;

        put_file(dfd, "target", "original");
        ASSERT_EQ(0, symlinkat("target", dfd, "link"));
        ASSERT_EQ(0, write_file_atomic(dfd, "link", "new", 3, 0644, 0));
        ASSERT_EQ(0, fstatat(dfd, "link", &st, AT_SYMLINK_NOFOLLOW));
        ASSERT(S_ISREG(st.st_mode));
        ASSERT_EQ(0, read_file_at(dfd, "target", 100, &data, NULL));
        ASSERT_STREQ("original", data);
        /* A missing directory is an error, and nothing is left behind. */
        ASSERT_EQ(-ENOENT, write_file_atomic(dfd, "nodir/f", "x", 1, 0644, 0));
}

TEST(fdutil_read_file_at_limits)
{
        _cleanup_close_ int dfd = open_dir(test_tmpdir());
        static char big[10000];
        char *data = (char *)"untouched";
        size_t len = 12345;

        memset(big, 'b', sizeof(big) - 1);
        ASSERT_EQ(0, write_file_atomic(dfd, "big", big, sizeof(big) - 1, 0644, 0));
        ASSERT_EQ(-EFBIG, read_file_at(dfd, "big", 9998, &data, &len));
        ASSERT_STREQ("untouched", data);
        ASSERT_EQ(12345, len);
        ASSERT_EQ(-EFBIG, read_file_at(dfd, "big", 10, &data, &len));
        /* Exactly max is fine, and larger than the first 4 KiB buffer. */
        ASSERT_EQ(0, read_file_at(dfd, "big", 9999, &data, &len));
        ASSERT_EQ(9999, len);
        ASSERT_EQ(9999, strlen(data));
        free(data);

        ASSERT_EQ(0, mkdirat(dfd, "dir", 0755));
        ASSERT_EQ(-EISDIR, read_file_at(dfd, "dir", 100, &data, &len));
        ASSERT_EQ(-ENOENT, read_file_at(dfd, "nope", 100, &data, &len));
        /* Not a regular file. */
        ASSERT_EQ(-EINVAL, read_file_at(AT_FDCWD, "/dev/null", 100, &data, &len));
        /* An empty file is an empty string; ret_len may be NULL. */
        put_file(dfd, "empty", "");
        ASSERT_EQ(0, read_file_at(dfd, "empty", 0, &data, NULL));
        ASSERT_STREQ("", data);
        free(data);
}

/* Symlinks inside a root resolve as if chrooted there. */
TEST(fdutil_read_file_in_root_stays_inside)
{
        _cleanup_free_ char *root = xasprintf("%s/root", test_tmpdir());
        _cleanup_close_ int tfd = open_dir(test_tmpdir());
        _cleanup_close_ int rfd = -1;
        char *data = NULL;
        size_t len;

        ASSERT_EQ(0, mkdir_p_at(tfd, "root/etc", 0755));
        put_file(tfd, "root/etc/hostname", "inside\n");
        /* A decoy at the level the links would reach if resolved on the host. */
        put_file(tfd, "hostname", "outside\n");
        ASSERT_EQ(0, symlinkat("/etc/hostname", tfd, "root/link"));
        ASSERT_EQ(0, symlinkat("/../../etc/hostname", tfd, "root/abs-dotdot"));
        ASSERT_EQ(0, symlinkat("../../../../../../../../hostname", tfd, "root/etc/rel-escape"));
        ASSERT_EQ(0, symlinkat("../../../../../../../../etc/hostname", tfd, "root/etc/rel-etc"));
        rfd = open_dir(root);

        static const char *const paths[] = {
                "/etc/hostname", "etc/hostname", "/link", "link", "/abs-dotdot",
                "/etc/rel-etc", "/../../../etc/hostname",
        };
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                int r = read_file_in_root(rfd, paths[i], 100, &data, &len);
                if (r < 0)
                        FAIL_AT("read_file_in_root(%s): %s", paths[i], strerror(-r));
                ASSERT_STREQ("inside\n", data);
                ASSERT_EQ(7, len);
                free(data);
                data = NULL;
        }
        /* ../.. beyond the root lands at the root: root/hostname does not exist. */
        ASSERT_EQ(-ENOENT, read_file_in_root(rfd, "/etc/rel-escape", 100, &data, &len));
        ASSERT_EQ(-ENOENT, read_file_in_root(rfd, "../hostname", 100, &data, &len));
        ASSERT(data == NULL);
        /* Limits still apply. */
        ASSERT_EQ(-EFBIG, read_file_in_root(rfd, "/link", 3, &data, &len));
        ASSERT_EQ(-EISDIR, read_file_in_root(rfd, "/etc", 100, &data, &len));
}

/* A link into /proc finds no /proc inside the root; O_CREAT creates inside it. */
TEST(fdutil_open_in_root_proc_link_and_create)
{
        _cleanup_close_ int tfd = open_dir(test_tmpdir());
        _cleanup_close_ int fd = -1;

        ASSERT_EQ(0, mkdirat(tfd, "r", 0755));
        ASSERT_EQ(0, symlinkat("/proc/self/root/etc/passwd", tfd, "r/magic"));
        {
                _cleanup_close_ int rfd = openat(tfd, "r", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ASSERT(rfd >= 0);
                /* /proc does not exist inside r: no host passwd through it. */
                ASSERT_EQ(-ENOENT, open_in_root(rfd, "magic", O_RDONLY, 0));
                /* O_CREAT inside the root creates the file there, with the mode. */
                fd = open_in_root(rfd, "/new", O_WRONLY | O_CREAT | O_EXCL, 0600);
                ASSERT(fd >= 0);
        }
        {
                struct stat st;
                ASSERT_EQ(0, fstatat(tfd, "r/new", &st, 0));
                ASSERT(S_ISREG(st.st_mode));
                ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
        }
}

TEST(fdutil_mkdir_p_nested_and_existing)
{
        _cleanup_close_ int dfd = open_dir(test_tmpdir());
        struct stat st;

        ASSERT_EQ(0, mkdir_p_at(dfd, "a/b/c/d", 0755));
        ASSERT_EQ(0, fstatat(dfd, "a/b/c/d", &st, 0));
        ASSERT(S_ISDIR(st.st_mode));
        /* Existing, partly existing, trailing and doubled slashes. */
        ASSERT_EQ(0, mkdir_p_at(dfd, "a/b/c/d", 0755));
        ASSERT_EQ(0, mkdir_p_at(dfd, "a/b/x/", 0755));
        ASSERT_EQ(0, mkdir_p_at(dfd, "a//y", 0755));
        ASSERT_EQ(0, fstatat(dfd, "a/b/x", &st, 0));
        ASSERT(S_ISDIR(st.st_mode));
        ASSERT_EQ(0, fstatat(dfd, "a/y", &st, 0));
        ASSERT(S_ISDIR(st.st_mode));
        /* Absolute paths with AT_FDCWD. */
        {
                _cleanup_free_ char *abs = xasprintf("%s/p/q", test_tmpdir());
                ASSERT_EQ(0, mkdir_p_at(AT_FDCWD, abs, 0700));
                ASSERT_EQ(0, stat(abs, &st));
                ASSERT(S_ISDIR(st.st_mode));
        }
        /* A file in the way of an intermediate component. */
        put_file(dfd, "file", "x");
        ASSERT_EQ(-ENOTDIR, mkdir_p_at(dfd, "file/sub", 0755));
        ASSERT(fstatat(dfd, "file/sub", &st, 0) < 0);
}

TEST(fdutil_rm_rf_nested_does_not_follow_symlinks)
{
        _cleanup_close_ int dfd = open_dir(test_tmpdir());
        _cleanup_free_ char *outside = xasprintf("%s/outside", test_tmpdir());
        _cleanup_free_ char *outside_file = xasprintf("%s/outside/keep", test_tmpdir());
        struct stat st;

        ASSERT_EQ(0, mkdir_p_at(dfd, "outside/sub", 0755));
        put_file(dfd, "outside/keep", "keep");
        put_file(dfd, "outside/sub/keep2", "keep");

        ASSERT_EQ(0, mkdir_p_at(dfd, "tree/a/b/c", 0755));
        put_file(dfd, "tree/f", "1");
        put_file(dfd, "tree/a/b/c/g", "2");
        ASSERT_EQ(0, symlinkat(outside, dfd, "tree/a/to-outside"));
        ASSERT_EQ(0, symlinkat("../../../outside", dfd, "tree/a/b/rel-outside"));
        ASSERT_EQ(0, symlinkat(outside_file, dfd, "tree/a/b/c/to-file"));
        ASSERT_EQ(0, symlinkat("dangling", dfd, "tree/dangling"));
        ASSERT_EQ(0, mkfifoat(dfd, "tree/a/fifo", 0600));
        ASSERT_EQ(0, mkdirat(dfd, "tree/a/b/ro", 0000)); /* unreadable dir: root can still walk it */

        ASSERT_EQ(0, rm_rf_at(dfd, "tree"));
        ASSERT(fstatat(dfd, "tree", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
        ASSERT_EQ(0, fstatat(dfd, "outside/keep", &st, 0));
        ASSERT_EQ(0, fstatat(dfd, "outside/sub/keep2", &st, 0));
        ASSERT_EQ(2, count_entries(outside));

        /* Missing is fine; a lone file or a top-level symlink is removed itself. */
        ASSERT_EQ(0, rm_rf_at(dfd, "tree"));
        ASSERT_EQ(0, symlinkat(outside, dfd, "top-link"));
        ASSERT_EQ(0, rm_rf_at(dfd, "top-link"));
        ASSERT(fstatat(dfd, "top-link", &st, AT_SYMLINK_NOFOLLOW) < 0);
        ASSERT_EQ(2, count_entries(outside));
        put_file(dfd, "lone", "x");
        ASSERT_EQ(0, rm_rf_at(dfd, "lone"));
        ASSERT(fstatat(dfd, "lone", &st, 0) < 0);
}

/* A bind mount inside a tree (same file system, so same st_dev) is someone else's: never entered. */
TEST(fdutil_rm_rf_leaves_bind_mounts_alone)
{
        _cleanup_free_ char *src = xasprintf("%s/theirs", test_tmpdir());
        _cleanup_free_ char *at = xasprintf("%s/tree/a/mnt", test_tmpdir());
        _cleanup_close_ int dfd = -1;
        struct stat st;

        /* Needs root (CI runs the unit tests as root): a private mount namespace for the bind.
         * The directory is opened after the unshare: an fd from before resolves in the old one. */
        ASSERT_EQ(0, unshare(CLONE_NEWNS));
        ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
        dfd = open_dir(test_tmpdir());
        ASSERT_EQ(0, mkdir_p_at(dfd, "theirs/sub", 0755));
        put_file(dfd, "theirs/keep", "keep");
        put_file(dfd, "theirs/sub/keep2", "keep");
        ASSERT_EQ(0, mkdir_p_at(dfd, "tree/a/mnt", 0755));
        put_file(dfd, "tree/a/f", "1");
        ASSERT_EQ(0, mount(src, at, NULL, MS_BIND, NULL));

        ASSERT_EQ(-EBUSY, rm_rf_at(dfd, "tree"));
        ASSERT_EQ(0, fstatat(dfd, "theirs/keep", &st, 0));
        ASSERT_EQ(0, fstatat(dfd, "theirs/sub/keep2", &st, 0));
        ASSERT_EQ(0, fstatat(dfd, "tree/a/mnt/keep", &st, 0));
        ASSERT(fstatat(dfd, "tree/a/f", &st, 0) < 0 && errno == ENOENT);   /* the rest went */
        ASSERT_EQ(0, umount2(at, MNT_DETACH));
        ASSERT_EQ(0, rm_rf_at(dfd, "tree"));
        ASSERT_EQ(2, count_entries(src));
}

TEST(fdutil_small_helpers)
{
        int p[2];
        char buf[16];

        ASSERT_EQ(0, pipe(p));
        ASSERT_EQ(0, fd_set_cloexec(p[0], 1));
        ASSERT_EQ(FD_CLOEXEC, fcntl(p[0], F_GETFD) & FD_CLOEXEC);
        ASSERT_EQ(0, fd_set_cloexec(p[0], 0));
        ASSERT_EQ(0, fcntl(p[0], F_GETFD) & FD_CLOEXEC);
        ASSERT_EQ(0, fd_set_nonblock(p[0], 1));
        ASSERT(fcntl(p[0], F_GETFL) & O_NONBLOCK);
        ASSERT_EQ(-EAGAIN, read_full(p[0], buf, 4));
        ASSERT_EQ(0, fd_set_nonblock(p[0], 0));
        ASSERT(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));

        ASSERT_EQ(0, write_all(p[1], "abcdef", 6));
        close(p[1]);
        /* read_full stops at EOF and reports what it got. */
        ASSERT_EQ(6, read_full(p[0], buf, sizeof(buf)));
        ASSERT(!memcmp(buf, "abcdef", 6));
        ASSERT_EQ(0, read_full(p[0], buf, sizeof(buf)));
        close(p[0]);
        ASSERT_EQ(-EBADF, fd_set_cloexec(p[0], 1));
        ASSERT_EQ(-EBADF, fd_set_nonblock(p[0], 1));
        ASSERT_EQ(-EBADF, write_all(p[0], "x", 1));
}

/* Regression: an existing file as the last component, and "", used to return 0. */
TEST(fdutil_mkdir_p_last_component_file_and_empty)
{
        _cleanup_close_ int dfd = open_dir(test_tmpdir());

        put_file(dfd, "plain", "x");
        ASSERT_EQ(-ENOTDIR, mkdir_p_at(dfd, "plain", 0755));
        ASSERT_EQ(-EINVAL, mkdir_p_at(dfd, "", 0755));
}

TEST(fdutil_unix_connect)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char path[200], longp[200];
        int l, c, a;

        snprintf(path, sizeof(path), "%s/s.sock", test_tmpdir());
        ASSERT(strlen(path) < sizeof(sa.sun_path));
        ASSERT_EQ(-ENOENT, unix_connect(path));
        memcpy(sa.sun_path, path, strlen(path));
        l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT(l >= 0);
        ASSERT_EQ(0, bind(l, (struct sockaddr *)&sa, sizeof(sa)));
        ASSERT_EQ(0, listen(l, 1));
        c = unix_connect(path);
        ASSERT(c >= 0);
        ASSERT(fcntl(c, F_GETFD) & FD_CLOEXEC);
        a = accept(l, NULL, NULL);
        ASSERT(a >= 0);
        ASSERT_EQ(1, (int)write(c, "x", 1));
        char b;
        ASSERT_EQ(1, (int)read(a, &b, 1));
        ASSERT_EQ('x', b);
        memset(longp, 'a', sizeof(longp) - 1);
        longp[sizeof(longp) - 1] = 0;
        ASSERT_EQ(-ENAMETOOLONG, unix_connect(longp));
        close(a);
        close(c);
        close(l);
}

/* A FIFO or a device is refused before it is opened for reading: opening a
 * FIFO would block (PID 1 wedged forever by an image's /etc/passwd). */
TEST(fdutil_read_refuses_fifo_without_blocking)
{
        _cleanup_close_ int dfd = open_dir(test_tmpdir());
        _cleanup_close_ int root = open_dir(test_tmpdir());
        char *data = NULL, buf[64];

        ASSERT_EQ(0, mkdirat(dfd, "etc", 0755));
        ASSERT_EQ(0, mkfifoat(dfd, "etc/passwd", 0644));
        alarm(5);       /* a blocking open would hang here: fail fast instead */
        ASSERT_EQ(-EINVAL, read_file_at(dfd, "etc/passwd", 100, &data, NULL));
        ASSERT_EQ(-EINVAL, read_file_in_root(root, "/etc/passwd", 100, &data, NULL));
        ASSERT_EQ(-EINVAL, read_file_at(AT_FDCWD, "/dev/zero", 100, &data, NULL));
        alarm(0);
        ASSERT(data == NULL);
        ASSERT(strstr(read_file_strerror(-EINVAL, buf, sizeof(buf), 100), "not a regular file"));
        ASSERT_STREQ("larger than the limit of 100 bytes", read_file_strerror(-EFBIG, buf, sizeof(buf), 100));
        ASSERT_STREQ(strerror(EACCES), read_file_strerror(-EACCES, buf, sizeof(buf), 100));
}

/* A 25,000-level tree (what a hostile app can leave) is removed with a
 * handful of fds: the walk holds one directory fd at a time. */
TEST(fdutil_rm_rf_deep_tree_with_few_fds)
{
        _cleanup_close_ int dfd = open_dir(test_tmpdir());
        struct rlimit rl = { 32, 32 };
        struct stat st;
        int fd;

        ASSERT_EQ(0, mkdirat(dfd, "deep", 0755));
        fd = openat(dfd, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(fd >= 0);
        for (int i = 0; i < 25000; i++) {
                int sub;
                ASSERT_EQ(0, mkdirat(fd, "d", 0755));
                if (i % 1000 == 0)
                        put_file(fd, "f", "x");
                sub = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ASSERT(sub >= 0);
                close(fd);
                fd = sub;
        }
        close(fd);
        /* Siblings at several levels, to check the walk comes back up right. */
        ASSERT_EQ(0, mkdir_p_at(dfd, "deep/d/d/e/f", 0755));
        ASSERT_EQ(0, mkdir_p_at(dfd, "deep/x/y", 0755));
        put_file(dfd, "deep/d/d/e/f/file", "y");
        ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
        ASSERT_EQ(0, rm_rf_at(dfd, "deep"));
        ASSERT(fstatat(dfd, "deep", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
}
