/*
 * Control socket server.  Requests are handled synchronously in the loop
 * (each is a few microseconds of work); what can be slow is the client, so
 * every client has:
 *  - an input limit: a frame header announcing more than max_frame bytes is
 *    answered with a "too-large" error and the client is disconnected;
 *  - an output limit: if responses pile up unread past CLIENT_MAX_QUEUED
 *    bytes, the client is disconnected instead of growing PID 1's memory;
 *  - a peer check: only root or PID 1's own user, and only from outside the pod
 *    (SO_PEERCRED: a peer inside the pod's pid namespace is refused).
 * Past max_clients, a new connection gets a "too-many-clients" error and is
 * closed.  A client that disconnects mid-request costs nothing.
 */
#include "init/control.h"
#include "init/mutable.h"
#include "init/exec.h"
#include "common/log.h"

#include <sys/wait.h>

#include <jansson.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define CLIENT_MAX_QUEUED (1u << 20)
#define CONTROL_LINGER_MS 2000
/* All attach clients' queues together (docs/protocol.md "Slow clients"). */
#define ANN_ATTACH_QUEUE_TOTAL "podinit.io/attach-queue-total"
#define ATTACH_DEFAULT_BUDGET (64ull << 20)
#define ATTACH_MIN_BUDGET (64ull << 10)
#define ATTACH_MAX_BUDGET (16ull << 30)

enum overflow { OVERFLOW_DROP, OVERFLOW_DISCONNECT };

/* A client in attach mode (docs/protocol.md, "The attach stream"). */
struct attach {
        struct app *app;
        bool in;                        /* may write the app's stdin */
        bool want[2];                   /* stdout (or tty), stderr */
        struct io_sub sub[2];
        enum overflow overflow;
        size_t limit;                   /* queued bytes past which output is dropped */
        uint64_t pending_drop[2];       /* dropped, marker not yet sent */
        bool input_paused;
        size_t charged;                 /* its frames' cost in the pod's attach budget */
};

struct client {
        uv_pipe_t pipe;
        struct control *ctl;
        struct frame_decoder dec;
        struct client *next, *prev;
        bool closing;
        bool attached;
        bool events;                    /* streams the pod's events */
        struct exec_session *exec;      /* an exec stream (docs/protocol.md "exec") */
        bool exec_input_paused, exec_output_paused;
        bool shutting_down;
        bool released;                  /* its charge left the budget (closed): frames still queued are not counted */
        struct attach at;
        uv_shutdown_t shutdown_req;
};

struct control {
        struct pod *pod;
        uv_pipe_t server;
        struct client *clients;
        unsigned n_clients;
        int pending_stop;       /* 1 graceful, 2 forced: acted on after the reply */
        unsigned live;          /* clients whose memory is not yet freed */
        bool closing, server_closed, linger_closed;
        uv_timer_t linger;      /* at pod exit: time for attached clients to get their last output */
        size_t attach_budget;   /* podinit.io/attach-queue-total: all attach clients' queues together */
        size_t attach_queued;   /* what they cost now (frame_cost of each queued frame) */
        unsigned n_attached;    /* attach streams open */
        char readbuf[64 * 1024];
};

static void control_maybe_free(struct control *ctl);

static void client_free_cb(uv_handle_t *h)
{
        struct client *c = container_of((uv_pipe_t *)h, struct client, pipe);
        struct control *ctl = c->ctl;

        frame_decoder_done(&c->dec);
        free(c);
        ctl->live--;
        control_maybe_free(ctl);
}

static void client_close(struct client *c)
{
        struct control *ctl = c->ctl;

        if (c->closing)
                return;
        c->closing = true;
        if (c->exec) {
                exec_detach(c->exec);   /* the command is killed; the session ends by itself */
                c->exec = NULL;
        }
        if (c->attached) {
                for (int k = 0; k < 2; k++)
                        io_out_unsubscribe(&c->at.sub[k]);
                if (c->at.app->io.clients > 0)
                        c->at.app->io.clients--;
                c->attached = false;
                ctl->n_attached--;
        }
        /* Its queued frames are freed with the handle (cancelled writes):
         * they leave the budget now, so others may use it at once. */
        ctl->attach_queued -= c->at.charged;
        c->at.charged = 0;
        c->released = true;
        if (c->prev)
                c->prev->next = c->next;
        else
                ctl->clients = c->next;
        if (c->next)
                c->next->prev = c->prev;
        ctl->n_clients--;
        uv_close((uv_handle_t *)&c->pipe, client_free_cb);
}

/*
 * Tell a client why it is being dropped and drop it.  uv_try_write never
 * queues: a client whose socket buffer is full simply misses the message,
 * and nothing waits on it.
 */
static void client_reject(struct client *c, json_t *obj)
{
        char *body = json_dumps(obj, JSON_COMPACT);
        uint8_t hdr[PROTO_HEADER_SIZE];

        json_decref(obj);
        if (body) {
                uv_buf_t bufs[2] = {
                        uv_buf_init((char *)hdr, PROTO_HEADER_SIZE),
                        uv_buf_init(body, (unsigned)strlen(body)),
                };
                frame_header(hdr, FRAME_RESPONSE, strlen(body));
                uv_try_write((uv_stream_t *)&c->pipe, bufs, 2);
                free(body);
        }
        uv_read_stop((uv_stream_t *)&c->pipe);
        client_close(c);
}

struct bin_write {
        uv_write_t req;
        uint32_t cost;                  /* charged to the attach budget; 0 if not */
        uint8_t data[];
};

/*
 * What a queued frame costs PID 1: its bytes, its header and the write
 * request around it, as malloc rounds it.  Charging the payload alone let
 * a client fed small chunks (an app printing short lines) hold several
 * times its queue in memory.
 */
static size_t frame_cost(size_t len)
{
        return (sizeof(struct bin_write) + PROTO_HEADER_SIZE + len + 16 + 15) & ~(size_t)15;
}

#define EXEC_CLIENT_QUEUE (1u << 20)    /* an exec's output queued for its client before the command waits */

static void bin_write_done(uv_write_t *req, int status)
{
        struct bin_write *w = container_of(req, struct bin_write, req);
        uv_stream_t *st = req->handle;

        /* Also called, with UV_ECANCELED, while the handle closes: the client
         * is freed only in its close callback, after these. */
        if (w->cost && st) {
                struct client *c = container_of((uv_pipe_t *)st, struct client, pipe);
                if (!c->released) {
                        c->at.charged -= w->cost;
                        c->ctl->attach_queued -= w->cost;
                }
        }
        free(w);
        if (st && !uv_is_closing((uv_handle_t *)st)) {
                struct client *c = container_of((uv_pipe_t *)st, struct client, pipe);
                if (c->exec && c->exec_output_paused &&
                    uv_stream_get_write_queue_size(st) < EXEC_CLIENT_QUEUE / 2) {
                        c->exec_output_paused = false;
                        exec_resume(c->exec);
                }
        }
}

/* Queue one frame (header + payload copy); every reply and attach frame goes through here. */
static int send_frame(struct client *c, uint8_t type, const void *payload, size_t len)
{
        struct bin_write *w = xmalloc(sizeof(*w) + PROTO_HEADER_SIZE + len);
        uv_buf_t b;
        int r;

        frame_header(w->data, type, len);
        if (len)
                memcpy(w->data + PROTO_HEADER_SIZE, payload, len);
        /* Everything queued on an attach stream counts in the pod's budget. */
        w->cost = c->attached && !c->released ? (uint32_t)frame_cost(len) : 0;
        b = uv_buf_init((char *)w->data, (unsigned)(PROTO_HEADER_SIZE + len));
        r = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, bin_write_done);
        if (r < 0) {
                free(w);
                return r;
        }
        c->at.charged += w->cost;
        c->ctl->attach_queued += w->cost;
        return 0;
}

static void send_json_frame(struct client *c, uint8_t type, json_t *obj)
{
        char *s = json_dumps(obj, JSON_COMPACT);
        json_decref(obj);
        if (s) {
                send_frame(c, type, s, strlen(s));
                free(s);
        }
}

static json_t *response(json_t *id, bool ok)
{
        json_t *j = json_object();
        json_object_set_new(j, "v", json_integer(PROTO_VERSION));
        if (id)
                json_object_set(j, "id", id);
        json_object_set_new(j, "ok", json_boolean(ok));
        return j;
}

static json_t *error_response(json_t *id, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static json_t *error_response(json_t *id, const char *code, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        json_t *j = response(id, false);

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_object_set_new(j, "error", json_pack("{s:s,s:s}", "code", code, "message", msg));
        return j;
}

static json_t *op_hello(struct control *ctl, json_t *id, json_t *req)
{
        json_t *j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:i,s:[i],s:s,s:s,s:i,s:i}",
                                                   "version", PROTO_VERSION, "versions", PROTO_VERSION,
                                                   "server", "podinit " POD_VERSION,
                                                   "pod", ctl->pod->opt.uuid,
                                                   "maxFrame", (json_int_t)ctl->pod->opt.max_frame,
                                                   "maxClients", (json_int_t)ctl->pod->opt.max_clients));
        json_object_set_new(json_object_get(j, "result"), "attachQueueTotal", json_integer((json_int_t)ctl->attach_budget));
        return j;
}

static json_t *op_status(struct control *ctl, json_t *id, json_t *req)
{
        json_t *j = response(id, true);
        json_object_set_new(j, "result", pod_status_json(ctl->pod));
        return j;
}

static json_t *op_list(struct control *ctl, json_t *id, json_t *req)
{
        json_t *j = response(id, true), *apps = json_array();
        for (size_t i = 0; i < ctl->pod->n_apps; i++) {
                const struct app *a = ctl->pod->apps[i];
                json_array_append_new(apps, json_pack("{s:s,s:s}", "name", a->spec->name, "state",
                                                      app_state_name(a->state)));
        }
        json_object_set_new(j, "result", json_pack("{s:o}", "apps", apps));
        return j;
}

static json_t *op_stop(struct control *ctl, json_t *id, json_t *req)
{
        json_t *force = json_object_get(req, "force");
        json_t *j;

        if (force && !json_is_boolean(force))
                return error_response(id, "bad-request", "stop: \"force\" must be true or false");
        ctl->pending_stop = json_is_true(force) ? 2 : 1;
        j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:b}", "stopping", 1));
        return j;
}

/*
 * reopen-log {app?}: reopen the log file(s) by path, after an outside rename
 * (kubelet's ReopenContainerLog).  Every app with a log file, or one.
 */
static json_t *op_reopen_log(struct control *ctl, json_t *id, json_t *req)
{
        json_t *app = json_object_get(req, "app"), *done = json_array(), *j;
        struct pod_err err = { 0 };

        if (app && !json_is_string(app)) {
                json_decref(done);
                return error_response(id, "bad-request", "reopen-log: \"app\" must be a string");
        }
        if (app) {
                struct app *a = pod_find_app(ctl->pod, json_string_value(app));
                if (!a) {
                        json_decref(done);
                        return error_response(id, "no-such-app", "no app \"%s\" in this pod", json_string_value(app));
                }
                if (!a->log_ready || !a->log.file) {
                        json_decref(done);
                        return error_response(id, "no-log", "app \"%s\" has no log file (no stream is in log mode)",
                                              a->spec->name);
                }
        }
        for (size_t i = 0; i < ctl->pod->n_apps; i++) {
                struct app *a = ctl->pod->apps[i];
                if (!a->log_ready || !a->log.file || (app && strcmp(a->spec->name, json_string_value(app))))
                        continue;
                if (log_file_reopen(a->log.file, &err) < 0) {
                        json_decref(done);
                        return error_response(id, "reopen-failed", "app \"%s\": %s", a->spec->name, err.msg);
                }
                json_array_append_new(done, json_string(a->spec->name));
        }
        j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:o}", "reopened", done));
        return j;
}

/* ---- attach ---------------------------------------------------------- */

static size_t client_queued(const struct client *c)
{
        return uv_stream_get_write_queue_size((const uv_stream_t *)&c->pipe);
}

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

static void on_shutdown(uv_shutdown_t *req, int status)
{
        struct client *c = container_of(req, struct client, shutdown_req);
        client_close(c);
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
        if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->pipe, on_shutdown) < 0)
                client_close(c);
}

void control_app_exited(struct pod *pod, struct app *a)
{
        struct control *ctl = pod->control;
        struct client *c, *next;

        if (!ctl)
                return;
        for (c = ctl->clients; c; c = next) {
                next = c->next;
                if (c->attached && c->at.app == a)
                        attach_finish(c);
        }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void process_frames(struct client *c);

void control_stdin_drained(struct app *a)
{
        struct client *c;

        if (!a->pod->control)
                return;
        for (c = a->pod->control->clients; c; c = c->next)
                if (c->attached && c->at.app == a && c->at.input_paused && !c->closing) {
                        c->at.input_paused = false;
                        uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
                        process_frames(c);
                }
}

static bool stream_attachable(const struct app *a, int stream)
{
        enum io_mode m = a->spec->io[stream];
        return m == IO_TTY || m == IO_STREAM;
}

static json_t *op_attach(struct control *ctl, json_t *id, json_t *req, struct client *c)
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
static void attach_frame(struct client *c, uint8_t type, const uint8_t *p, size_t len)
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

/* ---- events ----------------------------------------------------------- */

static void send_event(struct client *c, json_t *ev)
{
        char *s;

        if (c->closing || c->shutting_down)
                return;
        if (client_queued(c) > CLIENT_MAX_QUEUED) {
                log_warn("events client does not read its events; disconnecting it");
                client_close(c);
                return;
        }
        s = json_dumps(ev, JSON_COMPACT);
        if (s) {
                send_frame(c, FRAME_EVENT, s, strlen(s));
                free(s);
        }
}

void control_event(struct pod *pod, json_t *ev)
{
        struct control *ctl = pod->control;
        const char *app = json_string_value(json_object_get(ev, "app"));
        const char *name = json_string_value(json_object_get(ev, "event"));
        bool marker = app && name && (!strcmp(name, "backoff") || !strcmp(name, "restart"));
        struct client *c, *next;

        if (!ctl)
                return;
        for (c = ctl->clients; c; c = next) {
                next = c->next;
                if (c->events || (marker && c->attached && !strcmp(c->at.app->spec->name, app)))
                        send_event(c, ev);
        }
}

/*
 * events {since?}: the events kept newer than seq `since` (all kept if 0),
 * then every new one as it happens, as EVENT frames, until the pod exits
 * (its "exited" event is the last frame) or the client hangs up.
 */
static json_t *op_events(struct control *ctl, json_t *id, json_t *req, struct client *c)
{
        json_t *v = json_object_get(req, "since"), *list, *ev, *j;
        uint64_t since = 0, missed;
        size_t i;

        if (c->attached || c->events)
                return error_response(id, "bad-request", "this connection is already streaming");
        if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
                return error_response(id, "bad-request", "events: \"since\" must be an event sequence number (0 for all kept)");
        if (v)
                since = (uint64_t)json_integer_value(v);
        list = event_log_since(&ctl->pod->events, since, &missed);
        j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:I,s:I,s:I}", "seq", (json_int_t)ctl->pod->events.seq,
                                                   "replayed", (json_int_t)json_array_size(list),
                                                   "missed", (json_int_t)missed));
        send_json_frame(c, FRAME_RESPONSE, j);
        json_array_foreach(list, i, ev)
                send_event(c, ev);
        json_decref(list);
        c->events = true;
        return NULL;
}

/* ---- exec (docs/protocol.md "exec") ------------------------------------ */

static bool exec_output(void *ctx, int stream, const char *buf, size_t len)
{
        struct client *c = ctx;

        if (c->closing || c->shutting_down)
                return true;
        send_frame(c, stream == 2 ? FRAME_STDERR : FRAME_STDOUT, buf, len);
        if (client_queued(c) > EXEC_CLIENT_QUEUE) {
                c->exec_output_paused = true;
                return false;
        }
        return true;
}

static void exec_exited(void *ctx, int wstatus, const char *error)
{
        struct client *c = ctx;
        json_t *j = json_pack("{s:i}", "shellCode", shell_code_from_wait(wstatus));

        if (WIFEXITED(wstatus))
                json_object_set_new(j, "exitCode", json_integer(WEXITSTATUS(wstatus)));
        if (WIFSIGNALED(wstatus))
                json_object_set_new(j, "signal", json_integer(WTERMSIG(wstatus)));
        if (error)
                json_object_set_new(j, "error", json_string(error));
        c->exec = NULL;
        if (c->closing || c->shutting_down) {
                json_decref(j);
                return;
        }
        send_json_frame(c, FRAME_EXIT, j);
        uv_read_stop((uv_stream_t *)&c->pipe);
        c->shutting_down = true;
        if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->pipe, on_shutdown) < 0)
                client_close(c);
}

static void exec_stdin_drained(void *ctx)
{
        struct client *c = ctx;

        if (c->exec_input_paused && !c->closing) {
                c->exec_input_paused = false;
                uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
                process_frames(c);
        }
}

static const struct exec_ops exec_client_ops = { exec_output, exec_exited, exec_stdin_drained };

static json_t *op_exec(struct control *ctl, json_t *id, json_t *req, struct client *c)
{
        struct pod *pod = ctl->pod;
        const char *name = json_string_value(json_object_get(req, "app"));
        json_t *argv = json_object_get(req, "argv"), *env = json_object_get(req, "env"), *v, *j;
        struct exec_request er = { 0 };
        struct pod_err err = { 0 };
        _cleanup_strv_ char **av = NULL, **ev = NULL;
        struct app *a = NULL;
        size_t i;

        if (c->attached || c->events || c->exec)
                return error_response(id, "bad-request", "this connection is already streaming");
        if (name) {
                if (!(a = pod_find_app(pod, name)))
                        return error_response(id, "no-such-app", "no app \"%s\" in this pod", name);
        } else if (pod->n_apps == 1) {
                a = pod->apps[0];
        } else {
                return error_response(id, "bad-request", "this pod has %zu apps: say which one (\"app\")", pod->n_apps);
        }
        if (!json_is_array(argv) || json_array_size(argv) == 0 || json_array_size(argv) > POD_MAX_ARGS)
                return error_response(id, "bad-request", "exec: \"argv\" must be a list of 1 to %d strings (the command and its arguments)",
                                      POD_MAX_ARGS);
        json_array_foreach(argv, i, v) {
                if (!json_is_string(v) || (i == 0 && !*json_string_value(v)))
                        return error_response(id, "bad-request", "exec: argv[%zu] must be a%s string", i, i ? "" : " non-empty");
                strv_push(&av, json_string_value(v));
        }
        if (env && (!json_is_array(env) || json_array_size(env) > POD_MAX_ENV))
                return error_response(id, "bad-request", "exec: \"env\" must be a list of NAME=VALUE strings");
        json_array_foreach(env, i, v) {
                const char *kv = json_string_value(v), *eq = kv ? strchr(kv, '=') : NULL;
                _cleanup_free_ char *n = eq ? strndup(kv, (size_t)(eq - kv)) : NULL;
                if (!n || !env_name_valid(n))
                        return error_response(id, "bad-request", "exec: env[%zu] must be NAME=VALUE with a valid NAME", i);
                strv_push(&ev, kv);
        }
        for (const char *k = "tty"; k; k = !strcmp(k, "tty") ? "stdin" : NULL)
                if ((v = json_object_get(req, k)) && !json_is_boolean(v))
                        return error_response(id, "bad-request", "exec: \"%s\" must be true or false", k);
        er.argv = av;
        er.env = ev;
        er.tty = json_is_true(json_object_get(req, "tty"));
        er.stdin_open = json_is_true(json_object_get(req, "stdin"));
        if ((v = json_object_get(req, "rows")) || json_object_get(req, "cols")) {
                json_t *cv = json_object_get(req, "cols");
                if (!json_is_integer(v) || !json_is_integer(cv) || json_integer_value(v) < 1 ||
                    json_integer_value(v) > 65535 || json_integer_value(cv) < 1 || json_integer_value(cv) > 65535)
                        return error_response(id, "bad-request", "exec: \"rows\" and \"cols\" must both be 1 to 65535");
                er.rows = (unsigned short)json_integer_value(v);
                er.cols = (unsigned short)json_integer_value(cv);
        }
        if (exec_start(pod, a, &er, &exec_client_ops, c, &c->exec, &err) < 0)
                return error_response(id, err.code == -ESRCH ? "not-running" : "exec-failed", "%s", err.msg);
        j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:s,s:i,s:b,s:b}", "app", a->spec->name, "pid", exec_pid(c->exec),
                                                   "tty", er.tty, "stdin", er.stdin_open));
        send_json_frame(c, FRAME_RESPONSE, j);
        return NULL;
}

/* A frame on an exec stream. */
static void exec_frame(struct client *c, uint8_t type, const uint8_t *p, size_t len)
{
        switch (type) {
        case FRAME_STDIN:
                if (exec_write_stdin(c->exec, (const char *)p, len) == 1 && !c->exec_input_paused) {
                        c->exec_input_paused = true;
                        uv_read_stop((uv_stream_t *)&c->pipe);
                }
                return;
        case FRAME_CLOSE_STDIN:
                exec_close_stdin(c->exec);
                return;
        case FRAME_RESIZE:
                if (len == 4)
                        exec_resize(c->exec, (unsigned short)(p[0] << 8 | p[1]), (unsigned short)(p[2] << 8 | p[3]));
                return;
        case FRAME_SIGNAL:
                if (len == 1 && p[0] > 0 && p[0] < 65)
                        exec_signal(c->exec, p[0]);
                return;
        default:
                send_json_frame(c, FRAME_RESPONSE,
                                error_response(NULL, "bad-frame", "frame type 0x%02x is not valid from a client", type));
        }
}

/* ---- mutable pods (docs/protocol.md "Apps of a mutable pod") ---------- */

static struct app *req_app(struct control *ctl, json_t *req, json_t *id, const char *op, json_t **ret_err)
{
        const char *name = json_string_value(json_object_get(req, "app"));
        struct app *a;

        if (!name) {
                *ret_err = error_response(id, "bad-request", "%s: \"app\" (the app's name) is required", op);
                return NULL;
        }
        a = pod_find_app(ctl->pod, name);
        if (!a)
                *ret_err = error_response(id, "no-such-app", "no app \"%s\" in this pod", name);
        return a;
}

static json_t *app_result(json_t *id, const struct app *a)
{
        json_t *j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:s,s:s}", "app", a->spec->name, "state", app_state_name(a->state)));
        return j;
}

static json_t *op_app_add(struct control *ctl, json_t *id, json_t *req)
{
        struct pod_err err = { 0 };
        json_t *obj = json_object_get(req, "app");
        struct app *a;

        if (!json_is_object(obj))
                return error_response(id, "bad-request", "app-add: \"app\" must be a pod manifest apps[] entry (an object)");
        if (pod_app_add(ctl->pod, obj, &a, &err) < 0)
                return error_response(id, err.code == -EPERM && !ctl->pod->opt.mutable_pod ? "not-mutable" : "app-add-failed",
                                      "%s", err.msg);
        return app_result(id, a);
}

static json_t *op_app_start(struct control *ctl, json_t *id, json_t *req)
{
        struct pod_err err = { 0 };
        json_t *e = NULL;
        struct app *a = req_app(ctl, req, id, "app-start", &e);

        if (!a)
                return e;
        if (pod_app_start_req(ctl->pod, a, &err) < 0)
                return error_response(id, "bad-state", "%s", err.msg);
        return app_result(id, a);
}

static json_t *op_app_stop(struct control *ctl, json_t *id, json_t *req)
{
        json_t *e = NULL, *force = json_object_get(req, "force");
        struct app *a = req_app(ctl, req, id, "app-stop", &e);

        if (!a)
                return e;
        if (force && !json_is_boolean(force))
                return error_response(id, "bad-request", "app-stop: \"force\" must be true or false");
        if (ctl->pod->state == POD_EXITED)
                return error_response(id, "bad-state", "the pod has exited");
        app_stop(a, json_is_true(force));
        return app_result(id, a);
}

static json_t *op_app_rm(struct control *ctl, json_t *id, json_t *req)
{
        struct pod_err err = { 0 };
        json_t *e = NULL;
        struct app *a = req_app(ctl, req, id, "app-rm", &e);
        json_t *j;

        if (!a)
                return e;
        if (!ctl->pod->opt.mutable_pod)
                return error_response(id, "not-mutable", "this pod is not mutable; its apps cannot be removed");
        j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:s}", "app", a->spec->name));
        if (pod_app_remove(ctl->pod, a, &err) < 0) {
                json_decref(j);
                return error_response(id, "bad-state", "%s", err.msg);
        }
        return j;
}

static const struct {
        const char *name;
        json_t *(*fn)(struct control *, json_t *, json_t *);
} ops[] = {
        { "app-add", op_app_add },
        { "app-start", op_app_start },
        { "app-stop", op_app_stop },
        { "app-rm", op_app_rm },
        { "hello", op_hello },
        { "status", op_status },
        { "list", op_list },
        { "stop", op_stop },
        { "reopen-log", op_reopen_log },
};

/* Operations after which the connection carries a stream (docs/protocol.md). */
static const struct {
        const char *name;
        json_t *(*fn)(struct control *, json_t *, json_t *, struct client *);
} stream_ops[] = {
        { "attach", op_attach },
        { "events", op_events },
        { "exec", op_exec },
};

static void handle_request(struct client *c, const uint8_t *data, size_t len)
{
        json_error_t je;
        json_t *req = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
        json_t *id = NULL, *v, *op, *resp = NULL;

        if (!req || !json_is_object(req)) {
                resp = error_response(NULL, "bad-request", "request is not a JSON object%s%s",
                                      req ? "" : ": ", req ? "" : je.text);
                goto out;
        }
        id = json_object_get(req, "id");
        v = json_object_get(req, "v");
        if (v && (!json_is_integer(v) || json_integer_value(v) != PROTO_VERSION)) {
                resp = error_response(id, "unsupported-version",
                                      "protocol version %s is not supported; this podinit speaks version %d",
                                      json_is_integer(v) ? "given" : "(not an integer)", PROTO_VERSION);
                goto out;
        }
        op = json_object_get(req, "op");
        if (!json_is_string(op)) {
                resp = error_response(id, "bad-request", "request has no \"op\" string");
                goto out;
        }
        for (size_t i = 0; i < ARRAY_SIZE(stream_ops); i++)
                if (!strcmp(stream_ops[i].name, json_string_value(op))) {
                        /* NULL: answered, and the connection now carries the stream. */
                        if (!(resp = stream_ops[i].fn(c->ctl, id, req, c))) {
                                json_decref(req);
                                return;
                        }
                        goto out;
                }
        for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
                if (!strcmp(ops[i].name, json_string_value(op))) {
                        resp = ops[i].fn(c->ctl, id, req);
                        break;
                }
        if (!resp)
                resp = error_response(id, "unknown-op", "unknown op \"%s\" (known: hello, status, list, stop, attach, events, exec, reopen-log, app-add, app-start, app-stop, app-rm)",
                                      json_string_value(op));
out:
        send_json_frame(c, FRAME_RESPONSE, resp);
        json_decref(req);
        /* Act on a stop only after its answer is queued: the pod may finish
         * (and close every client) inside pod_request_stop. */
        if (c->ctl->pending_stop) {
                bool force = c->ctl->pending_stop == 2;
                c->ctl->pending_stop = 0;
                pod_request_stop(c->ctl->pod, force, force ? "forced stop requested" : "stop requested");
        }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        struct client *c = container_of((uv_pipe_t *)h, struct client, pipe);
        *buf = uv_buf_init(c->ctl->readbuf, sizeof(c->ctl->readbuf));
}

/* Handle every complete frame buffered for c (also called when input resumes). */
static void process_frames(struct client *c)
{
        uv_stream_t *s = (uv_stream_t *)&c->pipe;
        uint8_t type;
        const uint8_t *payload;
        size_t len;
        int r;

        while (!c->closing && !c->shutting_down && !(c->attached && c->at.input_paused) && !c->exec_input_paused &&
               (r = frame_decoder_next(&c->dec, &type, &payload, &len)) != 0) {
                if (r < 0) {
                        if (r == -EMSGSIZE)
                                client_reject(c, error_response(NULL, "too-large",
                                                                "frame larger than the %zu-byte limit; closing",
                                                                c->ctl->pod->opt.max_frame));
                        else
                                client_reject(c, error_response(NULL, "bad-frame", "zero-length frame; closing"));
                        return;
                }
                if (c->attached && type != FRAME_REQUEST) {
                        attach_frame(c, type, payload, len);
                        continue;
                }
                if (c->exec && type != FRAME_REQUEST) {
                        exec_frame(c, type, payload, len);
                        continue;
                }
                if (type != FRAME_REQUEST) {
                        send_json_frame(c, FRAME_RESPONSE, error_response(NULL, "bad-frame", "frame type 0x%02x is not a request", type));
                        continue;
                }
                handle_request(c, payload, len);
                if (c->ctl->pod->closing)
                        return;         /* the pod finished while handling; c is being closed */
        }
        if (!c->closing && !c->attached && !c->exec && uv_stream_get_write_queue_size(s) > CLIENT_MAX_QUEUED) {
                log_warn("control client does not read its responses; disconnecting it");
                client_close(c);
        }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
        struct client *c = container_of((uv_pipe_t *)s, struct client, pipe);

        if (nread < 0) {
                client_close(c);
                return;
        }
        if (nread == 0)
                return;
        frame_decoder_feed(&c->dec, buf->base, (size_t)nread);
        process_frames(c);
}

/*
 * Who may drive the pod: root or PID 1's own user, and only from outside
 * the pod.  The kernel reports a peer's pid as seen from PID 1's pid
 * namespace, and 0 for a process it cannot see: every client on the host
 * (podctl, rkt's stage0, the stage1 entrypoints) is 0, while any process
 * inside the pod -- an app, its children, an exec session -- has a pid
 * here.  An app that somehow reached the socket (a volume, a leaked fd) is
 * still refused: app-add would otherwise hand it any capability.
 * Returns NULL if allowed, else why not.
 */
static const char *peer_refusal(uv_pipe_t *p)
{
        struct ucred cr;
        socklen_t len = sizeof(cr);
        uv_os_fd_t fd;

        if (uv_fileno((uv_handle_t *)p, &fd) < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
                return "the peer's credentials are unknown";
        if (cr.uid != 0 && cr.uid != geteuid())
                return "only root or the pod's owner may use this socket";
        if (cr.pid != 0)
                return "processes inside the pod may not use this socket; use podctl from the host";
        return NULL;
}

static void on_connection(uv_stream_t *server, int status)
{
        struct control *ctl = container_of((uv_pipe_t *)server, struct control, server);
        const char *why;
        struct client *c;

        if (status < 0)
                return;
        c = xcalloc(1, sizeof(*c));
        c->ctl = ctl;
        ctl->live++;
        frame_decoder_init(&c->dec, ctl->pod->opt.max_frame);
        uv_pipe_init(&ctl->pod->loop, &c->pipe, 0);
        c->next = ctl->clients;
        if (c->next)
                c->next->prev = c;
        ctl->clients = c;
        ctl->n_clients++;
        if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
                client_close(c);
                return;
        }
        if ((why = peer_refusal(&c->pipe))) {
                client_reject(c, error_response(NULL, "permission-denied", "%s", why));
                return;
        }
        if (ctl->n_clients > ctl->pod->opt.max_clients) {
                client_reject(c, error_response(NULL, "too-many-clients",
                                                "%u clients are connected, the limit; try again later",
                                                ctl->pod->opt.max_clients));
                return;
        }
        uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

int control_start(struct pod *pod, const char *path, struct pod_err *err)
{
        struct control *ctl = xcalloc(1, sizeof(*ctl));
        mode_t old;
        int r;

        ctl->pod = pod;
        pod->control = ctl;
        ctl->attach_budget = ATTACH_DEFAULT_BUDGET;
        if (pod->manifest) {
                const char *v = kv_get(pod->manifest->annotations, pod->manifest->n_annotations, ANN_ATTACH_QUEUE_TOTAL);
                uint64_t b;
                if (v && (parse_size(v, ATTACH_MAX_BUDGET, &b) < 0 || b < ATTACH_MIN_BUDGET))
                        return pod_err_set(err, -EINVAL, "pod manifest: annotations: %s: \"%s\" is not a byte count from %llu to %llu (64Ki to 16Gi)",
                                           ANN_ATTACH_QUEUE_TOTAL, v, ATTACH_MIN_BUDGET, ATTACH_MAX_BUDGET);
                if (v)
                        ctl->attach_budget = (size_t)b;
        }
        uv_timer_init(&pod->loop, &ctl->linger);
        uv_pipe_init(&pod->loop, &ctl->server, 0);
        unlink(path);
        old = umask(0077);
        r = uv_pipe_bind(&ctl->server, path);
        umask(old);
        if (r < 0)
                return pod_err_set(err, r, "binding the control socket %s: %s", path, uv_strerror(r));
        chmod(path, 0600);
        if ((r = uv_listen((uv_stream_t *)&ctl->server, 64, on_connection)) < 0)
                return pod_err_set(err, r, "listening on %s: %s", path, uv_strerror(r));
        return 0;
}

/*
 * The control struct outlives the pod's reference to it until the server,
 * the linger timer and every client handle have been closed, because
 * lingering clients still reach it from their callbacks.
 */
static void linger_closed(uv_handle_t *h);

static void control_maybe_free(struct control *ctl)
{
        if (!ctl->closing)
                return;
        /* The last lingering client is gone: no need to wait out the timer. */
        if (ctl->live == 0 && !uv_is_closing((uv_handle_t *)&ctl->linger))
                uv_close((uv_handle_t *)&ctl->linger, linger_closed);
        if (ctl->server_closed && ctl->live == 0 && ctl->linger_closed)
                free(ctl);
}

static void control_server_closed(uv_handle_t *h)
{
        struct control *ctl = container_of((uv_pipe_t *)h, struct control, server);
        ctl->server_closed = true;
        control_maybe_free(ctl);
}

static void linger_closed(uv_handle_t *h)
{
        struct control *ctl = container_of((uv_timer_t *)h, struct control, linger);
        ctl->linger_closed = true;
        control_maybe_free(ctl);
}

static void on_linger_expired(uv_timer_t *t)
{
        struct control *ctl = container_of(t, struct control, linger);
        while (ctl->clients)
                client_close(ctl->clients);
        if (!uv_is_closing((uv_handle_t *)&ctl->linger))
                uv_close((uv_handle_t *)&ctl->linger, linger_closed);
}

/*
 * The pod is finishing.  Clients that were sent an app's EXIT are already
 * shutting down (their last output queued before it); they get
 * CONTROL_LINGER_MS to receive it, so a slow reader still sees how its app
 * ended.  Everyone else is closed at once.
 */
void control_close(struct pod *pod)
{
        struct control *ctl = pod->control;
        struct client *c, *next;
        bool lingering = false;

        if (!ctl)
                return;
        ctl->closing = true;
        pod->control = NULL;
        for (c = ctl->clients; c; c = next) {
                next = c->next;
                if (c->events && !c->closing && !c->shutting_down) {
                        /* The "exited" event is queued: end the stream after it. */
                        uv_read_stop((uv_stream_t *)&c->pipe);
                        c->shutting_down = true;
                        if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->pipe, on_shutdown) < 0) {
                                client_close(c);
                                continue;
                        }
                }
                if (c->shutting_down && !c->closing)
                        lingering = true;
                else
                        client_close(c);
        }
        uv_close((uv_handle_t *)&ctl->server, control_server_closed);
        if (lingering)
                uv_timer_start(&ctl->linger, on_linger_expired, CONTROL_LINGER_MS, 0);
        else if (!uv_is_closing((uv_handle_t *)&ctl->linger))
                uv_close((uv_handle_t *)&ctl->linger, linger_closed);
}

unsigned control_client_count(const struct pod *pod)
{
        return pod->control ? pod->control->n_clients : 0;
}
