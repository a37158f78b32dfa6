/*
 * Who may talk to a pod (common/owner.h, docs/security.md).
 */
#include "common/owner.h"
#include "common/util.h"

#include <endian.h>
#include <sys/stat.h>
#include <sys/xattr.h>

/* linux/posix_acl_xattr.h, which not every libc's headers carry. */
#define ACL_XATTR "system.posix_acl_access"
#define ACL_XATTR_VERSION 0x0002
#define ACL_USER_OBJ 0x01
#define ACL_USER 0x02
#define ACL_GROUP_OBJ 0x04
#define ACL_GROUP 0x08
#define ACL_MASK 0x10
#define ACL_OTHER 0x20
#define ACL_NO_ID 0xffffffffu
#define ACL_MAX_ENTRIES ((OWNER_ACL_MAX - 4) / 8)

struct acl_entry {
        uint16_t tag, perm;
        uint32_t id;
};

int owner_uid_parse(const char *s, uid_t *ret)
{
        long v;

        /* (uid_t)-1 means "no uid" to the kernel (chown) and here. */
        if (!s || parse_long(s, 0, 4294967294L, &v) < 0)
                return -EINVAL;
        *ret = (uid_t)v;
        return 0;
}

bool owner_admits(uid_t peer, uid_t self, uid_t owner)
{
        if (peer == 0 || peer == self)
                return true;
        return owner != POD_NO_OWNER && peer == owner;
}

void owner_refusal(char *buf, size_t size, uid_t peer, uid_t owner)
{
        char who[32];

        if (owner == POD_NO_OWNER || owner == 0)
                snprintf(who, sizeof(who), "root");
        else
                snprintf(who, sizeof(who), "uid %u", (unsigned)owner);
        snprintf(buf, size, "permission denied: uid %u may not control this pod (owner: %s); " OWNER_HINT,
                 (unsigned)peer, who);
}

static int entry_cmp(const void *a, const void *b)
{
        const struct acl_entry *x = a, *y = b;

        if (x->tag != y->tag)
                return x->tag < y->tag ? -1 : 1;
        return x->id < y->id ? -1 : x->id > y->id;
}

ssize_t owner_acl_add(const void *acl, size_t len, mode_t mode, uid_t uid, unsigned perm, void *out)
{
        struct acl_entry e[ACL_MAX_ENTRIES + 2];
        size_t n = 0, mask = SIZE_MAX;
        uint16_t union_perm = 0;
        const uint8_t *p = acl;
        uint8_t *o = out;
        bool found = false;
        uint32_t v;

        if (acl && len) {
                if (len < 4 || (len - 4) % 8 || (len - 4) / 8 > ACL_MAX_ENTRIES)
                        return len > 4 && (len - 4) % 8 == 0 ? -E2BIG : -EINVAL;
                memcpy(&v, p, 4);
                if (le32toh(v) != ACL_XATTR_VERSION)
                        return -EINVAL;
                for (size_t off = 4; off < len; off += 8) {
                        uint16_t t, pm;
                        memcpy(&t, p + off, 2);
                        memcpy(&pm, p + off + 2, 2);
                        memcpy(&v, p + off + 4, 4);
                        e[n++] = (struct acl_entry){ le16toh(t), le16toh(pm) & 7, le32toh(v) };
                }
        } else {
                e[n++] = (struct acl_entry){ ACL_USER_OBJ, (mode >> 6) & 7, ACL_NO_ID };
                e[n++] = (struct acl_entry){ ACL_GROUP_OBJ, (mode >> 3) & 7, ACL_NO_ID };
                e[n++] = (struct acl_entry){ ACL_OTHER, mode & 7, ACL_NO_ID };
        }
        for (size_t i = 0; i < n; i++) {
                if (e[i].tag == ACL_USER && e[i].id == (uint32_t)uid) {
                        e[i].perm |= (uint16_t)(perm & 7);
                        found = true;
                }
                if (e[i].tag == ACL_MASK)
                        mask = i;
        }
        if (!found) {
                if (n >= ACL_MAX_ENTRIES)
                        return -E2BIG;
                e[n++] = (struct acl_entry){ ACL_USER, (uint16_t)(perm & 7), (uint32_t)uid };
        }
        if (mask == SIZE_MAX) {
                if (n >= ACL_MAX_ENTRIES)
                        return -E2BIG;
                mask = n;
                e[n++] = (struct acl_entry){ ACL_MASK, 0, ACL_NO_ID };
        }
        /* The mask bounds the named entries and the owning group: their union, as setfacl computes it. */
        for (size_t i = 0; i < n; i++)
                if (e[i].tag == ACL_USER || e[i].tag == ACL_GROUP || e[i].tag == ACL_GROUP_OBJ)
                        union_perm |= e[i].perm;
        e[mask].perm = union_perm;
        qsort(e, n, sizeof(e[0]), entry_cmp);
        v = htole32(ACL_XATTR_VERSION);
        memcpy(o, &v, 4);
        for (size_t i = 0; i < n; i++) {
                uint16_t t = htole16(e[i].tag), pm = htole16(e[i].perm);
                uint32_t id = htole32(e[i].tag == ACL_USER || e[i].tag == ACL_GROUP ? e[i].id : ACL_NO_ID);
                memcpy(o + 4 + i * 8, &t, 2);
                memcpy(o + 4 + i * 8 + 2, &pm, 2);
                memcpy(o + 4 + i * 8 + 4, &id, 4);
        }
        return (ssize_t)(4 + n * 8);
}

int owner_grant_dir(int dirfd, uid_t uid, unsigned perm)
{
        uint8_t cur[OWNER_ACL_MAX], next[OWNER_ACL_MAX];
        struct stat st;
        ssize_t n, m;

        if (uid == 0)
                return 0;
        if (fstat(dirfd, &st) < 0)
                return -errno;
        n = fgetxattr(dirfd, ACL_XATTR, cur, sizeof(cur));
        if (n < 0 && errno != ENODATA)
                return errno == ERANGE ? -E2BIG : -errno;
        m = owner_acl_add(n > 0 ? cur : NULL, n > 0 ? (size_t)n : 0, st.st_mode, uid, perm, next);
        if (m < 0)
                return (int)m;
        if (fsetxattr(dirfd, ACL_XATTR, next, (size_t)m, 0) < 0)
                return -errno;
        return 0;
}

int owner_dir_reset(int dirfd, mode_t mode)
{
        if (fremovexattr(dirfd, ACL_XATTR) < 0 && errno != ENODATA && errno != EOPNOTSUPP)
                return -errno;
        /* After the ACL is gone: a chmod with an ACL in place sets only its mask. */
        return fchmod(dirfd, mode) < 0 ? -errno : 0;
}
