/*
 * Each app's mount namespace, at a cost that does not grow with the number
 * of apps in the pod.
 *
 * PID 1's own namespace holds every app's mounts (its rootfs, /dev, /proc,
 * /sys, masked paths, volumes: ~27 each), so an app namespace made by
 * unshare(CLONE_NEWNS) in PID 1's child would copy all of them: start and
 * stop of N apps cost O(N^2) (issue 17 measured 10,806 mounts copied per
 * app at 400 apps).  Instead PID 1 keeps a base namespace, a copy of its
 * own taken before the first app was set up (the pod's root, /proc, /sys,
 * /dev and the cgroup view only), and an app's child:
 *   1. clones the app's own mount tree (rootfs and what is mounted under it)
 *      out of PID 1's namespace with open_tree(OPEN_TREE_CLONE|AT_RECURSIVE);
 *   2. enters the base namespace and unshares a private copy of it;
 *   3. makes that copy a slave tree (nothing it does reaches the base) and
 *      attaches the clone at the rootfs's path with move_mount.
 * The child then pivots into the rootfs (init/core/spawn.c) as before.
 * What the app sees is the same as before: its rootfs with its mounts.
 */
#ifndef POD_INIT_APPNS_H
#define POD_INIT_APPNS_H

#include "common/util.h"

/*
 * Keep the calling process's mount namespace as it is now as the base (the
 * returned fd, O_CLOEXEC) and move the caller into a copy of it.  Call it in
 * PID 1 (single-threaded) after the pod's root is final and before any app
 * is set up.  -errno and err on failure.
 */
int appns_base_create(struct pod_err *err);

/*
 * In the app's child, before it pivots into rootfs: steps 1-3 above.  Only
 * syscalls (async-signal-safe).  0, or -errno with *ret_what naming the
 * step that failed.
 */
int appns_enter(int base_fd, const char *rootfs, const char **ret_what);

#endif
