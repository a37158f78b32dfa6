/*
 * User and group resolution inside an app's rootfs, as rkt's stage1 does it
 * (reference ParseUserGroup): "root" -> 0; a decimal id; an absolute path ->
 * the owner of that file in the rootfs; otherwise a name looked up in the
 * app's own /etc/passwd or /etc/group.  PID 1 never uses NSS: the files are
 * read directly, with symlinks resolved inside the rootfs (openat2
 * RESOLVE_IN_ROOT), before fork.
 */
#ifndef POD_COMMON_USERDB_H
#define POD_COMMON_USERDB_H

#include <sys/types.h>

#include "common/util.h"

/* The largest /etc/passwd or /etc/group read (a FIFO or device there is refused). */
#define USERDB_MAX_FILE (8u << 20)

int userdb_resolve_user(int root_fd, const char *user, uid_t *ret_uid, struct pod_err *err);
int userdb_resolve_group(int root_fd, const char *group, gid_t *ret_gid, struct pod_err *err);
/* The name and home directory of uid in the rootfs's /etc/passwd (-ENOENT if none;
 * other errors: the file is unreadable, see read_file_strerror). */
int userdb_lookup_uid(int root_fd, uid_t uid, char **ret_name, char **ret_home);
/* The primary group (passwd's gid field) of user, a name or a decimal uid:
 * what an OCI image's "User": "NAME" or "UID" runs with (-ENOENT if no entry). */
int userdb_primary_gid(int root_fd, const char *user, gid_t *ret_gid);

#endif
