/*
 * ttrpc, the RPC protocol containerd speaks to its shims, in two parts.
 *
 * The codec (shim/ttrpc.c) is pure functions: a connection carries frames
 *
 *     uint32 length | uint32 stream id | uint8 type | uint8 flags | length bytes
 *
 * (big-endian, a 10-byte header; length excludes the header).  A request frame
 * (type 1) carries a ttrpc.Request protobuf naming a service, a method and the
 * method's own message; the response frame (type 2) on the same stream id
 * carries a ttrpc.Response with a google.rpc.Status and the reply message.
 * Clients number their streams with odd ids.  A frame over TTRPC_MESSAGE_MAX
 * (4 MiB, ttrpc's own limit) is never buffered: the decoder reports it from its
 * header and skips its body, so the server can answer RESOURCE_EXHAUSTED on
 * that stream and go on, as ttrpc's Go server does.
 *
 * The server (shim/ttrpc_server.c) runs on one libuv loop: many connections,
 * non-blocking reads and writes, a bounded write queue per connection, and
 * calls that may be answered later (Wait answers when the task exits).
 */
#ifndef POD_SHIM_TTRPC_H
#define POD_SHIM_TTRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "ttrpc.pb-c.h"

#define TTRPC_HEADER_SIZE 10
#define TTRPC_MESSAGE_MAX (4u << 20)

enum ttrpc_type {
        TTRPC_TYPE_REQUEST = 0x1,
        TTRPC_TYPE_RESPONSE = 0x2,
        TTRPC_TYPE_DATA = 0x3,          /* streaming (ttrpc >= 1.2): ignored by this server */
};

/* gRPC status codes, the ones this project uses (google.rpc.Code). */
enum ttrpc_code {
        TTRPC_OK = 0,
        TTRPC_CANCELLED = 1,
        TTRPC_UNKNOWN = 2,
        TTRPC_INVALID_ARGUMENT = 3,
        TTRPC_DEADLINE_EXCEEDED = 4,
        TTRPC_NOT_FOUND = 5,
        TTRPC_ALREADY_EXISTS = 6,
        TTRPC_PERMISSION_DENIED = 7,
        TTRPC_RESOURCE_EXHAUSTED = 8,
        TTRPC_FAILED_PRECONDITION = 9,
        TTRPC_ABORTED = 10,
        TTRPC_OUT_OF_RANGE = 11,
        TTRPC_UNIMPLEMENTED = 12,
        TTRPC_INTERNAL = 13,
        TTRPC_UNAVAILABLE = 14,
};

struct ttrpc_header {
        uint32_t length;
        uint32_t stream_id;
        uint8_t type;
        uint8_t flags;
};

void ttrpc_header_encode(uint8_t out[TTRPC_HEADER_SIZE], const struct ttrpc_header *h);
void ttrpc_header_decode(const uint8_t in[TTRPC_HEADER_SIZE], struct ttrpc_header *ret);

/*
 * The incremental frame decoder.  Input is buffered up to one frame of at most
 * max_message bytes plus one read; a frame over the limit is skipped, never
 * buffered.
 */
struct ttrpc_decoder {
        uint8_t *buf;
        size_t len;             /* bytes buffered */
        size_t off;             /* start of the next unconsumed frame */
        size_t cap;
        size_t max_message;     /* largest accepted body */
        uint64_t discard;       /* body bytes of an oversized frame still to skip */
};

enum {
        TTRPC_NEED_MORE = 0,
        TTRPC_FRAME = 1,        /* a complete frame: header and body */
        TTRPC_OVERSIZED = 2,    /* the header of a frame over the limit; its body is skipped */
};

/* max_message 0 means TTRPC_MESSAGE_MAX. */
void ttrpc_decoder_init(struct ttrpc_decoder *d, size_t max_message);
void ttrpc_decoder_done(struct ttrpc_decoder *d);
/* Buffer input: 0, or -ENOBUFS if more than a frame and a read would be buffered (a caller
 * that does not take frames), or -ENOMEM. */
int ttrpc_decoder_feed(struct ttrpc_decoder *d, const void *data, size_t len);
/*
 * Take the next frame: TTRPC_FRAME with the header and body (valid until the
 * next feed), TTRPC_OVERSIZED with the header only, or TTRPC_NEED_MORE.
 */
int ttrpc_decoder_next(struct ttrpc_decoder *d, struct ttrpc_header *ret_header,
                       const uint8_t **ret_body);

/*
 * Whole frames, malloc'ed into *ret (header included) with its size in *ret_len.
 * A request encodes to -EMSGSIZE if it is over TTRPC_MESSAGE_MAX.  A response
 * whose reply would be over the limit is replaced by a RESOURCE_EXHAUSTED
 * error on the same stream, so the peer always hears back.
 */
int ttrpc_request_frame(uint32_t stream_id, const char *service, const char *method,
                        const ProtobufCMessage *msg, uint8_t **ret, size_t *ret_len);
int ttrpc_response_frame(uint32_t stream_id, const ProtobufCMessage *reply, uint8_t **ret,
                         size_t *ret_len);
int ttrpc_error_frame(uint32_t stream_id, int code, const char *message, uint8_t **ret,
                      size_t *ret_len);

/* Unpack a frame body: a request (NULL if the body is not one), to free with
 * ttrpc__request__free_unpacked(r, NULL); likewise a response. */
Ttrpc__Request *ttrpc_request_parse(const uint8_t *body, size_t len);
Ttrpc__Response *ttrpc_response_parse(const uint8_t *body, size_t len);

/* A request's metadata value for key, or NULL. */
const char *ttrpc_request_metadata(const Ttrpc__Request *r, const char *key);

/* -------------------------------------------------------------------------- */
/* The server. */

struct ttrpc_server;
struct ttrpc_call;

/*
 * A method handler.  It must answer the call exactly once, now or later, with
 * ttrpc_call_reply() or ttrpc_call_error(); both free the call.  If the client
 * goes away first, the answer is dropped quietly.
 */
typedef void (*ttrpc_handler)(struct ttrpc_call *call, const uint8_t *payload, size_t len,
                              void *userdata);

struct ttrpc_method {
        const char *name;
        ttrpc_handler fn;
};

struct ttrpc_service {
        const char *name;               /* "containerd.task.v2.Task" */
        const struct ttrpc_method *methods;
        size_t n_methods;
        void *userdata;
};

struct ttrpc_server_limits {
        size_t max_connections;         /* more are accepted and closed at once */
        size_t max_pending;             /* unanswered calls per connection; more: RESOURCE_EXHAUSTED */
        size_t max_queued;              /* reply bytes queued for a connection before it is dropped */
};

#define TTRPC_DEFAULT_MAX_CONNECTIONS 64
#define TTRPC_DEFAULT_MAX_PENDING 256
#define TTRPC_DEFAULT_MAX_QUEUED (16u << 20)

/* A server on loop.  limits may be NULL for the defaults. */
int ttrpc_server_new(uv_loop_t *loop, const struct ttrpc_service *services, size_t n_services,
                     const struct ttrpc_server_limits *limits, struct ttrpc_server **ret);
/* Listen on a Unix socket path (an existing socket file is replaced). */
int ttrpc_server_listen(struct ttrpc_server *s, const char *path);
/* Listen on a socket already bound and listening (the shim's start made it). */
int ttrpc_server_listen_fd(struct ttrpc_server *s, int fd);
/* Serve one already connected socket (the fd is owned by the server from here on). */
int ttrpc_server_adopt(struct ttrpc_server *s, int fd);
/* Close the listener and every connection; the server is freed when the last handle has
 * closed (run the loop).  Calls still pending stay valid and must still be answered. */
void ttrpc_server_close(struct ttrpc_server *s);
size_t ttrpc_server_connections(const struct ttrpc_server *s);

void ttrpc_call_reply(struct ttrpc_call *call, const ProtobufCMessage *reply);
void ttrpc_call_error(struct ttrpc_call *call, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* The call's request, for its metadata (containerd's namespace) and deadline. */
const Ttrpc__Request *ttrpc_call_request(const struct ttrpc_call *call);
/* False once the client that made the call is gone. */
bool ttrpc_call_connected(const struct ttrpc_call *call);

#endif
