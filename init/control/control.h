/*
 * The control socket: $s1/rkt/podinit/control.sock, mode 0600 in a 0700
 * directory, both root's; with an owner, the socket is the owner's and the
 * directory lets the owner alone through (docs/security.md).  Framed JSON
 * requests (docs/protocol.md).  Each client has a
 * bounded input buffer (max frame size) and a bounded output queue; a client
 * that sends garbage, oversized frames or never reads its responses is
 * disconnected without affecting the pod or the other clients.
 */
#ifndef POD_INIT_CONTROL_CONTROL_H
#define POD_INIT_CONTROL_CONTROL_H

#include <sys/types.h>

struct control;
struct pod;
struct pod_err;

/* What the control service is started with (podinit's flags). */
struct control_options {
        uid_t owner;            /* --owner-uid: who besides root may connect; POD_NO_OWNER (common/owner.h): nobody */
};

/* Listen on path; *ret is set even on failure (then PID 1 exits with the error). */
int control_start(struct pod *pod, const char *path, const struct control_options *o, struct control **ret,
                  struct pod_err *err);
/* Close the listener and every client (the pod is finishing); ctl frees itself once they are closed. */
void control_close(struct control *ctl);

#endif
