/* Unit tests for common/crilog.c (the CRI log record) and parse_size (common/util.c). */
#include <stdint.h>

#include "test.h"
#include "common/crilog.h"
#include "common/util.h"

static void expect_ts(uint64_t ns, const char *want)
{
        char buf[CRI_TIMESTAMP_LEN + 8];

        memset(buf, 'x', sizeof(buf));
        ASSERT_EQ(CRI_TIMESTAMP_LEN, cri_timestamp(ns, buf));
        ASSERT_EQ(CRI_TIMESTAMP_LEN, strlen(buf));
        ASSERT_STREQ(want, buf);
}

TEST(crilog_timestamp_format)
{
        expect_ts(0, "1970-01-01T00:00:00.000000000Z");
        expect_ts(1, "1970-01-01T00:00:00.000000001Z");
        expect_ts(999999999, "1970-01-01T00:00:00.999999999Z");
        expect_ts(1000000000, "1970-01-01T00:00:01.000000000Z");
        expect_ts(1795468650083579147ull, "2026-11-23T21:17:30.083579147Z");
        expect_ts(1795468650000000000ull, "2026-11-23T21:17:30.000000000Z");
        /* The per-second cache follows a change of second in either direction. */
        expect_ts(86400ull * 1000000000ull + 5, "1970-01-02T00:00:00.000000005Z");
        expect_ts(86399ull * 1000000000ull + 120, "1970-01-01T23:59:59.000000120Z");
        expect_ts(1795468650083579147ull, "2026-11-23T21:17:30.083579147Z");
        expect_ts(951782400ull * 1000000000ull + 10, "2000-02-29T00:00:00.000000010Z");
        expect_ts(4102444799ull * 1000000000ull + 999999999, "2099-12-31T23:59:59.999999999Z");
}

TEST(crilog_head_forms)
{
        const char *ts = "2026-11-23T21:17:30.083579147Z";
        char buf[CRI_HEAD_MAX + 1];
        size_t n;

        n = cri_head(ts, 1, false, false, buf);
        buf[n] = '\0';
        ASSERT_STREQ("2026-11-23T21:17:30.083579147Z stdout F ", buf);
        n = cri_head(ts, 2, false, false, buf);
        buf[n] = '\0';
        ASSERT_STREQ("2026-11-23T21:17:30.083579147Z stderr F ", buf);
        n = cri_head(ts, 1, true, false, buf);
        buf[n] = '\0';
        ASSERT_STREQ("2026-11-23T21:17:30.083579147Z stdout P ", buf);
        n = cri_head(ts, 2, true, false, buf);
        buf[n] = '\0';
        ASSERT_STREQ("2026-11-23T21:17:30.083579147Z stderr P ", buf);
        n = cri_head(ts, 2, false, true, buf);
        buf[n] = '\0';
        ASSERT_STREQ("2026-11-23T21:17:30.083579147Z stderr F:podinit ", buf);
        n = cri_head(ts, 1, false, true, buf);
        buf[n] = '\0';
        ASSERT_STREQ("2026-11-23T21:17:30.083579147Z stdout F:podinit ", buf);
        ASSERT(n <= CRI_HEAD_MAX);
}

static void parse_ok(const char *line, size_t len, struct cri_record *r)
{
        memset(r, 0x5a, sizeof(*r));
        if (cri_parse(line, len, r) != 0)
                FAIL_AT("cri_parse refused \"%.*s\"", (int)len, line);
}

/* Every head the writer makes, with contents of every byte but '\n', comes back. */
TEST(crilog_parse_round_trip)
{
        static const uint64_t times[] = { 0, 1, 1795468650083579147ull, 1795468650999999999ull,
                                          951782400000000000ull };
        char content[300], line[CRI_HEAD_MAX + sizeof(content)];
        size_t clen = 0;

        /* All byte values but '\n', with spaces, "\r" and NUL among them. */
        for (int b = 0; b < 256; b++)
                if (b != '\n')
                        content[clen++] = (char)b;
        memcpy(content + clen, " a  b \r\r \0 ", 11);
        clen += 11;

        for (size_t t = 0; t < ARRAY_SIZE(times); t++)
                for (int stream = 1; stream <= 2; stream++)
                        for (int partial = 0; partial < 2; partial++)
                                for (int meta = 0; meta < 2; meta++)
                                        for (size_t len = 0; len <= clen; len += clen) {
                                                char ts[CRI_TIMESTAMP_LEN + 1];
                                                struct cri_record r;
                                                size_t hl;
                                                cri_timestamp(times[t], ts);
                                                hl = cri_head(ts, stream, partial, meta, line);
                                                memcpy(line + hl, content, len);
                                                parse_ok(line, hl + len, &r);
                                                ASSERT_EQ((int64_t)times[t], r.time_ns);
                                                ASSERT(r.ts == line);
                                                ASSERT_EQ(CRI_TIMESTAMP_LEN, r.ts_len);
                                                ASSERT_EQ(stream, r.stream);
                                                ASSERT_EQ(partial, r.partial);
                                                ASSERT_EQ(meta, r.meta);
                                                ASSERT(r.content == line + hl);
                                                ASSERT_EQ(len, r.len);
                                                ASSERT(!memcmp(r.content, content, len));
                                        }
}

TEST(crilog_parse_kubelet_lines)
{
        struct cri_record r;
        const char *l;

        /* kubelet's own examples: Z, an offset, a short fraction, none. */
        l = "2016-10-06T00:17:09.669794202Z stdout F log content 1";
        parse_ok(l, strlen(l), &r);
        ASSERT_EQ(1475713029669794202ll, r.time_ns);
        ASSERT_EQ(1, r.stream);
        ASSERT(!r.partial && !r.meta);
        ASSERT_EQ(13, r.len);
        ASSERT(!memcmp("log content 1", r.content, 13));

        l = "2016-10-06T00:17:09.669794203+02:00 stderr P log content 2";
        parse_ok(l, strlen(l), &r);
        ASSERT_EQ(1475713029669794203ll - 7200000000000ll, r.time_ns);
        ASSERT_EQ(2, r.stream);
        ASSERT(r.partial && !r.meta);
        ASSERT_EQ(35, r.ts_len);
        ASSERT(!memcmp("log content 2", r.content, 13));

        l = "2016-10-06T00:17:09.5-01:30 stdout F x";
        parse_ok(l, strlen(l), &r);
        ASSERT_EQ(1475713029500000000ll + 5400000000000ll, r.time_ns);

        l = "2016-10-06T00:17:09Z stdout F";
        ASSERT_EQ(-EINVAL, cri_parse(l, strlen(l), &r));     /* no space after the tag */
        l = "2016-10-06T00:17:09Z stdout F ";
        parse_ok(l, strlen(l), &r);
        ASSERT_EQ(1475713029000000000ll, r.time_ns);
        ASSERT_EQ(0, r.len);
        ASSERT(r.content == l + strlen(l));

        /* Tags after the first: podinit marks its own records; others are ignored. */
        l = "2016-10-06T00:17:09Z stderr F:podinit podinit: 3 lines suppressed";
        parse_ok(l, strlen(l), &r);
        ASSERT(r.meta && !r.partial);
        ASSERT_EQ(27, r.len);
        l = "2016-10-06T00:17:09Z stderr P:x:podinit:y a";
        parse_ok(l, strlen(l), &r);
        ASSERT(r.meta && r.partial);
        l = "2016-10-06T00:17:09Z stderr F:podinitx a";
        parse_ok(l, strlen(l), &r);
        ASSERT(!r.meta);
        l = "2016-10-06T00:17:09Z stderr F:xpodinit a";
        parse_ok(l, strlen(l), &r);
        ASSERT(!r.meta);
        l = "2016-10-06T00:17:09Z stderr F: a";
        parse_ok(l, strlen(l), &r);
        ASSERT(!r.meta && !r.partial);
        ASSERT_EQ(1, r.len);

        /* The content is everything after the third space, spaces included. */
        l = "2016-10-06T00:17:09Z stdout F   two  spaces \r";
        parse_ok(l, strlen(l), &r);
        ASSERT_EQ(15, r.len);
        ASSERT(!memcmp("  two  spaces \r", r.content, 15));
}

TEST(crilog_parse_rejects)
{
        static const char *const bad[] = {
                "",
                "2016-10-06T00:17:09Z",
                "2016-10-06T00:17:09Z stdout",
                "2016-10-06T00:17:09Z stdout ",
                "2016-10-06T00:17:09Z stdout F",                /* missing space before the content */
                "2016-10-06T00:17:09Z stdout hello world",      /* no tag */
                "2016-10-06T00:17:09Z stdout  hello",           /* empty tag */
                "2016-10-06T00:17:09Z stdout X hello",          /* tag X */
                "2016-10-06T00:17:09Z stdout FP hello",
                "2016-10-06T00:17:09Z stdout f hello",
                "2016-10-06T00:17:09Z stdin F hello",           /* bad stream */
                "2016-10-06T00:17:09Z STDOUT F hello",
                "2016-10-06T00:17:09Z stdoutx F hello",
                "2016-10-06T00:17:09Z  stdout F hello",         /* missing field: double space */
                " 2016-10-06T00:17:09Z stdout F hello",
                "2016-10-06T00:17:09Zstdout F hello",
                "yesterday stdout F hello",                     /* bad time */
                "2016-13-06T00:17:09Z stdout F hello",
                "2016-10-06T24:17:09Z stdout F hello",
                "2016-10-06T00:17:09 stdout F hello",
                "2016-10-06T00:17:09.Z stdout F hello",
                "2016-10-06 00:17:09Z stdout F hello",
                "2016-10-06T00:17:09+2:00 stdout F hello",
                "2016-10-06T00:17:09+24:00 stdout F hello",
                "2016-10-06T00:17:09ZZ stdout F hello",
                "2016-10-06T0:17:09Z stdout F hello",
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct cri_record r;
                if (cri_parse(bad[i], strlen(bad[i]), &r) != -EINVAL)
                        FAIL_AT("cri_parse accepted \"%s\"", bad[i]);
        }
}

static int64_t ptime(const char *s)
{
        int64_t ns = 0x5a5a;
        if (cri_parse_time(s, strlen(s), &ns) != 0)
                FAIL_AT("cri_parse_time refused \"%s\"", s);
        return ns;
}

TEST(crilog_parse_time_values)
{
        int64_t ns;

        ASSERT_EQ(0, ptime("1970-01-01T00:00:00Z"));
        ASSERT_EQ(0, ptime("1970-01-01t00:00:00z"));
        ASSERT_EQ(1, ptime("1970-01-01T00:00:00.000000001Z"));
        ASSERT_EQ(0, ptime("1970-01-01T02:00:00+02:00"));
        ASSERT_EQ(0, ptime("1969-12-31T22:00:00-02:00"));
        ASSERT_EQ(0, ptime("1970-01-01T05:45:00+05:45"));
        ASSERT_EQ(-1000000000ll, ptime("1969-12-31T23:59:59Z"));
        ASSERT_EQ(1500000000ll, ptime("1970-01-01T00:00:01.5Z"));
        ASSERT_EQ(1120000000ll, ptime("1970-01-01T00:00:01.12Z"));
        ASSERT_EQ(1123456789ll, ptime("1970-01-01T00:00:01.123456789Z"));
        ASSERT_EQ(1123456789ll, ptime("1970-01-01T00:00:01.1234567891Z"));      /* past ns: cut */
        ASSERT_EQ(1795468650083579147ll, ptime("2026-11-23T21:17:30.083579147Z"));
        ASSERT_EQ(951782400000000000ll, ptime("2000-02-29T00:00:00Z"));
        /* The same second with different offsets (the reader caches per second). */
        ASSERT_EQ(1795468650000000000ll, ptime("2026-11-23T21:17:30Z"));
        ASSERT_EQ(1795468650000000000ll - 3600000000000ll, ptime("2026-11-23T21:17:30+01:00"));
        ASSERT_EQ(1795468650000000000ll + 1800000000000ll, ptime("2026-11-23T21:17:30-00:30"));
        ASSERT_EQ(1795468650250000000ll, ptime("2026-11-23T21:17:30.25Z"));
        ASSERT_EQ(1795468651000000000ll, ptime("2026-11-23T21:17:31Z"));
        ASSERT_EQ(1795468650000000000ll, ptime("2026-11-23T21:17:30Z"));

        /* The length given is the end: no reading past it. */
        ASSERT_EQ(0, cri_parse_time("1970-01-01T00:00:00Zjunk", 20, &ns));
        ASSERT_EQ(0, ns);
        ASSERT_EQ(-EINVAL, cri_parse_time("1970-01-01T00:00:00Z", 19, &ns));
        ASSERT_EQ(-EINVAL, cri_parse_time("1970-01-01T00:00:00.5Z", 21, &ns));
        ASSERT_EQ(-EINVAL, cri_parse_time("1970-01-01T00:00:00+01:00", 24, &ns));
        ASSERT_EQ(-EINVAL, cri_parse_time("1970-01-01T00:00:00+01:0x", 25, &ns));
        ASSERT_EQ(-EINVAL, cri_parse_time("1970-01-01T00:00:00+01:60", 25, &ns));
        ASSERT_EQ(-EINVAL, cri_parse_time("1970-01-01T00:60:00Z", 20, &ns));
        /* Found by fuzz_crilog: int64 nanoseconds end in 2262; later is out of range, not an overflow. */
        ASSERT_EQ(-ERANGE, cri_parse_time("9999-12-31T23:59:59Z", 20, &ns));
        ASSERT_EQ(0, cri_parse_time("2262-01-01T00:00:00Z", 20, &ns));
        ASSERT_EQ(-EINVAL, cri_parse_time("1970-00-01T00:00:00Z", 20, &ns));
        ASSERT_EQ(-EINVAL, cri_parse_time("1970-01-00T00:00:00Z", 20, &ns));
        ASSERT_EQ(-EINVAL, cri_parse_time("1970-01-01T00:00:00", 19, &ns));
        ASSERT_EQ(-EINVAL, cri_parse_time("", 0, &ns));
}

/* ---- parse_size -------------------------------------------------------- */

static uint64_t size_ok(const char *s, uint64_t max)
{
        uint64_t v = 0x5a5a;
        int r = parse_size(s, max, &v);
        if (r != 0)
                FAIL_AT("parse_size(\"%s\") = %d", s, r);
        return v;
}

TEST(util_parse_size_units)
{
        ASSERT_EQ(0, size_ok("0", UINT64_MAX));
        ASSERT_EQ(4096, size_ok("4096", UINT64_MAX));
        ASSERT_EQ(4096, size_ok("4096B", UINT64_MAX));
        ASSERT_EQ(16384, size_ok("16Ki", UINT64_MAX));
        ASSERT_EQ(16384, size_ok("16K", UINT64_MAX));
        ASSERT_EQ(16384, size_ok("16KiB", UINT64_MAX));
        ASSERT_EQ(1024, size_ok("1K", UINT64_MAX));
        ASSERT_EQ(1024, size_ok("1k", UINT64_MAX));
        ASSERT_EQ(10485760, size_ok("10Mi", UINT64_MAX));
        ASSERT_EQ(10485760, size_ok("10M", UINT64_MAX));
        ASSERT_EQ(1073741824, size_ok("1GiB", UINT64_MAX));
        ASSERT_EQ(3221225472ll, size_ok("3G", UINT64_MAX));
        /* The bound is inclusive. */
        ASSERT_EQ(1073741824, size_ok("1Gi", 1ull << 30));
        ASSERT_EQ(1073741824, size_ok("1073741824", 1ull << 30));
        ASSERT_EQ(0, size_ok("0G", 0));
        ASSERT_EQ(17179869183ull << 30, size_ok("17179869183Gi", UINT64_MAX));
}

TEST(util_parse_size_rejects)
{
        static const char *const bad[] = {
                "", "-1", "+1", " 1", "1 ", "1.5M", "10MB?", "10MB", "M", "1m", "1T", "Ki", "1iB", "0x10", "1KiBB",
                "1 K",
        };
        uint64_t v = 77;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                if (parse_size(bad[i], UINT64_MAX, &v) != -EINVAL)
                        FAIL_AT("parse_size(\"%s\") should be -EINVAL", bad[i]);
        ASSERT_EQ(-EINVAL, parse_size(NULL, UINT64_MAX, &v));
        /* Past the maximum, with or without a unit, and past 64 bits. */
        ASSERT_EQ(-ERANGE, parse_size("1025", 1024, &v));
        ASSERT_EQ(-ERANGE, parse_size("2K", 1024 + 1023, &v));
        ASSERT_EQ(-ERANGE, parse_size("2Gi", 1ull << 30, &v));
        ASSERT_EQ(-ERANGE, parse_size("1", 0, &v));
        ASSERT_EQ(-ERANGE, parse_size("17179869183Gi", (17179869183ull << 30) - 1, &v));
        ASSERT_EQ(-ERANGE, parse_size("17179869184Gi", UINT64_MAX, &v));
        ASSERT_EQ(-ERANGE, parse_size("17179869185Gi", UINT64_MAX, &v));
        ASSERT_EQ(-ERANGE, parse_size("18446744073709551616", UINT64_MAX, &v));
        ASSERT_EQ(-ERANGE, parse_size("99999999999999999999999K", UINT64_MAX, &v));
        ASSERT_EQ(77, v);       /* untouched on failure */
}
