#include "common/proto.h"
#include "common/util.h"

void frame_decoder_init(struct frame_decoder *d, size_t max_frame)
{
        memset(d, 0, sizeof(*d));
        d->max_frame = max_frame;
}

void frame_decoder_done(struct frame_decoder *d)
{
        free(d->buf);
        memset(d, 0, sizeof(*d));
}

void frame_decoder_feed(struct frame_decoder *d, const void *data, size_t len)
{
        if (d->off > 0 && d->off == d->len) {
                d->off = d->len = 0;
        }
        if (d->len + len > d->cap) {
                if (d->off > 0) {
                        memmove(d->buf, d->buf + d->off, d->len - d->off);
                        d->len -= d->off;
                        d->off = 0;
                }
                if (d->len + len > d->cap) {
                        size_t cap = d->cap ? d->cap : 1024;
                        while (cap < d->len + len)
                                cap *= 2;
                        d->buf = xrealloc(d->buf, cap);
                        d->cap = cap;
                }
        }
        memcpy(d->buf + d->len, data, len);
        d->len += len;
}

int frame_decoder_next(struct frame_decoder *d, uint8_t *ret_type, const uint8_t **ret_payload,
                       size_t *ret_len)
{
        size_t avail = d->len - d->off;
        const uint8_t *p;
        uint32_t l;

        if (avail < 4)
                return 0;       /* before any feed buf is NULL, and NULL + 0 is undefined */
        p = d->buf + d->off;
        l = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (l == 0)
                return -EBADMSG;
        if (l > d->max_frame)
                return -EMSGSIZE;
        if (avail < 4 + (size_t)l)
                return 0;
        *ret_type = p[4];
        *ret_payload = p + 5;
        *ret_len = l - 1;
        d->off += 4 + (size_t)l;
        return 1;
}

void frame_header(uint8_t hdr[PROTO_HEADER_SIZE], uint8_t type, size_t payload_len)
{
        uint32_t l = (uint32_t)payload_len + 1;
        hdr[0] = (uint8_t)(l >> 24);
        hdr[1] = (uint8_t)(l >> 16);
        hdr[2] = (uint8_t)(l >> 8);
        hdr[3] = (uint8_t)l;
        hdr[4] = type;
}
