/*
 * The control socket: $s1/rkt/podinit/control.sock, mode 0600 in a 0700
 * directory, framed JSON requests (docs/protocol.md).  Each client has a
 * bounded input buffer (max frame size) and a bounded output queue; a client
 * that sends garbage, oversized frames or never reads its responses is
 * disconnected without affecting the pod or the other clients.
 */
#ifndef POD_INIT_CONTROL_H
#define POD_INIT_CONTROL_H

#include "init/pod.h"

int control_start(struct pod *pod, const char *path, struct pod_err *err);
/* Close the listener and every client (the pod is finishing). */
void control_close(struct pod *pod);
unsigned control_client_count(const struct pod *pod);

#endif
