/*
 * The pod's filesystem, set up by PID 1 in its own mount namespace:
 * the stage1 rootfs ($s1) becomes PID 1's root with /proc, a read-only /sys
 * and a minimal /dev (null zero full random urandom tty, devpts with its own
 * ptmx, shm, console when the pod was started from a terminal); each app's
 * rootfs gets the pod's /dev, /proc and read-only /sys bound in.
 * Nothing here touches the host's mount namespace.
 */
#ifndef POD_INIT_MOUNTS_H
#define POD_INIT_MOUNTS_H

#include <stdbool.h>

#include "common/util.h"

/* Prepare $s1 (path relative to cwd or absolute) and switch root to it. */
int mounts_setup_pod(const char *s1, const char *console_tty, struct pod_err *err);
/* Bind the pod's /dev, /proc, /sys into an app rootfs (path in PID 1's root);
 * with restrict_paths, also make kernel interfaces under them read-only or
 * inaccessible (off with podinit --disable-paths). */
struct pod_app;
int mounts_setup_app(const char *rootfs, struct pod_app *a, bool restrict_paths, struct pod_err *err);

#endif
