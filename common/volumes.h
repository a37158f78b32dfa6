/*
 * Volumes and mounts (docs/manifest.md "Volumes and mounts"): the pod's
 * `volumes`, each app's `mounts` (with inline `appVolume`s) and the
 * `mountPoints` of its app section, resolved per app the way rkt's stage1
 * did (reference §3.3) into the list of bind mounts podinit makes.
 * Parsing and resolution only; init/isolate/volumes.c makes the mounts.
 */
#ifndef POD_COMMON_VOLUMES_H
#define POD_COMMON_VOLUMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"

#define POD_MAX_VOLUMES 256     /* pod volumes; also mounts and mount points per app */
#define SHARED_VOLUMES_DIR "sharedVolumes"      /* in $pod: the empty volumes' directories */

enum volume_kind { VOL_HOST, VOL_EMPTY };

struct volume {
        char *name;
        enum volume_kind kind;
        char *source;           /* host: absolute host path */
        int read_only;          /* -1: not set (the mount point decides), 0, 1 */
        bool recursive;         /* host: bind submounts too (default true) */
        mode_t mode;            /* empty: default 0755 */
        uid_t uid;
        gid_t gid;
};

struct mount_point {            /* apps[].app.mountPoints[] (from the image) */
        char *name, *path;
        bool read_only;
};

struct app_mount_spec {         /* apps[].mounts[] */
        char *volume, *path;
        struct volume *app_volume;      /* inline appVolume, or NULL */
};

struct app_mount {              /* one resolved bind mount of an app */
        char *volume;           /* the volume's name */
        enum volume_kind kind;
        char *source;           /* host: the host path; empty: NULL ($pod/sharedVolumes/<volume>) */
        char *target;           /* as written (resolved inside the app's rootfs when mounted) */
        bool read_only, recursive;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        /* Filled in when mounted: a device-node source, for the app's device allow list. */
        char dev_type;          /* 'c', 'b', or 0 */
        int64_t dev_major, dev_minor;
        bool is_dir;            /* the source is a directory (else the target is a file) */
        int tree_fd;            /* the detached copy of the source to attach (init/isolate/volumes.c), or -1 */
};

struct json_t;

int volume_list_parse(struct json_t *arr, const char *path, struct volume **ret, size_t *ret_n, struct pod_err *err);
int mount_points_parse(struct json_t *arr, const char *path, struct mount_point **ret, size_t *ret_n,
                       struct pod_err *err);
int app_mounts_parse(struct json_t *arr, const char *path, struct app_mount_spec **ret, size_t *ret_n,
                     struct pod_err *err);
void volumes_free(struct volume *v, size_t n);
void mount_points_free(struct mount_point *m, size_t n);
void app_mounts_spec_free(struct app_mount_spec *m, size_t n);
void app_mounts_free(struct app_mount *m, size_t n);
struct mount_point *mount_points_copy(const struct mount_point *m, size_t n);

/* A mount target as an absolute path with no "", "." or ".." components
 * (".." stops at "/"), e.g. "a//b/../c/" -> "/a/c".  Lexical only. */
char *volume_target_normalize(const char *target);
/* Is some target of m[0..n) dir itself or below it (lexically)? */
bool volume_targets_under(const struct app_mount *m, size_t n, const char *dir);

#endif
