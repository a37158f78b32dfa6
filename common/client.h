/*
 * The client side of the control socket (docs/protocol.md), shared by podctl
 * and podinit's stage1 entrypoints: blocking I/O with a receive timeout.
 */
#ifndef POD_COMMON_CLIENT_H
#define POD_COMMON_CLIENT_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "common/util.h"

struct ctl_conn;
/* Every read and write times out after CTL_TIMEOUT_MS (an error: -ETIMEDOUT). */
#define CTL_TIMEOUT_MS 10000u
int ctl_connect(const char *pod_path, struct ctl_conn **ret, struct pod_err *err);
/* The same with another timeout (podctl list asks each pod with a short one). */
int ctl_connect_timeout(const char *pod_path, unsigned timeout_ms, struct ctl_conn **ret, struct pod_err *err);
/* Change the receive timeout (0: none). */
void ctl_set_timeout(struct ctl_conn *c, unsigned timeout_ms);
/* Send a request object (consumed) and read the response into *ret. */
int ctl_call(struct ctl_conn *c, json_t *req, json_t **ret, struct pod_err *err);
/* Frame-level access for the attach stream. */
int ctl_fd(const struct ctl_conn *c);
int ctl_send_frame(struct ctl_conn *c, uint8_t type, const void *data, size_t len);
/* 1 and a frame if one is buffered, 0 if not (never reads). */
int ctl_buffered_frame(struct ctl_conn *c, uint8_t *type, const uint8_t **payload, size_t *len);
/* Read once into the buffer: bytes read, 0 at EOF, -errno. */
ssize_t ctl_read_some(struct ctl_conn *c);
/* No receive timeout (attach waits for output indefinitely). */
void ctl_no_timeout(struct ctl_conn *c);
/* Block until podinit closes the connection (the pod has finished). */
int ctl_wait_closed(struct ctl_conn *c);
void ctl_close(struct ctl_conn *c);

#endif
