/*
 * An app's CRI log file (docs/logging.md): records are appended to a buffer
 * and written with one write() per batch (one read of the app's pipe).
 *
 * The file is written from PID 1's loop with plain write() calls: a regular
 * file never says EAGAIN, and PID 1 has no threads (DESIGN rule 2), so the
 * write goes to the page cache and a slow disk shows up as slow write()s.
 * What the logger can see is a write that fails (a full disk or quota, an
 * I/O error): then the records stay in the buffer, a timer retries, and
 * past the buffer's bound the app's policy applies:
 *   block: log_file_flush() returns false, the caller pauses the app's pipe
 *          (the app blocks on it) and is resumed through its waiter;
 *   drop:  records are dropped and counted, and once writes work again a
 *          record tagged "podinit" says how many bytes were lost.
 * A write cut short in the middle of a record is truncated back to the last
 * whole record, so the file is valid CRI at every moment.
 *
 * Rotation, in the same loop: past max_size, at a point where neither stream
 * is in the middle of a line (or at twice max_size whatever the state), the
 * file is synced and renamed to <name>.1 (older ones shift up, the oldest
 * past max_files is replaced), and a new <name> is opened.  Nothing is ever
 * truncated, so a reader holding a file open keeps reading it.
 */
#ifndef POD_LOGGER_LOGFILE_H
#define POD_LOGGER_LOGFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/manifest.h"
#include "common/util.h"
#include "logger/waiter.h"

#define LOG_RETRY_MS 500                /* retry a failing write */
#define LOG_FINISH_DEADLINE_MS 5000     /* at app exit, for a failing write */

struct log_file;


struct log_file_stats {
        uint64_t bytes;                 /* written to the files */
        uint64_t records;
        uint64_t dropped_bytes;         /* content bytes dropped by the drop policy, or lost at exit */
        uint64_t dropped_records;
        uint64_t rotations, reopens;
        uint64_t write_errors;
        uint64_t buffered;              /* waiting to be written now */
        uint64_t size;                  /* of the current file */
        int last_errno;                 /* of the last failure; 0 once writes work again */
        bool failing;
};

/* Open (create, append) the file name in dirfd (taken: closed by
 * log_file_free; AT_FDCWD: name is a path, rotated files beside it).
 * label names the file in messages ("app web"). */
int log_file_open(uv_loop_t *loop, int dirfd, const char *name, const struct log_spec *spec, const char *label,
                  struct log_file **ret, struct pod_err *err);
/* Queue one record (stream 1 stdout, 2 stderr); ts is a CRI timestamp. */
void log_file_record(struct log_file *f, const char *ts, int stream, bool partial, bool meta,
                     const char *content, size_t len);
/* Write what is queued.  false: the buffer is over its bound under the block
 * policy; w (if given) is resumed once it is below half of it. */
bool log_file_flush(struct log_file *f, struct waiter *w);
void log_file_unwait(struct log_file *f, struct waiter *w);
/* Reopen the file by its name (kubelet's ReopenContainerLog, after an outside rename). */
int log_file_reopen(struct log_file *f, struct pod_err *err);
/* Write everything (retrying a failing write up to LOG_FINISH_DEADLINE_MS;
 * then what is left is counted as dropped), fdatasync, then call done. */
void log_file_finish(struct log_file *f, void (*done)(void *arg), void *arg);
/* Give up at this CLOCK_MONOTONIC time instead (the app's end + LOG_FINISH_DEADLINE_MS,
 * so time spent draining the pipes counts too). */
void log_file_finish_by(struct log_file *f, uint64_t deadline_ns);
void log_file_stats(const struct log_file *f, struct log_file_stats *st);
/* Are writes failing now? */
bool log_file_failing(const struct log_file *f);
/* The app has ended and the file still cannot be written: switch to the
 * drop policy (counted) so its remaining output can be read to the end. */
void log_file_give_up(struct log_file *f);
/* Close the timer (in the loop); free after the loop has ended. */
void log_file_close(struct log_file *f);
void log_file_free(struct log_file *f);

#endif
