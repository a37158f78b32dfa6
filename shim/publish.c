/*
 * Publishing task events through containerd's publish binary (shim/publish.h).
 * One publisher process at a time, spawned with uv_spawn (the shim is not a
 * PID 1: libuv reaps its own children), its stdin a pipe that gets the Any.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "google/protobuf/any.pb-c.h"
#include "shim/publish.h"

#define PUBLISH_MAX_QUEUED 1024         /* events waiting; past it the oldest are dropped (logged) */

struct publish_item {
        struct publish_item *next;
        char *topic;
        uint8_t *data;
        size_t len;
};

static void publish_next(struct shim_publisher *pub);

void shim_publisher_init(struct shim_publisher *pub, uv_loop_t *loop, const char *binary, const char *address,
                         const char *ns)
{
        *pub = (struct shim_publisher){ .loop = loop, .binary = binary, .address = address, .ns = ns };
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

        if (!pub->binary || !*pub->binary)
                return;         /* no publisher given: nobody listens */
        protobuf_c_message_pack(event, value);
        any.type_url = url;
        any.value.data = value;
        any.value.len = n;
        it = xcalloc(1, sizeof(*it));
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
