/*
 * Who may talk to a pod (docs/security.md "Who may talk to a pod"): root,
 * and the pod's owner if it has one (podinit --owner-uid, podctl run
 * --owner).  Shared by PID 1 (the control socket's peer check, the modes of
 * the socket and its directory) and podctl (the flag, the pod directory's
 * parents, the messages a refused user sees).
 *
 * Access to a root-owned directory is given to the owner alone with a POSIX
 * ACL entry ("user:UID:--x"), not with a wider mode: 0711 would let every
 * user through to whatever they can name inside.
 */
#ifndef POD_COMMON_OWNER_H
#define POD_COMMON_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* No owner: only root may talk to the pod. */
#define POD_NO_OWNER ((uid_t)-1)
/* What a refused user is told to do, in every message about it. */
#define OWNER_HINT "run as root or as the pod's owner"

/* ACL permission bits, as in a mode's rwx. */
#define OWNER_PERM_R 4u
#define OWNER_PERM_X 1u

/* "N" (0 to 4294967294) as a uid: 0 or -EINVAL. */
int owner_uid_parse(const char *s, uid_t *ret);

/*
 * May a peer with uid peer use the control socket?  self is PID 1's own
 * euid (root, as podinit runs), owner the pod's owner or POD_NO_OWNER.
 */
bool owner_admits(uid_t peer, uid_t self, uid_t owner);

/* The refusal sent to such a peer: "permission denied: uid 1000 may not
 * control this pod (owner: root); run as root or as the pod's owner". */
void owner_refusal(char *buf, size_t size, uid_t peer, uid_t owner);

/* The largest ACL owner_acl_add writes (32 entries). */
#define OWNER_ACL_MAX (4 + 32 * 8)

/*
 * The system.posix_acl_access value of a file with mode `mode` and current
 * value acl (len bytes; NULL if it has none) once uid has at least perm:
 * the entry is added or widened, the mask recomputed as setfacl does, the
 * entries put in the order the kernel requires.  Writes at most
 * OWNER_ACL_MAX bytes to out; returns its length, or -EINVAL for a value it
 * cannot read, -E2BIG past 32 entries.
 */
ssize_t owner_acl_add(const void *acl, size_t len, mode_t mode, uid_t uid, unsigned perm, void *out);

/* Drop every ACL entry of the directory open at dirfd (a previous owner's)
 * and set its mode, in that order. */
int owner_dir_reset(int dirfd, mode_t mode);

/* Give uid perm on the directory open at dirfd (O_RDONLY, not O_PATH)
 * through its ACL; 0 for root, who needs none.  -EOPNOTSUPP: the
 * filesystem has no ACLs. */
int owner_grant_dir(int dirfd, uid_t uid, unsigned perm);

#endif
