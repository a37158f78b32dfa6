/*
 * Publishing task events to containerd (shim/publish.h): over its ttrpc
 * socket when it gave one, else (or once that fails) through its publish
 * binary, one process at a time, spawned with uv_spawn (the shim is not a
 * PID 1: libuv reaps its own children), its stdin a pipe that gets the Any.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "containerd/services/events/ttrpc/v1/events.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "shim/publish.h"

#define PUBLISH_MAX_QUEUED 1024         /* events waiting; past it the oldest are dropped (logged) */
#define FORWARD_TIMEOUT_MS 5000
#define EVENTS_SERVICE "containerd.services.events.ttrpc.v1.Events"

enum { PUB_CONN_NONE, PUB_CONN_CONNECTING, PUB_CONN_UP, PUB_CONN_CLOSING };

struct publish_item {
        struct publish_item *next;
        char *topic;
        uint8_t *data;                  /* the event as a packed google.protobuf.Any */
        size_t len;
        struct timespec at;             /* when it was made (the envelope's time) */
};

static void publish_next(struct shim_publisher *pub);

void shim_publisher_init(struct shim_publisher *pub, uv_loop_t *loop, const char *binary, const char *address,
                         const char *ns, const char *ttrpc_address)
{
        *pub = (struct shim_publisher){ .loop = loop, .binary = binary, .address = address, .ns = ns,
                                        .ttrpc_address = ttrpc_address && *ttrpc_address ? ttrpc_address : NULL,
                                        .next_stream = 1 };
        ttrpc_decoder_init(&pub->dec, 0);
        uv_timer_init(loop, &pub->timer);
        uv_unref((uv_handle_t *)&pub->timer);   /* never what keeps the shim's loop alive */
}

bool shim_publisher_idle(const struct shim_publisher *pub)
{
        return !pub->busy && !pub->head;
}

static void item_free(struct publish_item *it)
{
        free(it->topic);
        free(it->data);
        free(it);
}

void shim_publish(struct shim_publisher *pub, const char *topic, const char *name, const ProtobufCMessage *event)
{
        Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
        struct publish_item *it;
        size_t n = protobuf_c_message_get_packed_size(event);
        _cleanup_free_ uint8_t *value = xmalloc(n ? n : 1);
        _cleanup_free_ char *url = xasprintf("containerd.events.%s", name);

        if ((!pub->binary || !*pub->binary) && !pub->ttrpc_address)
                return;         /* no publisher given: nobody listens */
        protobuf_c_message_pack(event, value);
        any.type_url = url;
        any.value.data = value;
        any.value.len = n;
        it = xcalloc(1, sizeof(*it));
        clock_gettime(CLOCK_REALTIME, &it->at);
        it->topic = xstrdup(topic);
        it->len = protobuf_c_message_get_packed_size(&any.base);
        it->data = xmalloc(it->len ? it->len : 1);
        protobuf_c_message_pack(&any.base, it->data);
        if (pub->queued >= PUBLISH_MAX_QUEUED) {
                struct publish_item *old = pub->head;
                log_error("publish: %zu events waiting; dropping the oldest (%s)", pub->queued, old->topic);
                pub->head = old->next;
                if (!pub->head)
                        pub->tail = NULL;
                item_free(old);
                pub->queued--;
        }
        if (pub->tail)
                pub->tail->next = it;
        else
                pub->head = it;
        pub->tail = it;
        pub->queued++;
        publish_next(pub);
}

/* The next publisher is spawned only once this one's handle has closed: the handle is reused. */
static void on_proc_closed(uv_handle_t *h)
{
        struct shim_publisher *pub = container_of((uv_process_t *)h, struct shim_publisher, proc);

        pub->busy = false;
        publish_next(pub);
        if (shim_publisher_idle(pub) && pub->on_idle)
                pub->on_idle(pub);
}

static void on_publisher_exit(uv_process_t *proc, int64_t status, int term_signal)
{
        struct shim_publisher *pub = container_of(proc, struct shim_publisher, proc);

        if (status != 0 || term_signal != 0)
                log_warn("publish: %s exited with %s %d", pub->binary, term_signal ? "signal" : "code",
                         term_signal ? term_signal : (int)status);
        uv_close((uv_handle_t *)proc, on_proc_closed);
}

static void on_stdin_closed(uv_handle_t *h)
{
}

static void on_written(uv_write_t *req, int status)
{
        struct shim_publisher *pub = container_of(req, struct shim_publisher, write_req);

        item_free(req->data);
        uv_close((uv_handle_t *)&pub->stdin_pipe, on_stdin_closed);
}

/* ---- the ttrpc way -------------------------------------------------------- */

static void event_done(struct shim_publisher *pub)
{
        item_free(pub->inflight);
        pub->inflight = NULL;
        pub->waiting_stream = 0;
        pub->busy = false;
        uv_timer_stop(&pub->timer);
        publish_next(pub);
        if (shim_publisher_idle(pub) && pub->on_idle)
                pub->on_idle(pub);
}

static void on_conn_closed(uv_handle_t *h)
{
        struct shim_publisher *pub = container_of((uv_pipe_t *)h, struct shim_publisher, conn);

        pub->conn_state = PUB_CONN_NONE;
        ttrpc_decoder_done(&pub->dec);
        ttrpc_decoder_init(&pub->dec, 0);
        /* The event in flight goes again, through the binary. */
        if (pub->inflight) {
                pub->inflight->next = pub->head;
                pub->head = pub->inflight;
                if (!pub->tail)
                        pub->tail = pub->inflight;
                pub->queued++;
                pub->inflight = NULL;
        }
        pub->waiting_stream = 0;
        pub->busy = false;
        uv_timer_stop(&pub->timer);
        publish_next(pub);
        if (shim_publisher_idle(pub) && pub->on_idle)
                pub->on_idle(pub);
}

/* The socket failed (or containerd went quiet): the binary from now on. */
static void conn_broken(struct shim_publisher *pub, const char *what)
{
        if (pub->conn_state == PUB_CONN_CLOSING || pub->conn_state == PUB_CONN_NONE)
                return;
        log_warn("publish: containerd's ttrpc socket %s: %s; events go through %s from now on", pub->ttrpc_address,
                 what, pub->binary && *pub->binary ? pub->binary : "(no publish binary: they are lost)");
        pub->ttrpc_broken = true;
        pub->conn_state = PUB_CONN_CLOSING;
        uv_close((uv_handle_t *)&pub->conn, on_conn_closed);
}

static void on_forward_timeout(uv_timer_t *t)
{
        conn_broken(container_of(t, struct shim_publisher, timer), "no answer to Forward within 5 s");
}

static void on_conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
        static char b[4096];    /* one loop, one reader: a response is tens of bytes */
        *buf = uv_buf_init(b, sizeof(b));
}

static void on_conn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
        struct shim_publisher *pub = container_of((uv_pipe_t *)st, struct shim_publisher, conn);
        struct ttrpc_header h;
        const uint8_t *body;
        int k;

        if (n < 0) {
                conn_broken(pub, n == UV_EOF ? "closed by containerd" : uv_strerror((int)n));
                return;
        }
        if (n == 0)
                return;
        if (ttrpc_decoder_feed(&pub->dec, buf->base, (size_t)n) < 0) {
                conn_broken(pub, "more than a frame unanswered");
                return;
        }
        while ((k = ttrpc_decoder_next(&pub->dec, &h, &body)) != TTRPC_NEED_MORE) {
                Ttrpc__Response *res;
                if (k != TTRPC_FRAME || h.type != TTRPC_TYPE_RESPONSE || h.stream_id != pub->waiting_stream ||
                    !pub->inflight)
                        continue;       /* not the answer we wait for */
                res = ttrpc_response_parse(body, h.length);
                if (!res) {
                        conn_broken(pub, "an answer that is not a ttrpc response");
                        return;
                }
                if (res->status && res->status->code != 0)
                        log_warn("publish: containerd refused event %s: %s (code %d)", pub->inflight->topic,
                                 res->status->message ? res->status->message : "", res->status->code);
                ttrpc__response__free_unpacked(res, NULL);
                event_done(pub);
        }
}

static void on_forward_written(uv_write_t *req, int status)
{
        struct shim_publisher *pub = container_of(req, struct shim_publisher, conn_write);

        free(req->data);
        if (status < 0 && status != UV_ECANCELED)
                conn_broken(pub, uv_strerror(status));
}

/* Forward the event in flight on the connection that is up. */
static void send_forward(struct shim_publisher *pub)
{
        struct publish_item *it = pub->inflight;
        Containerd__Services__Events__Ttrpc__V1__ForwardRequest req =
                CONTAINERD__SERVICES__EVENTS__TTRPC__V1__FORWARD_REQUEST__INIT;
        Containerd__Services__Events__Ttrpc__V1__Envelope env = CONTAINERD__SERVICES__EVENTS__TTRPC__V1__ENVELOPE__INIT;
        Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
        Google__Protobuf__Any *any = google__protobuf__any__unpack(NULL, it->len, it->data);
        uint8_t *frame = NULL;
        size_t len = 0;
        uv_buf_t b;
        int r;

        if (!any) {
                log_error("publish: event %s cannot be unpacked; dropped", it->topic);
                event_done(pub);
                return;
        }
        ts.seconds = it->at.tv_sec;
        ts.nanos = (int32_t)it->at.tv_nsec;
        env.timestamp = &ts;
        env.namespace_ = (char *)pub->ns;
        env.topic = it->topic;
        env.event = any;
        req.envelope = &env;
        pub->waiting_stream = pub->next_stream;
        pub->next_stream += 2;          /* a client's streams are odd */
        r = ttrpc_request_frame(pub->waiting_stream, EVENTS_SERVICE, "Forward", &req.base, &frame, &len);
        google__protobuf__any__free_unpacked(any, NULL);
        if (r < 0) {
                log_error("publish: event %s: %s; dropped", it->topic, strerror(-r));
                event_done(pub);
                return;
        }
        b = uv_buf_init((char *)frame, (unsigned)len);
        pub->conn_write.data = frame;
        if ((r = uv_write(&pub->conn_write, (uv_stream_t *)&pub->conn, &b, 1, on_forward_written)) < 0) {
                free(frame);
                conn_broken(pub, uv_strerror(r));
                return;
        }
        uv_timer_start(&pub->timer, on_forward_timeout, FORWARD_TIMEOUT_MS, 0);
}

static void on_connected(uv_connect_t *req, int status)
{
        struct shim_publisher *pub = container_of(req, struct shim_publisher, connect_req);
        int r;

        if (pub->conn_state != PUB_CONN_CONNECTING)
                return;
        if (status < 0) {
                conn_broken(pub, uv_strerror(status));
                return;
        }
        pub->conn_state = PUB_CONN_UP;
        if ((r = uv_read_start((uv_stream_t *)&pub->conn, on_conn_alloc, on_conn_read)) < 0) {
                conn_broken(pub, uv_strerror(r));
                return;
        }
        if (pub->inflight)
                send_forward(pub);
}

/* Take the next event for the socket; false if the binary must carry it. */
static bool publish_ttrpc(struct shim_publisher *pub)
{
        struct publish_item *it = pub->head;

        if (!pub->ttrpc_address || pub->ttrpc_broken || pub->conn_state == PUB_CONN_CLOSING)
                return false;
        pub->head = it->next;
        if (!pub->head)
                pub->tail = NULL;
        pub->queued--;
        it->next = NULL;
        pub->inflight = it;
        pub->busy = true;
        if (pub->conn_state == PUB_CONN_UP) {
                send_forward(pub);
                return true;
        }
        if (pub->conn_state == PUB_CONN_NONE) {
                uv_pipe_init(pub->loop, &pub->conn, 0);
                pub->conn_state = PUB_CONN_CONNECTING;
                /* The shim's loop must end once its work is done, with this connection still open. */
                uv_unref((uv_handle_t *)&pub->conn);
                uv_pipe_connect(&pub->connect_req, &pub->conn, pub->ttrpc_address, on_connected);
        }
        return true;
}

void shim_publisher_close(struct shim_publisher *pub)
{
        if (pub->conn_state == PUB_CONN_UP || pub->conn_state == PUB_CONN_CONNECTING) {
                pub->ttrpc_broken = true;       /* nothing more goes out this way */
                pub->conn_state = PUB_CONN_CLOSING;
                uv_close((uv_handle_t *)&pub->conn, on_conn_closed);
        }
        if (!uv_is_closing((uv_handle_t *)&pub->timer))
                uv_close((uv_handle_t *)&pub->timer, NULL);
}

/* ---- the publish binary ---------------------------------------------------- */

static void publish_next(struct shim_publisher *pub)
{
        struct publish_item *it = pub->head;
        uv_process_options_t o = { 0 };
        uv_stdio_container_t stdio[3];
        char *args[] = { (char *)pub->binary, "--address", (char *)pub->address, "publish", "--topic", NULL,
                         "--namespace", (char *)pub->ns, NULL };
        uv_buf_t b;
        int r;

        if (pub->busy || !it)
                return;
        if (publish_ttrpc(pub))
                return;
        if (!pub->binary || !*pub->binary) {
                log_error("publish: no way to reach containerd (no publish binary); event %s is lost", it->topic);
                pub->head = it->next;
                if (!pub->head)
                        pub->tail = NULL;
                pub->queued--;
                item_free(it);
                publish_next(pub);
                return;
        }
        pub->head = it->next;
        if (!pub->head)
                pub->tail = NULL;
        pub->queued--;
        args[5] = it->topic;
        uv_pipe_init(pub->loop, &pub->stdin_pipe, 0);
        stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
        stdio[0].data.stream = (uv_stream_t *)&pub->stdin_pipe;
        stdio[1].flags = UV_IGNORE;
        stdio[2].flags = UV_INHERIT_FD;         /* its complaints go to the shim's log */
        stdio[2].data.fd = 2;
        o.file = pub->binary;
        o.args = args;
        o.exit_cb = on_publisher_exit;
        o.stdio = stdio;
        o.stdio_count = 3;
        r = uv_spawn(pub->loop, &pub->proc, &o);
        if (r < 0) {
                log_error("publish: running %s: %s; event %s not sent", pub->binary, uv_strerror(r), it->topic);
                /* Spawned nothing: the handles close, the event is lost (logged), the next waits for
                 * the next shim_publish or exit callback. */
                pub->busy = true;
                uv_close((uv_handle_t *)&pub->stdin_pipe, on_stdin_closed);
                uv_close((uv_handle_t *)&pub->proc, on_proc_closed);
                item_free(it);
                return;
        }
        pub->busy = true;
        b = uv_buf_init((char *)it->data, (unsigned)it->len);
        r = uv_try_write((uv_stream_t *)&pub->stdin_pipe, &b, 1);
        if (r == (int)it->len || r < 0) {
                if (r < 0)
                        log_error("publish: writing event %s: %s", it->topic, uv_strerror(r));
                uv_close((uv_handle_t *)&pub->stdin_pipe, on_stdin_closed);
                item_free(it);
                return;
        }
        /* A partial write (an event is small; rare): the rest goes with uv_write, which frees it. */
        b = uv_buf_init((char *)it->data + r, (unsigned)(it->len - (size_t)r));
        pub->write_req.data = it;
        if (uv_write(&pub->write_req, (uv_stream_t *)&pub->stdin_pipe, &b, 1, on_written) < 0) {
                uv_close((uv_handle_t *)&pub->stdin_pipe, on_stdin_closed);
                item_free(it);
        }
}
