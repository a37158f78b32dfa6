/*
 * Status documents and the files they go to (docs/protocol.md "status",
 * docs/stage1-abi.md): each app's apps/<name>.json and rkt/status/<name>,
 * the pod's pod.json.  Written atomically (temp + rename; fsync'd when
 * final).  The PERSIST observer (persist_observe) writes an app's files as
 * soon as it reaches a final state, before any client is told.
 */
#ifndef POD_INIT_CORE_PERSIST_H
#define POD_INIT_CORE_PERSIST_H

#include <stdbool.h>

struct app;
struct pod;
struct json_t;

/* Register the PERSIST observer (before the pod's first event). */
void persist_observe(struct pod *pod);

/* The app's status document (new reference). */
struct json_t *app_status_json(const struct app *a);
/* The last exit as JSON: shellCode, code (after the app's map), exitCode or signal, error. */
struct json_t *app_exit_json(const struct app *a);
/* Did its last run fail (its code, after the app's map, is not 0)? */
bool app_failed(const struct app *a);
void app_write_status(const struct app *a);
/* rkt/status/<app>: its rkt_code, "%d\n", atomically (a failure is warned about). */
void app_write_rkt_status(const struct app *a);

/* The status document (docs/protocol.md "status"), new reference. */
struct json_t *pod_status_json(const struct pod *pod);
/* Write a status document (consumed) to path atomically; failures are warned about, not fatal. */
void pod_write_json(const char *path, struct json_t *j, int flags);
/* The pod's own status file (synced once the pod exited). */
void pod_write_status(struct pod *pod);

#endif
