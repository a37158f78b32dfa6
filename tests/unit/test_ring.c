#include "test.h"
#include "iomux/ring.h"
#include "common/util.h"

static char *tail_str(const struct ring *r, size_t n)
{
        struct iovec seg[2];
        int k = ring_tail(r, n, seg);
        size_t len = 0;
        char *s = xmalloc(r->cap + 1);
        for (int i = 0; i < k; i++) {
                memcpy(s + len, seg[i].iov_base, seg[i].iov_len);
                len += seg[i].iov_len;
        }
        s[len] = '\0';
        return s;
}

TEST(ring_keeps_the_newest_bytes_across_wraps)
{
        struct ring r;
        char *t;

        ring_init(&r, 8);
        ring_append(&r, "abc", 3);
        t = tail_str(&r, 100);
        ASSERT_STREQ("abc", t);
        free(t);
        ring_append(&r, "defgh", 5);                 /* exactly full */
        t = tail_str(&r, 100);
        ASSERT_STREQ("abcdefgh", t);
        free(t);
        ring_append(&r, "ij", 2);                    /* wraps: two segments */
        t = tail_str(&r, 100);
        ASSERT_STREQ("cdefghij", t);
        free(t);
        t = tail_str(&r, 3);                         /* only the newest n */
        ASSERT_STREQ("hij", t);
        free(t);
        ring_append(&r, "0123456789XYZ", 13);        /* longer than cap */
        t = tail_str(&r, 100);
        ASSERT_STREQ("6789XYZ", t + 1);
        ASSERT_EQ(8, strlen(t));
        free(t);
        ring_done(&r);
}

TEST(ring_zero_capacity_keeps_nothing)
{
        struct ring r;
        struct iovec seg[2];

        ring_init(&r, 0);
        ring_append(&r, "abc", 3);
        ASSERT_EQ(0, ring_tail(&r, 10, seg));
        ring_done(&r);
}

/* Against a straightforward model: random appends, every tail length. */
TEST(ring_matches_a_model)
{
        enum { CAP = 37 };
        struct ring r;
        char model[4096];
        size_t mlen = 0;
        unsigned seed = 7;

        ring_init(&r, CAP);
        for (int round = 0; round < 300; round++) {
                char chunk[80];
                size_t n = (seed = seed * 1103515245 + 12345) % 80;
                for (size_t i = 0; i < n; i++)
                        chunk[i] = (char)('a' + (round + i) % 26);
                ring_append(&r, chunk, n);
                if (mlen + n > sizeof(model)) {
                        memmove(model, model + mlen - CAP, CAP);
                        mlen = CAP;
                }
                memcpy(model + mlen, chunk, n);
                mlen += n;
                for (size_t want = 0; want <= CAP + 1; want += 5) {
                        char *t = tail_str(&r, want);
                        size_t exp = want < mlen ? want : mlen;
                        if (exp > CAP)
                                exp = CAP;
                        ASSERT_EQ(exp, strlen(t));
                        ASSERT(!memcmp(t, model + mlen - exp, exp));
                        free(t);
                }
        }
        ring_done(&r);
}

/* ---- iomux: a subscriber may unsubscribe another in the middle of a walk */

#include "iomux/iomux.h"
#include "common/manifest.h"

#include <fcntl.h>
#include <unistd.h>

struct walk_sub {
        struct io_sub sub;
        struct io_sub *victim;          /* unsubscribed by this one's data callback */
        int calls;
};

static void walk_data(struct io_sub *s, struct io_out *o, const char *buf, size_t len)
{
        struct walk_sub *w = container_of(s, struct walk_sub, sub);

        w->calls++;
        if (w->victim)
                io_out_unsubscribe(w->victim);
}

TEST(iomux_unsubscribe_another_during_delivery)
{
        uv_loop_t loop;
        struct io_out o;
        struct walk_sub a = { 0 }, b = { 0 }, c = { 0 };
        int p[2];

        ASSERT_EQ(0, uv_loop_init(&loop));
        ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
        memset(&o, 0, sizeof(o));
        ASSERT_EQ(0, io_out_start(&loop, &o, p[0], IO_STDOUT, 16, false, NULL, NULL));
        a.sub.data = b.sub.data = c.sub.data = walk_data;
        /* Subscribers are walked newest first: a, b, c. */
        io_out_subscribe(&o, &c.sub);
        io_out_subscribe(&o, &b.sub);
        io_out_subscribe(&o, &a.sub);
        a.victim = &b.sub;              /* a drops b, which the walk has not reached */
        ASSERT_EQ(5, write(p[1], "hello", 5));
        for (int i = 0; i < 100 && !a.calls; i++)
                uv_run(&loop, UV_RUN_ONCE);
        close(p[1]);
        io_out_unsubscribe(&a.sub);
        io_out_unsubscribe(&c.sub);
        io_out_close(&o);
        ASSERT_EQ(0, uv_run(&loop, UV_RUN_DEFAULT));
        ASSERT_EQ(1, a.calls);
        ASSERT_EQ(0, b.calls);          /* gone before its turn */
        ASSERT_EQ(1, c.calls);          /* and the walk went on past it */
        io_out_done(&o);
        ASSERT_EQ(0, uv_loop_close(&loop));
}
