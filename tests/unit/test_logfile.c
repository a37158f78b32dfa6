/*
 * Unit tests for logger/logfile.c: rotation, write failures under the drop
 * and block policies (made with RLIMIT_FSIZE: each test is its own process),
 * the deadline at finish, and reopen.
 */
#include <signal.h>
#include <sys/resource.h>

#include "logtest.h"

#define FSIZE_LIMIT 8192

static struct lt_app A;

static void app_start(const struct log_spec *spec)
{
        memset(&A, 0, sizeof(A));
        A.spec = *spec;
        lt_app_start(&A, "app.log", -1);
}

static void app_end(void)
{
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        lt_finish(&A, 10000);
        lt_app_end(&A);
}

static struct log_file_stats stats(void)
{
        struct log_file_stats st;
        log_file_stats(A.file, &st);
        return st;
}

/* Writes past FSIZE_LIMIT bytes fail with EFBIG (or are cut short at it). */
static void limit_file_size(bool on)
{
        struct rlimit rl;

        signal(SIGXFSZ, SIG_IGN);
        ASSERT_EQ(0, getrlimit(RLIMIT_FSIZE, &rl));
        if (on && rl.rlim_max != RLIM_INFINITY && rl.rlim_max < FSIZE_LIMIT)
                FAIL_AT("RLIMIT_FSIZE hard limit %llu is below %d", (unsigned long long)rl.rlim_max, FSIZE_LIMIT);
        rl.rlim_cur = on ? FSIZE_LIMIT : rl.rlim_max;
        ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &rl));
}

/* The number at the start of a record's content ("0042 ..."), or -1. */
static long num(const struct trec *t)
{
        long v = 0;
        size_t i;

        for (i = 0; i < t->len && i < 4; i++) {
                if (t->content[i] < '0' || t->content[i] > '9')
                        return -1;
                v = v * 10 + (t->content[i] - '0');
        }
        return i == 4 ? v : -1;
}

static size_t numbered_line(char *buf, size_t size, int i)
{
        return (size_t)snprintf(buf, size, "%04d the quick brown fox jumps over the lazy dog\n", i);
}

static int count(const char *hay, const char *needle)
{
        int n = 0;
        for (const char *p = hay; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

/* ---- rotation ----------------------------------------------------------------- */

TEST(logfile_rotation_keeps_max_files_and_every_line_once)
{
        struct log_spec spec;
        struct trecs r[3];
        const char *names[3] = { "app.log.2", "app.log.1", "app.log" };
        struct log_file_stats st;
        uint64_t s = 42;
        char buf[64 * 20];
        long next = -1;
        int i = 0;

        lt_default_spec(&spec);
        spec.max_size = 4096;
        spec.max_files = 2;
        app_start(&spec);
        while (i < 1000) {
                size_t n = 0;
                int k = 1 + (int)(lt_rand(&s) % 13);
                for (; k > 0 && i < 1000; k--, i++)
                        n += numbered_line(buf + n, sizeof(buf) - n, i);
                ASSERT(lt_feed(&A, IO_STDOUT, buf, n));
        }
        st = stats();
        ASSERT(st.rotations > 20);
        ASSERT_EQ(0, st.write_errors);
        ASSERT_EQ(1000, st.records);
        app_end();

        ASSERT(lt_exists("app.log") && lt_exists("app.log.1") && lt_exists("app.log.2"));
        ASSERT(!lt_exists("app.log.3"));
        for (int f = 0; f < 3; f++) {
                lt_read(names[f], &r[f]);
                ASSERT(r[f].n > 0);
                /* Rotated files end at most one record past the size. */
                if (f < 2) {
                        ASSERT(r[f].size >= 4096);
                        ASSERT(r[f].size - r[f].v[r[f].n - 1].line_len < 4096);
                }
                for (size_t k = 0; k < r[f].n; k++) {
                        long v = num(&r[f].v[k]);
                        ASSERT(!r[f].v[k].partial && !r[f].v[k].meta && r[f].v[k].stream == 1);
                        if (next >= 0 && v != next)
                                FAIL_AT("%s: record %zu is line %ld, expected %ld", names[f], k, v, next);
                        next = v + 1;
                }
        }
        ASSERT_EQ(1000, next);
        for (int f = 0; f < 3; f++)
                lt_free(&r[f]);
}

/* A line cut into P records stays in one file while the file is under twice
 * the size, even when its pieces come in separate reads and the other
 * stream's lines come in between. */
TEST(logfile_rotation_never_splits_a_line_under_twice_the_size)
{
        struct log_spec spec;
        size_t line_len = 1000, out_len = 0, err_len = 0;
        char *out = xmalloc(60 * (line_len + 1)), *err = xmalloc(60 * 4 * 7);
        char *all_out, *all_err;
        size_t aol = 0, ael = 0;
        struct log_file_stats st;
        int nfiles;

        lt_default_spec(&spec);
        spec.max_size = 4096;
        spec.max_files = 100;
        spec.line_max = 128;
        app_start(&spec);
        for (int i = 0; i < 60; i++) {
                char *l = out + out_len;
                snprintf(l, line_len, "%04d", i);
                memset(l + 4, 'a' + i % 26, line_len - 4);
                l[line_len] = '\n';
                out_len += line_len + 1;
                for (size_t off = 0; off < line_len + 1; off += 300) {
                        char e[16];
                        size_t c = line_len + 1 - off < 300 ? line_len + 1 - off : 300;
                        ASSERT(lt_feed(&A, IO_STDOUT, l + off, c));
                        snprintf(e, sizeof(e), "e%02d%03zu\n", i, off);
                        ASSERT(lt_feed(&A, IO_STDERR, e, 7));
                        memcpy(err + err_len, e, 7);
                        err_len += 7;
                }
        }
        st = stats();
        app_end();
        ASSERT(st.rotations >= 5);
        nfiles = (int)st.rotations + 1;
        all_out = xmalloc(out_len + 1);
        all_err = xmalloc(err_len + 1);
        for (int f = nfiles - 1; f >= 0; f--) {
                _cleanup_free_ char *name = f ? xasprintf("app.log.%d", f) : xstrdup("app.log");
                struct trecs r;
                size_t n;
                char *b;
                lt_read(name, &r);
                ASSERT(r.size < 2 * 4096);
                /* Each stream's last record in each file ends a line. */
                for (int s = 1; s <= 2; s++)
                        for (size_t k = r.n; k-- > 0;)
                                if (r.v[k].stream == s) {
                                        if (r.v[k].partial)
                                                FAIL_AT("%s ends in the middle of a %s line", name,
                                                        s == 1 ? "stdout" : "stderr");
                                        break;
                                }
                b = lt_rebuild(&r, 1, &n);
                ASSERT(aol + n <= out_len);
                memcpy(all_out + aol, b, n);
                aol += n;
                free(b);
                b = lt_rebuild(&r, 2, &n);
                ASSERT(ael + n <= err_len);
                memcpy(all_err + ael, b, n);
                ael += n;
                free(b);
                lt_free(&r);
        }
        ASSERT(!lt_exists("app.log.0"));
        ASSERT_MEMEQ(out, out_len, all_out, aol);
        ASSERT_MEMEQ(err, err_len, all_err, ael);
        free(out);
        free(err);
        free(all_out);
        free(all_err);
}

/* A stream that stays in the middle of one line is rotated anyway past
 * twice the size: the file does not grow without bound. */
TEST(logfile_rotation_of_an_endless_line_at_twice_the_size)
{
        struct log_spec spec;
        size_t n = 40000;
        char *line = xmalloc(n);
        struct log_file_stats st;
        _cleanup_free_ char *all = xmalloc(n + 1);
        size_t k = 0;

        memset(line, 'q', n);
        lt_default_spec(&spec);
        spec.max_size = 4096;
        spec.max_files = 100;
        spec.line_max = 128;
        app_start(&spec);
        for (size_t off = 0; off < n; off += 1000)
                ASSERT(lt_feed(&A, IO_STDOUT, line + off, 1000));
        ASSERT(lt_feeds(&A, IO_STDOUT, "\n"));
        st = stats();
        app_end();
        ASSERT(st.rotations >= 2);
        for (int f = (int)st.rotations; f >= 0; f--) {
                _cleanup_free_ char *name = f ? xasprintf("app.log.%d", f) : xstrdup("app.log");
                struct trecs r;
                size_t bl;
                char *b;
                lt_read(name, &r);
                /* Rotated past twice the size, within one read's records. */
                if (f)
                        ASSERT(r.size >= 2 * 4096 && r.size < 2 * 4096 + 1000 + 8 * CRI_HEAD_MAX);
                b = lt_rebuild(&r, 1, &bl);
                ASSERT(k + bl <= n + 1);
                memcpy(all + k, b, bl);
                k += bl;
                free(b);
                lt_free(&r);
        }
        ASSERT_EQ(n + 1, k);
        ASSERT(!memcmp(all, line, n) && all[n] == '\n');
        free(line);
}

/* ---- write failures: drop --------------------------------------------------------- */

TEST(logfile_drop_policy_counts_and_records_the_loss)
{
        struct log_spec spec;
        struct log_file_stats st;
        struct trecs r;
        char buf[64 * 10], want[300];
        uint64_t lost_bytes = 0, lost_records = 0;
        long last_kept;
        _cleanup_free_ char *msgs = NULL;

        lt_capture_stderr();
        limit_file_size(true);
        lt_default_spec(&spec);
        spec.policy = LOG_DROP;
        spec.buffer = 1024;
        app_start(&spec);
        for (int i = 0; i < 500; i += 10) {
                size_t n = 0;
                for (int k = i; k < i + 10; k++)
                        n += numbered_line(buf + n, sizeof(buf) - n, k);
                ASSERT(lt_feed(&A, IO_STDOUT, buf, n));         /* drop never pauses */
        }
        st = stats();
        ASSERT(st.failing);
        ASSERT(st.dropped_bytes > 0);
        ASSERT(st.dropped_records > 0);
        ASSERT(st.write_errors > 0);
        ASSERT_EQ(EFBIG, st.last_errno);
        ASSERT(st.buffered > 0 && st.buffered <= 1024);

        /* The file is valid CRI at every moment: whole records, lines 0..k in order. */
        lt_read("app.log", &r);
        ASSERT(r.size <= FSIZE_LIMIT && r.size > FSIZE_LIMIT - 200);
        for (size_t k = 0; k < r.n; k++)
                ASSERT_EQ((long)k, num(&r.v[k]));
        lt_free(&r);

        /* Writes work again: the retry timer writes what was held, then says what was lost. */
        limit_file_size(false);
        lt_run_for(&A.loop, LOG_RETRY_MS + 300);
        st = stats();
        ASSERT(!st.failing);
        ASSERT_EQ(0, st.last_errno);
        ASSERT_EQ(0, st.buffered);
        ASSERT(lt_feeds(&A, IO_STDOUT, "after\n"));
        app_end();

        lt_read("app.log", &r);
        ASSERT(r.n >= 3);
        ASSERT_REC(&r.v[r.n - 1], 1, false, false, "after");
        ASSERT(r.v[r.n - 2].meta && r.v[r.n - 2].stream == 2 && !r.v[r.n - 2].partial);
        for (size_t k = 0; k < r.n - 2; k++) {
                ASSERT(!r.v[k].meta);
                ASSERT_EQ((long)k, num(&r.v[k]));
        }
        last_kept = (long)r.n - 3;
        for (long k = last_kept + 1; k < 500; k++) {
                lost_bytes += numbered_line(buf, sizeof(buf), (int)k) - 1;
                lost_records++;
        }
        ASSERT_EQ(lost_bytes, st.dropped_bytes);
        ASSERT_EQ(lost_records, st.dropped_records);
        snprintf(want, sizeof(want),
                 "podinit: %llu bytes in %llu records of output were dropped: the log could not be written (%s)",
                 (unsigned long long)lost_bytes, (unsigned long long)lost_records, strerror(EFBIG));
        ASSERT_REC(&r.v[r.n - 2], 2, false, true, want);
        ASSERT(strstr(r.data, " stderr F:podinit podinit: "));
        lt_free(&r);

        /* One message when the writes start failing, one when they work again. */
        msgs = lt_captured();
        ASSERT_CONTAINS(msgs, "writing the log file app.log: File too large; holding up to 1024 bytes");
        ASSERT_CONTAINS(msgs, "policy drop");
        ASSERT_EQ(1, count(msgs, "writing the log file"));
        ASSERT_EQ(1, count(msgs, "can be written again"));
        ASSERT_CONTAINS(msgs, "can be written again; the loss is recorded in it");
        lt_release_stderr();
}

/* ---- write failures: block ---------------------------------------------------------- */

struct test_waiter {
        struct waiter w;
        int resumed;
};

static void on_resume(struct waiter *w)
{
        container_of(w, struct test_waiter, w)->resumed++;
}

static void record_line(struct log_file *f, int i)
{
        char buf[80], ts[CRI_TIMESTAMP_LEN + 1];
        size_t n = numbered_line(buf, sizeof(buf), i);

        cri_timestamp(now_real_ns(), ts);
        log_file_record(f, ts, 1, false, false, buf, n - 1);
}

static void on_done(void *arg)
{
        (*(int *)arg)++;
}

/* Past the buffer, flush says "pause" and registers the waiter; after the
 * limit is lifted the retry timer writes everything and resumes it. */
TEST(logfile_block_policy_waits_and_loses_nothing)
{
        struct log_spec spec;
        struct test_waiter tw = { .w = { .resume = on_resume } };
        struct log_file_stats st;
        struct log_file *f;
        uv_loop_t loop;
        struct trecs r;
        int i, paused_at = -1, done = 0;

        lt_capture_stderr();
        limit_file_size(true);
        lt_default_spec(&spec);
        spec.buffer = 1024;
        ASSERT_EQ(0, uv_loop_init(&loop));
        f = lt_open_file(&loop, "app.log", &spec);
        for (i = 0; i < 1000; i++) {
                record_line(f, i);
                if (!log_file_flush(f, &tw.w)) {
                        paused_at = i;
                        break;
                }
                log_file_stats(f, &st);
                /* Until the bound is passed, flush says "go on" even while failing. */
                ASSERT(st.buffered <= 1024);
        }
        ASSERT(paused_at > 0);
        log_file_stats(f, &st);
        ASSERT(st.failing);
        ASSERT(st.buffered > 1024);
        ASSERT_EQ(0, st.dropped_bytes);
        ASSERT(tw.w.waiting);
        /* Asking again keeps one registration. */
        ASSERT(!log_file_flush(f, &tw.w));
        ASSERT(tw.w.waiting && tw.w.next == NULL);
        lt_run_for(&loop, LOG_RETRY_MS + 200);
        ASSERT_EQ(0, tw.resumed);               /* still failing: still waiting */

        limit_file_size(false);
        {
                uint64_t t0 = now_mono_ns();
                while (!tw.resumed && now_mono_ns() - t0 < 3000000000ull)
                        uv_run(&loop, UV_RUN_ONCE);
        }
        ASSERT_EQ(1, tw.resumed);
        ASSERT(!tw.w.waiting);
        log_file_stats(f, &st);
        ASSERT(!st.failing);
        ASSERT_EQ(0, st.buffered);
        for (i = paused_at + 1; i < 300; i++) {
                record_line(f, i);
                ASSERT(log_file_flush(f, &tw.w));
        }
        log_file_finish(f, on_done, &done);
        ASSERT_EQ(1, done);
        log_file_stats(f, &st);
        ASSERT_EQ(0, st.dropped_bytes);
        ASSERT_EQ(300, st.records);
        log_file_close(f);
        uv_run(&loop, UV_RUN_DEFAULT);
        ASSERT_EQ(0, uv_loop_close(&loop));
        log_file_free(f);

        lt_read("app.log", &r);
        ASSERT_EQ(300, r.n);
        for (size_t k = 0; k < r.n; k++) {
                ASSERT(!r.v[k].meta);
                ASSERT_EQ((long)k, num(&r.v[k]));
        }
        lt_free(&r);
        lt_release_stderr();
}

/* The same through the app's logger: its sink says "full" (the io_out pauses). */
TEST(logfile_block_policy_pauses_the_sink)
{
        struct log_spec spec;
        struct log_file_stats st;
        struct trecs r;
        char buf[64 * 10];
        int i, paused_at = -1;

        lt_capture_stderr();
        limit_file_size(true);
        lt_default_spec(&spec);
        spec.buffer = 1024;
        app_start(&spec);
        for (i = 0; i < 1000; i += 10) {
                size_t n = 0;
                for (int k = i; k < i + 10; k++)
                        n += numbered_line(buf + n, sizeof(buf) - n, k);
                if (!lt_feed(&A, IO_STDOUT, buf, n)) {
                        paused_at = i;
                        break;
                }
        }
        ASSERT(paused_at > 0);
        ASSERT(A.al.s[0].file_waiter.waiting);
        limit_file_size(false);
        lt_run_for(&A.loop, LOG_RETRY_MS + 300);
        st = stats();
        ASSERT(!st.failing);
        ASSERT(!A.al.s[0].file_waiter.waiting);
        for (i = paused_at + 10; i < 300; i += 10) {
                size_t n = 0;
                for (int k = i; k < i + 10; k++)
                        n += numbered_line(buf + n, sizeof(buf) - n, k);
                ASSERT(lt_feed(&A, IO_STDOUT, buf, n));
        }
        app_end();
        lt_read("app.log", &r);
        ASSERT_EQ(300, r.n);
        for (size_t k = 0; k < r.n; k++)
                ASSERT_EQ((long)k, num(&r.v[k]));
        lt_free(&r);
        lt_release_stderr();
}

/* ---- finish ------------------------------------------------------------------------ */

/* At the app's end a file that cannot be written gets LOG_FINISH_DEADLINE_MS;
 * then done is called and what is left counts as dropped. */
TEST(logfile_finish_with_a_failing_file_gives_up_after_the_deadline)
{
        struct log_spec spec;
        struct log_file_stats st;
        struct trecs r;
        char buf[64 * 10];
        uint64_t buffered, t0, ms;
        size_t records_before;
        _cleanup_free_ char *msgs = NULL;

        lt_capture_stderr();
        limit_file_size(true);
        lt_default_spec(&spec);
        spec.buffer = 1 << 20;
        app_start(&spec);
        for (int i = 0; i < 300; i += 10) {
                size_t n = 0;
                for (int k = i; k < i + 10; k++)
                        n += numbered_line(buf + n, sizeof(buf) - n, k);
                ASSERT(lt_feed(&A, IO_STDOUT, buf, n));
        }
        ASSERT(lt_feeds(&A, IO_STDERR, "tail"));
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        st = stats();
        ASSERT(st.failing);
        ASSERT_EQ(0, st.dropped_bytes);
        buffered = st.buffered;
        ASSERT(buffered > 10000);
        lt_read("app.log", &r);
        records_before = r.n;
        lt_free(&r);

        t0 = now_mono_ns();
        lt_finish(&A, 15000);
        ms = (now_mono_ns() - t0) / 1000000;
        if (ms < LOG_FINISH_DEADLINE_MS - 100 || ms > LOG_FINISH_DEADLINE_MS + 2000)
                FAIL_AT("done after %llu ms, expected about %d", (unsigned long long)ms, LOG_FINISH_DEADLINE_MS);
        st = stats();
        ASSERT_EQ(buffered, st.dropped_bytes);
        ASSERT_EQ(0, st.buffered);
        lt_app_end(&A);

        lt_read("app.log", &r);
        ASSERT_EQ(records_before, r.n);
        /* Every record that did not make it is counted. */
        ASSERT_EQ(301, st.records);
        ASSERT_EQ(st.records - r.n, st.dropped_records);
        lt_free(&r);
        msgs = lt_captured();
        ASSERT_CONTAINS(msgs, "could not be written for 5000 ms after the app ended");
        lt_release_stderr();
}

/* Finish writes everything queued and calls done once, at once. */
TEST(logfile_finish_writes_everything)
{
        struct log_spec spec;
        struct trecs r;

        lt_default_spec(&spec);
        app_start(&spec);
        ASSERT(lt_feeds(&A, IO_STDOUT, "a\nb"));
        lt_eof(&A, IO_STDOUT);
        lt_eof(&A, IO_STDERR);
        app_log_finish(&A.al, lt_on_done, &A);
        ASSERT_EQ(1, A.done);
        lt_run_for(&A.loop, 50);
        ASSERT_EQ(1, A.done);
        lt_app_end(&A);
        lt_read("app.log", &r);
        ASSERT_EQ(2, r.n);
        ASSERT_REC(&r.v[1], 1, true, false, "b");
        lt_free(&r);
}

/* ---- reopen ------------------------------------------------------------------------- */

TEST(logfile_reopen_after_rename)
{
        struct log_spec spec;
        struct pod_err err = { 0 };
        struct trecs r;
        _cleanup_free_ char *p = lt_path("app.log"), *old = lt_path("app.log.old");

        lt_default_spec(&spec);
        app_start(&spec);
        ASSERT(lt_feeds(&A, IO_STDOUT, "1\n2\n3\n"));
        ASSERT_EQ(0, rename(p, old));
        ASSERT(lt_feeds(&A, IO_STDOUT, "4\n"));
        ASSERT(lt_feeds(&A, IO_STDERR, "5\n"));
        ASSERT(!lt_exists("app.log"));

        /* A directory in the way: an error, and the old file goes on. */
        ASSERT_EQ(0, mkdir(p, 0755));
        ASSERT(log_file_reopen(A.file, &err) < 0);
        ASSERT_CONTAINS(err.msg, "app.log");
        ASSERT(lt_feeds(&A, IO_STDOUT, "5b\n"));
        ASSERT_EQ(0, rmdir(p));

        memset(&err, 0, sizeof(err));
        ASSERT_EQ(0, log_file_reopen(A.file, &err));
        ASSERT(lt_exists("app.log"));
        ASSERT(lt_feeds(&A, IO_STDOUT, "6\n7\n"));
        ASSERT_EQ(1, stats().reopens);
        ASSERT_EQ(2 * (CRI_TIMESTAMP_LEN + 12), stats().size);       /* the new file's */
        app_end();

        lt_read("app.log.old", &r);
        ASSERT_EQ(6, r.n);
        ASSERT_REC(&r.v[0], 1, false, false, "1");
        ASSERT_REC(&r.v[2], 1, false, false, "3");
        ASSERT_REC(&r.v[3], 1, false, false, "4");
        ASSERT_REC(&r.v[4], 2, false, false, "5");
        ASSERT_REC(&r.v[5], 1, false, false, "5b");
        lt_free(&r);
        lt_read("app.log", &r);
        ASSERT_EQ(2, r.n);
        ASSERT_REC(&r.v[0], 1, false, false, "6");
        ASSERT_REC(&r.v[1], 1, false, false, "7");
        lt_free(&r);
}

/* The size of a reopened file counts from what is in it: rotation still works. */
TEST(logfile_reopen_then_rotate)
{
        struct log_spec spec;
        struct pod_err err = { 0 };
        char buf[64];
        _cleanup_free_ char *p = lt_path("app.log"), *old = lt_path("app.log.old");

        lt_default_spec(&spec);
        spec.max_size = 4096;
        app_start(&spec);
        ASSERT(lt_feeds(&A, IO_STDOUT, "x\n"));
        ASSERT_EQ(0, rename(p, old));
        ASSERT_EQ(0, log_file_reopen(A.file, &err));
        ASSERT_EQ(0, stats().size);
        for (int i = 0; i < 100; i++) {
                size_t n = numbered_line(buf, sizeof(buf), i);
                ASSERT(lt_feed(&A, IO_STDOUT, buf, n));
        }
        ASSERT(stats().rotations >= 1);
        app_end();
        ASSERT(lt_exists("app.log.1"));
        ASSERT(lt_size("app.log.1") >= 4096 && lt_size("app.log.1") < 4096 + 200);
}

TEST(logfile_open_errors)
{
        struct log_spec spec;
        struct pod_err err = { 0 };
        struct log_file *f = NULL;
        uv_loop_t loop;
        int dfd;

        lt_default_spec(&spec);
        ASSERT_EQ(0, uv_loop_init(&loop));
        {
                _cleanup_free_ char *d = lt_path("adir");
                ASSERT_EQ(0, mkdir(d, 0755));
        }
        dfd = open(test_tmpdir(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT(dfd >= 0);
        ASSERT(log_file_open(&loop, dfd, "adir", &spec, "app test", &f, &err) < 0);
        ASSERT(f == NULL);
        ASSERT_CONTAINS(err.msg, "adir");
        /* The directory fd was taken (closed) even on failure. */
        ASSERT_EQ(-1, fcntl(dfd, F_GETFD));
        ASSERT_EQ(EBADF, errno);

        /* A symlink is not followed. */
        {
                _cleanup_free_ char *t = lt_path("target"), *l = lt_path("link.log");
                ASSERT_EQ(0, symlink(t, l));
                dfd = open(test_tmpdir(), O_PATH | O_DIRECTORY | O_CLOEXEC);
                memset(&err, 0, sizeof(err));
                ASSERT(log_file_open(&loop, dfd, "link.log", &spec, "app test", &f, &err) < 0);
                ASSERT_CONTAINS(err.msg, "link.log");
                ASSERT(!lt_exists("target"));
        }
        /* An existing file is appended to, its size counted. */
        {
                _cleanup_free_ char *e = lt_path("app.log");
                struct log_file_stats st;
                int fd = open(e, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                char ts[CRI_TIMESTAMP_LEN + 1];
                struct trecs r;
                ASSERT(fd >= 0);
                ASSERT_EQ(0, write_all(fd, "2016-10-06T00:17:09.000000000Z stdout F old\n", 44));
                close(fd);
                f = lt_open_file(&loop, "app.log", &spec);
                log_file_stats(f, &st);
                ASSERT_EQ(44, st.size);
                cri_timestamp(now_real_ns(), ts);
                log_file_record(f, ts, 2, false, false, "new", 3);
                ASSERT(log_file_flush(f, NULL));
                log_file_close(f);
                uv_run(&loop, UV_RUN_DEFAULT);
                log_file_free(f);
                lt_read("app.log", &r);
                ASSERT_EQ(2, r.n);
                ASSERT_REC(&r.v[0], 1, false, false, "old");
                ASSERT_REC(&r.v[1], 2, false, false, "new");
                lt_free(&r);
        }
        ASSERT_EQ(0, uv_loop_close(&loop));
}

/* After the app has ended, a file that still cannot be written switches to
 * the drop policy: the waiters go on, later records are dropped and counted. */
TEST(logfile_give_up_switches_to_drop)
{
        struct log_spec spec;
        struct test_waiter tw = { .w = { .resume = on_resume } };
        struct log_file_stats st;
        struct log_file *f;
        uv_loop_t loop;
        int i, done = 0;

        lt_capture_stderr();
        limit_file_size(true);
        lt_default_spec(&spec);
        spec.buffer = 1024;
        ASSERT_EQ(0, uv_loop_init(&loop));
        f = lt_open_file(&loop, "app.log", &spec);
        for (i = 0; i < 1000 && log_file_flush(f, &tw.w); i++)
                record_line(f, i);
        ASSERT(i < 1000 && tw.w.waiting);
        ASSERT(log_file_failing(f));
        log_file_give_up(f);
        ASSERT_EQ(1, tw.resumed);
        ASSERT(!tw.w.waiting);
        log_file_stats(f, &st);
        ASSERT_EQ(0, st.dropped_records);
        record_line(f, 5000);
        ASSERT(log_file_flush(f, &tw.w));       /* drop: never "pause" */
        log_file_stats(f, &st);
        ASSERT_EQ(1, st.dropped_records);
        ASSERT_EQ(numbered_line((char[80]){ 0 }, 80, 5000) - 1, st.dropped_bytes);
        {
                _cleanup_free_ char *msgs = lt_captured();
                ASSERT_CONTAINS(msgs, "dropping the rest of its output");
        }

        /* Writes work again at the finish: what was held is written, then the loss. */
        log_file_give_up(f);
        limit_file_size(false);
        log_file_finish(f, on_done, &done);
        ASSERT_EQ(1, done);
        ASSERT_EQ(1, tw.resumed);               /* a waiter that went on is not called again */
        log_file_stats(f, &st);
        ASSERT(!st.failing);
        ASSERT_EQ(0, st.buffered);
        log_file_close(f);
        uv_run(&loop, UV_RUN_DEFAULT);
        ASSERT_EQ(0, uv_loop_close(&loop));
        log_file_free(f);
        {
                struct trecs r;
                char want[200];
                lt_read("app.log", &r);
                ASSERT_EQ(i + 1, r.n);
                for (int k = 0; k < i; k++)
                        ASSERT_EQ(k, num(&r.v[k]));
                snprintf(want, sizeof(want), "podinit: %llu bytes in 1 records of output were dropped: the log could not be written (%s)",
                         (unsigned long long)st.dropped_bytes, strerror(EFBIG));
                ASSERT_REC(&r.v[i], 2, false, true, want);
                lt_free(&r);
        }
        lt_release_stderr();
}

/* Under the drop policy a line can lose its end (its F record) after its
 * first pieces (P records) were written: once writes work again, the line
 * is closed with an empty F record before the notice, so readers do not
 * join it to the next line. */
TEST(logfile_drop_closes_a_line_whose_end_was_dropped)
{
        struct log_spec spec;
        struct trecs r;
        char big[200], line[100];
        size_t out_len;
        _cleanup_free_ char *out = NULL;
        int guard = 0;

        lt_capture_stderr();
        lt_default_spec(&spec);
        spec.policy = LOG_DROP;
        spec.buffer = 0;
        spec.line_max = 128;
        app_start(&spec);
        limit_file_size(true);
        memset(big, 'A', sizeof(big));
        ASSERT(lt_feed(&A, IO_STDOUT, big, sizeof(big)));       /* P of 128 written, 72 wait */
        memset(line, 'e', sizeof(line));
        line[sizeof(line) - 1] = '\n';
        while (!stats().failing && guard++ < 1000)
                ASSERT(lt_feed(&A, IO_STDERR, line, sizeof(line)));
        ASSERT(stats().failing);
        ASSERT(lt_feeds(&A, IO_STDOUT, "\n"));                  /* the line's end: dropped */
        ASSERT(stats().dropped_records >= 1);
        limit_file_size(false);
        lt_run_for(&A.loop, LOG_RETRY_MS + 300);
        ASSERT(!stats().failing);
        ASSERT(lt_feeds(&A, IO_STDOUT, "after\n"));
        app_end();

        lt_read("app.log", &r);
        out = lt_rebuild(&r, 1, &out_len);
        {
                char want[128 + 8];
                memset(want, 'A', 128);
                memcpy(want + 128, "\nafter\n", 7);
                ASSERT_MEMEQ(want, (size_t)135, out, out_len);
        }
        /* The notice is the record before "after", on stderr, tagged podinit. */
        ASSERT(r.n >= 3);
        ASSERT(r.v[r.n - 2].meta && r.v[r.n - 2].stream == 2);
        ASSERT_REC(&r.v[r.n - 3], 1, false, false, "");
        lt_free(&r);
        lt_release_stderr();
}
