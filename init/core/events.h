/*
 * The core's events: an app's lifecycle as an explicit state x event table
 * (docs/lifecycle.md), the pod's event log, and the one observer list through
 * which everything above the core hears what happened.
 *
 * Every state change goes through app_fire(): the table says whether the
 * event is valid in the current state and what the next state is; the
 * change is then recorded (a sequence number, a time, the states before and
 * after, and what the caller adds: exit code, backoff delay...), appended to
 * the pod's event file and ring, and emitted to the observers.  The decisions
 * (restart or not, give up or not) are made by the caller, which picks the
 * event: EXIT (done for good), CRASH (a restart follows), GIVE_UP (the
 * restart limit was reached).
 *
 * Observers (pod_observe) are called in three phases, every observer of one
 * phase before any of the next: PERSIST (status files: what is announced is
 * already on disk), PUBLISH (control clients, attach ends, rkt's raw attach
 * sockets), DECIDE (the pod's own policy, which may stop other apps or
 * finish the pod, and so must come after the clients were told).  The core
 * never names a service: the control server, exec sessions and iottymux
 * register here.
 */
#ifndef POD_INIT_CORE_EVENTS_H
#define POD_INIT_CORE_EVENTS_H

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
        char *ring[POD_EVENTS_KEPT];    /* each event's compact JSON text (its line in the file), or NULL */
        size_t head, n;
        uint64_t seq;           /* of the newest event; 0 if none */
        const char *dir;        /* where the file goes; NULL: S1_PODINIT_DIR */
        uint64_t file_max;      /* rotate past it; 0: POD_EVENTS_FILE_MAX */
        int fd;                 /* the file, if file_open */
        bool file_open, file_failed;
        uint64_t file_size;
};

enum pod_event_kind {
        POD_EV_RECORD,                  /* a record for `podctl events` (record; app if an app's) */
        POD_EV_APP_STARTED,             /* forked: app->pid is set, its streams exist */
        POD_EV_APP_RUNNING,             /* its program runs (exec'd) */
        POD_EV_APP_READY,
        POD_EV_APP_EXITED,              /* finished for good; its status is on disk */
        POD_EV_APP_STDIN_DRAINED,       /* its stdin queue emptied: paused writers may go on */
        POD_EV_APP_CLOSING,             /* its handles are being closed (removed, or the pod finished) */
        POD_EV_APP_FREEING,             /* its memory is freed next (after the loop, or after removal) */
        POD_EV_POD_CLOSING,             /* the pod finished: close every handle */
};

struct pod_event {
        enum pod_event_kind kind;
        struct app *app;                /* NULL for pod-level events */
        struct json_t *record;          /* POD_EV_RECORD only (borrowed) */
        bool changed;                   /* POD_EV_RECORD: the app's state changed (app_fire) */
};

enum pod_phase { POD_PHASE_PERSIST, POD_PHASE_PUBLISH, POD_PHASE_DECIDE, POD_PHASES };

struct pod_observer {
        enum pod_phase phase;
        void (*notify)(struct pod_observer *o, const struct pod_event *ev);
        struct pod_observer *next;      /* the pod's list (registration order within a phase) */
};

/* Register o (embedded in its owner, which outlives the pod's loop). */
void pod_observe(struct pod *pod, struct pod_observer *o);
/* Before o's owner goes away (while the pod lives on). */
void pod_unobserve(struct pod *pod, struct pod_observer *o);
/* Tell every observer, phase by phase. */
void pod_emit(struct pod *pod, enum pod_event_kind kind, struct app *a);

/* Apply ev: 0 and the state changed and the event emitted, or -EINVAL (logged at debug)
 * if the table does not allow it.  extra (an object, consumed, may be NULL) joins the record. */
int app_fire(struct app *a, enum app_event ev, struct json_t *extra);
/* Record and emit an app event that changes no state ("watchdog"). */
void app_note(struct app *a, const char *event, struct json_t *extra);
/* Record and emit a pod-level event ("starting", "running", "stopping", "exited"). */
void pod_event(struct pod *pod, const char *event, struct json_t *extra);
/* Events newer than seq, oldest first (new references). */
struct json_t *event_log_since(const struct event_log *log, uint64_t seq, uint64_t *ret_missed);
void event_log_done(struct event_log *log);

#endif
