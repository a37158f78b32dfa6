/*
 * An app's logger: the sink of its logged output streams (docs/logging.md).
 *
 * Each logged stream's bytes are cut into lines once, and every line goes
 *  - to the app's CRI log file (logger/logfile.h), as one F record, or as
 *    P records of at most line_max bytes followed by an F record;
 *  - to the console (logger/console.h) in its format (raw, rkt or none).
 * A line waiting for its newline is written as a P record after the
 * partial-line timeout, and at end of stream (so the bytes come back
 * exactly: a stream that ends without a newline ends with a P record).
 * All records of one read share one timestamp and go out in one write per
 * destination.
 *
 * An optional token bucket (lines per second, burst) limits what is logged;
 * suppressed lines are counted and a "podinit" record says how many before
 * the next line that gets through, and at end of stream.
 *
 * Either destination may push back (a failing disk under the block policy,
 * a console nobody reads); the stream's io_out is then paused, and resumed
 * when that destination has room again.
 */
#ifndef POD_LOGGER_APPLOG_H
#define POD_LOGGER_APPLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "common/manifest.h"
#include "iomux/iomux.h"
#include "logger/console.h"
#include "logger/logfile.h"

struct app_log;

struct log_stream {
        struct io_sink base;            /* handed to io_out_start() */
        struct app_log *al;
        int stream;                     /* IO_STDOUT or IO_STDERR */
        bool used;
        struct io_out *out;             /* set on the first read; resumed by the waiters */
        char *line;                     /* bytes waiting for their newline */
        size_t len;
        bool mid_line;                  /* a P record of the current line went out */
        bool suppressing;               /* the current line is being suppressed */
        bool eof;
        uv_timer_t partial_timer;
        struct waiter file_waiter;
        struct waiter con_waiter;
        char *batch;                    /* console records of one read */
        size_t blen, bcap;
};

struct app_log {
        const char *app;                /* borrowed; lives as long as the app */
        const pid_t *pid;               /* the app's current pid, for the rkt prefix */
        const struct log_spec *spec;
        struct log_file *file;
        struct console *con;
        struct log_stream s[2];         /* [0] stdout (or the tty), [1] stderr */
        double tokens;
        uint64_t tokens_ns;             /* when the bucket was last filled */
        uint64_t suppressed;            /* lines since the last "suppressed" record */
        uint64_t suppressed_total;
        uint64_t lines;                 /* lines (F records) logged */
        bool closed;
};

/* Set up the logger; file (taken) may be NULL, con may be NULL or CONSOLE_NONE. */
void app_log_init(struct app_log *al, uv_loop_t *loop, const char *app, const pid_t *pid,
                  const struct log_spec *spec, struct log_file *file, struct console *con);
/* The sink for one output stream (IO_STDOUT or IO_STDERR). */
struct io_sink *app_log_sink(struct app_log *al, int stream);
/* The app's process ended and another run follows: a line waiting for its
 * newline ends here (an F record), so two runs never share a line. */
void app_log_break(struct app_log *al);
/* A new run of the app after its streams ended: the streams may carry output again. */
void app_log_rearm(struct app_log *al);
/* Once every logged stream has ended: write the rest, sync, then done(arg). */
void app_log_finish(struct app_log *al, void (*done)(void *arg), void *arg);
/* Close the timers (in the loop); app_log_free() after the loop has ended. */
void app_log_close(struct app_log *al);
void app_log_free(struct app_log *al);

#endif
