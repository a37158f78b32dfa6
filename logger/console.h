/*
 * The console: PID 1's stdout and stderr (the terminal of a foreground
 * `podctl run`, or rkt's `run` stdout).  The app logger (logger/applog.h)
 * writes a copy of log-mode output here, formatted as the console format
 * says; the log files are the record, the console a view.
 *
 * Writes never block PID 1: a regular file is written directly; anything
 * else (pipe, terminal, socket) is reopened as a new open file description
 * (so O_NONBLOCK is never set on a terminal the user's shell shares) and
 * written through libuv with a bounded queue.  Past CONSOLE_HIGH_WATER
 * queued bytes console_write() says "full": the writer pauses its app's
 * pipe (the app blocks, nothing is lost) and waits (console_wait) until the
 * queue drains below CONSOLE_LOW_WATER.
 */
#ifndef POD_LOGGER_CONSOLE_H
#define POD_LOGGER_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "logger/waiter.h"

#define CONSOLE_HIGH_WATER (1u << 20)
#define CONSOLE_LOW_WATER (256u * 1024u)
#define CONSOLE_FLUSH_DEADLINE_MS 5000  /* at exit, for a reader that stopped reading */

/*
 * raw:  the app's bytes, stdout to PID 1's stdout and stderr to its stderr;
 * rkt:  "[<monotonic s>.<us>] <app>[<pid>]: <line>\n" on stdout for both
 *       streams, as rkt's journald console forwarding printed them;
 * none: nothing (the log files only).
 */
enum console_format { CONSOLE_RAW, CONSOLE_RKT, CONSOLE_NONE };

struct console;


int console_open(uv_loop_t *loop, enum console_format fmt, struct console **ret);
enum console_format console_format(const struct console *c);
/* Write bytes to stdout (which 0) or stderr (1) as one unit; false if the
 * console is now over its high-water mark (the bytes are queued anyway). */
bool console_write(struct console *c, int which, const char *buf, size_t len);
/* Call w->resume once the queue has drained (once per console_wait). */
void console_wait(struct console *c, struct waiter *w);
void console_unwait(struct console *c, struct waiter *w);
/* Close the console: queued output is written first, for up to
 * CONSOLE_FLUSH_DEADLINE_MS; then whatever is left is dropped. */
void console_close(struct console *c);
/* After the loop has ended. */
void console_free(struct console *c);

#endif
