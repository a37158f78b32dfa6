/*
 * Attach streams (docs/protocol.md "The attach stream"): a client
 * subscribed to an app's output and, if it asks, writing its stdin.  Each
 * client has its own bounded queue with a written overflow policy, and all
 * of them share the pod's attach budget (podinit.io/attach-queue-total): a
 * slow client is cut back or dropped, the app never waits (DESIGN rule 3).
 */
#include "init/control/internal.h"
#include "init/control/exec.h"
#include "init/core/pod.h"
#include "init/core/app.h"
#include "init/core/appproc.h"
#include "init/core/events.h"
#include "init/core/mutable.h"
#include "init/core/persist.h"
#include "init/core/supervise.h"
#include "common/log.h"

#include <jansson.h>

static void send_dropped(struct client *c, int k)
{
        const char *name = c->at.app->io.tty && k == 0 ? "tty" : io_stream_name(k + 1);
        send_json_frame(c, FRAME_DROPPED, json_pack("{s:s,s:I}", "stream", name, "bytes",
                                                    (json_int_t)c->at.pending_drop[k]));
        c->at.pending_drop[k] = 0;
}

/* What one attach client may queue now: its own queue, and at most its
 * fair share of the pod's budget. */
static size_t attach_share(const struct client *c)
{
        const struct control *ctl = c->ctl;
        size_t share = ctl->attach_budget / (ctl->n_attached ? ctl->n_attached : 1);

        return c->at.limit < share ? c->at.limit : share;
}

/*
 * The pod's budget is full and client `except`, under its share, needs
 * `need` more: disconnect the clients holding more than their share (the
 * biggest first) until it fits.  Their queues can only be freed by closing
 * them: bytes handed to libuv cannot be taken back.  This happens when
 * clients attached while others sat on a bigger share; without it, a new
 * client could wait forever behind stuck ones.  false if nothing was over
 * its share.
 */
static bool attach_make_room(struct control *ctl, const struct client *except, size_t need)
{
        while (ctl->attach_queued + need > ctl->attach_budget) {
                struct client *big = NULL;

                for (struct client *x = ctl->clients; x; x = x->next)
                        if (x != except && x->attached && !x->closing && x->at.charged > attach_share(x) &&
                            (!big || x->at.charged > big->at.charged))
                                big = x;
                if (!big)
                        return false;
                big->at.app->io.clients_disconnected++;
                log_info("app %s: an attach client holds %zu bytes, over its share of the pod's %zu-byte attach budget (%s); disconnecting it",
                         big->at.app->spec->name, big->at.charged, ctl->attach_budget, ANN_ATTACH_QUEUE_TOTAL);
                client_close(big);
        }
        return true;
}

/*
 * Output for one attached client.  A client never slows the app, the log or
 * the other clients: past its queue limit, its output is dropped and the
 * gap is reported with a DROPPED frame before the next data it does get
 * (policy "drop", the default), or it is disconnected ("disconnect").
 * Its limit is its own queue, or its share of the pod's attach budget if
 * that is less, and the budget as a whole is never exceeded
 * (docs/protocol.md "Slow clients").
 */
static void attach_data(struct io_sub *sub, struct io_out *o, const char *buf, size_t len)
{
        int k = o->stream == IO_STDERR ? 1 : 0;
        struct client *c = container_of(sub, struct client, at.sub[k]);
        struct app *a = c->at.app;
        struct control *ctl = c->ctl;
        /* This chunk, and the DROPPED frame that may go before it. */
        size_t cost = frame_cost(len) + (c->at.pending_drop[k] ? frame_cost(64) : 0);
        bool fits;

        if (c->closing || c->shutting_down)
                return;
        fits = c->at.charged + cost <= attach_share(c);
        if (fits && ctl->attach_queued + cost > ctl->attach_budget)
                fits = attach_make_room(ctl, c, cost);
        if (!fits) {
                a->io.dropped[k] += len;
                if (c->at.overflow == OVERFLOW_DISCONNECT) {
                        a->io.clients_disconnected++;
                        log_debug("app %s: attach client over its %zu-byte queue (or its share of the pod's attach budget); disconnecting it",
                                  a->spec->name, c->at.limit);
                        client_close(c);
                        return;
                }
                c->at.pending_drop[k] += len;
                return;
        }
        if (c->at.pending_drop[k])
                send_dropped(c, k);
        send_frame(c, k ? FRAME_STDERR : FRAME_STDOUT, buf, len);
}

static void attach_eof(struct io_sub *sub, struct io_out *o)
{
        /* The EXIT frame follows once the app's status is recorded. */
}

/* Send the exit and end the connection once everything queued is written. */
static void attach_finish(struct client *c)
{
        struct app *a = c->at.app;
        json_t *j;

        if (c->closing || c->shutting_down)
                return;
        for (int k = 0; k < 2; k++)
                if (c->at.pending_drop[k])
                        send_dropped(c, k);
        j = app_exit_json(a);
        json_object_set_new(j, "app", json_string(a->spec->name));
        send_json_frame(c, FRAME_EXIT, j);
        for (int k = 0; k < 2; k++)
                io_out_unsubscribe(&c->at.sub[k]);
        if (a->io.clients > 0)
                a->io.clients--;
        c->attached = false;
        c->ctl->n_attached--;
        uv_read_stop((uv_stream_t *)&c->pipe);
        c->shutting_down = true;
        if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->pipe, client_on_shutdown) < 0)
                client_close(c);
}

void attach_app_exited(struct control *ctl, struct app *a)
{
        struct client *c, *next;

        for (c = ctl->clients; c; c = next) {
                next = c->next;
                if (c->attached && c->at.app == a)
                        attach_finish(c);
        }
}

void attach_stdin_drained(struct control *ctl, struct app *a)
{
        struct client *c;

        for (c = ctl->clients; c; c = c->next)
                if (c->attached && c->at.app == a && c->at.input_paused && !c->closing) {
                        c->at.input_paused = false;
                        client_resume_input(c);
                }
}

static bool stream_attachable(const struct app *a, int stream)
{
        enum io_mode m = a->spec->io[stream];
        return m == IO_TTY || m == IO_STREAM;
}

json_t *op_attach(struct control *ctl, json_t *id, json_t *req, struct client *c)
{
        struct pod *pod = ctl->pod;
        const char *name = json_string_value(json_object_get(req, "app"));
        json_t *v, *j;
        struct app *a = NULL;
        bool want[3], explicit_any = false;
        size_t replay = SIZE_MAX;
        unsigned rows = 0, cols = 0;

        if (c->attached)
                return error_response(id, "bad-request", "this connection is already attached");
        if (name) {
                a = pod_find_app(pod, name);
                if (!a)
                        return error_response(id, "no-such-app", "no app \"%s\" in this pod", name);
        } else if (pod->n_apps == 1) {
                a = pod->apps[0];
        } else {
                return error_response(id, "bad-request", "this pod has %zu apps: say which one (\"app\")", pod->n_apps);
        }
        if (app_state_final(a->state) || (a->reaped && !a->io.persistent))
                return error_response(id, "exited", "app %s has exited (%s %d); there is nothing to attach to",
                                      a->spec->name, WIFSIGNALED(a->wstatus) ? "signal" : "code",
                                      WIFSIGNALED(a->wstatus) ? WTERMSIG(a->wstatus) : WEXITSTATUS(a->wstatus));
        if (a->state == APP_CREATED)
                return error_response(id, "not-started", "app %s has not started", a->spec->name);
        for (int i = 0; i < IO_STREAMS; i++) {
                v = json_object_get(req, io_stream_name(i));
                if (v && !json_is_boolean(v))
                        return error_response(id, "bad-request", "attach: \"%s\" must be true or false", io_stream_name(i));
                want[i] = v ? json_is_true(v) : stream_attachable(a, i);
                explicit_any |= v != NULL;
                if (v && json_is_true(v) && !stream_attachable(a, i))
                        return error_response(id, "not-attachable", "app %s: %s is in %s mode; only tty and stream can be attached",
                                              a->spec->name, io_stream_name(i), io_mode_name(a->spec->io[i]));
        }
        if (!want[0] && !want[1] && !want[2])
                return error_response(id, "not-attachable", "app %s has no %sstream to attach to (stdin=%s stdout=%s stderr=%s; start it with tty or stream modes)",
                                      a->spec->name, explicit_any ? "selected " : "", io_mode_name(a->spec->io[0]),
                                      io_mode_name(a->spec->io[1]), io_mode_name(a->spec->io[2]));
        if ((v = json_object_get(req, "replay"))) {
                if (!json_is_integer(v) || json_integer_value(v) < 0)
                        return error_response(id, "bad-request", "attach: \"replay\" must be a byte count");
                replay = (size_t)json_integer_value(v);
        }
        c->at.limit = ATTACH_DEFAULT_QUEUE;
        if ((v = json_object_get(req, "queue"))) {
                if (!json_is_integer(v) || json_integer_value(v) < 4096 || json_integer_value(v) > ATTACH_MAX_QUEUE)
                        return error_response(id, "bad-request", "attach: \"queue\" must be from 4096 to %u bytes", ATTACH_MAX_QUEUE);
                c->at.limit = (size_t)json_integer_value(v);
        }
        c->at.overflow = OVERFLOW_DROP;
        if ((v = json_object_get(req, "overflow"))) {
                const char *o = json_string_value(v);
                if (o && !strcmp(o, "disconnect"))
                        c->at.overflow = OVERFLOW_DISCONNECT;
                else if (!o || strcmp(o, "drop"))
                        return error_response(id, "bad-request", "attach: \"overflow\" must be \"drop\" or \"disconnect\"");
        }
        if ((v = json_object_get(req, "rows")) || json_object_get(req, "cols")) {
                json_t *cv = json_object_get(req, "cols");
                if (!json_is_integer(v) || !json_is_integer(cv) || json_integer_value(v) < 1 ||
                    json_integer_value(v) > 65535 || json_integer_value(cv) < 1 || json_integer_value(cv) > 65535)
                        return error_response(id, "bad-request", "attach: \"rows\" and \"cols\" must both be 1 to 65535");
                rows = (unsigned)json_integer_value(v);
                cols = (unsigned)json_integer_value(cv);
        }

        c->attached = true;
        ctl->n_attached++;
        c->at.app = a;
        c->at.in = want[IO_STDIN] && a->io.in_used;
        if (a->io.tty) {
                c->at.want[0] = (want[IO_STDOUT] && a->spec->io[IO_STDOUT] == IO_TTY) ||
                                (want[IO_STDERR] && a->spec->io[IO_STDERR] == IO_TTY);
                c->at.want[1] = false;
                if (want[IO_STDOUT] && a->spec->io[IO_STDOUT] == IO_STREAM)
                        c->at.want[0] = true;
        } else {
                c->at.want[0] = want[IO_STDOUT];
                c->at.want[1] = want[IO_STDERR];
        }
        a->io.clients++;
        a->io.clients_total++;

        j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:s,s:b,s:b,s:b,s:b,s:i}", "app", a->spec->name,
                                                   "tty", a->io.tty, "stdin", c->at.in,
                                                   "stdout", c->at.want[0], "stderr", c->at.want[1],
                                                   "pid", a->pid));
        send_json_frame(c, FRAME_RESPONSE, j);

        /* Scrollback first, then live output, in order.  The replay is cut
         * to the newest bytes that fit in this client's share of the attach
         * budget (and in what is left of it), so attaching never overruns it. */
        for (int k = 0; k < 2; k++) {
                struct iovec seg[2];
                size_t share = attach_share(c), own, left, room, bytes = replay;
                int n;
                if (!c->at.want[k] || !a->io.out_used[k])
                        continue;
                own = share > c->at.charged ? share - c->at.charged : 0;
                left = ctl->attach_budget > ctl->attach_queued ? ctl->attach_budget - ctl->attach_queued : 0;
                room = own < left ? own : left;
                /* At most two frames (the ring may wrap); half of the room
                 * for stdout when stderr follows. */
                room = room > 2 * frame_cost(0) ? room - 2 * frame_cost(0) : 0;
                if (k == 0 && c->at.want[1] && a->io.out_used[1])
                        room /= 2;
                if (bytes > room)
                        bytes = room;
                n = bytes ? ring_tail(&a->io.out[k].ring, bytes, seg) : 0;
                for (int i = 0; i < n; i++)
                        send_frame(c, k ? FRAME_STDERR : FRAME_STDOUT, seg[i].iov_base, seg[i].iov_len);
                c->at.sub[k].data = attach_data;
                c->at.sub[k].eof = attach_eof;
                io_out_subscribe(&a->io.out[k], &c->at.sub[k]);
        }
        if (rows && a->io.tty)
                app_tty_resize(a, (unsigned short)rows, (unsigned short)cols);
        return NULL;    /* already answered */
}

/* A frame from an attached client. */
void attach_frame(struct client *c, uint8_t type, const uint8_t *p, size_t len)
{
        struct app *a = c->at.app;

        switch (type) {
        case FRAME_STDIN:
                if (!c->at.in) {
                        send_json_frame(c, FRAME_RESPONSE, error_response(NULL, "not-attachable", "stdin is not attached"));
                        return;
                }
                if (io_in_write(&a->io.in, (const char *)p, len) == 1 && !c->at.input_paused) {
                        /* Backpressure: stop reading this client until stdin drains;
                         * frames already buffered wait in its decoder. */
                        c->at.input_paused = true;
                        uv_read_stop((uv_stream_t *)&c->pipe);
                }
                return;
        case FRAME_CLOSE_STDIN:
                if (c->at.in)
                        io_in_close(&a->io.in);
                return;
        case FRAME_RESIZE:
                if (len == 4)
                        app_tty_resize(a, (unsigned short)(p[0] << 8 | p[1]), (unsigned short)(p[2] << 8 | p[3]));
                return;
        case FRAME_SIGNAL:
                if (len == 1 && p[0] > 0 && p[0] < 65)
                        app_send_signal(a, p[0]);
                return;
        default:
                send_json_frame(c, FRAME_RESPONSE,
                                error_response(NULL, "bad-frame", "frame type 0x%02x is not valid from a client", type));
        }
}
