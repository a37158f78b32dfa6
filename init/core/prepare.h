/*
 * Everything an app needs before its first fork (init/core/prepare.c): its
 * exec plan (user, groups, environment, capabilities, seccomp, rlimits), its
 * mounts, cgroup, log and readiness socket.  DESIGN rule 2: the child only
 * makes syscalls.
 */
#ifndef POD_INIT_CORE_PREPARE_H
#define POD_INIT_CORE_PREPARE_H

struct app;
struct pod_err;

int app_prepare(struct app *a, struct pod_err *err);

#endif
