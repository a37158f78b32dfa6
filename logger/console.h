/*
 * The console log sink: log-mode output written to PID 1's stdout/stderr
 * (the terminal of a foreground `podctl run`, a detached pod's console.log,
 * or rkt's `run` stdout).  Issue "logging" adds the CRI files; this is the
 * sink interface and a simple writer.
 *
 * Output is assembled into lines per app and stream, so lines of different
 * apps never mix mid-line.  Two formats:
 *   raw:  the app's bytes, stdout to PID 1's stdout and stderr to its stderr;
 *   rkt:  "[<monotonic s>.<us>] <app>[<pid>]: <line>\n" on stdout for both
 *         streams, as rkt's journald console forwarding printed them.
 * A line longer than CONSOLE_MAX_LINE is written in pieces; a trailing
 * partial line is written at end of stream.
 *
 * Writes never block PID 1: a regular file is written directly; anything
 * else (pipe, terminal, socket) is reopened as a new open file description
 * (so O_NONBLOCK is never set on a terminal the user's shell shares) and
 * written through libuv with a bounded queue.  Past CONSOLE_HIGH_WATER
 * queued bytes the sink reports "full": the app's pipe stops being read and
 * the app blocks (log mode loses nothing), until the queue drains below
 * CONSOLE_LOW_WATER.
 */
#ifndef POD_LOGGER_CONSOLE_H
#define POD_LOGGER_CONSOLE_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "iomux/iomux.h"

#define CONSOLE_MAX_LINE (16u * 1024u)
#define CONSOLE_HIGH_WATER (1u << 20)
#define CONSOLE_LOW_WATER (256u * 1024u)
#define CONSOLE_FLUSH_DEADLINE_MS 5000  /* at exit, for a reader that stopped reading */

enum console_format { CONSOLE_RAW, CONSOLE_RKT };

struct console;

struct log_sink {
        struct io_sink base;
        struct console *con;
        const char *app;                /* borrowed; lives as long as the app */
        const pid_t *pid;               /* the app's current pid, for the rkt prefix */
        int stream;                     /* IO_STDOUT or IO_STDERR */
        struct io_out *paused_out;      /* set while this sink holds its out paused */
        struct log_sink *next_paused;
        char *line;                     /* the partial line waiting for its newline */
        size_t len;
        char *batch;                    /* records of one read, written with one call */
        size_t blen, bcap;
};

int console_open(uv_loop_t *loop, enum console_format fmt, struct console **ret);
/* Close the console: queued output is written first, for up to
 * CONSOLE_FLUSH_DEADLINE_MS; then whatever is left is dropped. */
void console_close(struct console *c);
/* After the loop has ended. */
void console_free(struct console *c);
void log_sink_init(struct log_sink *s, struct console *c, const char *app, const pid_t *pid, int stream);
void log_sink_done(struct log_sink *s);

#endif
