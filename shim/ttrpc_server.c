/*
 * The ttrpc server (shim/ttrpc.h) on one libuv loop.
 *
 * Nothing here blocks: reads are libuv callbacks into a per-connection buffer,
 * replies go out with uv_try_write and whatever the socket does not take is
 * queued with uv_write.  A client that stops reading is dropped once its queue
 * passes max_queued, so a slow or dead client costs bounded memory and never
 * holds up the shim or another client.
 *
 * Lifetimes: a connection is reference-counted.  Its libuv handle holds one
 * reference until the close callback; every unanswered call holds one; the
 * read callback holds one while it dispatches (a handler that answers at once
 * may drop the connection under it).  A call answered after its client left is
 * freed without a write.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "shim/ttrpc.h"

/*
 * One read buffer per server, shared by its connections: libuv hands it to
 * one read callback at a time (one loop, one thread) and the callback copies
 * what came into that connection's decoder before it returns.  A buffer in
 * each connection was 64 KiB written over (calloc) per connection of every
 * shim, one shim per pod, for requests that are mostly well under 1 KiB;
 * larger messages take a few reads.
 */
#define READ_CHUNK (16u * 1024u)

struct conn {
        uv_pipe_t pipe;
        struct ttrpc_server *srv;       /* NULL once the handle is closing */
        struct conn *prev, *next;
        struct ttrpc_decoder dec;
        size_t pending;                 /* unanswered calls */
        unsigned refs;
        bool closing;
};

struct ttrpc_call {
        struct conn *conn;
        uint32_t stream_id;
        Ttrpc__Request *req;
};

struct ttrpc_server {
        uv_loop_t *loop;
        uv_pipe_t listener;
        bool listener_init;
        bool closing;
        size_t handles;                 /* open handles: the listener and each connection */
        const struct ttrpc_service *services;
        size_t n_services;
        struct ttrpc_server_limits lim;
        struct conn *conns;
        size_t n_conns;
        uint8_t *readbuf;               /* READ_CHUNK bytes: see above */
};

struct write_req {
        uv_write_t req;
        uint8_t *frame;
};

static void server_maybe_free(struct ttrpc_server *s)
{
        if (s->closing && s->handles == 0) {
                free(s->readbuf);
                free(s);
        }
}

static void conn_unref(struct conn *c)
{
        if (--c->refs > 0)
                return;
        ttrpc_decoder_done(&c->dec);
        free(c);
}

static void conn_on_close(uv_handle_t *h)
{
        struct conn *c = container_of((uv_pipe_t *)h, struct conn, pipe);

        conn_unref(c);
}

/* Detach from the server and close the handle; pending calls keep the struct alive. */
static void conn_close(struct conn *c)
{
        struct ttrpc_server *s = c->srv;

        if (c->closing)
                return;
        c->closing = true;
        if (c->prev)
                c->prev->next = c->next;
        else
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        s->n_conns--;
        s->handles--;
        c->srv = NULL;
        uv_close((uv_handle_t *)&c->pipe, conn_on_close);
        server_maybe_free(s);
}

static void on_write(uv_write_t *req, int status)
{
        struct write_req *w = container_of(req, struct write_req, req);

        free(w->frame);
        free(w);
}

/* Send a whole frame (taking it); drop the connection if it cannot keep up. */
static void conn_send(struct conn *c, uint8_t *frame, size_t len)
{
        uv_stream_t *st = (uv_stream_t *)&c->pipe;
        uv_buf_t b = uv_buf_init((char *)frame, (unsigned)len);
        struct write_req *w;
        int n = 0;

        if (c->closing) {
                free(frame);
                return;
        }
        if (uv_stream_get_write_queue_size(st) == 0) {
                n = uv_try_write(st, &b, 1);
                if (n == (int)len) {
                        free(frame);
                        return;
                }
                if (n < 0 && n != UV_EAGAIN) {
                        free(frame);
                        conn_close(c);
                        return;
                }
                if (n < 0)
                        n = 0;
        }
        w = malloc(sizeof(*w));
        if (!w) {
                free(frame);
                conn_close(c);
                return;
        }
        w->frame = frame;
        b = uv_buf_init((char *)frame + n, (unsigned)(len - (size_t)n));
        if (uv_write(&w->req, st, &b, 1, on_write) < 0) {
                free(frame);
                free(w);
                conn_close(c);
                return;
        }
        if (uv_stream_get_write_queue_size(st) > c->srv->lim.max_queued) {
                fprintf(stderr, "ttrpc: dropping a client that does not read its replies (%zu bytes queued)\n",
                        uv_stream_get_write_queue_size(st));
                conn_close(c);
        }
}

static void conn_send_error(struct conn *c, uint32_t stream_id, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void conn_send_error(struct conn *c, uint32_t stream_id, int code, const char *fmt, ...)
{
        char msg[512];
        uint8_t *frame;
        size_t len;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (ttrpc_error_frame(stream_id, code, msg, &frame, &len) < 0) {
                conn_close(c);
                return;
        }
        conn_send(c, frame, len);
}

static const struct ttrpc_method *lookup(const struct ttrpc_server *s, const char *service,
                                         const char *method, const struct ttrpc_service **ret_service)
{
        for (size_t i = 0; i < s->n_services; i++) {
                const struct ttrpc_service *sv = &s->services[i];

                if (strcmp(sv->name, service) != 0)
                        continue;
                *ret_service = sv;
                for (size_t j = 0; j < sv->n_methods; j++)
                        if (strcmp(sv->methods[j].name, method) == 0)
                                return &sv->methods[j];
                return NULL;
        }
        *ret_service = NULL;
        return NULL;
}

static void conn_dispatch(struct conn *c, const struct ttrpc_header *h, const uint8_t *body)
{
        const struct ttrpc_service *sv;
        const struct ttrpc_method *m;
        struct ttrpc_call *call;
        Ttrpc__Request *req;

        if (h->type != TTRPC_TYPE_REQUEST)
                return;         /* other types are ignored, for compatibility, as ttrpc does */
        req = ttrpc_request_parse(body, h->length);
        if (!req) {
                conn_send_error(c, h->stream_id, TTRPC_INVALID_ARGUMENT,
                                "unmarshal request error: %u bytes are not a ttrpc.Request", h->length);
                return;
        }
        if (h->stream_id % 2 != 1) {
                ttrpc__request__free_unpacked(req, NULL);
                conn_send_error(c, h->stream_id, TTRPC_INVALID_ARGUMENT,
                                "StreamID must be odd for client initiated streams");
                return;
        }
        m = lookup(c->srv, req->service, req->method, &sv);
        if (!m) {
                if (sv)
                        conn_send_error(c, h->stream_id, TTRPC_UNIMPLEMENTED, "method %s", req->method);
                else
                        conn_send_error(c, h->stream_id, TTRPC_UNIMPLEMENTED, "service %s", req->service);
                ttrpc__request__free_unpacked(req, NULL);
                return;
        }
        if (c->pending >= c->srv->lim.max_pending) {
                conn_send_error(c, h->stream_id, TTRPC_RESOURCE_EXHAUSTED,
                                "%zu calls already pending on this connection", c->pending);
                ttrpc__request__free_unpacked(req, NULL);
                return;
        }
        call = malloc(sizeof(*call));
        if (!call) {
                ttrpc__request__free_unpacked(req, NULL);
                conn_send_error(c, h->stream_id, TTRPC_RESOURCE_EXHAUSTED, "out of memory");
                return;
        }
        *call = (struct ttrpc_call){ .conn = c, .stream_id = h->stream_id, .req = req };
        c->pending++;
        c->refs++;
        m->fn(call, req->payload.data, req->payload.len, sv->userdata);
}

static void conn_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        struct conn *c = container_of((uv_pipe_t *)h, struct conn, pipe);

        /* A closing connection (srv NULL) reads nothing more: libuv takes an empty buffer as ENOBUFS. */
        *buf = c->srv ? uv_buf_init((char *)c->srv->readbuf, READ_CHUNK) : uv_buf_init(NULL, 0);
}

static void conn_on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
        struct conn *c = container_of((uv_pipe_t *)st, struct conn, pipe);
        struct ttrpc_header h;
        const uint8_t *body;
        int r;

        if (nread == 0)
                return;
        if (nread < 0) {
                conn_close(c);          /* EOF or a reset: the client is gone */
                return;
        }
        if (ttrpc_decoder_feed(&c->dec, buf->base, (size_t)nread) < 0) {
                conn_close(c);
                return;
        }
        c->refs++;
        while (!c->closing && (r = ttrpc_decoder_next(&c->dec, &h, &body)) != TTRPC_NEED_MORE) {
                if (r == TTRPC_OVERSIZED)
                        conn_send_error(c, h.stream_id, TTRPC_RESOURCE_EXHAUSTED,
                                        "message length %u exceed maximum message size of %zu",
                                        h.length, c->dec.max_message);
                else
                        conn_dispatch(c, &h, body);
        }
        conn_unref(c);
}

static int conn_new(struct ttrpc_server *s, struct conn **ret)
{
        struct conn *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        r = uv_pipe_init(s->loop, &c->pipe, 0);
        if (r < 0) {
                free(c);
                return r;
        }
        c->srv = s;
        c->refs = 1;
        ttrpc_decoder_init(&c->dec, 0);
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        s->n_conns++;
        s->handles++;
        *ret = c;
        return 0;
}

static void on_connection(uv_stream_t *listener, int status)
{
        struct ttrpc_server *s = container_of((uv_pipe_t *)listener, struct ttrpc_server, listener);
        struct conn *c;

        if (status < 0 || conn_new(s, &c) < 0)
                return;
        if (uv_accept(listener, (uv_stream_t *)&c->pipe) < 0) {
                conn_close(c);
                return;
        }
        if (s->n_conns > s->lim.max_connections) {
                fprintf(stderr, "ttrpc: refusing a connection: %zu already open\n", s->n_conns - 1);
                conn_close(c);
                return;
        }
        if (uv_read_start((uv_stream_t *)&c->pipe, conn_on_alloc, conn_on_read) < 0)
                conn_close(c);
}

int ttrpc_server_new(uv_loop_t *loop, const struct ttrpc_service *services, size_t n_services,
                     const struct ttrpc_server_limits *limits, struct ttrpc_server **ret)
{
        struct ttrpc_server *s = calloc(1, sizeof(*s));

        if (!s || !(s->readbuf = malloc(READ_CHUNK))) {
                free(s);
                return -ENOMEM;
        }
        s->loop = loop;
        s->services = services;
        s->n_services = n_services;
        s->lim = (struct ttrpc_server_limits){
                .max_connections = TTRPC_DEFAULT_MAX_CONNECTIONS,
                .max_pending = TTRPC_DEFAULT_MAX_PENDING,
                .max_queued = TTRPC_DEFAULT_MAX_QUEUED,
        };
        if (limits) {
                if (limits->max_connections)
                        s->lim.max_connections = limits->max_connections;
                if (limits->max_pending)
                        s->lim.max_pending = limits->max_pending;
                if (limits->max_queued)
                        s->lim.max_queued = limits->max_queued;
        }
        *ret = s;
        return 0;
}

int ttrpc_server_listen(struct ttrpc_server *s, const char *path)
{
        struct stat st;
        int r;

        if (s->listener_init)
                return -EBUSY;
        /* A socket left by a shim that was killed is replaced; anything else is not ours. */
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                if (unlink(path) < 0)
                        return -errno;
        }
        r = uv_pipe_init(s->loop, &s->listener, 0);
        if (r < 0)
                return r;
        s->listener_init = true;
        s->handles++;
        r = uv_pipe_bind(&s->listener, path);
        if (r == 0)
                r = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
        return r;
}

int ttrpc_server_listen_fd(struct ttrpc_server *s, int fd)
{
        int r;

        if (s->listener_init)
                return -EBUSY;
        r = uv_pipe_init(s->loop, &s->listener, 0);
        if (r < 0)
                return r;
        s->listener_init = true;
        s->handles++;
        r = uv_pipe_open(&s->listener, fd);
        if (r == 0)
                r = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
        return r;
}

int ttrpc_server_adopt(struct ttrpc_server *s, int fd)
{
        struct conn *c;
        int r;

        r = conn_new(s, &c);
        if (r < 0) {
                close(fd);
                return r;
        }
        r = uv_pipe_open(&c->pipe, fd);
        if (r < 0) {
                close(fd);
                conn_close(c);
                return r;
        }
        r = uv_read_start((uv_stream_t *)&c->pipe, conn_on_alloc, conn_on_read);
        if (r < 0)
                conn_close(c);
        return r;
}

static void listener_on_close(uv_handle_t *h)
{
        struct ttrpc_server *s = container_of((uv_pipe_t *)h, struct ttrpc_server, listener);

        s->handles--;
        server_maybe_free(s);
}

void ttrpc_server_close(struct ttrpc_server *s)
{
        if (s->closing)
                return;
        s->closing = true;
        s->handles++;           /* the last conn_close must not free s under this loop */
        while (s->conns)
                conn_close(s->conns);
        s->handles--;
        if (s->listener_init)
                uv_close((uv_handle_t *)&s->listener, listener_on_close);
        else
                server_maybe_free(s);
}

size_t ttrpc_server_connections(const struct ttrpc_server *s)
{
        return s->n_conns;
}

static void call_free(struct ttrpc_call *call)
{
        struct conn *c = call->conn;

        c->pending--;
        ttrpc__request__free_unpacked(call->req, NULL);
        free(call);
        conn_unref(c);
}

void ttrpc_call_reply(struct ttrpc_call *call, const ProtobufCMessage *reply)
{
        struct conn *c = call->conn;
        uint8_t *frame;
        size_t len;

        if (!c->closing) {
                if (ttrpc_response_frame(call->stream_id, reply, &frame, &len) == 0)
                        conn_send(c, frame, len);
                else
                        conn_close(c);
        }
        call_free(call);
}

void ttrpc_call_error(struct ttrpc_call *call, int code, const char *fmt, ...)
{
        struct conn *c = call->conn;
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (!c->closing)
                conn_send_error(c, call->stream_id, code, "%s", msg);
        call_free(call);
}

const Ttrpc__Request *ttrpc_call_request(const struct ttrpc_call *call)
{
        return call->req;
}

bool ttrpc_call_connected(const struct ttrpc_call *call)
{
        return !call->conn->closing;
}
