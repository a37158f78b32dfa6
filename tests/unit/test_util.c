/* Unit tests for common/util.c: number and duration parsing, timestamps,
 * string vectors and the pod_err message helpers. */
#include <limits.h>

#include "test.h"
#include "common/util.h"
#include "common/uuid.h"

TEST(util_parse_long_bounds)
{
        long v = 12345;

        ASSERT_EQ(0, parse_long("0", 0, 10, &v));
        ASSERT_EQ(0, v);
        ASSERT_EQ(0, parse_long("10", 0, 10, &v));
        ASSERT_EQ(10, v);
        ASSERT_EQ(0, parse_long("-5", -5, 5, &v));
        ASSERT_EQ(-5, v);
        v = 777;
        ASSERT_EQ(-ERANGE, parse_long("11", 0, 10, &v));
        ASSERT_EQ(-ERANGE, parse_long("-6", -5, 5, &v));
        /* Outside long itself. */
        ASSERT_EQ(-ERANGE, parse_long("99999999999999999999999", LONG_MIN, LONG_MAX, &v));
        ASSERT_EQ(-ERANGE, parse_long("-99999999999999999999999", LONG_MIN, LONG_MAX, &v));
        /* Outputs are written only on success. */
        ASSERT_EQ(777, v);
        ASSERT_EQ(0, parse_long("9223372036854775807", LONG_MIN, LONG_MAX, &v));
        ASSERT_EQ(LONG_MAX, v);
}

TEST(util_parse_long_garbage)
{
        static const char *const bad[] = { "", "x", "12x", "1 2", "0x10", "5.0", "-", "--1", "1e3" };
        long v = 42;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                int r = parse_long(bad[i], LONG_MIN, LONG_MAX, &v);
                if (r != -EINVAL)
                        FAIL_AT("parse_long(\"%s\") = %d, expected -EINVAL", bad[i], r);
        }
        ASSERT_EQ(-EINVAL, parse_long(NULL, 0, 10, &v));
        ASSERT_EQ(42, v);
        /* Leading zeros are still decimal, not octal. */
        ASSERT_EQ(0, parse_long("010", 0, 100, &v));
        ASSERT_EQ(10, v);
}

TEST(util_parse_duration_units)
{
        static const struct {
                const char *s;
                uint64_t ms;
        } ok[] = {
                { "10", 10000 }, { "10s", 10000 }, { "500ms", 500 }, { "2m", 120000 },
                { "1h", 3600000 }, { "0", 0 }, { "0ms", 0 }, { "24h", 86400000 },
        };

        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                uint64_t ms = 1;
                int r = parse_duration_ms(ok[i].s, &ms);
                if (r != 0 || ms != ok[i].ms)
                        FAIL_AT("parse_duration_ms(\"%s\") = %d, %llu ms; expected %llu ms", ok[i].s, r,
                                (unsigned long long)ms, (unsigned long long)ok[i].ms);
        }
}

TEST(util_parse_duration_rejects)
{
        static const char *const bad[] = {
                "", "-1", "+1", "5x", "1.5s", "s", "ms", "10 s", "10S", "1d", "10sec",
                "99999999999999999999h", "99999999999999999999",
        };
        uint64_t ms = 4242;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                int r = parse_duration_ms(bad[i], &ms);
                if (r >= 0)
                        FAIL_AT("parse_duration_ms(\"%s\") accepted (%llu ms)", bad[i], (unsigned long long)ms);
        }
        ASSERT(parse_duration_ms(NULL, &ms) < 0);
        /* Fits in unsigned long long but overflows once multiplied. */
        ASSERT_EQ(-ERANGE, parse_duration_ms("18446744073709551h", &ms));
        ASSERT_EQ(4242, ms);
}

TEST(util_format_rfc3339)
{
        char buf[64];

        format_rfc3339(0, buf, sizeof(buf));
        ASSERT_STREQ("1970-01-01T00:00:00.000000000Z", buf);
        format_rfc3339(1700000000123456789ull, buf, sizeof(buf));
        ASSERT_STREQ("2023-11-14T22:13:20.123456789Z", buf);
        format_rfc3339(951782400000000001ull, buf, sizeof(buf)); /* leap day 2000 */
        ASSERT_STREQ("2000-02-29T00:00:00.000000001Z", buf);
        /* A short buffer is truncated and stays terminated. */
        memset(buf, 'X', sizeof(buf));
        format_rfc3339(0, buf, 11);
        ASSERT_STREQ("1970-01-01", buf);
}

TEST(util_clocks_advance)
{
        uint64_t m1 = now_mono_ns(), r1 = now_real_ns();
        uint64_t m2 = now_mono_ns();

        ASSERT(m2 >= m1);
        /* Real time is after 2020-01-01. */
        ASSERT(r1 > 1577836800ull * 1000000000ull);
}

TEST(util_strv_helpers)
{
        char **v = NULL, **c;

        ASSERT_EQ(0, strv_length(NULL));
        ASSERT_EQ(0, strv_push(&v, "a"));
        ASSERT_EQ(0, strv_push(&v, ""));
        ASSERT_EQ(0, strv_push(&v, "ccc"));
        ASSERT_EQ(3, strv_length(v));
        ASSERT_STREQ("a", v[0]);
        ASSERT_STREQ("", v[1]);
        ASSERT_STREQ("ccc", v[2]);
        ASSERT(v[3] == NULL);

        c = strv_copy(v);
        ASSERT(c != v);
        ASSERT_EQ(3, strv_length(c));
        for (size_t i = 0; i < 3; i++) {
                ASSERT(c[i] != v[i]);
                ASSERT_STREQ(v[i], c[i]);
        }
        ASSERT(c[3] == NULL);
        strv_free(v);
        ASSERT_STREQ("ccc", c[2]); /* the copy is independent */
        strv_free(c);

        c = strv_copy(NULL);
        ASSERT(c && c[0] == NULL);
        strv_free(c);
        strv_free(NULL);
}

TEST(util_strv_cleanup_and_startswith)
{
        {
                _cleanup_strv_ char **v = NULL;
                for (int i = 0; i < 100; i++)
                        strv_push(&v, "x");
                ASSERT_EQ(100, strv_length(v));
        } /* freed here; LeakSanitizer checks */
        ASSERT(str_startswith("rootfs/bin", "rootfs/"));
        ASSERT(str_startswith("abc", ""));
        ASSERT(!str_startswith("root", "rootfs"));
        ASSERT(!str_startswith("xrootfs", "rootfs"));
}

TEST(util_pod_err_set_and_prefix)
{
        struct pod_err err = { 0 };

        ASSERT_EQ(-ENOENT, pod_err_set(&err, -ENOENT, "b %d", 7));
        ASSERT_EQ(-ENOENT, err.code);
        ASSERT_STREQ("b 7", err.msg);
        ASSERT_EQ(-ENOENT, pod_err_prefix(&err, "a"));
        ASSERT_STREQ("a: b 7", err.msg);
        ASSERT_EQ(-ENOENT, pod_err_prefix(&err, "x%s", "y"));
        ASSERT_STREQ("xy: a: b 7", err.msg);
        /* A NULL err is allowed. */
        ASSERT_EQ(-EIO, pod_err_set(NULL, -EIO, "ignored"));
        ASSERT_EQ(0, pod_err_prefix(NULL, "ignored"));
}

TEST(util_pod_err_truncates_long_strings)
{
        struct pod_err err;
        char big[2000];

        memset(big, 'm', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        pod_err_set(&err, -EINVAL, "%s", big);
        ASSERT_EQ(sizeof(err.msg) - 1, strlen(err.msg));

        /* Long message, short prefix: prefix kept, message cut. */
        pod_err_prefix(&err, "pre");
        ASSERT_EQ(sizeof(err.msg) - 1, strlen(err.msg));
        ASSERT(!strncmp(err.msg, "pre: mmm", 8));

        /* Short message, prefix longer than the buffer. */
        memset(big, 'p', sizeof(big) - 1);
        pod_err_set(&err, -EINVAL, "tail");
        pod_err_prefix(&err, "%s", big);
        ASSERT(strlen(err.msg) < sizeof(err.msg));
        ASSERT_EQ('p', err.msg[0]);
        ASSERT_EQ(-EINVAL, err.code);

        /* Many prefixes in a row stay bounded. */
        pod_err_set(&err, -EIO, "root cause");
        for (int i = 0; i < 200; i++)
                pod_err_prefix(&err, "level %d", i);
        ASSERT(strlen(err.msg) < sizeof(err.msg));
        ASSERT(!strncmp(err.msg, "level 199: level 198: ", 22));
}

TEST(util_xasprintf_and_uuid)
{
        char *s = xasprintf("%s-%d", "pod", 12);
        char u[UUID_STR_LEN], u2[UUID_STR_LEN];

        ASSERT_STREQ("pod-12", s);
        free(s);
        ASSERT_EQ(0, uuid_generate_v4(u));
        ASSERT_EQ(0, uuid_generate_v4(u2));
        ASSERT(uuid_valid(u));
        ASSERT_EQ('4', u[14]);
        ASSERT(strchr("89ab", u[19]));
        ASSERT(strcmp(u, u2));
        ASSERT(uuid_valid("01234567-89ab-cdef-0123-456789abcdef"));
        ASSERT(!uuid_valid("01234567-89AB-cdef-0123-456789abcdef"));
        ASSERT(!uuid_valid("0123456789ab-cdef-0123-456789abcdef0"));
        ASSERT(!uuid_valid("01234567-89ab-cdef-0123-456789abcde"));
        ASSERT(!uuid_valid(""));
        ASSERT(!uuid_valid(NULL));
}

/* Regression: strtol/strtoull skip white space and accept '+'; the parsers must not. */
TEST(util_parsers_reject_whitespace_and_plus)
{
        long v;
        uint64_t ms;

        ASSERT_EQ(-EINVAL, parse_long(" 5", 0, 10, &v));
        ASSERT_EQ(-EINVAL, parse_long("+5", 0, 10, &v));
        ASSERT_EQ(-EINVAL, parse_long(" +5", 0, 10, &v));
        ASSERT_EQ(-EINVAL, parse_long("-", -10, 10, &v));
        ASSERT_EQ(-EINVAL, parse_duration_ms(" -1ms", &ms));
        ASSERT_EQ(-EINVAL, parse_duration_ms(" 5s", &ms));
        ASSERT_EQ(-EINVAL, parse_duration_ms("+5s", &ms));
        ASSERT_EQ(0, parse_duration_ms("5s", &ms));
        ASSERT_EQ(5000, ms);
}
