/* Unit tests for common/userdb.c: user and group resolution inside a rootfs. */
#include <fcntl.h>
#include <sys/stat.h>

#include "test.h"
#include "common/fdutil.h"
#include "common/userdb.h"
#include "common/util.h"

static const char passwd[] =
        "# a comment line: alice:x:999:999::/nope:/bin/false\n"
        "root:x:0:0:root:/root:/bin/sh\n"
        "\n"
        "shortline\n"
        "twofields:x\n"
        "+nisuser:x:555:555::/nis:/bin/sh\n"
        "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
        "alice:x:1001:1002:Alice:/home/alice:/bin/sh\n"
        "nohome:x:1003:1003:No Home::/bin/sh\n"
        "fewfields:x:1004\n"
        "badid:x:notanumber:1:::\n";

static const char group[] =
        "#staff:x:999:\n"
        "root:x:0:\n"
        "wheel\n"
        "staff:x:50:alice,bob\n"
        "-nisgroup:x:556:\n"
        "audio:x:29:\n";

static void put(int dfd, const char *path, const char *content)
{
        int fd = openat(dfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                FAIL_AT("create %s: %s", path, strerror(errno));
        ASSERT_EQ(0, write_all(fd, content, strlen(content)));
        close(fd);
}

/* test_tmpdir()/root with etc/passwd and etc/group; returns an fd on the root. */
static int make_rootfs(bool with_files)
{
        _cleanup_close_ int tfd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int rfd;

        ASSERT(tfd >= 0);
        ASSERT_EQ(0, mkdir_p_at(tfd, "root/etc", 0755));
        if (with_files) {
                put(tfd, "root/etc/passwd", passwd);
                put(tfd, "root/etc/group", group);
        }
        rfd = openat(tfd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(rfd >= 0);
        return rfd;
}

TEST(userdb_root_and_numeric)
{
        _cleanup_close_ int rfd = make_rootfs(false); /* no passwd needed for these */
        struct pod_err err = { 0 };
        uid_t u = 77;
        gid_t g = 77;

        ASSERT_EQ(0, userdb_resolve_user(rfd, "root", &u, &err));
        ASSERT_EQ(0, u);
        ASSERT_EQ(0, userdb_resolve_group(rfd, "root", &g, &err));
        ASSERT_EQ(0, g);
        ASSERT_EQ(0, userdb_resolve_user(rfd, "1234", &u, &err));
        ASSERT_EQ(1234, u);
        ASSERT_EQ(0, userdb_resolve_group(rfd, "1234", &g, &err));
        ASSERT_EQ(1234, g);
        ASSERT_EQ(0, userdb_resolve_user(rfd, "0", &u, &err));
        ASSERT_EQ(0, u);
        ASSERT_EQ(0, userdb_resolve_user(rfd, "4294967294", &u, &err));
        ASSERT_EQ(4294967294u, u);

        /* Not numbers after all, or out of range: errors, output untouched. */
        u = 77;
        ASSERT_EQ(-EINVAL, userdb_resolve_user(rfd, "12ab", &u, &err));
        ASSERT_CONTAINS(err.msg, "user \"12ab\": not a valid numeric id");
        ASSERT_EQ(-EINVAL, userdb_resolve_user(rfd, "4294967295", &u, &err));
        ASSERT_EQ(-EINVAL, userdb_resolve_group(rfd, "99999999999999999999", &g, &err));
        ASSERT_CONTAINS(err.msg, "group \"99999999999999999999\"");
        ASSERT_EQ(77, u);
        ASSERT_EQ(1234, g);
}

TEST(userdb_names_from_rootfs_files)
{
        _cleanup_close_ int rfd = make_rootfs(true);
        struct pod_err err = { 0 };
        uid_t u;
        gid_t g;

        ASSERT_EQ(0, userdb_resolve_user(rfd, "alice", &u, &err));
        ASSERT_EQ(1001, u);
        ASSERT_EQ(0, userdb_resolve_user(rfd, "daemon", &u, &err));
        ASSERT_EQ(1, u);
        ASSERT_EQ(0, userdb_resolve_group(rfd, "staff", &g, &err));
        ASSERT_EQ(50, g);
        ASSERT_EQ(0, userdb_resolve_group(rfd, "audio", &g, &err));
        ASSERT_EQ(29, g);
        /* The user database is not the group database. */
        ASSERT_EQ(-ENOENT, userdb_resolve_group(rfd, "alice", &g, &err));
        ASSERT_EQ(-ENOENT, userdb_resolve_user(rfd, "staff", &u, &err));
}

TEST(userdb_name_missing)
{
        _cleanup_close_ int rfd = make_rootfs(true);
        struct pod_err err = { 0 };
        uid_t u = 5;
        gid_t g = 5;

        ASSERT_EQ(-ENOENT, userdb_resolve_user(rfd, "nosuch", &u, &err));
        ASSERT_STREQ("\"nosuch\" user not found", err.msg);
        ASSERT_EQ(-ENOENT, err.code);
        ASSERT_EQ(-ENOENT, userdb_resolve_group(rfd, "nosuch", &g, &err));
        ASSERT_STREQ("\"nosuch\" group not found", err.msg);
        ASSERT_EQ(5, u);
        ASSERT_EQ(5, g);
}

TEST(userdb_comments_short_and_nis_lines_skipped)
{
        _cleanup_close_ int rfd = make_rootfs(true);
        struct pod_err err = { 0 };
        uid_t u = 5;
        gid_t g = 5;
        char *name = NULL, *home = NULL;

        /* "alice" in the comment has uid 999; the real entry wins. */
        ASSERT_EQ(0, userdb_resolve_user(rfd, "alice", &u, &err));
        ASSERT_EQ(1001, u);
        u = 5;
        ASSERT_EQ(-ENOENT, userdb_resolve_user(rfd, "# a comment line", &u, &err));
        ASSERT_EQ(-ENOENT, userdb_resolve_group(rfd, "#staff", &g, &err));
        ASSERT_EQ(-ENOENT, userdb_resolve_user(rfd, "+nisuser", &u, &err));
        ASSERT_EQ(-ENOENT, userdb_resolve_user(rfd, "nisuser", &u, &err));
        ASSERT_EQ(-ENOENT, userdb_resolve_group(rfd, "nisgroup", &g, &err));
        /* Lines without an id field give an error, not a crash or a wrong id. */
        ASSERT_EQ(-EINVAL, userdb_resolve_user(rfd, "shortline", &u, &err));
        ASSERT_CONTAINS(err.msg, "bad id field in /etc/passwd");
        ASSERT_EQ(-EINVAL, userdb_resolve_group(rfd, "wheel", &g, &err));
        ASSERT_CONTAINS(err.msg, "bad id field in /etc/group");
        ASSERT_EQ(-EINVAL, userdb_resolve_user(rfd, "twofields", &u, &err));
        ASSERT_EQ(-EINVAL, userdb_resolve_user(rfd, "badid", &u, &err));
        ASSERT_EQ(5, u);
        /* Short lines are never matched by uid either. */
        ASSERT_EQ(-ENOENT, userdb_lookup_uid(rfd, 555, &name, &home));
        ASSERT_EQ(-ENOENT, userdb_lookup_uid(rfd, 999, &name, &home));
        ASSERT(name == NULL && home == NULL);
}

TEST(userdb_lookup_uid_name_and_home)
{
        _cleanup_close_ int rfd = make_rootfs(true);
        char *name = NULL, *home = NULL;

        ASSERT_EQ(0, userdb_lookup_uid(rfd, 1001, &name, &home));
        ASSERT_STREQ("alice", name);
        ASSERT_STREQ("/home/alice", home);
        free(name);
        free(home);
        ASSERT_EQ(0, userdb_lookup_uid(rfd, 0, &name, &home));
        ASSERT_STREQ("root", name);
        ASSERT_STREQ("/root", home);
        free(name);
        free(home);
        /* An empty home is "/", and so is a line that stops before it. */
        ASSERT_EQ(0, userdb_lookup_uid(rfd, 1003, &name, &home));
        ASSERT_STREQ("nohome", name);
        ASSERT_STREQ("/", home);
        free(name);
        free(home);
        name = home = NULL;
        ASSERT_EQ(0, userdb_lookup_uid(rfd, 1004, &name, &home));
        ASSERT_STREQ("fewfields", name);
        ASSERT_STREQ("/", home);
        free(name);
        free(home);
        name = home = NULL;
        ASSERT_EQ(-ENOENT, userdb_lookup_uid(rfd, 4242, &name, &home));
        ASSERT(name == NULL && home == NULL);
}

TEST(userdb_absolute_path_owner)
{
        _cleanup_close_ int tfd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int rfd = make_rootfs(true);
        struct pod_err err = { 0 };
        uid_t u = 1;
        gid_t g = 1;

        ASSERT(tfd >= 0);
        ASSERT_EQ(0, mkdir_p_at(tfd, "root/srv/data", 0755));
        put(tfd, "root/srv/data/owned", "x");
        if (fchownat(tfd, "root/srv/data/owned", 4242, 4343, 0) < 0)
                FAIL_AT("chown: %s (the unit tests run as root)", strerror(errno));
        ASSERT_EQ(0, userdb_resolve_user(rfd, "/srv/data/owned", &u, &err));
        ASSERT_EQ(4242, u);
        ASSERT_EQ(0, userdb_resolve_group(rfd, "/srv/data/owned", &g, &err));
        ASSERT_EQ(4343, g);

        /* The owner of a symlink itself, not of what it points to. */
        ASSERT_EQ(0, symlinkat("/srv/data/owned", tfd, "root/link"));
        ASSERT_EQ(0, fchownat(tfd, "root/link", 3131, 3232, AT_SYMLINK_NOFOLLOW));
        ASSERT_EQ(0, userdb_resolve_user(rfd, "/link", &u, &err));
        ASSERT_EQ(3131, u);

        /* Missing path. */
        u = 9;
        ASSERT_EQ(-ENOENT, userdb_resolve_user(rfd, "/no/such/file", &u, &err));
        ASSERT_CONTAINS(err.msg, "unable to stat file");
        ASSERT_CONTAINS(err.msg, "/no/such/file");
        ASSERT_EQ(-ENOENT, userdb_resolve_group(rfd, "/no/such/file", &g, &err));
        ASSERT_CONTAINS(err.msg, "unable to stat file");
        ASSERT_EQ(9, u);
}

TEST(userdb_absolute_path_stays_in_rootfs)
{
        _cleanup_close_ int tfd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int rfd = make_rootfs(true);
        struct pod_err err = { 0 };
        uid_t u = 1;

        ASSERT(tfd >= 0);
        /* A file next to the rootfs on the host, owned by someone else. */
        put(tfd, "hostfile", "x");
        ASSERT_EQ(0, fchownat(tfd, "hostfile", 6000, 6000, 0));
        put(tfd, "root/hostfile", "x");
        ASSERT_EQ(0, fchownat(tfd, "root/hostfile", 7000, 7000, 0));
        ASSERT_EQ(0, userdb_resolve_user(rfd, "/../hostfile", &u, &err));
        ASSERT_EQ(7000, u);
        ASSERT_EQ(0, mkdirat(tfd, "root/d", 0755));
        ASSERT_EQ(0, userdb_resolve_user(rfd, "/d/../../../hostfile", &u, &err));
        ASSERT_EQ(7000, u);
}

TEST(userdb_passwd_symlink_resolves_inside_rootfs)
{
        _cleanup_close_ int tfd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int rfd = make_rootfs(false);
        struct pod_err err = { 0 };
        uid_t u = 1;
        gid_t g = 1;

        ASSERT(tfd >= 0);
        /* The "host" files sit where the links would lead outside the rootfs. */
        put(tfd, "host-passwd", "evil:x:666:666::/:/bin/sh\n");
        put(tfd, "host-group", "evil:x:666:\n");
        put(tfd, "root/host-passwd", "good:x:777:777::/home/good:/bin/sh\n");
        put(tfd, "root/host-group", "good:x:778:\n");
        ASSERT_EQ(0, symlinkat("/../../host-passwd", tfd, "root/etc/passwd"));
        ASSERT_EQ(0, symlinkat("../../host-group", tfd, "root/etc/group"));

        ASSERT_EQ(-ENOENT, userdb_resolve_user(rfd, "evil", &u, &err));
        ASSERT_STREQ("\"evil\" user not found", err.msg);
        ASSERT_EQ(-ENOENT, userdb_resolve_group(rfd, "evil", &g, &err));
        ASSERT_EQ(0, userdb_resolve_user(rfd, "good", &u, &err));
        ASSERT_EQ(777, u);
        ASSERT_EQ(0, userdb_resolve_group(rfd, "good", &g, &err));
        ASSERT_EQ(778, g);
        {
                char *name = NULL, *home = NULL;
                ASSERT_EQ(-ENOENT, userdb_lookup_uid(rfd, 666, &name, &home));
                ASSERT_EQ(0, userdb_lookup_uid(rfd, 777, &name, &home));
                ASSERT_STREQ("good", name);
                ASSERT_STREQ("/home/good", home);
                free(name);
                free(home);
        }
}

TEST(userdb_missing_passwd_file)
{
        _cleanup_close_ int rfd = make_rootfs(false);
        struct pod_err err = { 0 };
        uid_t u = 3;
        gid_t g = 3;
        char *name = NULL, *home = NULL;

        ASSERT_EQ(-ENOENT, userdb_resolve_user(rfd, "alice", &u, &err));
        ASSERT_CONTAINS(err.msg, "alice");
        ASSERT_EQ(-ENOENT, userdb_resolve_group(rfd, "staff", &g, &err));
        ASSERT_EQ(-ENOENT, userdb_lookup_uid(rfd, 0, &name, &home));
        /* /etc/passwd a directory: a clear error naming the file. */
        {
                _cleanup_close_ int tfd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ASSERT_EQ(0, mkdirat(tfd, "root/etc/passwd", 0755));
        }
        ASSERT_EQ(-EISDIR, userdb_resolve_user(rfd, "alice", &u, &err));
        ASSERT_CONTAINS(err.msg, "/etc/passwd");
        ASSERT_EQ(3, u);
        ASSERT_EQ(3, g);
}
