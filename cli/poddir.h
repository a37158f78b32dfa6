/*
 * Pods on disk under --dir (cli/poddir.c): found by UUID or prefix, listed,
 * their status read live or from their files, and the pod manifest of a
 * mutable pod rewritten under its lock.
 */
#ifndef POD_CLI_PODDIR_H
#define POD_CLI_PODDIR_H

#include <jansson.h>

#include "common/util.h"

enum pod_dir_state { PODDIR_PREPARING, PODDIR_RUNNING, PODDIR_EXITED, PODDIR_GARBAGE };
struct pod_ref {
        char uuid[37];
        char *path;             /* <dir>/pods/<state>/<uuid> */
        enum pod_dir_state state;
};
const char *pod_dir_state_name(enum pod_dir_state s);
/* All pods, sorted by creation time. */
int pods_list(struct pod_ref **ret, size_t *ret_n, struct pod_err *err);
void pods_free(struct pod_ref *p, size_t n);
/* Resolve a UUID or unique prefix. */
int pod_find(const char *arg, struct pod_ref *ret, struct pod_err *err);
void pod_ref_done(struct pod_ref *p);
/*
 * Status document of a pod: from its control socket if running, else from
 * disk.  A running pod whose podinit does not answer within the timeout is
 * read from disk with "unresponsive": true and "unresponsiveReason".
 */
#define POD_STATUS_TIMEOUT_MS 2000u     /* status, app list/status */
#define POD_LIST_TIMEOUT_MS 1000u       /* list: per pod */
int pod_status_load(const struct pod_ref *p, json_t **ret, struct pod_err *err);
int pod_status_load_timeout(const struct pod_ref *p, unsigned timeout_ms, json_t **ret, struct pod_err *err);

/*
 * app add and app rm rewrite <pod>/pod, serialised by an exclusive flock on
 * <pod>/app.lock: lock it (*ret_podfd: the pod directory), read the manifest
 * as JSON, and store new text atomically (fsync'd).  Messages name the file.
 */
int pod_manifest_lock(const struct pod_ref *p, int *ret_podfd, int *ret_lockfd, struct pod_err *err);
int pod_manifest_load(int podfd, json_t **ret, struct pod_err *err);
int pod_manifest_store(int podfd, const char *text, struct pod_err *err);

#endif
