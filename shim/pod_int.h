/*
 * Private to the shim's pod layers, lowest first: shim/control.c (blocking
 * calls to the pod's control socket, each bounded by the client's timeout,
 * CTL_TIMEOUT_MS), shim/app.c (an app of the pod: add, remove, the record in
 * the bundle) and shim/pod.c (the pod: launch, start, exec, destroy).
 */
#ifndef POD_SHIM_POD_INT_H
#define POD_SHIM_POD_INT_H

#include "shim/pod.h"

/* A connection to the pod's control socket, with send and receive timeouts. */
int shim_control_connect(const char *pod_path, struct pod_err *err);
/* Append req (consumed) as a REQUEST frame to *buf. */
void shim_append_request(char **buf, size_t *len, json_t *req);
/* The next RESPONSE frame: its result in *ret (may be NULL), or its error in err. */
int shim_read_response(int fd, struct frame_decoder *dec, const char *what, json_t **ret, struct pod_err *err);
/* One request (consumed), one response; the result is dropped. */
int shim_control_call(const char *pod_path, json_t *req, const char *what, struct pod_err *err);

/* The container's app, unpacked and added to the running pod p (its rootfs bound on the host). */
int shim_app_add(struct shim_pod *p, int podfd, struct stage0_oci_spec *spec, const struct shim_pod_io *io,
                 struct pod_err *err);
/* Record p in <bundle>/podinit-pod for `shim delete` (role: what a cleanup does with it). */
int shim_pod_record(const char *bundle, const struct shim_pod *p, struct pod_err *err);
/* Unmount every app's rootfs under the pod's opt/stage2 (containers bound there by shim_app_add). */
void shim_pod_detach_all(int podfd);

#endif
