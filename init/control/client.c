/*
 * Control connections (init/control/internal.h): a client's lifetime,
 * framing and its bounded output queue, responses, and the server's own
 * lifetime once it closes.  Below the requests (attach.c, ops.c) and the
 * server that reads and dispatches them (server.c).
 */
#include "init/control/internal.h"
#include "init/control/exec.h"
#include "common/log.h"

#include <jansson.h>

static void client_free_cb(uv_handle_t *h)
{
        struct client *c = container_of((uv_pipe_t *)h, struct client, pipe);
        struct control *ctl = c->ctl;

        frame_decoder_done(&c->dec);
        free(c);
        ctl->live--;
        control_maybe_free(ctl);
}

void client_close(struct client *c)
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
        if (!ctl->closing)
                ctl->pod->clients = ctl->n_clients;
        uv_close((uv_handle_t *)&c->pipe, client_free_cb);
}

/*
 * Tell a client why it is being dropped and drop it.  uv_try_write never
 * queues: a client whose socket buffer is full simply misses the message,
 * and nothing waits on it.
 */
void client_reject(struct client *c, json_t *obj)
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

/*
 * What a queued frame costs PID 1: its bytes, its header and the write
 * request around it, as malloc rounds it.  Charging the payload alone let
 * a client fed small chunks (an app printing short lines) hold several
 * times its queue in memory.
 */
size_t frame_cost(size_t len)
{
        return (sizeof(struct bin_write) + PROTO_HEADER_SIZE + len + 16 + 15) & ~(size_t)15;
}

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

/*
 * Send one frame; every reply and attach frame goes through here.  When
 * nothing is queued for the client, the frame is written at once from the
 * caller's buffer (uv_try_write: no copy, no request, no deferred callback,
 * no epoll change; bench/io.sh's echo round trip); what the socket does not
 * take now (all of it, if frames are already queued: libuv keeps them in
 * order) is copied and queued, and counts in the attach budget.
 */
int send_frame(struct client *c, uint8_t type, const void *payload, size_t len)
{
        uint8_t hdr[PROTO_HEADER_SIZE];
        size_t total = PROTO_HEADER_SIZE + len, done = 0;
        struct bin_write *w;
        uv_buf_t b;
        int r;

        frame_header(hdr, type, len);
        if (!uv_is_closing((uv_handle_t *)&c->pipe)) {
                uv_buf_t now[2] = { uv_buf_init((char *)hdr, PROTO_HEADER_SIZE),
                                    uv_buf_init((char *)payload, (unsigned)len) };
                r = uv_try_write((uv_stream_t *)&c->pipe, now, len ? 2 : 1);
                if (r > 0)
                        done = (size_t)r;
                else if (r != UV_EAGAIN && r != UV_ENOSYS)
                        return r;
                if (done == total)
                        return 0;
        }
        w = xmalloc(sizeof(*w) + total - done);
        /* The unwritten tail: what is left of the header, then of the payload. */
        if (done < PROTO_HEADER_SIZE) {
                memcpy(w->data, hdr + done, PROTO_HEADER_SIZE - done);
                if (len)
                        memcpy(w->data + PROTO_HEADER_SIZE - done, payload, len);
        } else {
                memcpy(w->data, (const uint8_t *)payload + (done - PROTO_HEADER_SIZE), total - done);
        }
        /* Everything queued on an attach stream counts in the pod's budget. */
        w->cost = c->attached && !c->released ? (uint32_t)frame_cost(len) : 0;
        b = uv_buf_init((char *)w->data, (unsigned)(total - done));
        r = uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, bin_write_done);
        if (r < 0) {
                free(w);
                return r;
        }
        c->at.charged += w->cost;
        c->ctl->attach_queued += w->cost;
        return 0;
}

void send_json_frame(struct client *c, uint8_t type, json_t *obj)
{
        char *s = json_dumps(obj, JSON_COMPACT);
        json_decref(obj);
        if (s) {
                send_frame(c, type, s, strlen(s));
                free(s);
        }
}

json_t *response(json_t *id, bool ok)
{
        json_t *j = json_object();
        json_object_set_new(j, "v", json_integer(PROTO_VERSION));
        if (id)
                json_object_set(j, "id", id);
        json_object_set_new(j, "ok", json_boolean(ok));
        return j;
}

json_t *error_response(json_t *id, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
json_t *error_response(json_t *id, const char *code, const char *fmt, ...)
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

size_t client_queued(const struct client *c)
{
        return uv_stream_get_write_queue_size((const uv_stream_t *)&c->pipe);
}

void client_on_shutdown(uv_shutdown_t *req, int status)
{
        struct client *c = container_of(req, struct client, shutdown_req);
        client_close(c);
}

/* Input paused on a full stdin queue may go on (server.c reads and dispatches). */
void client_resume_input(struct client *c)
{
        c->ctl->resume_input(c);
}

/*
 * The control struct outlives the pod's reference to it until the server,
 * the linger timer and every client handle have been closed, because
 * lingering clients still reach it from their callbacks.
 */
void control_maybe_free(struct control *ctl)
{
        if (!ctl->closing)
                return;
        /* The last lingering client is gone: no need to wait out the timer. */
        if (ctl->live == 0 && !uv_is_closing((uv_handle_t *)&ctl->linger))
                uv_close((uv_handle_t *)&ctl->linger, control_linger_closed);
        if (ctl->server_closed && ctl->live == 0 && ctl->linger_closed)
                free(ctl);
}

void control_server_closed(uv_handle_t *h)
{
        struct control *ctl = container_of((uv_pipe_t *)h, struct control, server);
        ctl->server_closed = true;
        control_maybe_free(ctl);
}

void control_linger_closed(uv_handle_t *h)
{
        struct control *ctl = container_of((uv_timer_t *)h, struct control, linger);
        ctl->linger_closed = true;
        control_maybe_free(ctl);
}
