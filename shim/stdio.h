/*
 * The task's I/O and exit, on the shim's loop (shim/stdio.c).
 *
 * containerd hands over fifos (stdin, stdout, stderr paths; a terminal is
 * one output stream).  The app's streams are podinit `stream` (or `tty`)
 * streams, and the shim is an attach client of them: STDOUT/STDERR frames
 * are written to the fifos, the stdin fifo's bytes become STDIN frames and
 * its end a CLOSE_STDIN.  A second connection follows the pod's events for
 * the app's exit (also when there is nothing to attach).
 *
 * Nothing blocks: the fifos are non-blocking libuv pipes.  When a fifo's
 * reader falls behind (1 MiB queued), the shim stops reading the attach
 * connection and podinit queues for it, up to the attach queue the shim
 * asked for; past that podinit drops output for this client, never blocks
 * the app.  The task exits only after the last output byte was handed to the
 * fifos, so `ctr run` prints everything before it returns.
 */
#ifndef POD_SHIM_STDIO_H
#define POD_SHIM_STDIO_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include <jansson.h>

#include "common/proto.h"
#include "common/util.h"

struct shim_stdio;

/* How the app ended: shell_code (exit code, or 128+signal), oom. */
struct shim_exit {
        uint32_t status;
        bool oom;
        uint64_t at_ns;         /* CLOCK_REALTIME */
};

typedef void (*shim_exit_cb)(struct shim_stdio *io, const struct shim_exit *e);
/* The app's exec is known: error NULL (it runs, or ran) or why it could not start. */
typedef void (*shim_start_cb)(struct shim_stdio *io, const char *error);

struct fifo_out {
        uv_pipe_t pipe;
        bool open, broken;
        size_t pending;         /* writes in flight */
        struct shim_stdio *io;
};

struct podconn {
        uv_pipe_t pipe;
        struct frame_decoder dec;
        bool open;
        struct shim_stdio *io;
};

struct shim_stdio {
        uv_loop_t *loop;
        char app[64];
        struct podconn attach, events;
        struct fifo_out out, err;
        uv_pipe_t in;
        bool in_open;
        bool attached, attach_done, exit_known, exit_reported;
        bool paused;            /* attach reading stopped: a fifo is behind */
        struct shim_exit exit;
        shim_exit_cb on_exit;
        shim_start_cb on_start;         /* set before shim_stdio_run to hear of the exec first */
        bool start_pending;
        void *userdata;
        unsigned open_handles;
        bool closing;
        void (*on_closed)(struct shim_stdio *io);
};

/* Open the fifos (paths "" or NULL: none) before the app starts. */
int shim_stdio_open(struct shim_stdio *io, uv_loop_t *loop, const char *app, const char *in, const char *out,
                    const char *err, bool terminal, struct pod_err *perr);
/* Take the attach connection (fd -1: none) and the events connection (fd -1: none; then the
 * attach stream's EXIT frame is the exit), with what was read past their responses.  With
 * io->on_start set, it is called once the app has exec'd (its `exec` event) or could not
 * (an exit with an error), before the exit is reported. */
int shim_stdio_run(struct shim_stdio *io, int attach_fd, struct frame_decoder *attach_dec, int events_fd,
                   struct frame_decoder *events_dec, shim_exit_cb cb, void *userdata);
/* Forward a signal (RESIZE, CLOSE_STDIN) to the app through the attach connection: 0, or -ENOTCONN. */
int shim_stdio_resize(struct shim_stdio *io, unsigned rows, unsigned cols);
int shim_stdio_close_stdin(struct shim_stdio *io);
/* A signal to the process at the other end (an exec session's process group). */
int shim_stdio_signal(struct shim_stdio *io, int sig);
/* Close every handle; done (may be NULL) runs once the last one has closed: only then may io be freed.
 * Also after a failed shim_stdio_open. */
void shim_stdio_close(struct shim_stdio *io, void (*done)(struct shim_stdio *io));

#endif
