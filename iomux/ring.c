#include "iomux/ring.h"
#include "common/util.h"

void ring_init(struct ring *r, size_t cap)
{
        r->buf = cap ? xmalloc(cap) : NULL;
        r->cap = cap;
        r->len = r->start = 0;
}

void ring_done(struct ring *r)
{
        free(r->buf);
        memset(r, 0, sizeof(*r));
}

void ring_append(struct ring *r, const char *data, size_t len)
{
        size_t end, first;

        if (!r->cap || !len)
                return;
        if (len >= r->cap) {
                memcpy(r->buf, data + len - r->cap, r->cap);
                r->start = 0;
                r->len = r->cap;
                return;
        }
        end = (r->start + r->len) % r->cap;
        first = r->cap - end < len ? r->cap - end : len;
        memcpy(r->buf + end, data, first);
        memcpy(r->buf, data + first, len - first);
        if (r->len + len > r->cap) {
                r->start = (r->start + r->len + len - r->cap) % r->cap;
                r->len = r->cap;
        } else {
                r->len += len;
        }
}

int ring_tail(const struct ring *r, size_t n, struct iovec seg[2])
{
        size_t from, first;

        if (n > r->len)
                n = r->len;
        if (!n)
                return 0;
        from = (r->start + r->len - n) % r->cap;
        first = r->cap - from < n ? r->cap - from : n;
        seg[0].iov_base = r->buf + from;
        seg[0].iov_len = first;
        if (first == n)
                return 1;
        seg[1].iov_base = r->buf;
        seg[1].iov_len = n - first;
        return 2;
}
