#include "logger/console.h"
#include "common/util.h"

#include <fcntl.h>
#include <sys/stat.h>

struct console_out {
        int fd;                 /* direct writes (regular file or fallback), or -1 */
        uv_pipe_t pipe;
        bool piped;
};

struct console {
        enum console_format fmt;
        struct console_out out[2];      /* 0: stdout, 1: stderr */
        struct waiter *waiters;         /* writers waiting for the queue to drain */
        uv_timer_t flush_timer;         /* deadline for the last output at exit */
        bool closing, closed;
};

struct cwrite {
        uv_write_t req;
        struct console *con;
        char data[];
};

static void console_out_open(uv_loop_t *loop, struct console_out *o, int fd)
{
        struct stat st;
        char path[64];
        int nfd;

        o->fd = -1;
        o->piped = false;
        if (fstat(fd, &st) < 0)
                return;                 /* closed: output is discarded */
        if (S_ISREG(st.st_mode)) {
                o->fd = fd;
                return;
        }
        if (S_ISCHR(st.st_mode) && !isatty(fd)) {
                o->fd = fd;             /* /dev/null and friends never block */
                return;
        }
        /* A new open file description: O_NONBLOCK on it does not leak into
         * the shell that shares the original one. */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        nfd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (nfd >= 0 && uv_pipe_init(loop, &o->pipe, 0) == 0) {
                if (uv_pipe_open(&o->pipe, nfd) == 0) {
                        o->piped = true;
                        return;
                }
                uv_close((uv_handle_t *)&o->pipe, NULL);
        }
        if (nfd >= 0)
                close(nfd);
        o->fd = fd;             /* e.g. a socket: blocking writes, as a last resort */
}

int console_open(uv_loop_t *loop, enum console_format fmt, struct console **ret)
{
        struct console *c = xcalloc(1, sizeof(*c));

        c->fmt = fmt;
        uv_timer_init(loop, &c->flush_timer);
        if (fmt == CONSOLE_NONE) {
                c->out[0].fd = c->out[1].fd = -1;
        } else {
                console_out_open(loop, &c->out[0], STDOUT_FILENO);
                console_out_open(loop, &c->out[1], STDERR_FILENO);
        }
        *ret = c;
        return 0;
}

static size_t queued(const struct console *c)
{
        size_t n = 0;
        for (int i = 0; i < 2; i++)
                if (c->out[i].piped)
                        n += uv_stream_get_write_queue_size((const uv_stream_t *)&c->out[i].pipe);
        return n;
}

static void close_now(struct console *c)
{
        if (c->closed)
                return;
        c->closed = true;
        for (int i = 0; i < 2; i++)
                if (c->out[i].piped)
                        uv_close((uv_handle_t *)&c->out[i].pipe, NULL);
        uv_close((uv_handle_t *)&c->flush_timer, NULL);
}

static void write_done(uv_write_t *req, int status)
{
        struct cwrite *w = container_of(req, struct cwrite, req);
        struct console *c = w->con;

        free(w);
        if (status == UV_ECANCELED)
                return;
        if (c->closing && queued(c) == 0)
                close_now(c);
        else if (c->waiters && queued(c) <= CONSOLE_LOW_WATER)
                waiter_wake_all(&c->waiters);
}

static void on_flush_deadline(uv_timer_t *t)
{
        close_now(container_of(t, struct console, flush_timer));
}

bool console_write(struct console *c, int which, const char *buf, size_t len)
{
        struct console_out *o = &c->out[which];

        if (!len || c->fmt == CONSOLE_NONE)
                return true;
        if (o->piped) {
                struct cwrite *w = xmalloc(sizeof(*w) + len);
                uv_buf_t b;
                memcpy(w->data, buf, len);
                w->con = c;
                b = uv_buf_init(w->data, (unsigned)len);
                if (uv_write(&w->req, (uv_stream_t *)&o->pipe, &b, 1, write_done) < 0)
                        free(w);        /* the reader is gone: output is discarded */
                return queued(c) <= CONSOLE_HIGH_WATER;
        }
        if (o->fd >= 0) {
                ssize_t r;
                do
                        r = write(o->fd, buf, len);
                while (r < 0 && errno == EINTR);
                /* A full disk: the console is a convenience copy (the log
                 * files are the record), so what does not fit is dropped. */
        }
        return true;
}

void console_wait(struct console *c, struct waiter *w)
{
        waiter_add(&c->waiters, w);
}

void console_unwait(struct console *c, struct waiter *w)
{
        waiter_remove(&c->waiters, w);
}

enum console_format console_format(const struct console *c)
{
        return c ? c->fmt : CONSOLE_NONE;
}

void console_close(struct console *c)
{
        if (!c || c->closing)
                return;
        c->closing = true;
        if (queued(c) == 0)
                close_now(c);
        else
                uv_timer_start(&c->flush_timer, on_flush_deadline, CONSOLE_FLUSH_DEADLINE_MS, 0);
}

void console_free(struct console *c)
{
        free(c);
}
