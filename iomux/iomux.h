/*
 * iomux: an app's output and input streams inside PID 1's event loop.
 *
 * An io_out reads one pipe or pty master (non-blocking, uv_pipe_open; never
 * uv_tty_init on a pty master) and hands every chunk, in order, to
 *  - its scrollback ring,
 *  - one optional sink (the logger), which may push back: when the sink
 *    says it is full the out stops reading, so the app blocks on a full pipe
 *    instead of PID 1 buffering without bound, until the sink calls
 *    io_out_resume();
 *  - any number of subscribers (attach clients), which can never push back:
 *    each applies its own bounded-queue policy (drop or disconnect).
 * An io_in writes to the app's stdin (a pipe, or the pty master) with a
 * bounded queue: io_in_write() says when writers should pause, and the
 * drain callback says when they may resume.
 *
 * iomux does not know about the logger or the control protocol: init wires
 * a log sink and clients to streams.
 */
#ifndef POD_IOMUX_IOMUX_H
#define POD_IOMUX_IOMUX_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "iomux/ring.h"

struct io_out;

struct io_sub {
        void (*data)(struct io_sub *s, struct io_out *o, const char *buf, size_t len);
        void (*eof)(struct io_sub *s, struct io_out *o);
        struct io_sub *next, *prev;
        struct io_out *out;
};

struct io_sink {
        /* false: full; the out pauses until io_out_resume(). */
        bool (*data)(struct io_sink *k, struct io_out *o, const char *buf, size_t len);
        void (*eof)(struct io_sink *k, struct io_out *o);
};

struct io_out {
        uv_pipe_t pipe;
        int stream;                     /* enum io_stream_id: IO_STDOUT, IO_STDERR */
        bool open, eof, paused, is_tty;
        struct ring ring;
        struct io_sub *subs;
        struct io_sub *iter_next;       /* the next subscriber of a walk in progress (see io_out_unsubscribe) */
        struct io_sink *sink;
        void (*on_eof)(struct io_out *o);       /* after sink and subscribers */
        uint64_t bytes;
};

/* Take ownership of fd (made non-blocking) and start reading. */
int io_out_start(uv_loop_t *loop, struct io_out *o, int fd, int stream, size_t scrollback, bool is_tty,
                 struct io_sink *sink, void (*on_eof)(struct io_out *o));
void io_out_resume(struct io_out *o);
/* Read what is in the pipe now, until it is empty, at EOF, or the sink pushes
 * back: a deadline must not throw away bytes already written. */
void io_out_read_now(struct io_out *o);
/* Stop reading and close (deadline passed): subscribers and sink get eof. */
void io_out_close(struct io_out *o);
void io_out_subscribe(struct io_out *o, struct io_sub *s);
/* Safe from any callback, for any subscriber: one that a walk over the
 * subscribers (data, eof) has not reached yet is skipped, not the rest.
 * (A callback must not close or end its own out: walks do not nest.) */
void io_out_unsubscribe(struct io_sub *s);
/* End every subscriber (its eof callback, which must unsubscribe it), as at EOF. */
void io_out_drop_subscribers(struct io_out *o);
/* Free the ring; the handle must be closed and its close callback run. */
void io_out_done(struct io_out *o);

struct io_in {
        uv_pipe_t pipe;
        uv_stream_t *stream;            /* &pipe, or a tty out's pipe */
        bool open, own;
        bool close_pending;             /* close once queued input is written */
        size_t limit;                   /* queued bytes past which writers pause */
        bool want_drain;
        void (*on_drain)(struct io_in *in);
        uint64_t bytes;
};

int io_in_start(uv_loop_t *loop, struct io_in *in, int fd, size_t limit, void (*on_drain)(struct io_in *in));
/* stdin of a tty app: the pty master, shared with its io_out. */
void io_in_share(struct io_in *in, struct io_out *tty_out, size_t limit, void (*on_drain)(struct io_in *in));
/* Queue bytes: 0 ok, 1 ok but the queue is over its limit (pause), -EPIPE if closed. */
int io_in_write(struct io_in *in, const char *buf, size_t len);
/* Close the app's stdin: EOF on a pipe; on a tty, the terminal's EOF character. */
void io_in_close(struct io_in *in);
/* Close its pipe now, dropping queued input (the run or the pod is over); a tty's
 * stdin goes with its io_out.  A no-op for a stream never started. */
void io_in_close_now(struct io_in *in);

#endif
