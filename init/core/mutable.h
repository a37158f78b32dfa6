/*
 * Apps added to and removed from a running mutable pod (init/core/mutable.c).
 */
#ifndef POD_INIT_MUTABLE_H
#define POD_INIT_MUTABLE_H

#include "init/core/pod.h"

/* Parse, check and prepare an apps[] entry (obj); the app is "created", not started. */
int pod_app_add(struct pod *pod, struct json_t *obj, struct app **ret, struct pod_err *err);
/* Start a created app (once the apps it starts after are ready). */
int pod_app_start_req(struct pod *pod, struct app *a, struct pod_err *err);
/* Remove an app that is not running: its files in the pod, mounts, cgroup, handles. */
int pod_app_remove(struct pod *pod, struct app *a, struct pod_err *err);

#endif
