#include "test.h"
#include "common/owner.h"
#include "common/util.h"

#include <endian.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

/* One entry of an ACL value: tag, perm, id (as owner.c writes them). */
static void entry(const uint8_t *acl, size_t i, unsigned *tag, unsigned *perm, uint32_t *id)
{
        uint16_t t, p;
        uint32_t v;

        memcpy(&t, acl + 4 + i * 8, 2);
        memcpy(&p, acl + 4 + i * 8 + 2, 2);
        memcpy(&v, acl + 4 + i * 8 + 4, 4);
        *tag = le16toh(t);
        *perm = le16toh(p);
        *id = le32toh(v);
}

TEST(owner_admits_root_self_and_owner_only)
{
        ASSERT(owner_admits(0, 0, POD_NO_OWNER));
        ASSERT(!owner_admits(1000, 0, POD_NO_OWNER));
        ASSERT(owner_admits(1000, 0, 1000));
        ASSERT(!owner_admits(1001, 0, 1000));
        ASSERT(owner_admits(0, 0, 1000));
        /* PID 1's own user (were it not root). */
        ASSERT(owner_admits(500, 500, POD_NO_OWNER));
        /* (uid_t)-1 is nobody's uid, never an owner that admits it. */
        ASSERT(!owner_admits(POD_NO_OWNER, 0, POD_NO_OWNER));
}

TEST(owner_refusal_says_who_and_what_to_do)
{
        char buf[256];

        owner_refusal(buf, sizeof(buf), 1000, POD_NO_OWNER);
        ASSERT_STREQ("permission denied: uid 1000 may not control this pod (owner: root); "
                     "run as root or as the pod's owner", buf);
        owner_refusal(buf, sizeof(buf), 1001, 1000);
        ASSERT_CONTAINS(buf, "uid 1001 may not control this pod (owner: uid 1000)");
        ASSERT_CONTAINS(buf, OWNER_HINT);
}

TEST(owner_uid_parse_bounds)
{
        uid_t u = 7;

        ASSERT_EQ(0, owner_uid_parse("0", &u));
        ASSERT_EQ(0, u);
        ASSERT_EQ(0, owner_uid_parse("4294967294", &u));
        ASSERT_EQ(4294967294u, u);
        ASSERT_EQ(-EINVAL, owner_uid_parse("4294967295", &u));
        ASSERT_EQ(-EINVAL, owner_uid_parse("-1", &u));
        ASSERT_EQ(-EINVAL, owner_uid_parse("alice", &u));
        ASSERT_EQ(-EINVAL, owner_uid_parse("", &u));
        ASSERT_EQ(-EINVAL, owner_uid_parse(NULL, &u));
        ASSERT_EQ(4294967294u, u);      /* untouched on failure */
}

/* A 0700 directory without an ACL: the owner gets --x, the mask --x, the group still nothing. */
TEST(owner_acl_add_from_mode)
{
        uint8_t out[OWNER_ACL_MAX];
        unsigned tag, perm;
        uint32_t id, v;
        ssize_t n = owner_acl_add(NULL, 0, 0700, 1000, OWNER_PERM_X, out);

        ASSERT_EQ(4 + 5 * 8, n);
        memcpy(&v, out, 4);
        ASSERT_EQ(2, le32toh(v));
        /* The kernel's order: user_obj, users by id, group_obj, groups, mask, other. */
        entry(out, 0, &tag, &perm, &id);
        ASSERT_EQ(0x01, tag);
        ASSERT_EQ(7, perm);
        entry(out, 1, &tag, &perm, &id);
        ASSERT_EQ(0x02, tag);
        ASSERT_EQ(1, perm);
        ASSERT_EQ(1000, id);
        entry(out, 2, &tag, &perm, &id);
        ASSERT_EQ(0x04, tag);
        ASSERT_EQ(0, perm);
        entry(out, 3, &tag, &perm, &id);
        ASSERT_EQ(0x10, tag);
        ASSERT_EQ(1, perm);
        entry(out, 4, &tag, &perm, &id);
        ASSERT_EQ(0x20, tag);
        ASSERT_EQ(0, perm);
}

/* A second owner is added in uid order; the same owner again only widens its entry. */
TEST(owner_acl_add_keeps_others_and_widens)
{
        uint8_t a[OWNER_ACL_MAX], b[OWNER_ACL_MAX], c[OWNER_ACL_MAX];
        unsigned tag, perm;
        uint32_t id;
        ssize_t na = owner_acl_add(NULL, 0, 0700, 2000, OWNER_PERM_X, a);
        ssize_t nb = owner_acl_add(a, (size_t)na, 0710, 1000, OWNER_PERM_X, b);
        ssize_t nc = owner_acl_add(b, (size_t)nb, 0710, 2000, OWNER_PERM_R, c);

        ASSERT_EQ(4 + 6 * 8, nb);
        entry(b, 1, &tag, &perm, &id);
        ASSERT_EQ(1000, id);
        entry(b, 2, &tag, &perm, &id);
        ASSERT_EQ(2000, id);
        ASSERT_EQ(nb, nc);
        entry(c, 2, &tag, &perm, &id);
        ASSERT_EQ(0x02, tag);
        ASSERT_EQ(5, perm);
        entry(c, 4, &tag, &perm, &id);   /* the mask: the union of the named entries */
        ASSERT_EQ(0x10, tag);
        ASSERT_EQ(5, perm);
        /* Garbage is refused, not half-read. */
        ASSERT_EQ(-EINVAL, owner_acl_add(a, 7, 0700, 1, OWNER_PERM_X, c));
        a[0] = 9;
        ASSERT_EQ(-EINVAL, owner_acl_add(a, (size_t)na, 0700, 1, OWNER_PERM_X, c));
}

/* On a real directory (when its filesystem has ACLs): the mode shows the mask; a reset drops the entry. */
TEST(owner_grant_dir_and_reset)
{
        _cleanup_free_ char *dir = xasprintf("%s/d", test_tmpdir());
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        ASSERT_EQ(0, mkdir(dir, 0700));
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT(fd >= 0);
        ASSERT_EQ(0, owner_grant_dir(fd, 0, OWNER_PERM_X));     /* root: nothing to do */
        r = owner_grant_dir(fd, 1000, OWNER_PERM_X);
        if (r == -EOPNOTSUPP)
                return;
        ASSERT_EQ(0, r);
        ASSERT_EQ(0, fstat(fd, &st));
        ASSERT_EQ(0710, st.st_mode & 07777);
        ASSERT(fgetxattr(fd, "system.posix_acl_access", NULL, 0) > 0);
        ASSERT_EQ(0, owner_dir_reset(fd, 0700));
        ASSERT_EQ(0, fstat(fd, &st));
        ASSERT_EQ(0700, st.st_mode & 07777);
        ASSERT(fgetxattr(fd, "system.posix_acl_access", NULL, 0) < 0 && errno == ENODATA);
}
