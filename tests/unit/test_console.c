/* The console log sink: line assembly and formats, writing to a regular file. */
#include "test.h"
#include "common/fdutil.h"
#include "common/manifest.h"
#include "logger/console.h"

#include <fcntl.h>
#include <regex.h>

/* Point fd 1 and 2 at files in the test directory; returns their paths. */
static void redirect(char **out, char **err)
{
        *out = xasprintf("%s/out", test_tmpdir());
        *err = xasprintf("%s/err", test_tmpdir());
        int o = open(*out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(*err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ASSERT(o >= 0 && e >= 0);
        ASSERT(dup2(o, 1) == 1 && dup2(e, 2) == 2);
        close(o);
        close(e);
}

static char *slurp(const char *path)
{
        char *d = NULL;
        ASSERT_EQ(0, read_file_at(AT_FDCWD, path, 1 << 24, &d, NULL));
        return d;
}

static void feed(struct log_sink *s, const char *data)
{
        ASSERT(s->base.data(&s->base, NULL, data, strlen(data)));
}

TEST(console_raw_lines_and_partial_line_at_eof)
{
        uv_loop_t loop;
        struct console *c;
        struct log_sink so, se;
        pid_t pid = 42;
        char *out, *err;

        redirect(&out, &err);
        ASSERT_EQ(0, uv_loop_init(&loop));
        ASSERT_EQ(0, console_open(&loop, CONSOLE_RAW, &c));
        log_sink_init(&so, c, "web", &pid, IO_STDOUT);
        log_sink_init(&se, c, "web", &pid, IO_STDERR);
        feed(&so, "hel");
        feed(&se, "oops\n");
        feed(&so, "lo\nwor");
        feed(&so, "ld\nprompt> ");
        /* Nothing of a line is written before it is complete. */
        char *o1 = slurp(out);
        ASSERT_STREQ("hello\nworld\n", o1);
        free(o1);
        so.base.eof(&so.base, NULL);
        char *o2 = slurp(out), *e2 = slurp(err);
        ASSERT_STREQ("hello\nworld\nprompt> ", o2);
        ASSERT_STREQ("oops\n", e2);
        free(o2);
        free(e2);
        log_sink_done(&so);
        log_sink_done(&se);
        console_close(c);
        uv_run(&loop, UV_RUN_DEFAULT);
        ASSERT_EQ(0, uv_loop_close(&loop));
        console_free(c);
        free(out);
        free(err);
}

TEST(console_rkt_format_prefixes_every_line_on_stdout)
{
        uv_loop_t loop;
        struct console *c;
        struct log_sink so, se;
        pid_t pid = 7;
        char *out, *err, *o;
        regex_t re;

        redirect(&out, &err);
        ASSERT_EQ(0, uv_loop_init(&loop));
        ASSERT_EQ(0, console_open(&loop, CONSOLE_RKT, &c));
        log_sink_init(&so, c, "ace-main", &pid, IO_STDOUT);
        log_sink_init(&se, c, "ace-main", &pid, IO_STDERR);
        feed(&so, "main OK\n");
        feed(&se, "warn\n");
        feed(&so, "tail");
        so.base.eof(&so.base, NULL);
        o = slurp(out);
        ASSERT_EQ(0, regcomp(&re, "^\\[ *[0-9]+\\.[0-9]{6}\\] ace-main\\[7\\]: main OK\n"
                                  "\\[ *[0-9]+\\.[0-9]{6}\\] ace-main\\[7\\]: warn\n"
                                  "\\[ *[0-9]+\\.[0-9]{6}\\] ace-main\\[7\\]: tail\n$", REG_EXTENDED));
        if (regexec(&re, o, 0, NULL, 0) != 0)
                FAIL_AT("unexpected rkt console output:\n%s", o);
        regfree(&re);
        free(o);
        o = slurp(err);
        ASSERT_STREQ("", o);                    /* rkt puts both streams on stdout */
        free(o);
        log_sink_done(&so);
        log_sink_done(&se);
        console_close(c);
        uv_run(&loop, UV_RUN_DEFAULT);
        ASSERT_EQ(0, uv_loop_close(&loop));
        console_free(c);
        free(out);
        free(err);
}

/* A line longer than CONSOLE_MAX_LINE is written in pieces, no byte lost. */
TEST(console_long_line_is_split_not_lost)
{
        uv_loop_t loop;
        struct console *c;
        struct log_sink so;
        pid_t pid = 1;
        char *out, *err, *o;
        size_t n = CONSOLE_MAX_LINE * 3 + 123;
        char *big = xmalloc(n + 2);

        for (size_t i = 0; i < n; i++)
                big[i] = (char)('a' + i % 26);
        big[n] = '\n';
        big[n + 1] = '\0';
        redirect(&out, &err);
        ASSERT_EQ(0, uv_loop_init(&loop));
        ASSERT_EQ(0, console_open(&loop, CONSOLE_RAW, &c));
        log_sink_init(&so, c, "a", &pid, IO_STDOUT);
        /* In odd-sized chunks. */
        for (size_t off = 0; off < n + 1; off += 1000) {
                size_t len = n + 1 - off < 1000 ? n + 1 - off : 1000;
                ASSERT(so.base.data(&so.base, NULL, big + off, len));
        }
        so.base.eof(&so.base, NULL);
        o = slurp(out);
        ASSERT_EQ(n + 1, strlen(o));
        ASSERT(!memcmp(o, big, n + 1));
        free(o);
        free(big);
        log_sink_done(&so);
        console_close(c);
        uv_run(&loop, UV_RUN_DEFAULT);
        ASSERT_EQ(0, uv_loop_close(&loop));
        console_free(c);
        free(out);
        free(err);
}

/* A long line arriving in one chunk, before any partial line existed. */
TEST(console_long_line_in_one_chunk)
{
        uv_loop_t loop;
        struct console *c;
        struct log_sink so;
        pid_t pid = 1;
        char *out, *err, *o;
        size_t n = CONSOLE_MAX_LINE * 2 + 7;
        char *big = xmalloc(n + 1);

        memset(big, 'q', n);
        big[n] = '\n';
        redirect(&out, &err);
        ASSERT_EQ(0, uv_loop_init(&loop));
        ASSERT_EQ(0, console_open(&loop, CONSOLE_RAW, &c));
        log_sink_init(&so, c, "a", &pid, IO_STDOUT);
        ASSERT(so.base.data(&so.base, NULL, big, n + 1));
        so.base.eof(&so.base, NULL);
        o = slurp(out);
        ASSERT_EQ(n + 1, strlen(o));
        ASSERT(!memcmp(o, big, n + 1));
        free(o);
        free(big);
        log_sink_done(&so);
        console_close(c);
        uv_run(&loop, UV_RUN_DEFAULT);
        ASSERT_EQ(0, uv_loop_close(&loop));
        console_free(c);
        free(out);
        free(err);
}
