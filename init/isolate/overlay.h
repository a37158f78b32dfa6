/*
 * Apps whose root is an overlay of image-store trees (common/overlay.h).
 * The launcher's child opens the store while the host's paths are still in
 * view (overlay_open_store, before the pod's root is switched); PID 1 keeps
 * that fd, and for each such app mounts overlayfs on the app's rootfs with
 * lowerdirs named relative to the store (so the options fit in one page)
 * and the upper and work directories in the app's own directory of the pod.
 * The trees are never written: overlayfs copies up into the pod.  The mount
 * lives in the pod's mount namespace only: nothing on the host to clean up.
 *
 * PID 1 also takes each image's in-use lock (store locks/<id>, shared) when
 * it mounts an app of it and holds it until it exits, so `podctl image rm`
 * refuses the image while the pod runs.
 */
#ifndef POD_INIT_OVERLAY_H
#define POD_INIT_OVERLAY_H

#include <stdbool.h>

#include "common/util.h"

/*
 * cwd: the pod directory, in the pod's mount namespace.  No <pod>/image-store
 * file: no store (0).  Else the store's trees are bound read-only at
 * s1/rkt/image-trees (in PID 1's root, never in an app's).
 */
#define OVERLAY_TREES_IN_POD "rkt/image-trees"
/*
 * Also, first: an app directory with a rootfs-source file (an app with no
 * image, its root a host directory: stage0/rootfs.h) gets that directory
 * bound on its rootfs, here in the pod's namespace, unless its rootfs is
 * already a mount point.
 */
#define ROOTFS_SOURCE_FILE "rootfs-source"     /* stage0/rootfs.h writes it */
int overlay_open_store(const char *s1, struct pod_err *err);
/*
 * If <appdir>/layers exists (appdir: rootfs's parent), mount the overlay on
 * rootfs (*ret_mounted true); else nothing (false).
 */
int overlay_mount_app(const char *rootfs, bool *ret_mounted, struct pod_err *err);

#endif
