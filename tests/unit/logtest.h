/*
 * Helpers shared by the logger tests (test_logfile.c, test_applog.c): reading
 * a CRI log file back into records, rebuilding each stream's bytes, a loop
 * fixture around struct app_log, and capturing stderr (podinit's warnings)
 * so that it is shown only when a test fails.
 */
#ifndef POD_TEST_LOGTEST_H
#define POD_TEST_LOGTEST_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "test.h"
#include "common/crilog.h"
#include "common/fdutil.h"
#include "common/manifest.h"
#include "common/util.h"
#include "logger/applog.h"
#include "logger/console.h"
#include "logger/logfile.h"

/* ---- records ---------------------------------------------------------- */

struct trec {
        int stream;                     /* 1 stdout, 2 stderr */
        bool partial, meta;
        const char *content;            /* points into trecs.data */
        size_t len;
        int64_t time_ns;
        size_t line_len;                /* the whole record with its '\n' */
};

struct trecs {
        char *data;
        size_t size;
        struct trec *v;
        size_t n;
};

static inline char *lt_path(const char *name)
{
        return xasprintf("%s/%s", test_tmpdir(), name);
}

static inline bool lt_exists(const char *name)
{
        _cleanup_free_ char *p = lt_path(name);
        struct stat st;
        return stat(p, &st) == 0;
}

static inline uint64_t lt_size(const char *name)
{
        _cleanup_free_ char *p = lt_path(name);
        struct stat st;
        if (stat(p, &st) < 0)
                FAIL_AT("stat %s: %s", p, strerror(errno));
        return (uint64_t)st.st_size;
}

/* Read a log file in the test directory; every line must be a CRI record and
 * the file must end with '\n' (or be empty). */
static inline void lt_read(const char *name, struct trecs *r)
{
        _cleanup_free_ char *p = lt_path(name);
        size_t off = 0, cap = 0;
        int e;

        memset(r, 0, sizeof(*r));
        if ((e = read_file_at(AT_FDCWD, p, 256u << 20, &r->data, &r->size)) < 0)
                FAIL_AT("reading %s: %s", p, strerror(-e));
        if (r->size && r->data[r->size - 1] != '\n')
                FAIL_AT("%s does not end with a newline (%zu bytes)", name, r->size);
        while (off < r->size) {
                const char *nl = memchr(r->data + off, '\n', r->size - off);
                size_t ll = (size_t)(nl - (r->data + off));
                struct cri_record cr;
                if (cri_parse(r->data + off, ll, &cr) < 0)
                        FAIL_AT("%s: record at offset %zu is not CRI: \"%.*s\"", name, off, (int)(ll > 200 ? 200 : ll),
                                r->data + off);
                if (cr.ts_len != CRI_TIMESTAMP_LEN || cr.ts[CRI_TIMESTAMP_LEN - 1] != 'Z')
                        FAIL_AT("%s: record at offset %zu: timestamp \"%.*s\" is not the writer's format", name, off,
                                (int)cr.ts_len, cr.ts);
                if (r->n == cap) {
                        cap = cap ? cap * 2 : 64;
                        r->v = xrealloc(r->v, cap * sizeof(*r->v));
                }
                r->v[r->n++] = (struct trec){ .stream = cr.stream, .partial = cr.partial, .meta = cr.meta,
                                              .content = cr.content, .len = cr.len, .time_ns = cr.time_ns,
                                              .line_len = ll + 1 };
                off += ll + 1;
        }
}

static inline void lt_free(struct trecs *r)
{
        free(r->data);
        free(r->v);
        memset(r, 0, sizeof(*r));
}

/* A stream's bytes as a reader rebuilds them: P content, F content + "\n";
 * podinit's own (meta) records are not the app's bytes. */
static inline char *lt_rebuild(const struct trecs *r, int stream, size_t *ret_len)
{
        size_t n = 0, k = 0;
        char *b;

        for (size_t i = 0; i < r->n; i++)
                if (r->v[i].stream == stream && !r->v[i].meta)
                        n += r->v[i].len + !r->v[i].partial;
        b = xmalloc(n + 1);
        for (size_t i = 0; i < r->n; i++)
                if (r->v[i].stream == stream && !r->v[i].meta) {
                        memcpy(b + k, r->v[i].content, r->v[i].len);
                        k += r->v[i].len;
                        if (!r->v[i].partial)
                                b[k++] = '\n';
                }
        b[k] = '\0';
        *ret_len = k;
        return b;
}

static inline bool lt_is(const struct trec *t, int stream, bool partial, bool meta, const char *content)
{
        return t->stream == stream && t->partial == partial && t->meta == meta && t->len == strlen(content) &&
               !memcmp(t->content, content, t->len);
}

#define ASSERT_REC(t, st_, p_, m_, c_)                                                                      \
        do {                                                                                                \
                const struct trec *_t = (t);                                                                \
                if (!lt_is(_t, st_, p_, m_, c_))                                                            \
                        FAIL_AT("record %s: expected %s %s%s \"%s\", got %s %s%s \"%.*s\"", #t,             \
                                (st_) == 2 ? "stderr" : "stdout", (p_) ? "P" : "F", (m_) ? ":podinit" : "", \
                                c_, _t->stream == 2 ? "stderr" : "stdout", _t->partial ? "P" : "F",         \
                                _t->meta ? ":podinit" : "", (int)_t->len, _t->content);                     \
        } while (0)

#define ASSERT_MEMEQ(exp, exp_len, got, got_len)                                                            \
        do {                                                                                                \
                size_t _el = (exp_len), _gl = (got_len);                                                    \
                const char *_ep = (const char *)(exp), *_gp = (const char *)(got);                          \
                size_t _i = 0;                                                                              \
                while (_i < _el && _i < _gl && _ep[_i] == _gp[_i])                                          \
                        _i++;                                                                               \
                if (_el != _gl || _i != _el)                                                                \
                        FAIL_AT("%s != %s: lengths %zu and %zu, first difference at byte %zu", #exp, #got,  \
                                _el, _gl, _i);                                                              \
        } while (0)

/* ---- a deterministic PRNG --------------------------------------------- */

static inline uint64_t lt_rand(uint64_t *s)
{
        /* xorshift64* */
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 2685821657736338717ull;
}

/* ---- the loop --------------------------------------------------------- */

static inline void lt_on_deadline(uv_timer_t *t)
{
        *(bool *)t->data = true;
}

/* Run the loop until *cond or ms have passed; returns *cond. */
static inline bool lt_run_until(uv_loop_t *loop, const bool *cond, unsigned ms)
{
        uv_timer_t t;
        bool expired = false;

        uv_timer_init(loop, &t);
        t.data = &expired;
        uv_timer_start(&t, lt_on_deadline, ms, 0);
        while (!*cond && !expired)
                uv_run(loop, UV_RUN_ONCE);
        uv_close((uv_handle_t *)&t, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        return *cond;
}

static inline void lt_run_for(uv_loop_t *loop, unsigned ms)
{
        bool never = false;
        lt_run_until(loop, &never, ms);
}

/* ---- an app's logger on a real loop ----------------------------------- */

static inline void lt_default_spec(struct log_spec *s)
{
        memset(s, 0, sizeof(*s));
        s->line_max = LOG_DEFAULT_LINE_MAX;
        s->partial_timeout_ms = 0;      /* no timer unless a test wants one */
        s->max_size = 0;
        s->max_files = LOG_DEFAULT_MAX_FILES;
        s->buffer = LOG_DEFAULT_BUFFER;
        s->policy = LOG_BLOCK;
}

struct lt_app {
        uv_loop_t loop;
        struct log_spec spec;
        struct log_file *file;
        struct console *con;
        struct app_log al;
        pid_t pid;
        int done;
};

static inline struct log_file *lt_open_file(uv_loop_t *loop, const char *name, const struct log_spec *spec)
{
        struct pod_err err = { 0 };
        struct log_file *f = NULL;
        int dfd = open(test_tmpdir(), O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (dfd < 0)
                FAIL_AT("open %s: %s", test_tmpdir(), strerror(errno));
        if (log_file_open(loop, dfd, name, spec, "app test", &f, &err) < 0)
                FAIL_AT("log_file_open %s: %s", name, err.msg);
        return f;
}

/* name NULL: no log file; fmt -1: no console. */
static inline void lt_app_start(struct lt_app *a, const char *name, int fmt)
{
        ASSERT_EQ(0, uv_loop_init(&a->loop));
        a->file = name ? lt_open_file(&a->loop, name, &a->spec) : NULL;
        a->con = NULL;
        if (fmt >= 0)
                ASSERT_EQ(0, console_open(&a->loop, (enum console_format)fmt, &a->con));
        if (!a->pid)
                a->pid = 7;
        a->done = 0;
        app_log_init(&a->al, &a->loop, "app", &a->pid, &a->spec, a->file, a->con);
}

static inline bool lt_feed(struct lt_app *a, int stream, const void *data, size_t len)
{
        struct io_sink *k = app_log_sink(&a->al, stream);
        return k->data(k, NULL, data, len);
}

static inline bool lt_feeds(struct lt_app *a, int stream, const char *s)
{
        return lt_feed(a, stream, s, strlen(s));
}

static inline void lt_eof(struct lt_app *a, int stream)
{
        struct io_sink *k = app_log_sink(&a->al, stream);
        k->eof(k, NULL);
}

static inline void lt_on_done(void *arg)
{
        ((struct lt_app *)arg)->done++;
}

/* app_log_finish, and run the loop until done (at most ms). */
static inline void lt_finish(struct lt_app *a, unsigned ms)
{
        bool d;

        app_log_finish(&a->al, lt_on_done, a);
        if (!a->done) {
                uv_timer_t t;
                bool expired = false;
                uv_timer_init(&a->loop, &t);
                t.data = &expired;
                uv_timer_start(&t, lt_on_deadline, ms, 0);
                while (!a->done && !expired)
                        uv_run(&a->loop, UV_RUN_ONCE);
                uv_close((uv_handle_t *)&t, NULL);
                uv_run(&a->loop, UV_RUN_NOWAIT);        /* t is on this stack: let its close end */
        }
        d = a->done == 1;
        if (!d)
                FAIL_AT("app_log_finish: done called %d times within %u ms", a->done, ms);
}

static inline void lt_app_end(struct lt_app *a)
{
        app_log_close(&a->al);
        console_close(a->con);
        uv_run(&a->loop, UV_RUN_DEFAULT);
        ASSERT_EQ(0, uv_loop_close(&a->loop));
        app_log_free(&a->al);
        console_free(a->con);
        a->file = NULL;
        a->con = NULL;
}

/* ---- stderr capture ----------------------------------------------------- */

static int lt_saved_stderr = -1;
static char lt_stderr_path[300];

static inline void lt_dump_stderr(void)
{
        _cleanup_free_ char *d = NULL;
        size_t n = 0;

        if (lt_saved_stderr < 0)
                return;
        fflush(stderr);
        dup2(lt_saved_stderr, 2);
        close(lt_saved_stderr);
        lt_saved_stderr = -1;
        if (read_file_at(AT_FDCWD, lt_stderr_path, 1u << 20, &d, &n) == 0 && n) {
                fprintf(stderr, "  --- captured stderr ---\n");
                fwrite(d, 1, n, stderr);
        }
}

/* podinit's warnings go to a file, shown only if the test fails (exit(1)). */
static inline void lt_capture_stderr(void)
{
        int fd;

        snprintf(lt_stderr_path, sizeof(lt_stderr_path), "%s/stderr.txt", test_tmpdir());
        fflush(stderr);
        fd = open(lt_stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        ASSERT(fd >= 0);
        lt_saved_stderr = dup(2);
        ASSERT(lt_saved_stderr >= 0);
        ASSERT_EQ(2, dup2(fd, 2));
        close(fd);
        atexit(lt_dump_stderr);
}

/* The test got through: put stderr back, showing nothing. */
static inline void lt_release_stderr(void)
{
        if (lt_saved_stderr < 0)
                return;
        fflush(stderr);
        dup2(lt_saved_stderr, 2);
        close(lt_saved_stderr);
        lt_saved_stderr = -1;
}

/* What was captured so far (the caller frees). */
static inline char *lt_captured(void)
{
        char *d = NULL;
        fflush(stderr);
        if (read_file_at(AT_FDCWD, lt_stderr_path, 1u << 20, &d, NULL) < 0)
                return xstrdup("");
        return d;
}

#endif
