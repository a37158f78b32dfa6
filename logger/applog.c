#include "logger/applog.h"
#include "common/crilog.h"

#include <time.h>

/* What one read (or a timer) produces: the timestamps all its records share. */
struct stamp {
        char ts[CRI_TIMESTAMP_LEN + 1];
        char prefix[320];               /* rkt console prefix; app names are up to 253 bytes */
        size_t prefix_len;
};

static void make_stamp(const struct app_log *al, struct stamp *st)
{
        cri_timestamp(now_real_ns(), st->ts);
        st->prefix_len = 0;
        if (console_format(al->con) == CONSOLE_RKT) {
                struct timespec t;
                int n;
                clock_gettime(CLOCK_MONOTONIC, &t);
                n = snprintf(st->prefix, sizeof(st->prefix), "[%5lu.%06lu] %s[%d]: ", (unsigned long)t.tv_sec,
                             (unsigned long)(t.tv_nsec / 1000), al->app, al->pid ? (int)*al->pid : 0);
                st->prefix_len = n < 0 ? 0 : (size_t)n >= sizeof(st->prefix) ? sizeof(st->prefix) - 1 : (size_t)n;
        }
}

static void batch_append(struct log_stream *s, const char *data, size_t len)
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

/* "N lines suppressed", once lines get through again or the stream ends. */
static void suppressed_notice(struct log_stream *s, const struct stamp *st)
{
        struct app_log *al = s->al;
        char msg[160];
        int n;

        if (al->suppressed && al->file) {
                n = snprintf(msg, sizeof(msg), "podinit: %llu lines suppressed by the rate limit (%llu lines/s, burst %llu)",
                             (unsigned long long)al->suppressed, (unsigned long long)al->spec->rate,
                             (unsigned long long)al->spec->burst);
                log_file_record(al->file, st->ts, s->stream, false, true, msg, (size_t)n);
        }
        al->suppressed = 0;
}

/* A line (or a piece of one) of the app's output, to every destination. */
static void emit(struct log_stream *s, const struct stamp *st, const char *data, size_t len, bool partial)
{
        struct app_log *al = s->al;
        bool first_piece = !s->mid_line;

        s->mid_line = partial;
        if (first_piece && al->spec->rate) {
                /* The token bucket decides per line, at its first piece. */
                uint64_t now = now_mono_ns();
                al->tokens += (double)(now - al->tokens_ns) * (double)al->spec->rate / 1e9;
                if (al->tokens > (double)al->spec->burst)
                        al->tokens = (double)al->spec->burst;
                al->tokens_ns = now;
                if (al->tokens < 1.0) {
                        s->suppressing = true;
                        al->suppressed++;
                        al->suppressed_total++;
                } else {
                        al->tokens -= 1.0;
                        s->suppressing = false;
                        suppressed_notice(s, st);
                }
        }
        if (s->suppressing)
                return;
        if (!partial)
                al->lines++;
        if (al->file)
                log_file_record(al->file, st->ts, s->stream, partial, false, data, len);
        switch (console_format(al->con)) {
        case CONSOLE_RAW:
                batch_append(s, data, len);
                if (!partial)
                        batch_append(s, "\n", 1);
                break;
        case CONSOLE_RKT:
                batch_append(s, st->prefix, st->prefix_len);
                batch_append(s, data, len);
                batch_append(s, "\n", 1);
                break;
        case CONSOLE_NONE:
                break;
        }
}

/* Write what the records of this read produced; false if a destination is full. */
static bool flush(struct log_stream *s)
{
        struct app_log *al = s->al;
        bool ok = true;

        if (al->file && !log_file_flush(al->file, &s->file_waiter))
                ok = false;
        if (s->blen) {
                if (!console_write(al->con, console_format(al->con) == CONSOLE_RAW && s->stream == IO_STDERR ? 1 : 0,
                                   s->batch, s->blen)) {
                        console_wait(al->con, &s->con_waiter);
                        ok = false;
                }
                s->blen = 0;
                if (s->bcap > 1u << 20) {
                        free(s->batch);
                        s->batch = NULL;
                        s->bcap = 0;
                }
        }
        return ok;
}

/* The waiting partial line as a P record (after the timeout, or at the end). */
static void emit_pending(struct log_stream *s, const struct stamp *st)
{
        if (!s->len)
                return;
        emit(s, st, s->line, s->len, true);
        s->len = 0;
}

static void on_partial_timeout(uv_timer_t *t)
{
        struct log_stream *s = container_of(t, struct log_stream, partial_timer);
        struct stamp st;

        make_stamp(s->al, &st);
        emit_pending(s, &st);
        flush(s);       /* at most one line's bytes; the next read honours the push-back */
}

void app_log_rearm(struct app_log *al)
{
        for (int k = 0; k < 2; k++) {
                struct log_stream *s = &al->s[k];
                s->eof = false;
                s->out = NULL;
                s->len = 0;
                s->mid_line = false;
                s->suppressing = false;
        }
}

void app_log_break(struct app_log *al)
{
        struct stamp st;

        make_stamp(al, &st);
        for (int k = 0; k < 2; k++) {
                struct log_stream *s = &al->s[k];
                if (!s->used || !s->len)
                        continue;
                uv_timer_stop(&s->partial_timer);
                emit(s, &st, s->line, s->len, false);
                s->len = 0;
                s->mid_line = false;
                flush(s);
        }
}

/*
 * Cut into lines.  A line's first piece decides rate limiting; pieces of
 * line_max bytes become P records; a newline ends the line with an F record.
 * Bytes past the last newline wait in s->line.
 */
static bool sink_data(struct io_sink *k, struct io_out *o, const char *buf, size_t len)
{
        struct log_stream *s = container_of(k, struct log_stream, base);
        struct app_log *al = s->al;
        size_t max = (size_t)al->spec->line_max;
        bool had_pending = s->len > 0, ended = false;
        struct stamp st;

        s->out = o;
        make_stamp(al, &st);
        while (len > 0) {
                const char *nl = memchr(buf, '\n', len < max - s->len + 1 ? len : max - s->len + 1);
                size_t take = nl ? (size_t)(nl - buf) : len;

                if (!nl && s->len + take > max) {
                        /* No newline within the split size: a P record of max bytes.
                         * (A line of exactly max bytes waits to see whether a
                         * newline comes next: then it is one F record, however
                         * the reads cut it.) */
                        size_t room = max - s->len;
                        if (s->len) {
                                memcpy(s->line + s->len, buf, room);
                                emit(s, &st, s->line, max, true);
                                s->len = 0;
                        } else {
                                emit(s, &st, buf, max, true);
                        }
                        buf += room;
                        len -= room;
                        continue;
                }
                if (nl) {
                        if (s->len) {
                                memcpy(s->line + s->len, buf, take);
                                emit(s, &st, s->line, s->len + take, false);
                                s->len = 0;
                        } else {
                                emit(s, &st, buf, take, false);
                        }
                        ended = true;
                        buf += take + 1;
                        len -= take + 1;
                        continue;
                }
                /* The rest waits for its newline. */
                if (!s->line)
                        s->line = xmalloc(max);
                memcpy(s->line + s->len, buf, take);
                s->len += take;
                len = 0;
        }
        /* The timeout counts from when the waiting bytes' line began. */
        if (s->len && (!had_pending || ended) && al->spec->partial_timeout_ms)
                uv_timer_start(&s->partial_timer, on_partial_timeout, al->spec->partial_timeout_ms, 0);
        else if (!s->len)
                uv_timer_stop(&s->partial_timer);
        return flush(s);
}

static void sink_eof(struct io_sink *k, struct io_out *o)
{
        struct log_stream *s = container_of(k, struct log_stream, base);
        struct app_log *al = s->al;
        struct stamp st;

        s->eof = true;
        uv_timer_stop(&s->partial_timer);
        make_stamp(al, &st);
        /* The notice first: after the last partial line (a P record) it
         * would be read as that line's end. */
        suppressed_notice(s, &st);
        emit_pending(s, &st);
        flush(s);
        /* Never resume an out that has ended. */
        if (al->file)
                log_file_unwait(al->file, &s->file_waiter);
        if (al->con)
                console_unwait(al->con, &s->con_waiter);
        s->out = NULL;
}

static void resume_file(struct waiter *w)
{
        struct log_stream *s = container_of(w, struct log_stream, file_waiter);
        if (s->out)
                io_out_resume(s->out);
}

static void resume_console(struct waiter *w)
{
        struct log_stream *s = container_of(w, struct log_stream, con_waiter);
        if (s->out)
                io_out_resume(s->out);
}

void app_log_init(struct app_log *al, uv_loop_t *loop, const char *app, const pid_t *pid,
                  const struct log_spec *spec, struct log_file *file, struct console *con)
{
        memset(al, 0, sizeof(*al));
        al->app = app;
        al->pid = pid;
        al->spec = spec;
        al->file = file;
        al->con = con;
        al->tokens = (double)spec->burst;
        al->tokens_ns = now_mono_ns();
        for (int i = 0; i < 2; i++) {
                struct log_stream *s = &al->s[i];
                s->al = al;
                s->stream = i == 0 ? IO_STDOUT : IO_STDERR;
                s->base.data = sink_data;
                s->base.eof = sink_eof;
                s->file_waiter.resume = resume_file;
                s->con_waiter.resume = resume_console;
                uv_timer_init(loop, &s->partial_timer);
        }
}

struct io_sink *app_log_sink(struct app_log *al, int stream)
{
        struct log_stream *s = &al->s[stream == IO_STDERR ? 1 : 0];
        s->used = true;
        return &s->base;
}

void app_log_finish(struct app_log *al, void (*done)(void *arg), void *arg)
{
        if (al->file)
                log_file_finish(al->file, done, arg);
        else
                done(arg);
}

void app_log_close(struct app_log *al)
{
        if (al->closed)
                return;
        al->closed = true;
        for (int i = 0; i < 2; i++) {
                if (al->file)
                        log_file_unwait(al->file, &al->s[i].file_waiter);
                if (al->con)
                        console_unwait(al->con, &al->s[i].con_waiter);
                al->s[i].out = NULL;
                uv_close((uv_handle_t *)&al->s[i].partial_timer, NULL);
        }
        log_file_close(al->file);
}

void app_log_free(struct app_log *al)
{
        for (int i = 0; i < 2; i++) {
                free(al->s[i].line);
                free(al->s[i].batch);
                al->s[i].line = al->s[i].batch = NULL;
        }
        log_file_free(al->file);
        al->file = NULL;
}
