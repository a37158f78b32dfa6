/*
 * Scrollback: the last `cap` bytes of an output stream, so a client that
 * attaches late sees recent output first.  A plain byte ring; cap 0 keeps
 * nothing.
 */
#ifndef POD_IOMUX_RING_H
#define POD_IOMUX_RING_H

#include <stddef.h>
#include <sys/uio.h>

struct ring {
        char *buf;
        size_t cap;
        size_t len;     /* bytes held, <= cap */
        size_t start;   /* index of the oldest byte */
};

void ring_init(struct ring *r, size_t cap);
void ring_done(struct ring *r);
void ring_append(struct ring *r, const char *data, size_t len);
/* The newest min(n, len) bytes, oldest first, as one or two segments; returns the count. */
int ring_tail(const struct ring *r, size_t n, struct iovec seg[2]);

#endif
