/*
 * podctl logs [-f|--follow] [--tail=N] [--since=TIME] [--timestamps] [--app=NAME]
 *             [--stream=stdout|stderr] POD
 *
 * Reads the apps' CRI log files (docs/logging.md), rotated ones first, and
 * writes each record's content back: stdout records to stdout, stderr
 * records to stderr, a newline after F records only, so the app's bytes come
 * back exactly.  Records podinit wrote about the log itself (bytes dropped,
 * lines suppressed) go to stderr.  With several apps, lines are merged by
 * time and prefixed with "<app> | ".
 *
 * --follow polls the current file every FOLLOW_POLL_MS and follows it across
 * rotations (the next file is found by inode, so no line is read twice or
 * skipped while the rotated files are kept) and across a reopen by path
 * (kubelet's rename + ReopenContainerLog); it ends once the pod has exited
 * and everything is read.
 */
#include "cli/cli.h"
#include "cli/poddir.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/crilog.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>

#define FOLLOW_POLL_MS 100
#define READ_CHUNK (256 * 1024)

struct rec {
        struct cri_record r;
        char *line;                     /* owned copy of the record (r points into it) */
        size_t src;                     /* index of its app */
        size_t seq;                     /* order of reading, for a stable merge */
};

struct src {
        const char *app;
        char *path;
        unsigned max_files;
        int fd;                         /* the file being followed */
        ino_t ino;
        dev_t dev;
        off_t off;                      /* end of the last whole record read */
        bool mid_line[3];               /* per stream: a P record came last */
        struct rec *recs;               /* the initial read */
        size_t n, cap;
};

struct opts {
        bool follow, timestamps, multi;
        long tail;                      /* -1: all */
        int64_t since_ns;               /* 0: all */
        int stream;                     /* 0 both, 1 stdout, 2 stderr */
};

static struct {
        char buf[2][64 * 1024];
        size_t len[2];
        int last;
} out;

static bool bad_warned;

/* Per output (0 stdout, 1 stderr): whose line is open there (its last record
 * was a P record), or NULL at the start of a line.  Another app's record, or
 * a podinit notice, ends it with a newline first, so lines never mix; the
 * open line's next record then starts a new output line (with its prefix). */
static struct {
        const struct src *s;
        int stream;
} open_out[2];

static void out_flush(int i)
{
        size_t off = 0;

        while (off < out.len[i]) {
                ssize_t w = write(i + 1, out.buf[i] + off, out.len[i] - off);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        exit(errno == EPIPE ? 0 : 1);   /* the reader went away */
                off += (size_t)w;
        }
        out.len[i] = 0;
}

static void out_write(int fd, const char *data, size_t len)
{
        int i = fd == 2 ? 1 : 0;

        if (out.last != i && out.len[!i])
                out_flush(!i);          /* keep stdout and stderr in record order */
        out.last = i;
        while (len) {
                size_t room = sizeof(out.buf[i]) - out.len[i], n = len < room ? len : room;
                memcpy(out.buf[i] + out.len[i], data, n);
                out.len[i] += n;
                data += n;
                len -= n;
                if (out.len[i] == sizeof(out.buf[i]))
                        out_flush(i);
        }
}

static void out_flush_all(void)
{
        out_flush(out.last == 0 ? 1 : 0);
        out_flush(out.last);
}

static void emit(struct src *s, const struct cri_record *r, const struct opts *o)
{
        int fd = r->meta || r->stream == 2 ? 2 : 1, i = fd - 1;
        bool cont;

        if (o->since_ns && r->time_ns < o->since_ns)
                return;
        if (!r->meta && o->stream && r->stream != o->stream)
                return;
        /* Does this record go on with the line open on its output? */
        cont = !r->meta && open_out[i].s == s && open_out[i].stream == r->stream;
        if (open_out[i].s && !cont) {
                out_write(fd, "\n", 1);
                open_out[i].s = NULL;
        }
        if (r->meta) {
                if (o->multi) {
                        out_write(2, s->app, strlen(s->app));
                        out_write(2, " | ", 3);
                }
                out_write(2, r->content, r->len);
                out_write(2, "\n", 1);
                return;
        }
        if (!cont) {
                if (o->multi) {
                        out_write(fd, s->app, strlen(s->app));
                        out_write(fd, " | ", 3);
                }
                if (o->timestamps && !s->mid_line[r->stream]) {
                        out_write(fd, r->ts, r->ts_len);
                        out_write(fd, " ", 1);
                }
        }
        out_write(fd, r->content, r->len);
        if (!r->partial)
                out_write(fd, "\n", 1);
        open_out[i].s = r->partial ? s : NULL;
        open_out[i].stream = r->stream;
        s->mid_line[r->stream] = r->partial;
}

typedef void (*line_fn)(struct src *s, const char *line, size_t len, void *arg);

/* Read whole records of fd from *off on; the bytes of a record still being
 * written are left for the next call (the file may even be cut back there). */
static int read_records(struct src *s, int fd, off_t *off, line_fn fn, void *arg)
{
        static char *buf;
        static size_t cap;
        size_t len = 0;

        if (!buf) {
                cap = READ_CHUNK;
                buf = xmalloc(cap);
        }
        for (;;) {
                ssize_t n;
                size_t start = 0;

                if (len == cap) {
                        cap *= 2;               /* a record longer than the buffer */
                        buf = xrealloc(buf, cap);
                }
                n = pread(fd, buf + len, cap - len, *off + (off_t)len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                len += (size_t)n;
                for (;;) {
                        char *nl = memchr(buf + start, '\n', len - start);
                        if (!nl)
                                break;
                        fn(s, buf + start, (size_t)(nl - buf - start), arg);
                        start = (size_t)(nl - buf) + 1;
                }
                *off += (off_t)start;
                memmove(buf, buf + start, len - start);
                len -= start;
        }
}

static bool parse_or_warn(const char *line, size_t len, struct cri_record *r, const char *path)
{
        if (cri_parse(line, len, r) == 0)
                return true;
        if (!bad_warned) {
                log_warn("logs: %s: skipping lines that are not CRI log records", path);
                bad_warned = true;
        }
        return false;
}

static void collect(struct src *s, const char *line, size_t len, void *arg)
{
        struct rec *rec;
        size_t *seq = arg;

        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 256;
                s->recs = xrealloc(s->recs, s->cap * sizeof(*s->recs));
        }
        rec = &s->recs[s->n];
        rec->line = xmalloc(len + 1);
        memcpy(rec->line, line, len);
        rec->line[len] = '\0';
        if (!parse_or_warn(rec->line, len, &rec->r, s->path)) {
                free(rec->line);
                return;
        }
        rec->seq = (*seq)++;
        s->n++;
}

static int open_log(const char *path, ino_t *ino, dev_t *dev)
{
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EINVAL;
        }
        *ino = st.st_ino;
        *dev = st.st_dev;
        return fd;
}

/*
 * Move on from the file we have read to the end to the one written after it,
 * if there is one: 1 if we moved, 0 if ours is the current file (or the
 * next one does not exist yet).  Files are identified by inode: ours is found
 * among the rotated names (<path>.k), and the next is <path>.(k-1), or <path>
 * itself; if ours is not among them (renamed away by an outside tool and
 * reopened, or rotated out of the kept set), the next is <path>.  The writer
 * never writes to a file once it has been renamed, so the rest of ours is
 * read before moving on.
 */
static int next_file(struct src *s, line_fn fn, void *arg)
{
        struct stat st;

        if (s->fd >= 0 && stat(s->path, &st) == 0 && st.st_ino == s->ino && st.st_dev == s->dev)
                return 0;               /* still the current file */
        if (s->fd >= 0)
                read_records(s, s->fd, &s->off, fn, arg);
        for (int attempt = 0; attempt < 10; attempt++) {
                _cleanup_free_ char *next = NULL;
                unsigned k = 0;
                ino_t ino;
                dev_t dev;
                int fd;

                for (unsigned i = 1; s->fd >= 0 && i <= s->max_files && !k; i++) {
                        _cleanup_free_ char *p = xasprintf("%s.%u", s->path, i);
                        if (stat(p, &st) == 0 && st.st_ino == s->ino && st.st_dev == s->dev)
                                k = i;
                }
                next = k > 1 ? xasprintf("%s.%u", s->path, k - 1) : xstrdup(s->path);
                fd = open_log(next, &ino, &dev);
                if (fd < 0)
                        return 0;       /* not created yet: next time */
                if (k) {
                        _cleanup_free_ char *p = xasprintf("%s.%u", s->path, k);
                        if (stat(p, &st) < 0 || st.st_ino != s->ino || st.st_dev != s->dev) {
                                close(fd);      /* rotated again meanwhile: look again */
                                continue;
                        }
                }
                if (s->fd >= 0 && ino == s->ino && dev == s->dev) {
                        close(fd);
                        return 0;
                }
                if (s->fd >= 0)
                        close(s->fd);
                s->fd = fd;
                s->ino = ino;
                s->dev = dev;
                s->off = 0;
                return 1;
        }
        return 0;
}

/* Read everything there is, from the oldest kept file through the chain of
 * rotations to the current one, which stays open for --follow. */
static int read_initial(struct src *s, line_fn fn, void *arg, struct pod_err *err)
{
        int r;

        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
        for (unsigned i = s->max_files; i >= 1 && s->fd < 0; i--) {
                _cleanup_free_ char *p = xasprintf("%s.%u", s->path, i);
                int fd = open_log(p, &s->ino, &s->dev);
                if (fd >= 0)
                        s->fd = fd;
                else if (fd != -ENOENT)
                        return pod_err_set(err, fd, "reading %s: %s", p, strerror(-fd));
        }
        if (s->fd < 0) {
                int fd = open_log(s->path, &s->ino, &s->dev);
                if (fd == -ENOENT)
                        return 0;       /* nothing logged yet */
                if (fd < 0)
                        return pod_err_set(err, fd, "reading %s: %s", s->path, strerror(-fd));
                s->fd = fd;
        }
        s->off = 0;
        do {
                if ((r = read_records(s, s->fd, &s->off, fn, arg)) < 0)
                        return pod_err_set(err, r, "reading %s: %s", s->path, strerror(-r));
        } while (next_file(s, fn, arg) == 1);
        return 0;
}

/* One app, no merge: records go out as they are read.  For --tail, a first
 * pass counts the lines (F records; a trailing P group is a line too). */
struct count_arg {
        uint64_t lines;
        bool trailing_partial;
};

static void count_lines(struct src *s, const char *line, size_t len, void *arg)
{
        struct count_arg *ca = arg;
        struct cri_record r;

        if (cri_parse(line, len, &r) < 0 || r.meta)
                return;
        if (!r.partial)
                ca->lines++;
        ca->trailing_partial = r.partial;
}

struct stream_arg {
        const struct opts *o;
        uint64_t skip;                  /* lines still to skip (--tail) */
};

static void stream_records(struct src *s, const char *line, size_t len, void *arg)
{
        struct stream_arg *sa = arg;
        struct cri_record r;

        if (!parse_or_warn(line, len, &r, s->path))
                return;
        if (sa->skip) {
                if (!r.meta && !r.partial)
                        sa->skip--;
                return;
        }
        emit(s, &r, sa->o);
}

/* Index of the first record to show: the last n lines (lines end with F records). */
static size_t tail_start(const struct src *s, long n)
{
        size_t i = s->n;
        long lines = 0;

        if (n < 0)
                return 0;
        /* A trailing P group (a line still being written) counts as a line. */
        if (i > 0 && s->recs[i - 1].r.partial && !s->recs[i - 1].r.meta)
                lines++;
        while (i > 0) {
                const struct cri_record *r = &s->recs[i - 1].r;
                if (!r->partial && !r->meta) {
                        if (lines == n)
                                break;
                        lines++;
                }
                i--;
        }
        if (n == 0)
                return s->n;
        return i;
}

static int cmp_rec(const void *a, const void *b)
{
        const struct rec *x = a, *y = b;

        if (x->r.time_ns != y->r.time_ns)
                return x->r.time_ns < y->r.time_ns ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The records collected from several apps, merged by time (stable), then dropped. */
static void emit_merged(struct src *srcs, size_t n_src, long tail, const struct opts *o)
{
        struct rec *all = NULL;
        size_t n_all = 0;

        for (size_t i = 0; i < n_src; i++) {
                size_t from = tail_start(&srcs[i], tail);
                all = xrealloc(all, (n_all + srcs[i].n - from + 1) * sizeof(*all));
                for (size_t k = from; k < srcs[i].n; k++) {
                        all[n_all] = srcs[i].recs[k];
                        all[n_all++].src = i;
                }
        }
        qsort(all, n_all, sizeof(*all), cmp_rec);
        for (size_t k = 0; k < n_all; k++)
                emit(&srcs[all[k].src], &all[k].r, o);
        free(all);
        for (size_t i = 0; i < n_src; i++) {
                for (size_t k = 0; k < srcs[i].n; k++)
                        free(srcs[i].recs[k].line);
                free(srcs[i].recs);
                srcs[i].recs = NULL;
                srcs[i].n = srcs[i].cap = 0;
        }
}

static bool pod_running(int podfd)
{
        return podfd >= 0 && pod_lock_held(podfd) > 0;
}

int cmd_logs(int argc, char **argv)
{
        struct pod_err err = { 0 };
        struct pod_ref p = { 0 };
        struct pod_manifest *m = NULL;
        struct opts o = { .tail = -1 };
        const char *tail = NULL, *since = NULL, *app = NULL, *stream = NULL;
        _cleanup_free_ char *mpath = NULL, *data = NULL;
        struct src *srcs = NULL;
        size_t n_src = 0, len, seq = 0;
        int idx = 1, rc = 1, podfd = -1;
        const struct opt opts[] = {
                { "f", OPT_BOOL, &o.follow },
                { "follow", OPT_BOOL, &o.follow },
                { "timestamps", OPT_BOOL, &o.timestamps },
                { "tail", OPT_STR, &tail },
                { "since", OPT_STR, &since },
                { "app", OPT_STR, &app },
                { "stream", OPT_STR, &stream },
        };

        struct args_rest rest;
        if ((rc = cli_parse("logs", argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0)
                return rc > 0 ? 0 : 2;
        rc = 1;
        if (rest.n_pos != 1 || rest.dashdash) {
                cli_usage_error("logs", rest.n_pos ? "give one POD" : "no POD given (a UUID or a unique prefix)");
                return 2;
        }
        idx = rest.first;
        if (tail) {
                if (parse_long(tail, 0, LONG_MAX, &o.tail) < 0) {
                        log_error("logs: --tail=%s: expected a number of lines", tail);
                        return 2;
                }
        }
        if (since) {
                uint64_t ms;
                if (cri_parse_time(since, strlen(since), &o.since_ns) == 0) {
                        ;
                } else if (parse_duration_ms(since, &ms) == 0) {
                        o.since_ns = (int64_t)now_real_ns() - (int64_t)(ms * 1000000ull);
                } else {
                        log_error("logs: --since=%s: expected an RFC 3339 time (2026-11-23T10:00:00Z) or a duration (10m)",
                                  since);
                        return 2;
                }
        }
        if (stream) {
                if (!strcmp(stream, "stdout"))
                        o.stream = 1;
                else if (!strcmp(stream, "stderr"))
                        o.stream = 2;
                else {
                        log_error("logs: --stream=%s: expected stdout or stderr", stream);
                        return 2;
                }
        }
        if (pod_find(argv[idx], &p, &err) < 0) {
                log_error("logs: %s", err.msg);
                return 1;
        }
        mpath = xasprintf("%s/pod", p.path);
        if (read_file_at(AT_FDCWD, mpath, POD_MANIFEST_MAX_BYTES, &data, &len) < 0 ||
            pod_manifest_parse(data, len, &m, &err) < 0) {
                log_error("logs: pod %s: reading its manifest %s: %s", p.uuid, mpath,
                          err.msg[0] ? err.msg : strerror(errno));
                goto out;
        }
        srcs = xcalloc(m->n_apps + 1, sizeof(*srcs));
        for (size_t i = 0; i < m->n_apps; i++) {
                const struct pod_app *a = &m->apps[i];
                if (app && strcmp(app, a->name))
                        continue;
                if (!pod_app_logs(a)) {
                        if (app) {
                                log_error("logs: app %s has no log: none of its output streams is in log mode (stream and tty output is logged with --log-attached)",
                                          app);
                                goto out;
                        }
                        continue;
                }
                srcs[n_src].app = a->name;
                srcs[n_src].path = pod_app_log_path(p.path, a);
                srcs[n_src].max_files = a->log.max_files;
                srcs[n_src].fd = -1;
                n_src++;
        }
        if (app && !n_src) {
                _cleanup_free_ char *names = xstrdup("");
                for (size_t i = 0; i < m->n_apps; i++) {
                        char *t = xasprintf("%s%s%s", names, i ? ", " : "", m->apps[i].name);
                        free(names);
                        names = t;
                }
                log_error("logs: pod %s has no app %s (its apps: %s)", p.uuid, app, m->n_apps ? names : "none");
                goto out;
        }
        if (!n_src)
                log_warn("logs: pod %s has no app with a log file (no stream is in log mode; stream and tty output is logged with --log-attached)",
                         p.uuid);
        o.multi = n_src > 1;
        podfd = open(p.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (n_src == 1) {
                struct stream_arg sa = { &o, 0 };
                if (o.tail >= 0) {
                        struct count_arg ca = { 0 };
                        uint64_t total;
                        if (read_initial(&srcs[0], count_lines, &ca, &err) < 0) {
                                log_error("logs: app %s: %s", srcs[0].app, err.msg);
                                goto out;
                        }
                        total = ca.lines + (ca.trailing_partial ? 1 : 0);
                        sa.skip = total > (uint64_t)o.tail ? total - (uint64_t)o.tail : 0;
                        if (o.tail == 0)
                                sa.skip = UINT64_MAX;
                }
                if (read_initial(&srcs[0], stream_records, &sa, &err) < 0) {
                        log_error("logs: app %s: %s", srcs[0].app, err.msg);
                        goto out;
                }
        } else {
                for (size_t i = 0; i < n_src; i++)
                        if (read_initial(&srcs[i], collect, &seq, &err) < 0) {
                                log_error("logs: app %s: %s", srcs[i].app, err.msg);
                                goto out;
                        }
        }
        if (n_src > 1)
                emit_merged(srcs, n_src, o.tail, &o);
        out_flush_all();
        while (o.follow) {
                /* The pod's end is checked before the last read, so nothing
                 * written before it ended is missed. */
                bool running = pod_running(podfd);
                struct stream_arg la = { &o, 0 };
                struct timespec ts = { 0, FOLLOW_POLL_MS * 1000000L };

                for (size_t i = 0; i < n_src; i++) {
                        struct src *s = &srcs[i];
                        if (s->fd < 0) {
                                s->fd = open_log(s->path, &s->ino, &s->dev);
                                if (s->fd < 0) {
                                        s->fd = -1;
                                        continue;
                                }
                                s->off = 0;
                        }
                        /* Several apps: what each wrote since the last poll is
                         * merged by time, as in the first read. */
                        do
                                read_records(s, s->fd, &s->off, o.multi ? collect : stream_records,
                                             o.multi ? (void *)&seq : &la);
                        while (next_file(s, o.multi ? collect : stream_records, o.multi ? (void *)&seq : &la) == 1);
                }
                if (o.multi)
                        emit_merged(srcs, n_src, -1, &o);
                out_flush_all();
                if (!running)
                        break;
                nanosleep(&ts, NULL);
        }
        rc = 0;
out:
        out_flush_all();
        for (size_t i = 0; i < n_src; i++) {
                if (srcs[i].fd >= 0)
                        close(srcs[i].fd);
                free(srcs[i].path);
        }
        free(srcs);
        if (podfd >= 0)
                close(podfd);
        pod_manifest_free(m);
        pod_ref_done(&p);
        return rc;
}
