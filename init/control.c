/*
 * Control socket server.  Requests are handled synchronously in the loop
 * (each is a few microseconds of work); what can be slow is the client, so
 * every client has:
 *  - an input limit: a frame header announcing more than max_frame bytes is
 *    answered with a "too-large" error and the client is disconnected;
 *  - an output limit: if responses pile up unread past CLIENT_MAX_QUEUED
 *    bytes, the client is disconnected instead of growing PID 1's memory;
 *  - a peer check: only root or PID 1's own user may connect (SO_PEERCRED).
 * Past max_clients, a new connection gets a "too-many-clients" error and is
 * closed.  A client that disconnects mid-request costs nothing.
 */
#include "init/control.h"
#include "common/log.h"

#include <jansson.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define CLIENT_MAX_QUEUED (1u << 20)

struct client {
        uv_pipe_t pipe;
        struct control *ctl;
        struct frame_decoder dec;
        struct client *next, *prev;
        bool closing;
};

struct control {
        struct pod *pod;
        uv_pipe_t server;
        struct client *clients;
        unsigned n_clients;
        int pending_stop;       /* 1 graceful, 2 forced: acted on after the reply */
        char readbuf[64 * 1024];
};

struct write_req {
        uv_write_t req;
        uint8_t hdr[PROTO_HEADER_SIZE];
        char *body;
};

static void client_free_cb(uv_handle_t *h)
{
        struct client *c = container_of((uv_pipe_t *)h, struct client, pipe);
        frame_decoder_done(&c->dec);
        free(c);
}

static void client_close(struct client *c)
{
        struct control *ctl = c->ctl;

        if (c->closing)
                return;
        c->closing = true;
        if (c->prev)
                c->prev->next = c->next;
        else
                ctl->clients = c->next;
        if (c->next)
                c->next->prev = c->prev;
        ctl->n_clients--;
        uv_close((uv_handle_t *)&c->pipe, client_free_cb);
}

static void write_done(uv_write_t *req, int status)
{
        struct write_req *w = container_of(req, struct write_req, req);
        free(w->body);
        free(w);
}

/* Queue a JSON frame; the object is consumed. */
static int client_send(uv_stream_t *s, json_t *obj)
{
        struct write_req *w;
        uv_buf_t bufs[2];
        size_t len;
        int r;

        w = xcalloc(1, sizeof(*w));
        w->body = json_dumps(obj, JSON_COMPACT);
        json_decref(obj);
        if (!w->body) {
                free(w);
                return -ENOMEM;
        }
        len = strlen(w->body);
        frame_header(w->hdr, FRAME_RESPONSE, len);
        bufs[0] = uv_buf_init((char *)w->hdr, PROTO_HEADER_SIZE);
        bufs[1] = uv_buf_init(w->body, (unsigned)len);
        r = uv_write(&w->req, s, bufs, 2, write_done);
        if (r < 0) {
                free(w->body);
                free(w);
        }
        return r;
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
                const struct app *a = &ctl->pod->apps[i];
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

static const struct {
        const char *name;
        json_t *(*fn)(struct control *, json_t *, json_t *);
} ops[] = {
        { "hello", op_hello },
        { "status", op_status },
        { "list", op_list },
        { "stop", op_stop },
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
        for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
                if (!strcmp(ops[i].name, json_string_value(op))) {
                        resp = ops[i].fn(c->ctl, id, req);
                        break;
                }
        if (!resp)
                resp = error_response(id, "unknown-op", "unknown op \"%s\" (known: hello, status, list, stop)",
                                      json_string_value(op));
out:
        client_send((uv_stream_t *)&c->pipe, resp);
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

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
        struct client *c = container_of((uv_pipe_t *)s, struct client, pipe);
        uint8_t type;
        const uint8_t *payload;
        size_t len;
        int r;

        if (nread < 0) {
                client_close(c);
                return;
        }
        if (nread == 0)
                return;
        frame_decoder_feed(&c->dec, buf->base, (size_t)nread);
        while (!c->closing && (r = frame_decoder_next(&c->dec, &type, &payload, &len)) != 0) {
                if (r < 0) {
                        if (r == -EMSGSIZE)
                                client_reject(c, error_response(NULL, "too-large",
                                                                "frame larger than the %zu-byte limit; closing",
                                                                c->ctl->pod->opt.max_frame));
                        else
                                client_reject(c, error_response(NULL, "bad-frame", "zero-length frame; closing"));
                        return;
                }
                if (type != FRAME_REQUEST) {
                        client_send(s, error_response(NULL, "bad-frame", "frame type 0x%02x is not a request", type));
                        continue;
                }
                handle_request(c, payload, len);
                if (c->ctl->pod->closing)
                        return;         /* the pod finished while handling; c is being closed */
        }
        if (!c->closing && uv_stream_get_write_queue_size(s) > CLIENT_MAX_QUEUED) {
                log_warn("control client does not read its responses; disconnecting it");
                client_close(c);
        }
}

static bool peer_allowed(uv_pipe_t *p)
{
        struct ucred cr;
        socklen_t len = sizeof(cr);
        uv_os_fd_t fd;

        if (uv_fileno((uv_handle_t *)p, &fd) < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
                return false;
        return cr.uid == 0 || cr.uid == geteuid();
}

static void on_connection(uv_stream_t *server, int status)
{
        struct control *ctl = container_of((uv_pipe_t *)server, struct control, server);
        struct client *c;

        if (status < 0)
                return;
        c = xcalloc(1, sizeof(*c));
        c->ctl = ctl;
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
        if (!peer_allowed(&c->pipe)) {
                client_reject(c, error_response(NULL, "permission-denied",
                                                "only root or the pod's owner may use this socket"));
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

static void control_free_cb(uv_handle_t *h)
{
        free(container_of((uv_pipe_t *)h, struct control, server));
}

void control_close(struct pod *pod)
{
        struct control *ctl = pod->control;

        if (!ctl)
                return;
        while (ctl->clients)
                client_close(ctl->clients);
        uv_close((uv_handle_t *)&ctl->server, control_free_cb);
        pod->control = NULL;
}

unsigned control_client_count(const struct pod *pod)
{
        return pod->control ? pod->control->n_clients : 0;
}
