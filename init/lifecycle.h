/*
 * An app's lifecycle as an explicit state x event table (docs/lifecycle.md).
 *
 * Every state change goes through app_fire(): the table says whether the
 * event is valid in the current state and what the next state is; the
 * change is then recorded as an event (a sequence number, a time, the
 * states before and after, and what the caller adds: exit code, backoff
 * delay...), kept in the pod's event log and published to `podctl events`
 * clients.  The decisions (restart or not, give up or not) are made by the
 * caller, which picks the event: EXIT (done for good), CRASH (a restart
 * follows), GIVE_UP (the restart limit was reached).
 */
#ifndef POD_INIT_LIFECYCLE_H
#define POD_INIT_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

struct app;
struct pod;
struct json_t;

#define POD_EVENTS_KEPT 1024u   /* events replayed to a client that asks for history */

/* The pod's recent events, oldest first, for replay; and their copy on disk
 * (common/status.h, POD_EVENTS_FILE), for `podctl events` after the pod exited. */
struct event_log {
        struct json_t *ring[POD_EVENTS_KEPT];
        size_t head, n;
        uint64_t seq;           /* of the newest event; 0 if none */
        const char *dir;        /* where the file goes; NULL: S1_PODINIT_DIR */
        uint64_t file_max;      /* rotate past it; 0: POD_EVENTS_FILE_MAX */
        int fd;                 /* the file, if file_open */
        bool file_open, file_failed;
        uint64_t file_size;
};

/* Apply ev: 0 and the state changed and the event published, or -EINVAL (logged at debug)
 * if the table does not allow it.  extra (an object, consumed, may be NULL) joins the record. */
int app_fire(struct app *a, enum app_event ev, struct json_t *extra);
/* Record and publish an app event that changes no state ("watchdog"). */
void app_note(struct app *a, const char *event, struct json_t *extra);
/* Record and publish a pod-level event ("starting", "running", "stopping", "exited"). */
void pod_event(struct pod *pod, const char *event, struct json_t *extra);
/* Events newer than seq, oldest first (new references). */
struct json_t *event_log_since(const struct event_log *log, uint64_t seq, uint64_t *ret_missed);
void event_log_done(struct event_log *log);

#endif
