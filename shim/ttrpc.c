/*
 * The ttrpc codec (shim/ttrpc.h): frame headers, the incremental decoder and
 * whole request/response frames.  No I/O here: the unit tests and the fuzzer
 * drive these functions directly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/ttrpc.h"

void ttrpc_header_encode(uint8_t out[TTRPC_HEADER_SIZE], const struct ttrpc_header *h)
{
        out[0] = (uint8_t)(h->length >> 24);
        out[1] = (uint8_t)(h->length >> 16);
        out[2] = (uint8_t)(h->length >> 8);
        out[3] = (uint8_t)h->length;
        out[4] = (uint8_t)(h->stream_id >> 24);
        out[5] = (uint8_t)(h->stream_id >> 16);
        out[6] = (uint8_t)(h->stream_id >> 8);
        out[7] = (uint8_t)h->stream_id;
        out[8] = h->type;
        out[9] = h->flags;
}

void ttrpc_header_decode(const uint8_t in[TTRPC_HEADER_SIZE], struct ttrpc_header *ret)
{
        ret->length = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
        ret->stream_id = (uint32_t)in[4] << 24 | (uint32_t)in[5] << 16 | (uint32_t)in[6] << 8 | in[7];
        ret->type = in[8];
        ret->flags = in[9];
}

void ttrpc_decoder_init(struct ttrpc_decoder *d, size_t max_message)
{
        *d = (struct ttrpc_decoder){ .max_message = max_message ? max_message : TTRPC_MESSAGE_MAX };
}

void ttrpc_decoder_done(struct ttrpc_decoder *d)
{
        free(d->buf);
        *d = (struct ttrpc_decoder){ .max_message = d->max_message };
}

/* Skip buffered bytes that belong to an oversized frame's body. */
static void decoder_discard_buffered(struct ttrpc_decoder *d)
{
        size_t avail = d->len - d->off, n = d->discard < avail ? (size_t)d->discard : avail;

        d->off += n;
        d->discard -= n;
}

int ttrpc_decoder_feed(struct ttrpc_decoder *d, const void *data, size_t len)
{
        const uint8_t *p = data;
        size_t keep, limit;

        /* The body of an oversized frame goes straight to the floor. */
        if (d->discard > 0) {
                size_t n = d->discard < len ? (size_t)d->discard : len;
                p += n;
                len -= n;
                d->discard -= n;
        }
        if (len == 0)
                return 0;

        /* Drop what was consumed before growing. */
        keep = d->len - d->off;
        if (d->off > 0) {
                memmove(d->buf, d->buf + d->off, keep);
                d->len = keep;
                d->off = 0;
        }
        /* One whole frame plus as much again: a caller that takes frames after every feed
         * of at most one frame's worth never reaches this. */
        limit = 2 * (TTRPC_HEADER_SIZE + d->max_message);
        if (keep + len > limit)
                return -ENOBUFS;
        if (keep + len > d->cap) {
                size_t cap = d->cap ? d->cap : 4096;
                uint8_t *b;

                while (cap < keep + len)
                        cap *= 2;
                if (cap > limit)
                        cap = limit;
                b = realloc(d->buf, cap);
                if (!b)
                        return -ENOMEM;
                d->buf = b;
                d->cap = cap;
        }
        memcpy(d->buf + d->len, p, len);
        d->len += len;
        return 0;
}

int ttrpc_decoder_next(struct ttrpc_decoder *d, struct ttrpc_header *ret_header,
                       const uint8_t **ret_body)
{
        struct ttrpc_header h;

        if (d->discard > 0) {
                decoder_discard_buffered(d);
                if (d->discard > 0)
                        return TTRPC_NEED_MORE;
        }
        if (d->len - d->off < TTRPC_HEADER_SIZE)
                return TTRPC_NEED_MORE;
        ttrpc_header_decode(d->buf + d->off, &h);
        if (h.length > d->max_message) {
                /* Reported from the header alone; the body is skipped as it comes. */
                d->off += TTRPC_HEADER_SIZE;
                d->discard = h.length;
                decoder_discard_buffered(d);
                *ret_header = h;
                *ret_body = NULL;
                return TTRPC_OVERSIZED;
        }
        if (d->len - d->off - TTRPC_HEADER_SIZE < h.length)
                return TTRPC_NEED_MORE;
        *ret_header = h;
        *ret_body = d->buf + d->off + TTRPC_HEADER_SIZE;
        d->off += TTRPC_HEADER_SIZE + h.length;
        return TTRPC_FRAME;
}

/* A frame of type around a packed message, malloc'ed. */
static int frame_pack(uint32_t stream_id, uint8_t type, const ProtobufCMessage *msg, uint8_t **ret,
                      size_t *ret_len)
{
        size_t n = protobuf_c_message_get_packed_size(msg);
        uint8_t *b;

        if (n > TTRPC_MESSAGE_MAX)
                return -EMSGSIZE;
        b = malloc(TTRPC_HEADER_SIZE + n);
        if (!b)
                return -ENOMEM;
        ttrpc_header_encode(b, &(struct ttrpc_header){ .length = (uint32_t)n, .stream_id = stream_id, .type = type });
        protobuf_c_message_pack(msg, b + TTRPC_HEADER_SIZE);
        *ret = b;
        *ret_len = TTRPC_HEADER_SIZE + n;
        return 0;
}

/* A message packed into a malloc'ed buffer (a non-NULL pointer even when empty). */
static int message_pack(const ProtobufCMessage *msg, uint8_t **ret, size_t *ret_len)
{
        size_t n = msg ? protobuf_c_message_get_packed_size(msg) : 0;
        uint8_t *b;

        if (n > TTRPC_MESSAGE_MAX)
                return -EMSGSIZE;
        b = malloc(n ? n : 1);
        if (!b)
                return -ENOMEM;
        if (n)
                protobuf_c_message_pack(msg, b);
        *ret = b;
        *ret_len = n;
        return 0;
}

int ttrpc_request_frame(uint32_t stream_id, const char *service, const char *method,
                        const ProtobufCMessage *msg, uint8_t **ret, size_t *ret_len)
{
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        uint8_t *payload;
        size_t n;
        int r;

        r = message_pack(msg, &payload, &n);
        if (r < 0)
                return r;
        req.service = (char *)service;
        req.method = (char *)method;
        req.payload.data = payload;
        req.payload.len = n;
        r = frame_pack(stream_id, TTRPC_TYPE_REQUEST, &req.base, ret, ret_len);
        free(payload);
        return r;
}

int ttrpc_error_frame(uint32_t stream_id, int code, const char *message, uint8_t **ret,
                      size_t *ret_len)
{
        Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
        Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
        char msg[1024];

        /* A bounded message keeps the error frame far below the limit. */
        snprintf(msg, sizeof(msg), "%s", message ? message : "");
        st.code = code;
        st.message = msg;
        resp.status = &st;
        return frame_pack(stream_id, TTRPC_TYPE_RESPONSE, &resp.base, ret, ret_len);
}

int ttrpc_response_frame(uint32_t stream_id, const ProtobufCMessage *reply, uint8_t **ret,
                         size_t *ret_len)
{
        Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
        uint8_t *payload;
        size_t n;
        int r;

        r = message_pack(reply, &payload, &n);
        if (r == 0) {
                resp.payload.data = payload;
                resp.payload.len = n;
                r = frame_pack(stream_id, TTRPC_TYPE_RESPONSE, &resp.base, ret, ret_len);
                free(payload);
        }
        if (r == -EMSGSIZE) {
                char why[128];

                snprintf(why, sizeof(why), "reply of %zu bytes exceeds the maximum message size of %u",
                         protobuf_c_message_get_packed_size(reply), TTRPC_MESSAGE_MAX);
                return ttrpc_error_frame(stream_id, TTRPC_RESOURCE_EXHAUSTED, why, ret, ret_len);
        }
        return r;
}

Ttrpc__Request *ttrpc_request_parse(const uint8_t *body, size_t len)
{
        return ttrpc__request__unpack(NULL, len, body);
}

Ttrpc__Response *ttrpc_response_parse(const uint8_t *body, size_t len)
{
        return ttrpc__response__unpack(NULL, len, body);
}

const char *ttrpc_request_metadata(const Ttrpc__Request *r, const char *key)
{
        for (size_t i = 0; i < r->n_metadata; i++)
                if (r->metadata[i]->key && strcmp(r->metadata[i]->key, key) == 0)
                        return r->metadata[i]->value;
        return NULL;
}
