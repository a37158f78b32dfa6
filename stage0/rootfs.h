/*
 * Apps whose root is not an image but a directory the caller provides (an
 * OCI bundle's rootfs: stage0/app.h, stage0_app.rootfs), and how such a
 * directory reaches a pod that is already running.
 *
 * For the apps a pod starts with, nothing is mounted on the host: the pod's
 * launcher binds each app's rootfs-source in the pod's own namespace before
 * its root is switched (init/isolate/overlay.c).  For an app added later:
 * PID 1 lives in a mount namespace of its own and has pivoted into the
 * stage1 rootfs, so a host mount made later is invisible to it unless mount
 * propagation carries it in.  The carrier is <pod>/stage1/rootfs/opt/stage2
 * made a *shared* mount on the host before the pod starts
 * (stage0_rootfs_share): the launcher's clone copies it into the pod, which
 * turns every copy into a slave (init/isolate/mounts.c), so a mount the host
 * makes under opt/stage2 later (stage0_rootfs_attach, at `app add`) appears
 * in the pod's tree and in PID 1's, and nothing the pod mounts goes back.
 * On a host whose / is already shared (every systemd host) the pod
 * directory inherits that, and the share is not needed.
 *
 * These are host mounts: whoever makes them removes them
 * (stage0_rootfs_detach at `app rm` and in stage0_app_discard,
 * stage0_rootfs_unshare once the pod is gone).
 */
#ifndef POD_STAGE0_ROOTFS_H
#define POD_STAGE0_ROOTFS_H

#include <stdbool.h>

#include "common/util.h"
#include "stage0/app.h"

/*
 * <pod>/stage1/rootfs/opt/stage2/<app>/rootfs-source: the host directory that
 * is the app's root (init/isolate/overlay.h reads it at pod start).
 */
#define STAGE0_ROOTFS_SOURCE_FILE "rootfs-source"

/* Make podpath's opt/stage2 a shared mount on the host (bound on itself first); idempotent. */
int stage0_rootfs_share(const char *podpath, struct pod_err *err);
/* Undo stage0_rootfs_share (a lazy unmount); 0 if it was not shared. */
int stage0_rootfs_unshare(const char *podpath, struct pod_err *err);
/*
 * Bind dir (recursively: the mounts under it come along) at app name's
 * place, <podpath>/stage1/rootfs/opt/stage2/<name>/rootfs, which must be an
 * empty directory.  The message names dir.
 */
int stage0_rootfs_attach(const char *podpath, const char *name, const char *dir, struct pod_err *err);
/* Unmount what is at app name's rootfs (lazily, with everything under it); 0 if nothing is. podfd: the pod. */
int stage0_rootfs_detach(int podfd, const char *name);
/*
 * Does a mount made now under podpath's opt/stage2 reach a pod that is
 * already running (is the mount holding it shared)?  1, 0 or -errno.
 */
int stage0_rootfs_propagates(const char *podpath);
/*
 * The inline volumes of an app with a rootfs (an OCI spec's bind mounts as
 * host volumes, its tmpfs mounts as empty ones: stage0/ocispec.h) mounted
 * on the host inside a->rootfs, outer targets first, and dropped from
 * a->mounts: an app added to a running pod cannot have podinit mount
 * volumes for it (init/core/mutable.c), but a tree bound recursively at its
 * place brings its submounts along.  Host volumes are bound (recursively
 * unless recursive is false, read-only if readOnly), empty ones are a tmpfs
 * (memory, with the volume's mode).  Targets resolve inside the rootfs (no
 * symlink or ".." leads out) and are created when missing.  They are the
 * caller's mounts, under its rootfs: unmounting the rootfs recursively
 * (MNT_DETACH) removes them.  Call before stage0_app_unpack.
 */
int stage0_rootfs_mount_volumes(struct stage0_app *a, struct pod_err *err);
/*
 * Unmount (lazily) every host mount at or under podpath, deepest first:
 * for a pod that has ended, whatever its tooling left mounted there (a
 * shim killed before it undid its rootfs binds, a share).  The number
 * unmounted, or -errno.  Run it after the pod's networks are torn down
 * (their namespace is a bind mount under the pod: net/podnet.h).
 */
int stage0_pod_unmount_all(const char *podpath, struct pod_err *err);
/* Is path (relative to dirfd) a mount point?  1, 0 or -errno. */
int stage0_is_mount_point(int dirfd, const char *path);

#endif
