#include "test.h"
#include "common/proto.h"
#include "common/util.h"

TEST(proto_roundtrip_split_feed)
{
        struct frame_decoder d;
        uint8_t hdr[PROTO_HEADER_SIZE], type;
        const uint8_t *payload;
        size_t len;
        const char *msg = "{\"op\":\"status\"}";
        char wire[64];
        size_t wl;

        frame_header(hdr, FRAME_REQUEST, strlen(msg));
        memcpy(wire, hdr, sizeof(hdr));
        memcpy(wire + sizeof(hdr), msg, strlen(msg));
        wl = sizeof(hdr) + strlen(msg);

        frame_decoder_init(&d, 1024);
        /* One byte at a time: a frame appears only when it is complete. */
        for (size_t i = 0; i < wl - 1; i++) {
                frame_decoder_feed(&d, wire + i, 1);
                ASSERT_EQ(0, frame_decoder_next(&d, &type, &payload, &len));
        }
        frame_decoder_feed(&d, wire + wl - 1, 1);
        ASSERT_EQ(1, frame_decoder_next(&d, &type, &payload, &len));
        ASSERT_EQ(FRAME_REQUEST, type);
        ASSERT_EQ(strlen(msg), len);
        ASSERT(!memcmp(payload, msg, len));
        ASSERT_EQ(0, frame_decoder_next(&d, &type, &payload, &len));
        frame_decoder_done(&d);
}

TEST(proto_two_frames_one_feed)
{
        struct frame_decoder d;
        uint8_t buf[32], type;
        const uint8_t *payload;
        size_t len;

        frame_header(buf, FRAME_REQUEST, 2);
        memcpy(buf + 5, "ab", 2);
        frame_header(buf + 7, FRAME_RESPONSE, 0);
        frame_decoder_init(&d, 1024);
        frame_decoder_feed(&d, buf, 12);
        ASSERT_EQ(1, frame_decoder_next(&d, &type, &payload, &len));
        ASSERT_EQ(2, len);
        ASSERT_EQ(1, frame_decoder_next(&d, &type, &payload, &len));
        ASSERT_EQ(FRAME_RESPONSE, type);
        ASSERT_EQ(0, len);
        ASSERT_EQ(0, frame_decoder_next(&d, &type, &payload, &len));
        frame_decoder_done(&d);
}

/* An oversized frame is refused from its header alone, before its body arrives. */
TEST(proto_oversized_frame_refused_early)
{
        struct frame_decoder d;
        uint8_t hdr[PROTO_HEADER_SIZE], type;
        const uint8_t *payload;
        size_t len;

        frame_decoder_init(&d, 100);
        frame_header(hdr, FRAME_REQUEST, 100);  /* L = 101 > 100 */
        frame_decoder_feed(&d, hdr, sizeof(hdr));
        ASSERT_EQ(-EMSGSIZE, frame_decoder_next(&d, &type, &payload, &len));
        frame_decoder_done(&d);

        frame_decoder_init(&d, 100);
        frame_header(hdr, FRAME_REQUEST, 99);   /* L = 100: at the limit, accepted */
        frame_decoder_feed(&d, hdr, sizeof(hdr));
        ASSERT_EQ(0, frame_decoder_next(&d, &type, &payload, &len));
        frame_decoder_done(&d);
}

TEST(proto_zero_length_is_bad)
{
        struct frame_decoder d;
        uint8_t zero[4] = { 0 }, type;
        const uint8_t *payload;
        size_t len;

        frame_decoder_init(&d, 100);
        frame_decoder_feed(&d, zero, 4);
        ASSERT_EQ(-EBADMSG, frame_decoder_next(&d, &type, &payload, &len));
        frame_decoder_done(&d);
}
