/*
 * The task's fifos bridged to podinit's attach stream, and its exit from the
 * pod's events (shim/stdio.h).
 */
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include "common/fdutil.h"
#include "common/log.h"
#include "shim/stdio.h"

#define FIFO_HIGH_WATER (1u << 20)      /* queued for one fifo before the attach stream is paused */
#define STDIN_CHUNK 65536

struct out_req {
        uv_write_t req;
        struct fifo_out *f;
        char data[];
};

static void handle_closed(uv_handle_t *h)
{
        struct shim_stdio *io = h->data;

        /* The owner frees io only after the last close callback (shim_stdio_close's done). */
        if (--io->open_handles == 0 && io->closing && io->on_closed)
                io->on_closed(io);
}

static void close_handle(struct shim_stdio *io, uv_handle_t *h)
{
        if (uv_is_closing(h))
                return;
        h->data = io;
        uv_close(h, handle_closed);
}

static bool fifos_drained(const struct shim_stdio *io)
{
        return io->out.pending == 0 && io->err.pending == 0;
}

static void start_resolved(struct shim_stdio *io, const char *error)
{
        if (!io->start_pending)
                return;
        io->start_pending = false;
        io->on_start(io, error);
}

/* The exit is reported once it is known and every byte of output has reached the fifos. */
static void maybe_report_exit(struct shim_stdio *io)
{
        if (io->exit_reported || io->start_pending || !io->exit_known || (io->attached && !io->attach_done) || !fifos_drained(io))
                return;
        io->exit_reported = true;
        /* The end of output: containerd's copy loops see EOF. */
        if (io->out.open) {
                io->out.open = false;
                close_handle(io, (uv_handle_t *)&io->out.pipe);
        }
        if (io->err.open) {
                io->err.open = false;
                close_handle(io, (uv_handle_t *)&io->err.pipe);
        }
        io->on_exit(io, &io->exit);
}

static void resume_if_drained(struct shim_stdio *io);

static void on_fifo_write(uv_write_t *req, int status)
{
        struct out_req *w = container_of(req, struct out_req, req);
        struct fifo_out *f = w->f;
        struct shim_stdio *io = f->io;

        if (status < 0 && status != UV_ECANCELED && !f->broken) {
                /* The reader went away (ctr exited): the rest of this stream is dropped. */
                log_debug("stdio: writing to a fifo: %s; dropping the rest of this stream", uv_strerror(status));
                f->broken = true;
        }
        f->pending--;
        free(w);
        resume_if_drained(io);
        maybe_report_exit(io);
}

static void fifo_write(struct fifo_out *f, const uint8_t *data, size_t len)
{
        struct out_req *w;
        uv_buf_t b;

        if (!f->open || f->broken || len == 0)
                return;
        w = xmalloc(sizeof(*w) + len);
        w->f = f;
        memcpy(w->data, data, len);
        b = uv_buf_init(w->data, (unsigned)len);
        if (uv_write(&w->req, (uv_stream_t *)&f->pipe, &b, 1, on_fifo_write) < 0) {
                f->broken = true;
                free(w);
                return;
        }
        f->pending++;
}

static size_t fifo_queued(struct fifo_out *f)
{
        return f->open ? uv_stream_get_write_queue_size((uv_stream_t *)&f->pipe) : 0;
}

static void podconn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        static char chunk[65536];

        *buf = uv_buf_init(chunk, sizeof(chunk));
}

static void attach_frames(struct shim_stdio *io);
static void attach_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void resume_if_drained(struct shim_stdio *io)
{
        if (!io->paused || fifo_queued(&io->out) > FIFO_HIGH_WATER / 2 || fifo_queued(&io->err) > FIFO_HIGH_WATER / 2)
                return;
        io->paused = false;
        attach_frames(io);
        if (!io->paused && io->attach.open)
                uv_read_start((uv_stream_t *)&io->attach.pipe, podconn_alloc, attach_read);
}

static uint32_t shell_code(json_t *ev)
{
        json_t *v;

        if ((v = json_object_get(ev, "shellCode")) && json_is_integer(v))
                return (uint32_t)json_integer_value(v);
        if ((v = json_object_get(ev, "signal")) && json_is_integer(v))
                return 128 + (uint32_t)json_integer_value(v);
        if ((v = json_object_get(ev, "exitCode")) && json_is_integer(v))
                return (uint32_t)json_integer_value(v);
        return 255;
}

static void exit_from(struct shim_stdio *io, json_t *ev)
{
        if (io->exit_known)
                return;
        io->exit_known = true;
        io->exit.status = shell_code(ev);
        io->exit.oom = json_is_true(json_object_get(ev, "oomKilled"));
        io->exit.at_ns = now_real_ns();
        /* An exit before the exec event: it ran and ended at once, or (error) never ran. */
        start_resolved(io, json_string_value(json_object_get(ev, "error")));
}

static void attach_end(struct shim_stdio *io)
{
        if (io->attach.open) {
                io->attach.open = false;
                close_handle(io, (uv_handle_t *)&io->attach.pipe);
        }
        io->attach_done = true;
        /* An exec session has no events connection: its end without EXIT is all there is. */
        if (!io->exit_known && !io->events.open) {
                log_warn("stdio: the stream ended without the process's exit status");
                exit_from(io, NULL);
        }
        maybe_report_exit(io);
}

/* Take the frames buffered on the attach connection, unless a fifo is behind. */
static void attach_frames(struct shim_stdio *io)
{
        uint8_t type;
        const uint8_t *payload;
        size_t len;
        int r;

        while (!io->attach_done && !io->paused && (r = frame_decoder_next(&io->attach.dec, &type, &payload, &len)) != 0) {
                if (r < 0) {
                        log_error("stdio: a bad frame on the attach stream; output stops here");
                        attach_end(io);
                        return;
                }
                if (type == FRAME_STDOUT)
                        fifo_write(&io->out, payload, len);
                else if (type == FRAME_STDERR)
                        fifo_write(&io->err, payload, len);
                else if (type == FRAME_EXIT) {
                        json_t *ev = json_loadb((const char *)payload, len, 0, NULL);
                        exit_from(io, ev);
                        json_decref(ev);
                } else if (type == FRAME_DROPPED)
                        log_warn("stdio: podinit dropped output the fifo reader did not take: %.*s", (int)len, payload);
                if (fifo_queued(&io->out) > FIFO_HIGH_WATER || fifo_queued(&io->err) > FIFO_HIGH_WATER) {
                        io->paused = true;
                        if (io->attach.open)
                                uv_read_stop((uv_stream_t *)&io->attach.pipe);
                }
        }
}

static void attach_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
        struct shim_stdio *io = container_of((uv_pipe_t *)s, struct shim_stdio, attach.pipe);

        if (n < 0) {
                attach_frames(io);
                if (io->paused) {
                        /* Take the rest once the fifos catch up; EOF is seen again then. */
                        return;
                }
                attach_end(io);
                return;
        }
        frame_decoder_feed(&io->attach.dec, buf->base, (size_t)n);
        attach_frames(io);
}

static void events_frames(struct shim_stdio *io)
{
        uint8_t type;
        const uint8_t *payload;
        size_t len;

        while (frame_decoder_next(&io->events.dec, &type, &payload, &len) > 0) {
                json_t *ev;
                if (type != FRAME_EVENT || !(ev = json_loadb((const char *)payload, len, 0, NULL)))
                        continue;
                if (!strcmp(json_string_value(json_object_get(ev, "type")) ?: "", "app") &&
                    !strcmp(json_string_value(json_object_get(ev, "app")) ?: "", io->app)) {
                        const char *what = json_string_value(json_object_get(ev, "event")) ?: "";
                        if (!strcmp(what, "exit") || !strcmp(what, "give-up"))
                                exit_from(io, ev);
                        else if (!strcmp(what, "exec"))
                                start_resolved(io, NULL);
                }
                json_decref(ev);
        }
}

static void events_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
        struct shim_stdio *io = container_of((uv_pipe_t *)s, struct shim_stdio, events.pipe);

        if (n < 0) {
                /* The pod ended.  Without an exit event the app went with it. */
                io->events.open = false;
                close_handle(io, (uv_handle_t *)&io->events.pipe);
                if (!io->exit_known) {
                        /* Its sandbox was removed under it (or PID 1 died): it was killed with the pod. */
                        json_t *killed = json_pack("{s:i}", "signal", SIGKILL);
                        log_warn("stdio: app %s: the pod ended without reporting its exit; it was killed", io->app);
                        exit_from(io, killed);
                        json_decref(killed);
                }
                maybe_report_exit(io);
                return;
        }
        frame_decoder_feed(&io->events.dec, buf->base, (size_t)n);
        events_frames(io);
        maybe_report_exit(io);
}

static void send_frame(struct shim_stdio *io, uint8_t type, const void *data, size_t len);

static void stdin_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        static char chunk[STDIN_CHUNK];

        *buf = uv_buf_init(chunk, sizeof(chunk));
}

static void stdin_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
        struct shim_stdio *io = container_of((uv_pipe_t *)s, struct shim_stdio, in);

        if (n < 0) {
                /* The writer closed the fifo: end of input for the app. */
                io->in_open = false;
                close_handle(io, (uv_handle_t *)&io->in);
                send_frame(io, FRAME_CLOSE_STDIN, NULL, 0);
                return;
        }
        if (n > 0)
                send_frame(io, FRAME_STDIN, buf->base, (size_t)n);
}

struct frame_req {
        uv_write_t req;
        uint8_t data[];
};

static void on_frame_sent(uv_write_t *req, int status)
{
        free(container_of(req, struct frame_req, req));
}

static void send_frame(struct shim_stdio *io, uint8_t type, const void *data, size_t len)
{
        struct frame_req *w;
        uv_buf_t b;

        if (!io->attach.open)
                return;
        w = xmalloc(sizeof(*w) + PROTO_HEADER_SIZE + len);
        frame_header(w->data, type, len);
        if (len)
                memcpy(w->data + PROTO_HEADER_SIZE, data, len);
        b = uv_buf_init((char *)w->data, (unsigned)(PROTO_HEADER_SIZE + len));
        if (uv_write(&w->req, (uv_stream_t *)&io->attach.pipe, &b, 1, on_frame_sent) < 0)
                free(w);
}

static int open_fifo(struct shim_stdio *io, uv_pipe_t *p, const char *path, int flags, struct pod_err *perr)
{
        int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC), r;

        if (fd < 0)
                return pod_err_set(perr, -errno, "opening the fifo %s: %s", path, strerror(errno));
        uv_pipe_init(io->loop, p, 0);
        io->open_handles++;
        if ((r = uv_pipe_open(p, fd)) < 0) {
                close(fd);
                close_handle(io, (uv_handle_t *)p);
                return pod_err_set(perr, r, "opening the fifo %s: %s", path, uv_strerror(r));
        }
        return 0;
}

int shim_stdio_open(struct shim_stdio *io, uv_loop_t *loop, const char *app, const char *in, const char *out,
                    const char *err, bool terminal, struct pod_err *perr)
{
        int r;

        *io = (struct shim_stdio){ .loop = loop };
        snprintf(io->app, sizeof(io->app), "%s", app);
        io->out.io = io->err.io = io;
        /*
         * The output fifos are opened read-write: a write-only open without a
         * reader fails with ENXIO (non-blocking) or waits (blocking), and the
         * client (ctr, containerd's CRI log writer) may open its end later
         * than the exec or task starts.  Read-write never waits; what is
         * written before the reader comes stays in the fifo for it, and the
         * reader sees EOF once the shim closes its fd, the only writer.
         */
        if (out && *out) {
                if ((r = open_fifo(io, &io->out.pipe, out, O_RDWR, perr)) < 0)
                        goto fail;
                io->out.open = true;
        }
        if (err && *err && !terminal) {
                if ((r = open_fifo(io, &io->err.pipe, err, O_RDWR, perr)) < 0)
                        goto fail;
                io->err.open = true;
        }
        /* Read only when a writer has come: a fifo with none yet is not readable (no early EOF). */
        if (in && *in) {
                if ((r = open_fifo(io, &io->in, in, O_RDONLY, perr)) < 0)
                        goto fail;
                io->in_open = true;
        }
        return 0;
fail:
        return r;       /* the caller closes what was opened (shim_stdio_close) */
}

static int podconn_open(struct shim_stdio *io, struct podconn *c, int fd, struct frame_decoder *dec, uv_read_cb cb)
{
        int r;

        c->io = io;
        c->dec = *dec;
        *dec = (struct frame_decoder){ 0 };
        uv_pipe_init(io->loop, &c->pipe, 0);
        io->open_handles++;
        if ((r = uv_pipe_open(&c->pipe, fd)) < 0) {
                close(fd);
                close_handle(io, (uv_handle_t *)&c->pipe);
                return r;
        }
        c->open = true;
        return uv_read_start((uv_stream_t *)&c->pipe, podconn_alloc, cb);
}

int shim_stdio_run(struct shim_stdio *io, int attach_fd, struct frame_decoder *attach_dec, int events_fd,
                   struct frame_decoder *events_dec, shim_exit_cb cb, void *userdata)
{
        int r;

        io->on_exit = cb;
        io->userdata = userdata;
        io->start_pending = io->on_start != NULL;
        if (events_fd >= 0) {
                fd_set_nonblock(events_fd, 1);
                if ((r = podconn_open(io, &io->events, events_fd, events_dec, events_read)) < 0)
                        return r;
        }
        if (attach_fd >= 0) {
                fd_set_nonblock(attach_fd, 1);
                io->attached = true;
                if ((r = podconn_open(io, &io->attach, attach_fd, attach_dec, attach_read)) < 0) {
                        io->attach_done = true;
                        return r;
                }
                if (io->in_open)
                        uv_read_start((uv_stream_t *)&io->in, stdin_alloc, stdin_read);
                attach_frames(io);      /* output that came with the response */
        }
        if (events_fd >= 0)
                events_frames(io);
        maybe_report_exit(io);
        return 0;
}

int shim_stdio_signal(struct shim_stdio *io, int sig)
{
        uint8_t b = (uint8_t)sig;

        if (!io->attach.open)
                return -ENOTCONN;
        send_frame(io, FRAME_SIGNAL, &b, 1);
        return 0;
}

int shim_stdio_resize(struct shim_stdio *io, unsigned rows, unsigned cols)
{
        uint8_t b[4] = { (uint8_t)(rows >> 8), (uint8_t)rows, (uint8_t)(cols >> 8), (uint8_t)cols };

        if (!io->attach.open)
                return -ENOTCONN;
        send_frame(io, FRAME_RESIZE, b, sizeof(b));
        return 0;
}

int shim_stdio_close_stdin(struct shim_stdio *io)
{
        if (!io->attach.open)
                return -ENOTCONN;
        if (io->in_open) {
                io->in_open = false;
                close_handle(io, (uv_handle_t *)&io->in);
        }
        send_frame(io, FRAME_CLOSE_STDIN, NULL, 0);
        return 0;
}

void shim_stdio_close(struct shim_stdio *io, void (*done)(struct shim_stdio *io))
{
        io->closing = true;
        io->on_closed = done;
        if (io->in_open)
                close_handle(io, (uv_handle_t *)&io->in);
        if (io->out.open)
                close_handle(io, (uv_handle_t *)&io->out.pipe);
        if (io->err.open)
                close_handle(io, (uv_handle_t *)&io->err.pipe);
        if (io->attach.open)
                close_handle(io, (uv_handle_t *)&io->attach.pipe);
        if (io->events.open)
                close_handle(io, (uv_handle_t *)&io->events.pipe);
        io->in_open = io->out.open = io->err.open = io->attach.open = io->events.open = false;
        frame_decoder_done(&io->attach.dec);
        frame_decoder_done(&io->events.dec);
        if (io->open_handles == 0 && done)
                done(io);
}
