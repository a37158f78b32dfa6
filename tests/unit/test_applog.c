/*
 * Unit tests for logger/applog.c: an app's output cut into CRI records (F and
 * P), the partial-line timeout, the rate limit, and the console copy in its
 * three formats.  Each test runs a real libuv loop and reads the log file back.
 */
#include <regex.h>
#include <time.h>

#include "logtest.h"

static struct lt_app A;

static void app_start(const struct log_spec *spec, const char *file, int fmt)
{
        memset(&A, 0, sizeof(A));
        if (spec)
                A.spec = *spec;
        else
                lt_default_spec(&A.spec);
        lt_app_start(&A, file, fmt);
}

/* eof on both streams, finish (written and synced), close. */
static void app_end(void)
{
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        lt_finish(&A, 10000);
        lt_app_end(&A);
}

/* Each stream rebuilt from the file equals what was fed. */
static void check_rebuild(const struct trecs *r, const char *out, size_t out_len, const char *err, size_t err_len)
{
        size_t n;
        _cleanup_free_ char *o = lt_rebuild(r, IO_STDOUT, &n);
        ASSERT_MEMEQ(out, out_len, o, n);
        _cleanup_free_ char *e = lt_rebuild(r, IO_STDERR, &n);
        ASSERT_MEMEQ(err, err_len, e, n);
}

/* Records of one stream: P records are exactly line_max long, except a
 * stream's last record, which may be a short P (the end without a newline);
 * F records are at most line_max long. */
static void check_split(const struct trecs *r, uint64_t line_max)
{
        for (int s = 1; s <= 2; s++) {
                size_t last = SIZE_MAX;
                for (size_t i = 0; i < r->n; i++)
                        if (r->v[i].stream == s && !r->v[i].meta)
                                last = i;
                for (size_t i = 0; i < r->n; i++) {
                        const struct trec *t = &r->v[i];
                        if (t->stream != s || t->meta)
                                continue;
                        if (t->len > line_max)
                                FAIL_AT("record %zu: %zu bytes, more than line_max %llu", i, t->len,
                                        (unsigned long long)line_max);
                        if (t->partial && i != last && t->len != line_max)
                                FAIL_AT("record %zu: a P record of %zu bytes, not line_max %llu", i, t->len,
                                        (unsigned long long)line_max);
                }
        }
}

TEST(applog_plain_lines)
{
        struct trecs r;
        int64_t before = (int64_t)now_real_ns(), after;

        app_start(NULL, "app.log", -1);
        ASSERT(lt_feeds(&A, IO_STDOUT, "hello\nworld\n"));
        ASSERT(lt_feeds(&A, IO_STDERR, "err 1\n"));
        ASSERT(lt_feeds(&A, IO_STDOUT, "\n"));           /* an empty line is an empty F record */
        ASSERT(lt_feeds(&A, IO_STDOUT, "a\r\n"));
        app_end();
        after = (int64_t)now_real_ns();

        lt_read("app.log", &r);
        ASSERT_EQ(5, r.n);
        ASSERT_REC(&r.v[0], 1, false, false, "hello");
        ASSERT_REC(&r.v[1], 1, false, false, "world");
        ASSERT_REC(&r.v[2], 2, false, false, "err 1");
        ASSERT_REC(&r.v[3], 1, false, false, "");
        ASSERT_REC(&r.v[4], 1, false, false, "a\r");
        /* Records of one read share its timestamp, taken while the test ran. */
        ASSERT_EQ(r.v[0].time_ns, r.v[1].time_ns);
        for (size_t i = 0; i < r.n; i++)
                ASSERT(r.v[i].time_ns >= before && r.v[i].time_ns <= after);
        /* The exact bytes after the timestamp. */
        ASSERT(!memcmp(r.data + CRI_TIMESTAMP_LEN, " stdout F hello\n", 16));
        ASSERT(!memcmp(r.v[2].content - 10, " stderr F err 1\n", 16));
        ASSERT(!memcmp(r.v[3].content - 10, " stdout F \n", 11));
        check_rebuild(&r, "hello\nworld\n\na\r\n", 16, "err 1\n", 6);
        ASSERT_EQ(5, A.al.lines);
        lt_free(&r);
}

/* Random bytes (all 256 values, NUL and \r included) in random chunks on
 * both streams come back exactly, for two split sizes. */
static void random_bytes_round_trip(uint64_t line_max, uint64_t seed)
{
        size_t n = 300 * 1024;
        char *in[2] = { xmalloc(n), xmalloc(n) };
        size_t off[2] = { 0, 0 };
        struct log_spec spec;
        struct trecs r;
        uint64_t s = seed;

        for (int k = 0; k < 2; k++)
                for (size_t i = 0; i < n; i++)
                        in[k][i] = (char)(lt_rand(&s) >> 56);
        /* Every byte value appears; a long run without a newline; the ends. */
        for (int b = 0; b < 256; b++)
                in[0][1000 + b] = in[1][5000 + b] = (char)b;
        for (size_t i = 20000; i < 20000 + 3 * line_max + 17; i++)
                if (in[0][i] == '\n')
                        in[0][i] = 'x';
        in[0][n - 1] = 'z';     /* stdout ends without a newline: a P record */
        in[1][n - 1] = '\n';

        lt_default_spec(&spec);
        spec.line_max = line_max;
        app_start(&spec, "app.log", -1);
        while (off[0] < n || off[1] < n) {
                int k = (int)(lt_rand(&s) & 1);
                size_t c;
                if (off[k] == n)
                        k = !k;
                c = 1 + (size_t)(lt_rand(&s) % 5000);
                if (lt_rand(&s) % 8 == 0)
                        c = 1 + (size_t)(lt_rand(&s) % 4);
                if (c > n - off[k])
                        c = n - off[k];
                ASSERT(lt_feed(&A, k ? IO_STDERR : IO_STDOUT, in[k] + off[k], c));
                off[k] += c;
        }
        app_end();

        lt_read("app.log", &r);
        check_rebuild(&r, in[0], n, in[1], n);
        check_split(&r, line_max);
        /* stdout ended without a newline: its last record is P; stderr's is F. */
        for (size_t i = r.n; i-- > 0;)
                if (r.v[i].stream == 1) {
                        ASSERT(r.v[i].partial);
                        break;
                }
        for (size_t i = r.n; i-- > 0;)
                if (r.v[i].stream == 2) {
                        ASSERT(!r.v[i].partial);
                        break;
                }
        for (size_t i = 0; i < r.n; i++)
                ASSERT(!r.v[i].meta);
        lt_free(&r);
        free(in[0]);
        free(in[1]);
}

TEST(applog_all_byte_values_in_random_chunks)
{
        random_bytes_round_trip(LOG_DEFAULT_LINE_MAX, 0x9e3779b97f4a7c15ull);
}

TEST(applog_all_byte_values_small_split_size)
{
        random_bytes_round_trip(128, 12345);
}

/* One line, fed in chunks of chunk bytes (0: one chunk); returns the records. */
static void long_line(size_t line_len, size_t chunk, struct trecs *r)
{
        char *line = xmalloc(line_len + 1);
        _cleanup_free_ char *path = lt_path("app.log");

        unlink(path);   /* a fresh file for each call */
        for (size_t i = 0; i < line_len; i++)
                line[i] = (char)('a' + i % 26);
        line[line_len] = '\n';
        app_start(NULL, "app.log", -1);
        if (!chunk)
                chunk = line_len + 1;
        for (size_t off = 0; off < line_len + 1; off += chunk)
                ASSERT(lt_feed(&A, IO_STDOUT, line + off, line_len + 1 - off < chunk ? line_len + 1 - off : chunk));
        app_end();
        lt_read("app.log", r);
        check_rebuild(r, line, line_len + 1, "", 0);
        free(line);
}

static void expect_pieces(const struct trecs *r, size_t n_p, size_t f_len)
{
        if (r->n != n_p + 1)
                FAIL_AT("%zu records, expected %zu P and one F", r->n, n_p);
        for (size_t i = 0; i < n_p; i++) {
                ASSERT(r->v[i].partial && !r->v[i].meta && r->v[i].stream == 1);
                ASSERT_EQ(16384, r->v[i].len);
        }
        ASSERT(!r->v[n_p].partial);
        ASSERT_EQ(f_len, r->v[n_p].len);
}

/* 1 MiB + 10 bytes: 64 P records of 16 KiB and an F record of the rest,
 * whether it comes in one chunk, odd chunks or chunks of the split size. */
TEST(applog_long_line_pieces)
{
        static const size_t chunks[] = { 0, 4093, 7919, 16384, 65536, 1 << 20, 100000 };
        for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
                struct trecs r;
                long_line((1u << 20) + 10, chunks[i], &r);
                expect_pieces(&r, 64, 10);
                lt_free(&r);
        }
}

/* A line of exactly n split sizes is n-1 P records and an F record of the
 * split size (a line as long as the split size is one F record), however
 * the reads cut it: the records do not depend on the pipe's read sizes. */
TEST(applog_line_of_exact_split_size_multiple)
{
        static const size_t chunks[] = { 0, 7919, 16384, 4096, 1 << 20 };
        for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
                struct trecs r;
                long_line(1u << 20, chunks[i], &r);
                if (r.n != 64)
                        FAIL_AT("chunks of %zu: %zu records, expected 63 P and one F of 16384", chunks[i], r.n);
                expect_pieces(&r, 63, 16384);
                lt_free(&r);
                long_line(16384, chunks[i], &r);
                if (r.n != 1)
                        FAIL_AT("chunks of %zu: a 16384-byte line is %zu records, expected one F", chunks[i], r.n);
                ASSERT_EQ(16384, r.v[0].len);
                ASSERT(!r.v[0].partial);
                lt_free(&r);
        }
}

TEST(applog_stream_ending_without_newline)
{
        struct trecs r;

        app_start(NULL, "app.log", -1);
        ASSERT(lt_feeds(&A, IO_STDOUT, "a\nb"));
        ASSERT(lt_feeds(&A, IO_STDOUT, "c"));
        ASSERT(lt_feeds(&A, IO_STDERR, "x\n"));
        lt_eof(&A, IO_STDOUT);
        /* Written at eof, before the finish. */
        lt_read("app.log", &r);
        ASSERT_EQ(3, r.n);
        ASSERT_REC(&r.v[2], 1, true, false, "bc");
        lt_free(&r);
        lt_eof(&A, IO_STDERR);
        lt_finish(&A, 10000);
        lt_app_end(&A);

        lt_read("app.log", &r);
        ASSERT_EQ(3, r.n);
        ASSERT_REC(&r.v[0], 1, false, false, "a");
        ASSERT_REC(&r.v[1], 2, false, false, "x");
        ASSERT_REC(&r.v[2], 1, true, false, "bc");
        ASSERT(!memcmp(r.v[2].content - 10, " stdout P bc\n", 13));
        check_rebuild(&r, "a\nbc", 4, "x\n", 2);
        lt_free(&r);
}

TEST(applog_interleaved_streams)
{
        struct trecs r;

        app_start(NULL, "app.log", -1);
        ASSERT(lt_feeds(&A, IO_STDOUT, "ab"));
        ASSERT(lt_feeds(&A, IO_STDERR, "cd\n"));
        ASSERT(lt_feeds(&A, IO_STDOUT, "ef\ngh\n"));
        ASSERT(lt_feeds(&A, IO_STDERR, "i"));
        ASSERT(lt_feeds(&A, IO_STDOUT, "j"));
        ASSERT(lt_feeds(&A, IO_STDERR, "k\nl"));
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        lt_finish(&A, 10000);
        lt_app_end(&A);

        lt_read("app.log", &r);
        ASSERT_EQ(6, r.n);
        ASSERT_REC(&r.v[0], 2, false, false, "cd");
        ASSERT_REC(&r.v[1], 1, false, false, "abef");
        ASSERT_REC(&r.v[2], 1, false, false, "gh");
        ASSERT_REC(&r.v[3], 2, false, false, "ik");
        ASSERT_REC(&r.v[4], 1, true, false, "j");
        ASSERT_REC(&r.v[5], 2, true, false, "l");
        check_rebuild(&r, "abef\ngh\nj", 9, "cd\nik\nl", 7);
        lt_free(&r);
}

/* A waiting partial line shows up after the timeout as a P record. */
TEST(applog_partial_line_timeout)
{
        struct log_spec spec;
        struct trecs r;
        uint64_t start, waited;
        bool seen = false;

        lt_default_spec(&spec);
        spec.partial_timeout_ms = 20;
        /* The loop's clock is read at its start (libuv caches it per iteration). */
        start = now_mono_ns();
        app_start(&spec, "app.log", -1);
        ASSERT(lt_feeds(&A, IO_STDOUT, "abc"));
        ASSERT_EQ(0, lt_size("app.log"));
        while (!seen && now_mono_ns() - start < 3000000000ull) {
                uv_run(&A.loop, UV_RUN_ONCE);
                seen = lt_size("app.log") > 0;
        }
        waited = (now_mono_ns() - start) / 1000000;
        ASSERT(seen);
        ASSERT(waited >= 19);
        lt_read("app.log", &r);
        ASSERT_EQ(1, r.n);
        ASSERT_REC(&r.v[0], 1, true, false, "abc");
        lt_free(&r);

        ASSERT(lt_feeds(&A, IO_STDOUT, "def\n"));
        /* A new waiting line gets its own timeout. */
        ASSERT(lt_feeds(&A, IO_STDOUT, "gh"));
        lt_run_for(&A.loop, 100);
        ASSERT(lt_feeds(&A, IO_STDOUT, "i\n"));
        app_end();

        lt_read("app.log", &r);
        ASSERT_EQ(4, r.n);
        ASSERT_REC(&r.v[0], 1, true, false, "abc");
        ASSERT_REC(&r.v[1], 1, false, false, "def");
        ASSERT_REC(&r.v[2], 1, true, false, "gh");
        ASSERT_REC(&r.v[3], 1, false, false, "i");
        check_rebuild(&r, "abcdef\nghi\n", 11, "", 0);
        lt_free(&r);
}

/* Without a timeout (0) a waiting line waits for its newline. */
TEST(applog_partial_timeout_zero_waits)
{
        struct trecs r;

        app_start(NULL, "app.log", -1);
        ASSERT(lt_feeds(&A, IO_STDOUT, "abc"));
        lt_run_for(&A.loop, 50);
        ASSERT_EQ(0, lt_size("app.log"));
        ASSERT(lt_feeds(&A, IO_STDOUT, "def\n"));
        app_end();
        lt_read("app.log", &r);
        ASSERT_EQ(1, r.n);
        ASSERT_REC(&r.v[0], 1, false, false, "abcdef");
        lt_free(&r);
}

#define SUPPRESSED_15 "podinit: 15 lines suppressed by the rate limit (10 lines/s, burst 5)"

TEST(applog_rate_limit_at_eof)
{
        struct log_spec spec;
        struct trecs r;
        char buf[400];
        size_t n = 0;

        lt_default_spec(&spec);
        spec.rate = 10;
        spec.burst = 5;
        for (int i = 0; i < 20; i++)
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "line %d\n", i);
        app_start(&spec, "app.log", -1);
        ASSERT(lt_feed(&A, IO_STDOUT, buf, n));
        app_end();

        lt_read("app.log", &r);
        ASSERT_EQ(6, r.n);
        for (int i = 0; i < 5; i++) {
                char want[20];
                snprintf(want, sizeof(want), "line %d", i);
                ASSERT_REC(&r.v[i], 1, false, false, want);
        }
        ASSERT_REC(&r.v[5], 1, false, true, SUPPRESSED_15);
        ASSERT(strstr(r.data, " stdout F:podinit " SUPPRESSED_15 "\n"));
        ASSERT_EQ(15, A.al.suppressed_total);
        ASSERT_EQ(0, A.al.suppressed);
        ASSERT_EQ(5, A.al.lines);
        lt_free(&r);
}

/* The "suppressed" record comes before the next line that gets through; a
 * suppressed line is suppressed whole, all its pieces. */
TEST(applog_rate_limit_record_before_next_line)
{
        struct log_spec spec;
        struct trecs r;
        char buf[400], big[1001];
        size_t n = 0;

        lt_default_spec(&spec);
        spec.rate = 2;          /* slow: wide margins for a loaded machine */
        spec.burst = 5;
        spec.line_max = 128;
        for (int i = 0; i < 20; i++)
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "line %d\n", i);
        memset(big, 'b', 1000);
        big[1000] = '\n';
        app_start(&spec, "app.log", -1);
        ASSERT(lt_feed(&A, IO_STDOUT, buf, n));
        ASSERT(lt_feed(&A, IO_STDERR, big, 300));       /* suppressed: the bucket is empty */
        ASSERT(lt_feed(&A, IO_STDERR, big + 300, 701));
        ASSERT_EQ(16, A.al.suppressed_total);
        usleep(600 * 1000);                             /* 1.2 tokens */
        ASSERT(lt_feeds(&A, IO_STDERR, "late\n"));
        ASSERT(lt_feeds(&A, IO_STDERR, "later\n"));     /* the bucket is empty again */
        app_end();

        lt_read("app.log", &r);
        ASSERT_EQ(8, r.n);
        ASSERT_REC(&r.v[5], 2, false, true,
                   "podinit: 16 lines suppressed by the rate limit (2 lines/s, burst 5)");
        ASSERT_REC(&r.v[6], 2, false, false, "late");
        ASSERT_REC(&r.v[7], 1, false, true,     /* at the first eof: stdout's */
                   "podinit: 1 lines suppressed by the rate limit (2 lines/s, burst 5)");
        ASSERT_EQ(17, A.al.suppressed_total);
        lt_free(&r);
}

/* ---- the console ---------------------------------------------------------- */

static int saved_fd[3] = { -1, -1, -1 };
static char *con_path[3];

static void restore_fds(void)
{
        fflush(stdout);
        fflush(stderr);
        for (int fd = 1; fd <= 2; fd++)
                if (saved_fd[fd] >= 0) {
                        dup2(saved_fd[fd], fd);
                        close(saved_fd[fd]);
                        saved_fd[fd] = -1;
                }
}

static void dump_err_at_exit(void)
{
        _cleanup_free_ char *d = NULL;
        if (saved_fd[2] < 0)
                return;
        restore_fds();
        if (read_file_at(AT_FDCWD, con_path[2], 1 << 20, &d, NULL) == 0 && *d)
                fprintf(stderr, "  --- stderr while redirected ---\n%s", d);
}

/* Regular files on fd 1 and 2, so the console writes them directly. */
static void redirect(void)
{
        for (int fd = 1; fd <= 2; fd++) {
                int f;
                con_path[fd] = xasprintf("%s/fd%d", test_tmpdir(), fd);
                f = open(con_path[fd], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                ASSERT(f >= 0);
                fflush(fd == 1 ? stdout : stderr);
                saved_fd[fd] = dup(fd);
                ASSERT(saved_fd[fd] >= 0 && dup2(f, fd) == fd);
                close(f);
        }
        atexit(dump_err_at_exit);
}

static char *slurp(int fd)
{
        char *d = NULL;
        ASSERT_EQ(0, read_file_at(AT_FDCWD, con_path[fd], 1 << 26, &d, NULL));
        return d;
}

static void con_start(enum console_format fmt, const char *file, uint64_t line_max)
{
        struct log_spec spec;

        lt_default_spec(&spec);
        spec.line_max = line_max;
        redirect();
        app_start(&spec, file, (int)fmt);
}

TEST(applog_console_raw_lines_and_partial_line_at_eof)
{
        _cleanup_free_ char *o1 = NULL, *o2 = NULL, *e2 = NULL;
        struct trecs r;

        con_start(CONSOLE_RAW, "app.log", LOG_DEFAULT_LINE_MAX);
        ASSERT(lt_feeds(&A, IO_STDOUT, "hel"));
        ASSERT(lt_feeds(&A, IO_STDERR, "oops\n"));
        ASSERT(lt_feeds(&A, IO_STDOUT, "lo\nwor"));
        ASSERT(lt_feeds(&A, IO_STDOUT, "ld\nprompt> "));
        o1 = slurp(1);
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        lt_finish(&A, 10000);
        lt_app_end(&A);
        restore_fds();
        o2 = slurp(1);
        e2 = slurp(2);
        /* Nothing of a line is written before it is complete (no timeout here). */
        ASSERT_STREQ("hello\nworld\n", o1);
        ASSERT_STREQ("hello\nworld\nprompt> ", o2);
        ASSERT_STREQ("oops\n", e2);
        /* The file has the same lines. */
        lt_read("app.log", &r);
        check_rebuild(&r, "hello\nworld\nprompt> ", 20, "oops\n", 5);
        lt_free(&r);
}

TEST(applog_console_rkt_format_on_stdout)
{
        _cleanup_free_ char *o = NULL, *e = NULL;
        regex_t re;

        con_start(CONSOLE_RKT, NULL, LOG_DEFAULT_LINE_MAX);
        ASSERT(lt_feeds(&A, IO_STDOUT, "line\n"));
        ASSERT(lt_feeds(&A, IO_STDERR, "line\n"));
        ASSERT(lt_feeds(&A, IO_STDOUT, "li"));
        ASSERT(lt_feeds(&A, IO_STDOUT, "ne"));
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        lt_finish(&A, 10000);
        lt_app_end(&A);
        restore_fds();
        o = slurp(1);
        e = slurp(2);
        ASSERT_EQ(0, regcomp(&re, "^(\\[ *[0-9]+\\.[0-9]{6}\\] app\\[7\\]: line\n){3}$", REG_EXTENDED));
        if (regexec(&re, o, 0, NULL, 0) != 0)
                FAIL_AT("unexpected rkt console output:\n%s", o);
        regfree(&re);
        ASSERT_STREQ("", e);            /* rkt puts both streams on stdout */
}

TEST(applog_console_none_writes_nothing)
{
        _cleanup_free_ char *o = NULL, *e = NULL;
        struct trecs r;

        con_start(CONSOLE_NONE, "app.log", LOG_DEFAULT_LINE_MAX);
        ASSERT(lt_feeds(&A, IO_STDOUT, "a\nb"));
        ASSERT(lt_feeds(&A, IO_STDERR, "c\n"));
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        lt_finish(&A, 10000);
        lt_app_end(&A);
        restore_fds();
        o = slurp(1);
        e = slurp(2);
        ASSERT_STREQ("", o);
        ASSERT_STREQ("", e);
        lt_read("app.log", &r);
        ASSERT_EQ(3, r.n);
        lt_free(&r);
}

/* A long line is written in pieces, no byte lost: raw concatenates them,
 * rkt prints each piece as a prefixed line. */
static void console_long_line(enum console_format fmt, size_t chunk)
{
        size_t n = 128 * 3 + 123;
        char *big = xmalloc(n + 1);
        _cleanup_free_ char *o = NULL, *e = NULL;

        for (size_t i = 0; i < n; i++)
                big[i] = (char)('a' + i % 26);
        big[n] = '\n';
        con_start(fmt, "app.log", 128);
        if (!chunk)
                chunk = n + 1;
        for (size_t off = 0; off < n + 1; off += chunk)
                ASSERT(lt_feed(&A, IO_STDERR, big + off, n + 1 - off < chunk ? n + 1 - off : chunk));
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        lt_finish(&A, 10000);
        lt_app_end(&A);
        restore_fds();
        o = slurp(1);
        e = slurp(2);
        if (fmt == CONSOLE_RAW) {
                ASSERT_STREQ("", o);
                ASSERT_MEMEQ(big, n + 1, e, strlen(e));
        } else {
                regex_t re;
                regmatch_t m[2];
                char *p = o, *joined = xmalloc(n + 1);
                size_t k = 0, lines = 0;
                ASSERT_STREQ("", e);
                ASSERT_EQ(0, regcomp(&re, "^\\[ *[0-9]+\\.[0-9]{6}\\] app\\[7\\]: ([a-z]*)\n", REG_EXTENDED));
                while (*p) {
                        size_t l;
                        if (regexec(&re, p, 2, m, 0) != 0)
                                FAIL_AT("unexpected rkt console line: %s", p);
                        l = (size_t)(m[1].rm_eo - m[1].rm_so);
                        ASSERT(l <= 128 && k + l <= n);
                        memcpy(joined + k, p + m[1].rm_so, l);
                        k += l;
                        lines++;
                        p += m[0].rm_eo;
                }
                regfree(&re);
                ASSERT_EQ(4, lines);
                ASSERT_MEMEQ(big, n, joined, k);
                free(joined);
        }
        {
                struct trecs r;
                lt_read("app.log", &r);
                check_rebuild(&r, "", 0, big, n + 1);
                ASSERT_EQ(4, r.n);
                lt_free(&r);
        }
        free(big);
}

TEST(applog_console_long_line_split_not_lost)
{
        console_long_line(CONSOLE_RAW, 100);
}

TEST(applog_console_long_line_in_one_chunk)
{
        console_long_line(CONSOLE_RAW, 0);
}

TEST(applog_console_rkt_long_line_pieces)
{
        console_long_line(CONSOLE_RKT, 77);
}

/* Without a log file (console only), finish calls done at once. */
TEST(applog_no_file_console_only)
{
        _cleanup_free_ char *o = NULL;

        con_start(CONSOLE_RAW, NULL, LOG_DEFAULT_LINE_MAX);
        ASSERT(lt_feeds(&A, IO_STDOUT, "x\ny"));
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        app_log_finish(&A.al, lt_on_done, &A);
        ASSERT_EQ(1, A.done);
        lt_app_end(&A);
        restore_fds();
        o = slurp(1);
        ASSERT_STREQ("x\ny", o);
}

/* Read what is in the pipe now (non-blocking) into buf. */
static void drain(int fd, char *buf, size_t cap, size_t *len)
{
        for (;;) {
                ssize_t n = read(fd, buf + *len, cap - *len > 65536 ? 65536 : cap - *len);
                if (n <= 0)
                        break;
                *len += (size_t)n;
        }
}

/* A console pipe nobody reads: past the high-water mark the sink says
 * "full" and waits; once the reader catches up it is resumed; nothing is
 * lost and nothing reordered. */
TEST(applog_console_pipe_backpressure)
{
        size_t total = 4u << 20, line = 1000, fed = 0, got = 0;
        char *in = xmalloc(total), *out = xmalloc(total + 1);
        int p[2];
        bool paused = false;
        uint64_t t0;

        for (size_t i = 0; i < total; i++)
                in[i] = (i + 1) % line == 0 ? '\n' : (char)('a' + (i / line) % 26);
        ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
        ASSERT_EQ(0, fd_set_nonblock(p[0], 1));
        fflush(stdout);
        saved_fd[1] = dup(1);
        ASSERT(saved_fd[1] >= 0 && dup2(p[1], 1) == 1);
        close(p[1]);
        atexit(restore_fds);

        app_start(NULL, NULL, CONSOLE_RAW);
        while (fed < total) {
                size_t c = total - fed < 65536 ? total - fed : 65536;
                bool ok = lt_feed(&A, IO_STDOUT, in + fed, c);
                fed += c;
                if (!ok) {
                        paused = true;
                        ASSERT(A.al.s[0].con_waiter.waiting);
                        /* The reader catches up: the writer is resumed. */
                        t0 = now_mono_ns();
                        while (A.al.s[0].con_waiter.waiting && now_mono_ns() - t0 < 5000000000ull) {
                                drain(p[0], out, total, &got);
                                uv_run(&A.loop, UV_RUN_NOWAIT);
                        }
                        ASSERT(!A.al.s[0].con_waiter.waiting);
                }
        }
        ASSERT(paused);
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        app_log_finish(&A.al, lt_on_done, &A);
        ASSERT_EQ(1, A.done);
        app_log_close(&A.al);
        console_close(A.con);
        t0 = now_mono_ns();
        while (got < total && now_mono_ns() - t0 < 5000000000ull) {
                drain(p[0], out, total, &got);
                uv_run(&A.loop, UV_RUN_NOWAIT);
        }
        uv_run(&A.loop, UV_RUN_DEFAULT);
        ASSERT_EQ(0, uv_loop_close(&A.loop));
        app_log_free(&A.al);
        console_free(A.con);
        restore_fds();
        drain(p[0], out, total, &got);
        ASSERT_MEMEQ(in, total, out, got);
        close(p[0]);
        free(in);
        free(out);
}

/* App names are ACNames of up to 253 characters: the rkt prefix holds them whole. */
TEST(applog_console_rkt_long_app_name)
{
        char name[254], pattern[400];
        _cleanup_free_ char *o = NULL;
        struct log_spec spec;
        regex_t re;

        memset(name, 'n', 253);
        name[253] = '\0';
        ASSERT(acname_valid(name));
        lt_default_spec(&spec);
        memset(&A, 0, sizeof(A));
        A.spec = spec;
        A.pid = 2147483647;
        redirect();
        ASSERT_EQ(0, uv_loop_init(&A.loop));
        ASSERT_EQ(0, console_open(&A.loop, CONSOLE_RKT, &A.con));
        app_log_init(&A.al, &A.loop, name, &A.pid, &A.spec, NULL, A.con);
        ASSERT(lt_feeds(&A, IO_STDOUT, "hello\n"));
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        lt_finish(&A, 1000);
        lt_app_end(&A);
        restore_fds();
        o = slurp(1);
        snprintf(pattern, sizeof(pattern), "^\\[ *[0-9]+\\.[0-9]{6}\\] %s\\[2147483647\\]: hello\n$", name);
        ASSERT_EQ(0, regcomp(&re, pattern, REG_EXTENDED));
        if (regexec(&re, o, 0, NULL, 0) != 0)
                FAIL_AT("unexpected rkt console output:\n%s", o);
        regfree(&re);
}
