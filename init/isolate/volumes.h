/*
 * The apps' volumes: the sources are cloned by the pod's first process
 * before pivot_root, while host paths are still visible, and attached in
 * each app's rootfs by PID 1 after its /dev, /proc and /sys.
 * docs/manifest.md "Volumes and mounts".
 */
#ifndef POD_INIT_VOLUMES_H
#define POD_INIT_VOLUMES_H

#include "common/manifest.h"

/* Before pivot_root, cwd the pod directory: create the empty volumes'
 * directories, check the sources, record device sources (for the app's
 * device allow list) and clone each source tree (read-only if asked).
 * -ENOENT only for a host source that does not exist (the launcher exits
 * 1 for it, as rkt did); err names the app, the volume and the path. */
int volumes_prepare(struct pod_manifest *m, struct pod_err *err);
/* PID 1, in mounts_setup_app: attach the app's prepared trees at their
 * targets in its rootfs (root_fd), outer targets first, then make the root
 * read-only if asked.  A source and target of different types (a file over
 * a directory, or the reverse) is an error saying so. */
int volumes_attach(struct pod_app *a, int root_fd, bool read_only_root, const char *rootfs, struct pod_err *err);

/* Open (creating directories, or an empty file when !dir) path inside the
 * root directory root_fd: ".." stops at the root and symlinks resolve
 * against it, so the result is never outside.  An O_PATH fd. */
int open_target_in_root(int root_fd, const char *path, bool dir, int *ret_fd);

#endif
