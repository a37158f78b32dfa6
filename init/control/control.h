/*
 * The control socket: $s1/rkt/podinit/control.sock, mode 0600 in a 0700
 * directory, framed JSON requests (docs/protocol.md).  Each client has a
 * bounded input buffer (max frame size) and a bounded output queue; a client
 * that sends garbage, oversized frames or never reads its responses is
 * disconnected without affecting the pod or the other clients.
 */
#ifndef POD_INIT_CONTROL_CONTROL_H
#define POD_INIT_CONTROL_CONTROL_H

struct control;
struct pod;
struct pod_err;

/* Listen on path; *ret is set even on failure (then PID 1 exits with the error). */
int control_start(struct pod *pod, const char *path, struct control **ret, struct pod_err *err);
/* Close the listener and every client (the pod is finishing); ctl frees itself once they are closed. */
void control_close(struct control *ctl);

#endif
