/*
 * The app state x event table, the pod's event log and its observers
 * (init/core/events.h).  The table itself is in common/status.c
 * (unit-tested there).
 */
#include "init/core/events.h"
#include "init/core/pod.h"
#include "common/log.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <jansson.h>

/*
 * Persist one event (docs/lifecycle.md "Events after the pod has exited"):
 * a line appended to POD_EVENTS_FILE with one write(), as the log files are
 * written: a regular file never says EAGAIN and PID 1 has no threads, so this
 * is the page cache, not the disk.  The file is synced once, with the pod's
 * last event.  It is opened on the first event (PID 1's directories exist by
 * then) and rotated past log->file_max (podinit.io/events-file-max), so it is bounded.  A write that
 * fails (a full disk) is cut back to the last whole line and warned about
 * once per failing streak; the events still go to clients.
 */
static void event_log_persist(struct event_log *log, char *line, size_t len, bool last)
{
        const char *dir = log->dir ? log->dir : S1_PODINIT_DIR;
        char path[512], old[520];
        size_t off = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, POD_EVENTS_FILE);
        line[len++] = '\n';            /* over json_dumps' terminator (the caller puts it back) */
        if (log->file_open && log->file_size && log->file_size + len > (log->file_max ?: POD_EVENTS_FILE_MAX)) {
                snprintf(old, sizeof(old), "%s.1", path);
                if (rename(path, old) < 0)
                        log_warn("events: renaming %s: %s", path, strerror(errno));
                close(log->fd);
                log->file_open = false;
        }
        if (!log->file_open) {
                struct stat st;
                log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
                if (log->fd < 0) {
                        if (!log->file_failed)
                                log_warn("events: opening %s: %s; events are not saved for `podctl events` after the pod exits",
                                         path, strerror(errno));
                        log->file_failed = true;
                        return;
                }
                log->file_open = true;
                log->file_size = fstat(log->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
        }
        while (off < len) {
                ssize_t w = write(log->fd, line + off, len - off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        if (!log->file_failed)
                                log_warn("events: writing %s: %s; later events may be missing from it", path,
                                         w < 0 ? strerror(errno) : "short write");
                        log->file_failed = true;
                        if (off && ftruncate(log->fd, (off_t)log->file_size) < 0)
                                log_debug("events: cutting %s back: %s", path, strerror(errno));
                        return;
                }
                off += (size_t)w;
        }
        log->file_size += len;
        log->file_failed = false;
        if (last && fdatasync(log->fd) < 0)
                log_warn("events: syncing %s: %s", path, strerror(errno));
}

void pod_observe(struct pod *pod, struct pod_observer *o)
{
        struct pod_observer **pp = &pod->observers;

        while (*pp)
                pp = &(*pp)->next;
        o->next = NULL;
        *pp = o;
}

void pod_unobserve(struct pod *pod, struct pod_observer *o)
{
        for (struct pod_observer **pp = &pod->observers; *pp; pp = &(*pp)->next)
                if (*pp == o) {
                        *pp = o->next;
                        return;
                }
}

static void emit(struct pod *pod, const struct pod_event *ev)
{
        for (int phase = 0; phase < POD_PHASES; phase++)
                for (struct pod_observer *o = pod->observers, *next; o; o = next) {
                        /* It may unobserve itself (never free itself) while notified. */
                        next = o->next;
                        if (o->phase == (enum pod_phase)phase)
                                o->notify(o, ev);
                }
}

void pod_emit(struct pod *pod, enum pod_event_kind kind, struct app *a)
{
        struct pod_event ev = { .kind = kind, .app = a };
        emit(pod, &ev);
}

/*
 * Idle memory (bench/mem.sh): setup and every burst of events (apps starting,
 * exiting, restarting) allocate and free far more than stays live -- building
 * each app's seccomp filter, reading images, status files -- and glibc keeps
 * the freed pages, dirty, in the heap.  Once no event has come for a second,
 * malloc_trim() gives back every free page (not only the heap's top): a
 * 101-app pod's PID 1 drops from about 2 MB to about 1 MB.
 */
#define POD_TRIM_DELAY_MS 1000

static void on_trim(uv_timer_t *t)
{
        malloc_trim(0);
}

static void trim_soon(struct pod *pod)
{
        if (!pod->closing && !uv_is_closing((uv_handle_t *)&pod->trim_timer))
                uv_timer_start(&pod->trim_timer, on_trim, POD_TRIM_DELAY_MS, 0);
}

static void event_log_push(struct pod *pod, struct app *a, bool changed, json_t *ev)
{
        struct pod_event pe = { .kind = POD_EV_RECORD, .app = a, .record = ev, .changed = changed };
        struct event_log *log = &pod->events;
        char ts[48], *line;
        size_t len;
        uint64_t now = now_real_ns();

        json_object_set_new(ev, "seq", json_integer((json_int_t)++log->seq));
        format_rfc3339(now, ts, sizeof(ts));
        json_object_set_new(ev, "time", json_string(ts));
        json_object_set_new(ev, "monoNs", json_integer((json_int_t)now_mono_ns()));
        /* Kept as its compact text (the file's line), not as a tree: a
         * jansson tree of an event is about four times its text. */
        line = json_dumps(ev, JSON_COMPACT);
        if (line) {
                len = strlen(line);
                /* Persist, then emit: a client never sees an event the file lacks,
                 * and the PERSIST observers write the status files before any
                 * PUBLISH observer tells a client. */
                event_log_persist(log, line, len,
                                  !strcmp(json_string_value(json_object_get(ev, "type")) ?: "", "pod") &&
                                          !strcmp(json_string_value(json_object_get(ev, "event")) ?: "", "exited"));
                line[len] = '\0';
        }
        if (log->n == POD_EVENTS_KEPT) {
                free(log->ring[log->head]);
                log->ring[log->head] = line;
                log->head = (log->head + 1) % POD_EVENTS_KEPT;
        } else {
                log->ring[(log->head + log->n++) % POD_EVENTS_KEPT] = line;
        }
        emit(pod, &pe);
        json_decref(ev);
        trim_soon(pod);
}

/* Record an app event (extra, consumed, may be NULL) and emit it; the app is in state to by now. */
static void app_record(struct app *a, const char *event, enum app_state from, bool changed, bool with_pid,
                       json_t *extra)
{
        json_t *rec = extra ? extra : json_object();

        json_object_set_new(rec, "type", json_string("app"));
        json_object_set_new(rec, "app", json_string(a->spec->name));
        json_object_set_new(rec, "event", json_string(event));
        json_object_set_new(rec, "from", json_string(app_state_name(from)));
        json_object_set_new(rec, "to", json_string(app_state_name(a->state)));
        if (with_pid && a->pid > 0)
                json_object_set_new(rec, "pid", json_integer(a->pid));
        event_log_push(a->pod, a, changed, rec);
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
        enum app_state from = a->state;

        /* The state changes first: observers see the app as the record says. */
        a->state = (enum app_state)to;
        /* The pid of a start or restart event would be the previous run's. */
        app_record(a, app_event_name(ev), from, true, ev != EV_START && ev != EV_RESTART, extra);
        return 0;
}

void app_note(struct app *a, const char *event, json_t *extra)
{
        app_record(a, event, a->state, false, true, extra);
}

void pod_event(struct pod *pod, const char *event, json_t *extra)
{
        json_t *rec = extra ? extra : json_object();

        json_object_set_new(rec, "type", json_string("pod"));
        json_object_set_new(rec, "event", json_string(event));
        event_log_push(pod, NULL, false, rec);
}

json_t *event_log_since(const struct event_log *log, uint64_t seq, uint64_t *ret_missed)
{
        json_t *list = json_array();
        uint64_t oldest = log->seq - log->n + 1;

        *ret_missed = log->n && seq + 1 < oldest ? oldest - seq - 1 : 0;
        /* The ring holds seq oldest .. log->seq, one each, oldest at head. */
        for (size_t i = 0; i < log->n; i++) {
                const char *line = log->ring[(log->head + i) % POD_EVENTS_KEPT];
                if (oldest + i > seq && line)
                        json_array_append_new(list, json_loads(line, JSON_ALLOW_NUL, NULL));
        }
        return list;
}

void event_log_done(struct event_log *log)
{
        for (size_t i = 0; i < log->n; i++)
                free(log->ring[(log->head + i) % POD_EVENTS_KEPT]);
        log->n = 0;
        if (log->file_open)
                close(log->fd);
        log->file_open = false;
}
