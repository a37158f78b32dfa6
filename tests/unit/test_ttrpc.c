/*
 * The ttrpc codec: frames, the incremental decoder (partial frames, two frames
 * in one read, oversized frames, garbage) and request/response messages.  The
 * server is tested in test_ttrpc_server.c.
 */

#include "test.h"
#include "shim/ttrpc.h"
#include "containerd/task/v2/shim.pb-c.h"

/* ---- the codec ---- */

TEST(ttrpc_header_wire_layout)
{
        struct ttrpc_header h = { .length = 0x01020304, .stream_id = 0x0a0b0c0d, .type = 2, .flags = 0x80 }, back;
        uint8_t b[TTRPC_HEADER_SIZE];
        const uint8_t want[] = { 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 2, 0x80 };

        ttrpc_header_encode(b, &h);
        ASSERT(!memcmp(b, want, sizeof(want)));
        ttrpc_header_decode(b, &back);
        ASSERT_EQ(h.length, back.length);
        ASSERT_EQ(h.stream_id, back.stream_id);
        ASSERT_EQ(2, back.type);
        ASSERT_EQ(0x80, back.flags);
}

static void connect_request(const char *id, uint32_t stream, uint8_t **ret, size_t *ret_len)
{
        Containerd__Task__V2__ConnectRequest m = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;

        m.id = (char *)id;
        ASSERT_EQ(0, ttrpc_request_frame(stream, "containerd.task.v2.Task", "Connect", &m.base, ret, ret_len));
}

TEST(ttrpc_request_roundtrip_byte_by_byte)
{
        struct ttrpc_decoder d;
        struct ttrpc_header h;
        const uint8_t *body;
        uint8_t *f;
        size_t n;
        Ttrpc__Request *r;
        Containerd__Task__V2__ConnectRequest *m;

        connect_request("abc", 7, &f, &n);
        ttrpc_decoder_init(&d, 0);
        /* A frame appears only when its last byte has arrived. */
        for (size_t i = 0; i < n - 1; i++) {
                ASSERT_EQ(0, ttrpc_decoder_feed(&d, f + i, 1));
                ASSERT_EQ(TTRPC_NEED_MORE, ttrpc_decoder_next(&d, &h, &body));
        }
        ASSERT_EQ(0, ttrpc_decoder_feed(&d, f + n - 1, 1));
        ASSERT_EQ(TTRPC_FRAME, ttrpc_decoder_next(&d, &h, &body));
        ASSERT_EQ(7, h.stream_id);
        ASSERT_EQ(TTRPC_TYPE_REQUEST, h.type);
        ASSERT_EQ(n - TTRPC_HEADER_SIZE, h.length);
        r = ttrpc_request_parse(body, h.length);
        ASSERT(r);
        ASSERT_STREQ("containerd.task.v2.Task", r->service);
        ASSERT_STREQ("Connect", r->method);
        m = containerd__task__v2__connect_request__unpack(NULL, r->payload.len, r->payload.data);
        ASSERT(m);
        ASSERT_STREQ("abc", m->id);
        containerd__task__v2__connect_request__free_unpacked(m, NULL);
        ttrpc__request__free_unpacked(r, NULL);
        ASSERT_EQ(TTRPC_NEED_MORE, ttrpc_decoder_next(&d, &h, &body));
        ttrpc_decoder_done(&d);
        free(f);
}

TEST(ttrpc_two_frames_one_read_and_a_partial_third)
{
        struct ttrpc_decoder d;
        struct ttrpc_header h;
        const uint8_t *body;
        uint8_t *f1, *f2, *f3, buf[512];
        size_t n1, n2, n3;

        connect_request("one", 1, &f1, &n1);
        connect_request("two", 3, &f2, &n2);
        connect_request("three", 5, &f3, &n3);
        ASSERT(n1 + n2 + n3 < sizeof(buf));
        memcpy(buf, f1, n1);
        memcpy(buf + n1, f2, n2);
        memcpy(buf + n1 + n2, f3, 4);   /* half a header of the third */
        ttrpc_decoder_init(&d, 0);
        ASSERT_EQ(0, ttrpc_decoder_feed(&d, buf, n1 + n2 + 4));
        ASSERT_EQ(TTRPC_FRAME, ttrpc_decoder_next(&d, &h, &body));
        ASSERT_EQ(1, h.stream_id);
        ASSERT_EQ(TTRPC_FRAME, ttrpc_decoder_next(&d, &h, &body));
        ASSERT_EQ(3, h.stream_id);
        ASSERT_EQ(TTRPC_NEED_MORE, ttrpc_decoder_next(&d, &h, &body));
        ASSERT_EQ(0, ttrpc_decoder_feed(&d, f3 + 4, n3 - 4));
        ASSERT_EQ(TTRPC_FRAME, ttrpc_decoder_next(&d, &h, &body));
        ASSERT_EQ(5, h.stream_id);
        ASSERT_EQ(n3 - TTRPC_HEADER_SIZE, h.length);
        ttrpc_decoder_done(&d);
        free(f1);
        free(f2);
        free(f3);
}

/* An oversized frame is reported from its header, its body is skipped as it arrives (never
 * buffered), and the frame after it decodes normally. */
TEST(ttrpc_oversized_frame_skipped_not_buffered)
{
        struct ttrpc_decoder d;
        struct ttrpc_header h;
        const uint8_t *body;
        uint8_t hdr[TTRPC_HEADER_SIZE], chunk[4096], *f;
        size_t n, body_len = TTRPC_MESSAGE_MAX + 10000;

        ttrpc_header_encode(hdr, &(struct ttrpc_header){ .length = (uint32_t)body_len, .stream_id = 9, .type = 1 });
        ttrpc_decoder_init(&d, 0);
        ASSERT_EQ(0, ttrpc_decoder_feed(&d, hdr, sizeof(hdr)));
        ASSERT_EQ(TTRPC_OVERSIZED, ttrpc_decoder_next(&d, &h, &body));
        ASSERT_EQ(9, h.stream_id);
        ASSERT_EQ(body_len, h.length);
        ASSERT(body == NULL);
        memset(chunk, 'x', sizeof(chunk));
        for (size_t left = body_len; left > 0;) {
                size_t k = left < sizeof(chunk) ? left : sizeof(chunk);
                ASSERT_EQ(0, ttrpc_decoder_feed(&d, chunk, k));
                ASSERT_EQ(TTRPC_NEED_MORE, ttrpc_decoder_next(&d, &h, &body));
                left -= k;
        }
        ASSERT(d.cap <= 4096);          /* nothing of the body was kept */
        connect_request("after", 11, &f, &n);
        ASSERT_EQ(0, ttrpc_decoder_feed(&d, f, n));
        ASSERT_EQ(TTRPC_FRAME, ttrpc_decoder_next(&d, &h, &body));
        ASSERT_EQ(11, h.stream_id);
        ttrpc_decoder_done(&d);
        free(f);
}

/* The tail of an oversized body in the same read as the next frame. */
TEST(ttrpc_oversized_tail_and_next_frame_in_one_read)
{
        struct ttrpc_decoder d;
        struct ttrpc_header h;
        const uint8_t *body;
        uint8_t *buf, *f;
        size_t n, small_max = 100;

        connect_request("next", 13, &f, &n);
        buf = calloc(1, TTRPC_HEADER_SIZE + 150 + n);
        ASSERT(buf);
        ttrpc_header_encode(buf, &(struct ttrpc_header){ .length = 150, .stream_id = 1, .type = 1 });
        memcpy(buf + TTRPC_HEADER_SIZE + 150, f, n);
        ttrpc_decoder_init(&d, small_max);
        ASSERT_EQ(0, ttrpc_decoder_feed(&d, buf, 40));
        ASSERT_EQ(TTRPC_OVERSIZED, ttrpc_decoder_next(&d, &h, &body));
        ASSERT_EQ(TTRPC_NEED_MORE, ttrpc_decoder_next(&d, &h, &body));
        ASSERT_EQ(0, ttrpc_decoder_feed(&d, buf + 40, TTRPC_HEADER_SIZE + 150 + n - 40));
        ASSERT_EQ(TTRPC_FRAME, ttrpc_decoder_next(&d, &h, &body));
        ASSERT_EQ(13, h.stream_id);
        ttrpc_decoder_done(&d);
        free(buf);
        free(f);
}

/* Bytes that are not a Request are refused by the parser, not trusted; a caller that never
 * takes frames cannot make the decoder buffer without bound. */
TEST(ttrpc_garbage_refused)
{
        struct ttrpc_decoder d;
        uint8_t junk[256];
        int r = 0;

        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (uint8_t)(i * 37 + 11);
        junk[0] = 0xff;         /* an invalid tag/wire type at once */
        ASSERT(ttrpc_request_parse(junk, sizeof(junk)) == NULL);
        ASSERT(ttrpc_response_parse(junk, sizeof(junk)) == NULL);

        ttrpc_decoder_init(&d, 64);
        for (int i = 0; i < 100 && r == 0; i++)
                r = ttrpc_decoder_feed(&d, junk, 16);
        ASSERT_EQ(-ENOBUFS, r);
        ttrpc_decoder_done(&d);
}

TEST(ttrpc_response_and_error_frames)
{
        Containerd__Task__V2__ConnectResponse m = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
        Containerd__Task__V2__ConnectResponse *back;
        struct ttrpc_header h;
        Ttrpc__Response *r;
        uint8_t *f;
        size_t n;

        m.shim_pid = 42;
        m.version = (char *)"v";
        ASSERT_EQ(0, ttrpc_response_frame(3, &m.base, &f, &n));
        ttrpc_header_decode(f, &h);
        ASSERT_EQ(TTRPC_TYPE_RESPONSE, h.type);
        ASSERT_EQ(3, h.stream_id);
        r = ttrpc_response_parse(f + TTRPC_HEADER_SIZE, h.length);
        ASSERT(r);
        ASSERT(r->status == NULL || r->status->code == 0);
        back = containerd__task__v2__connect_response__unpack(NULL, r->payload.len, r->payload.data);
        ASSERT(back);
        ASSERT_EQ(42, back->shim_pid);
        containerd__task__v2__connect_response__free_unpacked(back, NULL);
        ttrpc__response__free_unpacked(r, NULL);
        free(f);

        ASSERT_EQ(0, ttrpc_error_frame(5, TTRPC_NOT_FOUND, "container x not found", &f, &n));
        ttrpc_header_decode(f, &h);
        r = ttrpc_response_parse(f + TTRPC_HEADER_SIZE, h.length);
        ASSERT(r && r->status);
        ASSERT_EQ(TTRPC_NOT_FOUND, r->status->code);
        ASSERT_STREQ("container x not found", r->status->message);
        ttrpc__response__free_unpacked(r, NULL);
        free(f);
}

/* A reply over 4 MiB becomes a RESOURCE_EXHAUSTED error on its stream; a request that big
 * is refused with -EMSGSIZE. */
TEST(ttrpc_reply_over_limit_becomes_error)
{
        Containerd__Task__V2__StateResponse m = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
        Containerd__Task__V2__ConnectRequest q = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
        struct ttrpc_header h;
        Ttrpc__Response *r;
        char *big = malloc(TTRPC_MESSAGE_MAX + 1);
        uint8_t *f;
        size_t n;

        ASSERT(big);
        memset(big, 'a', TTRPC_MESSAGE_MAX);
        big[TTRPC_MESSAGE_MAX] = 0;
        m.stdout = big;
        ASSERT_EQ(0, ttrpc_response_frame(7, &m.base, &f, &n));
        ASSERT(n < 4096);
        ttrpc_header_decode(f, &h);
        ASSERT_EQ(7, h.stream_id);
        r = ttrpc_response_parse(f + TTRPC_HEADER_SIZE, h.length);
        ASSERT(r && r->status);
        ASSERT_EQ(TTRPC_RESOURCE_EXHAUSTED, r->status->code);
        ASSERT_CONTAINS(r->status->message, "maximum message size");
        ttrpc__response__free_unpacked(r, NULL);
        free(f);

        q.id = big;
        ASSERT_EQ(-EMSGSIZE, ttrpc_request_frame(1, "s", "m", &q.base, &f, &n));
        free(big);
}
