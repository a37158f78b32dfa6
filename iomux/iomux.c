#include "iomux/iomux.h"
#include "common/manifest.h"
#include "common/util.h"

#include <termios.h>

/* One read buffer for every stream: reads are consumed before the callback
 * returns, and PID 1 has one thread. */
static char read_buf[64 * 1024];

static void out_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        *buf = uv_buf_init(read_buf, sizeof(read_buf));
}

static void out_finish(struct io_out *o)
{
        struct io_sub *s;

        if (o->eof)
                return;
        o->eof = true;
        if (o->sink && o->sink->eof)
                o->sink->eof(o->sink, o);
        for (s = o->subs; s; s = o->iter_next) {
                o->iter_next = s->next;
                if (s->eof)
                        s->eof(s, o);
        }
        o->iter_next = NULL;
        if (o->on_eof)
                o->on_eof(o);
}

/*
 * One chunk to the ring, the subscribers and the sink (which may pause us).
 * A subscriber's callback may unsubscribe itself or any other subscriber
 * (a client over the pod's attach budget disconnects the biggest one):
 * o->iter_next is kept right by io_out_unsubscribe, so the walk goes on.
 */
static void deliver(struct io_out *o, const char *data, size_t n)
{
        struct io_sub *s;

        o->bytes += (uint64_t)n;
        ring_append(&o->ring, data, n);
        for (s = o->subs; s; s = o->iter_next) {
                o->iter_next = s->next;
                s->data(s, o, data, n);
        }
        o->iter_next = NULL;
        if (o->sink && !o->sink->data(o->sink, o, data, n) && !o->paused) {
                o->paused = true;
                uv_read_stop((uv_stream_t *)&o->pipe);
        }
}

static void out_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
        struct io_out *o = container_of((uv_pipe_t *)st, struct io_out, pipe);

        if (n < 0) {
                /* EOF on a pipe; EIO on a pty master once no slave is open. */
                uv_read_stop(st);
                out_finish(o);
                return;
        }
        if (n == 0)
                return;
        deliver(o, buf->base, (size_t)n);
}

void io_out_read_now(struct io_out *o)
{
        uv_os_fd_t fd;

        if (!o->open || o->eof || uv_fileno((uv_handle_t *)&o->pipe, &fd) < 0)
                return;
        while (!o->paused && !o->eof) {
                ssize_t n = read(fd, read_buf, sizeof(read_buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (n <= 0) {
                        uv_read_stop((uv_stream_t *)&o->pipe);
                        out_finish(o);
                        return;
                }
                deliver(o, read_buf, (size_t)n);
        }
}

int io_out_start(uv_loop_t *loop, struct io_out *o, int fd, int stream, size_t scrollback, bool is_tty,
                 struct io_sink *sink, void (*on_eof)(struct io_out *o))
{
        int r;

        o->stream = stream;
        o->sink = sink;
        o->on_eof = on_eof;
        o->is_tty = is_tty;
        o->eof = o->paused = false;
        o->subs = NULL;
        o->iter_next = NULL;
        o->bytes = 0;
        ring_init(&o->ring, scrollback);
        if ((r = uv_pipe_init(loop, &o->pipe, 0)) < 0)
                return r;
        if ((r = uv_pipe_open(&o->pipe, fd)) < 0) {
                uv_close((uv_handle_t *)&o->pipe, NULL);
                return r;
        }
        o->open = true;
        return uv_read_start((uv_stream_t *)&o->pipe, out_alloc, out_read);
}

void io_out_resume(struct io_out *o)
{
        if (o->paused && o->open && !o->eof) {
                o->paused = false;
                uv_read_start((uv_stream_t *)&o->pipe, out_alloc, out_read);
        }
}

void io_out_close(struct io_out *o)
{
        if (!o->open)
                return;
        /* Closed before the eof callbacks run: they may end the app and the
         * pod, which closes every stream again. */
        o->open = false;
        uv_read_stop((uv_stream_t *)&o->pipe);
        uv_close((uv_handle_t *)&o->pipe, NULL);
        out_finish(o);
}

void io_out_subscribe(struct io_out *o, struct io_sub *s)
{
        s->out = o;
        s->prev = NULL;
        s->next = o->subs;
        if (o->subs)
                o->subs->prev = s;
        o->subs = s;
}

void io_out_unsubscribe(struct io_sub *s)
{
        if (!s->out)
                return;
        if (s->out->iter_next == s)
                s->out->iter_next = s->next;
        if (s->prev)
                s->prev->next = s->next;
        else
                s->out->subs = s->next;
        if (s->next)
                s->next->prev = s->prev;
        s->out = NULL;
        s->next = s->prev = NULL;
}

void io_out_drop_subscribers(struct io_out *o)
{
        struct io_sub *s;

        for (s = o->subs; s; s = o->iter_next) {
                o->iter_next = s->next;
                if (s->eof)
                        s->eof(s, o);
                io_out_unsubscribe(s);  /* in case its eof did not */
        }
        o->iter_next = NULL;
}

void io_out_done(struct io_out *o)
{
        ring_done(&o->ring);
}

struct in_write {
        uv_write_t req;
        struct io_in *in;
        size_t len;
        char data[];
};

static void in_write_done(uv_write_t *req, int status)
{
        struct in_write *w = container_of(req, struct in_write, req);
        struct io_in *in = w->in;
        size_t len = w->len;

        free(w);
        if (status == UV_ECANCELED)
                return;                 /* the stream was closed; in may be gone */
        if (status == 0)
                in->bytes += len;       /* written to the app, not merely accepted */
        if (in->close_pending && uv_stream_get_write_queue_size(in->stream) == 0 &&
            !uv_is_closing((uv_handle_t *)in->stream)) {
                in->close_pending = false;
                uv_close((uv_handle_t *)in->stream, NULL);
                return;
        }
        if (in->want_drain && uv_stream_get_write_queue_size(in->stream) <= in->limit / 2) {
                in->want_drain = false;
                if (in->on_drain)
                        in->on_drain(in);
        }
}

int io_in_start(uv_loop_t *loop, struct io_in *in, int fd, size_t limit, void (*on_drain)(struct io_in *in))
{
        int r;

        in->limit = limit;
        in->on_drain = on_drain;
        in->want_drain = false;
        in->close_pending = false;
        in->bytes = 0;
        in->own = true;
        in->stream = (uv_stream_t *)&in->pipe;
        if ((r = uv_pipe_init(loop, &in->pipe, 0)) < 0)
                return r;
        if ((r = uv_pipe_open(&in->pipe, fd)) < 0) {
                uv_close((uv_handle_t *)&in->pipe, NULL);
                return r;
        }
        in->open = true;
        return 0;
}

void io_in_share(struct io_in *in, struct io_out *tty_out, size_t limit, void (*on_drain)(struct io_in *in))
{
        in->limit = limit;
        in->on_drain = on_drain;
        in->want_drain = false;
        in->bytes = 0;
        in->own = false;
        in->stream = (uv_stream_t *)&tty_out->pipe;
        in->open = true;
}

int io_in_write(struct io_in *in, const char *buf, size_t len)
{
        struct in_write *w;
        uv_buf_t b;
        int r;

        if (!in->open || in->close_pending || uv_is_closing((uv_handle_t *)in->stream))
                return -EPIPE;
        if (!len)
                return 0;
        /* Nothing queued: write now from the caller's buffer (no copy, request
         * or deferred callback); queue only what the pipe does not take. */
        b = uv_buf_init((char *)buf, (unsigned)len);
        r = uv_try_write(in->stream, &b, 1);
        if (r > 0) {
                in->bytes += (size_t)r;
                buf += r;
                len -= (size_t)r;
                if (!len)
                        return 0;
        } else if (r != UV_EAGAIN && r != UV_ENOSYS) {
                return -EPIPE;
        }
        w = xmalloc(sizeof(*w) + len);
        w->in = in;
        w->len = len;
        memcpy(w->data, buf, len);
        b = uv_buf_init(w->data, (unsigned)len);
        if (uv_write(&w->req, in->stream, &b, 1, in_write_done) < 0) {
                free(w);
                return -EPIPE;
        }
        if (uv_stream_get_write_queue_size(in->stream) > in->limit) {
                in->want_drain = true;
                return 1;
        }
        return 0;
}

void io_in_close(struct io_in *in)
{
        if (!in->open)
                return;
        if (!in->own) {
                /* A terminal has no half-close: send its EOF character (VEOF),
                 * which a reader in canonical mode sees as end of input. */
                struct termios t;
                uv_os_fd_t fd;
                char eof = 4;
                if (uv_fileno((uv_handle_t *)in->stream, &fd) == 0 && tcgetattr(fd, &t) == 0)
                        eof = (char)t.c_cc[VEOF];
                io_in_write(in, &eof, 1);
                return;
        }
        in->open = false;
        /* Queued input goes first; EOF follows it. */
        if (uv_stream_get_write_queue_size(in->stream) > 0)
                in->close_pending = true;
        else
                uv_close((uv_handle_t *)&in->pipe, NULL);
}

void io_in_close_now(struct io_in *in)
{
        if (in->own && in->stream && !uv_is_closing((uv_handle_t *)&in->pipe))
                uv_close((uv_handle_t *)&in->pipe, NULL);
        in->open = false;
        in->close_pending = false;
}
