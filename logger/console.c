#include "logger/console.h"
#include "common/manifest.h"
#include "common/util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

struct console_out {
        int fd;                 /* direct writes (regular file or fallback), or -1 */
        uv_pipe_t pipe;
        bool piped;
};

struct console {
        enum console_format fmt;
        struct console_out out[2];      /* 0: stdout, 1: stderr */
        struct log_sink *paused;        /* sinks waiting for the queue to drain */
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
        console_out_open(loop, &c->out[0], STDOUT_FILENO);
        console_out_open(loop, &c->out[1], STDERR_FILENO);
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

static void resume_all(struct console *c)
{
        struct log_sink *s = c->paused, *next;

        c->paused = NULL;
        for (; s; s = next) {
                struct io_out *o = s->paused_out;
                next = s->next_paused;
                s->paused_out = NULL;
                s->next_paused = NULL;
                if (o)
                        io_out_resume(o);
        }
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
        else if (c->paused && queued(c) <= CONSOLE_LOW_WATER)
                resume_all(c);
}

static void on_flush_deadline(uv_timer_t *t)
{
        close_now(container_of(t, struct console, flush_timer));
}

/* Write pieces as one unit; false if the console is now over its high-water mark. */
static bool emit(struct console *c, int which, const struct iovec *iov, int n)
{
        struct console_out *o = &c->out[which];
        size_t total = 0;

        for (int i = 0; i < n; i++)
                total += iov[i].iov_len;
        if (o->piped) {
                struct cwrite *w = xmalloc(sizeof(*w) + total);
                size_t off = 0;
                uv_buf_t b;
                for (int i = 0; i < n; i++) {
                        memcpy(w->data + off, iov[i].iov_base, iov[i].iov_len);
                        off += iov[i].iov_len;
                }
                w->con = c;
                b = uv_buf_init(w->data, (unsigned)total);
                if (uv_write(&w->req, (uv_stream_t *)&o->pipe, &b, 1, write_done) < 0)
                        free(w);        /* the reader is gone: output is discarded */
                return queued(c) <= CONSOLE_HIGH_WATER;
        }
        if (o->fd >= 0) {
                ssize_t r;
                do
                        r = writev(o->fd, iov, n);
                while (r < 0 && errno == EINTR);
                /* Short writes to a regular file only happen when it is full; the
                 * logging issue adds policies for that. */
        }
        return true;
}

static void batch_append(struct log_sink *s, const char *data, size_t len)
{
        if (s->blen + len > s->bcap) {
                size_t cap = s->bcap ? s->bcap : 4096;
                while (cap < s->blen + len)
                        cap *= 2;
                s->batch = xrealloc(s->batch, cap);
                s->bcap = cap;
        }
        memcpy(s->batch + s->blen, data, len);
        s->blen += len;
}

/* One record into the batch: the bytes as they are (raw), or rkt's prefixed line. */
static void record(struct log_sink *s, const char *data, size_t len, const char *prefix)
{
        if (s->con->fmt == CONSOLE_RAW) {
                batch_append(s, data, len);
                return;
        }
        batch_append(s, prefix, strlen(prefix));
        batch_append(s, data, len);
        batch_append(s, "\n", 1);
}

/* Write the batch with one call (the benchmark counted one syscall per line before). */
static bool flush_batch(struct log_sink *s)
{
        struct iovec iov;
        bool ok;

        if (!s->blen)
                return true;
        iov.iov_base = s->batch;
        iov.iov_len = s->blen;
        ok = emit(s->con, s->con->fmt == CONSOLE_RAW && s->stream == IO_STDERR ? 1 : 0, &iov, 1);
        s->blen = 0;
        if (s->bcap > 1u << 20) {               /* do not keep a huge buffer after a burst */
                free(s->batch);
                s->batch = NULL;
                s->bcap = 0;
        }
        return ok;
}

static void make_prefix(const struct log_sink *s, char *prefix, size_t len)
{
        struct timespec ts;

        if (s->con->fmt == CONSOLE_RAW) {
                prefix[0] = '\0';
                return;
        }
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(prefix, len, "[%5lu.%06lu] %s[%d]: ", (unsigned long)ts.tv_sec,
                 (unsigned long)(ts.tv_nsec / 1000), s->app, s->pid ? (int)*s->pid : 0);
}

/*
 * Split into lines.  In raw mode a complete line keeps its newline; in rkt
 * mode the newline is part of the record.  Bytes past the last newline wait
 * for more, up to CONSOLE_MAX_LINE.  Every record of one read goes out in
 * one write, stamped with the time of that read.
 */
static bool sink_data(struct io_sink *k, struct io_out *o, const char *buf, size_t len)
{
        struct log_sink *s = container_of(k, struct log_sink, base);
        bool ok, raw = s->con->fmt == CONSOLE_RAW;
        char prefix[128];

        make_prefix(s, prefix, sizeof(prefix));
        while (len > 0) {
                const char *nl = memchr(buf, '\n', len);
                size_t take = nl ? (size_t)(nl - buf) + 1 : len;

                /* Whole lines go straight from buf; the line buffer exists
                 * only once some bytes must wait (or a line is too long). */
                if (!s->line && !(nl && take <= CONSOLE_MAX_LINE))
                        s->line = xmalloc(CONSOLE_MAX_LINE);
                if (s->len + take > CONSOLE_MAX_LINE) {
                        size_t room = CONSOLE_MAX_LINE - s->len;
                        memcpy(s->line + s->len, buf, room);
                        record(s, s->line, CONSOLE_MAX_LINE, prefix);
                        s->len = 0;
                        buf += room;
                        len -= room;
                        continue;
                }
                if (nl && s->len == 0) {
                        /* The common case: a whole line, no copy into the line buffer. */
                        record(s, buf, raw ? take : take - 1, prefix);
                } else {
                        memcpy(s->line + s->len, buf, take);
                        s->len += take;
                        if (nl) {
                                record(s, s->line, raw ? s->len : s->len - 1, prefix);
                                s->len = 0;
                        }
                }
                buf += take;
                len -= take;
        }
        ok = flush_batch(s);
        if (!ok && !s->paused_out) {
                s->paused_out = o;
                s->next_paused = s->con->paused;
                s->con->paused = s;
        }
        return ok;
}

static void sink_eof(struct io_sink *k, struct io_out *o)
{
        struct log_sink *s = container_of(k, struct log_sink, base);

        if (s->len) {
                char prefix[128];
                make_prefix(s, prefix, sizeof(prefix));
                record(s, s->line, s->len, prefix);
                s->len = 0;
                flush_batch(s);
        }
        /* Never resume an out that has ended. */
        for (struct log_sink **p = &s->con->paused; *p; p = &(*p)->next_paused)
                if (*p == s) {
                        *p = s->next_paused;
                        break;
                }
        s->paused_out = NULL;
}

void log_sink_init(struct log_sink *s, struct console *c, const char *app, const pid_t *pid, int stream)
{
        memset(s, 0, sizeof(*s));
        s->base.data = sink_data;
        s->base.eof = sink_eof;
        s->con = c;
        s->app = app;
        s->pid = pid;
        s->stream = stream;
        s->line = NULL;                 /* allocated for the first partial line */
}

void log_sink_done(struct log_sink *s)
{
        free(s->line);
        free(s->batch);
        s->line = s->batch = NULL;
        s->blen = s->bcap = 0;
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
