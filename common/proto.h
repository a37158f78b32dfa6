/*
 * Control protocol codec (docs/protocol.md).  A connection carries frames:
 *
 *     uint32 big-endian length L | uint8 type | L-1 bytes of payload
 *
 * L counts the type byte and the payload, so an empty payload has L == 1.
 * Requests and responses are JSON objects in REQUEST/RESPONSE frames; the
 * attach stream (a later issue) adds binary frame types on the same framing.
 * The decoder is incremental and refuses a frame larger than its limit as
 * soon as the header arrives, before buffering the body.
 */
#ifndef POD_COMMON_PROTO_H
#define POD_COMMON_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_HEADER_SIZE 5
#define PROTO_DEFAULT_MAX_FRAME (64u * 1024u)
#define PROTO_SOCKET_NAME "control.sock"

enum frame_type {
        FRAME_REQUEST = 0x01,   /* client -> podinit: JSON request */
        FRAME_RESPONSE = 0x02,  /* podinit -> client: JSON response */
        /* The attach stream (after a successful "attach" request). */
        FRAME_STDIN = 0x10,     /* client -> podinit: bytes for the app's stdin */
        FRAME_STDOUT = 0x11,    /* podinit -> client: stdout bytes (or the tty's output) */
        FRAME_STDERR = 0x12,    /* podinit -> client: stderr bytes */
        FRAME_RESIZE = 0x13,    /* client -> podinit: uint16 rows, uint16 cols (big-endian) */
        FRAME_SIGNAL = 0x14,    /* client -> podinit: uint8 signal number */
        FRAME_CLOSE_STDIN = 0x15, /* client -> podinit: close the app's stdin (empty) */
        FRAME_EXIT = 0x16,      /* podinit -> client: JSON exit status; the last frame */
        FRAME_DROPPED = 0x17,   /* podinit -> client: JSON {"stream","bytes"} skipped for this client */
        /* The events stream (after an "events" request), and restart markers to attach clients. */
        FRAME_EVENT = 0x18,     /* podinit -> client: JSON event (docs/protocol.md "events") */
};

#define ATTACH_DEFAULT_QUEUE (4u << 20)     /* per client, bytes queued before the overflow policy */
#define ATTACH_MAX_QUEUE (256u << 20)

struct frame_decoder {
        uint8_t *buf;
        size_t len;             /* bytes buffered */
        size_t off;             /* start of the next unconsumed frame */
        size_t cap;
        size_t max_frame;       /* largest accepted L */
};

void frame_decoder_init(struct frame_decoder *d, size_t max_frame);
void frame_decoder_done(struct frame_decoder *d);
/* Buffer more input. */
void frame_decoder_feed(struct frame_decoder *d, const void *data, size_t len);
/*
 * Take the next complete frame: 1 and the frame (valid until the next call),
 * 0 if more input is needed, -EMSGSIZE if the next frame is over the limit,
 * -EBADMSG if its length is zero.
 */
int frame_decoder_next(struct frame_decoder *d, uint8_t *ret_type, const uint8_t **ret_payload,
                       size_t *ret_len);
/* Write the 5-byte header for a frame of the given type and payload size. */
void frame_header(uint8_t hdr[PROTO_HEADER_SIZE], uint8_t type, size_t payload_len);

#endif
