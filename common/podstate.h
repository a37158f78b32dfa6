/*
 * The pod directory as rkt lays it out ($pod = <dir>/pods/<state>/<uuid>),
 * shared by podctl and podinit.  "Running" means exactly: someone holds the
 * exclusive flock on the pod directory (rkt's whole liveness protocol).
 */
#ifndef POD_COMMON_PODSTATE_H
#define POD_COMMON_PODSTATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/util.h"

/* Paths relative to $pod. */
#define POD_S1 "stage1/rootfs"
#define POD_RKT_STATUS POD_S1 "/rkt/status"
#define POD_RKT_ENV POD_S1 "/rkt/env"
#define POD_PODINIT_DIR POD_S1 "/rkt/podinit"     /* control socket, JSON status */
#define POD_STATUS_JSON "pod.json"                 /* inside POD_PODINIT_DIR */
#define POD_CONSOLE_LOG "console.log"              /* detached pods' stdout/stderr */

/* Paths as PID 1 sees them after switching root to $s1. */
#define S1_RKT_STATUS "/rkt/status"
#define S1_RKT_ENV "/rkt/env"
#define S1_PODINIT_DIR "/rkt/podinit"
#define S1_STAGE2 "/opt/stage2"

/* The pod's PID 1 (host pid): <pod_dir>/pid, else the only child of the
 * process in <pod_dir>/ppid (rkt's variant).  -ENOENT before either exists. */
int pod_pid1(const char *pod_dir, pid_t *ret, struct pod_err *err);
/* The launcher: PID 1's parent, if its working directory is pod_dir; else 0.
 * Killing it kills the pod (PID 1's PR_SET_PDEATHSIG). */
pid_t pod_launcher_of(pid_t pid1, const char *pod_dir);
/* 1 if some process holds the pod lock, 0 if not, -errno on error. */
int pod_lock_held(int podfd);
struct pod_app;
/* The host path of an app's log file: its podinit.io/log-path, or
 * <pod_dir>/stage1/rootfs/rkt/logs/<app>.log (pod_dir may be relative). */
char *pod_app_log_path(const char *pod_dir, const struct pod_app *a);

#endif
