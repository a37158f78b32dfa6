/*
 * Helpers every stage1 entrypoint uses (stage1/shared.c), below the
 * entrypoints and the dispatch in entry.c.
 */
#ifndef POD_STAGE1_SHARED_H
#define POD_STAGE1_SHARED_H

#include <sys/types.h>

#include "common/util.h"

/* Mark every fd above 2 close-on-exec: rkt leaks some (net-info.json). */
void s1_cloexec_inherited(void);
/* The pod's PID 1 on the host: `pid`, or the single child of `ppid`. */
int s1_pod_pid(pid_t *ret, struct pod_err *err);
/* 1 if the pod (cwd) is running (its lock is held), 0 if not. */
int s1_pod_running(void);

#endif
