/*
 * The app state x event table and the pod's event log (init/lifecycle.h).
 * The table itself is in common/status.c (unit-tested there).
 */
#include "init/lifecycle.h"
#include "init/pod.h"
#include "init/control.h"
#include "common/log.h"

#include <jansson.h>

static void event_log_push(struct pod *pod, json_t *ev)
{
        struct event_log *log = &pod->events;
        char ts[48];
        uint64_t now = now_real_ns();

        json_object_set_new(ev, "seq", json_integer((json_int_t)++log->seq));
        format_rfc3339(now, ts, sizeof(ts));
        json_object_set_new(ev, "time", json_string(ts));
        json_object_set_new(ev, "monoNs", json_integer((json_int_t)now_mono_ns()));
        if (log->n == POD_EVENTS_KEPT) {
                json_decref(log->ring[log->head]);
                log->ring[log->head] = ev;
                log->head = (log->head + 1) % POD_EVENTS_KEPT;
        } else {
                log->ring[(log->head + log->n++) % POD_EVENTS_KEPT] = ev;
        }
        control_event(pod, ev);
}

/* Record an app event (extra, consumed, may be NULL) and publish it. */
static void app_record(struct app *a, const char *event, enum app_state to, bool with_pid, json_t *extra)
{
        json_t *rec = extra ? extra : json_object();

        json_object_set_new(rec, "type", json_string("app"));
        json_object_set_new(rec, "app", json_string(a->spec->name));
        json_object_set_new(rec, "event", json_string(event));
        json_object_set_new(rec, "from", json_string(app_state_name(a->state)));
        json_object_set_new(rec, "to", json_string(app_state_name(to)));
        if (with_pid && a->pid > 0)
                json_object_set_new(rec, "pid", json_integer(a->pid));
        event_log_push(a->pod, rec);
}

int app_fire(struct app *a, enum app_event ev, json_t *extra)
{
        int to = app_next_state(a->state, ev);

        if (to < 0) {
                log_debug("app %s: event %s ignored in state %s", a->spec->name, app_event_name(ev),
                          app_state_name(a->state));
                json_decref(extra);
                return -EINVAL;
        }
        /* The pid of a start or restart event would be the previous run's. */
        app_record(a, app_event_name(ev), (enum app_state)to, ev != EV_START && ev != EV_RESTART, extra);
        a->state = (enum app_state)to;
        return 0;
}

void app_note(struct app *a, const char *event, json_t *extra)
{
        app_record(a, event, a->state, true, extra);
}

void pod_event(struct pod *pod, const char *event, json_t *extra)
{
        json_t *rec = extra ? extra : json_object();

        json_object_set_new(rec, "type", json_string("pod"));
        json_object_set_new(rec, "event", json_string(event));
        event_log_push(pod, rec);
}

json_t *event_log_since(const struct event_log *log, uint64_t seq, uint64_t *ret_missed)
{
        json_t *list = json_array();
        uint64_t oldest = log->seq - log->n + 1;

        *ret_missed = log->n && seq + 1 < oldest ? oldest - seq - 1 : 0;
        for (size_t i = 0; i < log->n; i++) {
                json_t *ev = log->ring[(log->head + i) % POD_EVENTS_KEPT];
                if ((uint64_t)json_integer_value(json_object_get(ev, "seq")) > seq)
                        json_array_append(list, ev);
        }
        return list;
}

void event_log_done(struct event_log *log)
{
        for (size_t i = 0; i < log->n; i++)
                json_decref(log->ring[(log->head + i) % POD_EVENTS_KEPT]);
        log->n = 0;
}
