/*
 * Unit-test helpers.  Each test is a void function registered in list.h;
 * the runner runs every test in its own process with a timeout, so a crash
 * or a hang fails one test, not the run.  Assertions print both values.
 */
#ifndef POD_TEST_H
#define POD_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST(name) void test_##name(void); void test_##name(void)

#define FAIL_AT(...)                                                         \
        do {                                                                 \
                fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);            \
                fprintf(stderr, __VA_ARGS__);                                \
                fputc('\n', stderr);                                         \
                exit(1);                                                     \
        } while (0)

#define ASSERT(c)                                                            \
        do {                                                                 \
                if (!(c))                                                    \
                        FAIL_AT("assertion failed: %s", #c);                 \
        } while (0)

#define ASSERT_EQ(expected, actual)                                          \
        do {                                                                 \
                long long _e = (long long)(expected), _a = (long long)(actual); \
                if (_e != _a)                                                \
                        FAIL_AT("%s == %s: expected %lld, got %lld", #expected, #actual, _e, _a); \
        } while (0)

#define ASSERT_STREQ(expected, actual)                                       \
        do {                                                                 \
                const char *_e = (expected), *_a = (actual);                 \
                if (!_e || !_a || strcmp(_e, _a))                            \
                        FAIL_AT("%s == %s: expected \"%s\", got \"%s\"", #expected, #actual, \
                                _e ? _e : "(null)", _a ? _a : "(null)");     \
        } while (0)

/* The message must contain the substring. */
#define ASSERT_CONTAINS(haystack, needle)                                    \
        do {                                                                 \
                const char *_h = (haystack), *_n = (needle);                 \
                if (!_h || !strstr(_h, _n))                                  \
                        FAIL_AT("%s should contain \"%s\", is \"%s\"", #haystack, _n, _h ? _h : "(null)"); \
        } while (0)

/* A scratch directory for the test, removed by the runner afterwards. */
const char *test_tmpdir(void);

#endif
