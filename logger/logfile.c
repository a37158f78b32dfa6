#include "logger/logfile.h"
#include "common/crilog.h"
#include "common/log.h"

#include <fcntl.h>
#include <sys/stat.h>

struct log_file {
        uv_loop_t *loop;
        int dirfd, fd;
        char *name, *label;
        struct log_spec spec;           /* copied; spec.path is not used here */
        char *buf;                      /* whole records waiting to be written */
        size_t len, cap;
        uint64_t size;                  /* of the current file */
        bool open_line[3];              /* stream 1, 2: the last queued record was P */
        uint64_t drop_bytes, drop_records;      /* since the last "dropped" record */
        bool dropped_in[3];             /* per stream, since the last "dropped" record */
        int drop_errno;
        struct log_file_stats st;
        uv_timer_t timer;
        struct waiter *waiters;
        bool finishing, writing;
        uint64_t finish_deadline_ns;
        void (*finish_done)(void *arg);
        void *finish_arg;
};

static void write_out(struct log_file *f);

static void buf_append(struct log_file *f, const char *data, size_t len)
{
        if (f->len + len > f->cap) {
                size_t cap = f->cap ? f->cap : 64 * 1024;
                while (cap < f->len + len)
                        cap *= 2;
                f->buf = xrealloc(f->buf, cap);
                f->cap = cap;
        }
        memcpy(f->buf + f->len, data, len);
        f->len += len;
}

static int open_file(struct log_file *f, int *ret_fd, uint64_t *ret_size)
{
        struct stat st;
        int fd = openat(f->dirfd, f->name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -EINVAL;
        }
        *ret_fd = fd;
        *ret_size = (uint64_t)st.st_size;
        return 0;
}

int log_file_open(uv_loop_t *loop, int dirfd, const char *name, const struct log_spec *spec, const char *label,
                  struct log_file **ret, struct pod_err *err)
{
        struct log_file *f = xcalloc(1, sizeof(*f));
        int r;

        f->loop = loop;
        f->dirfd = dirfd;
        f->fd = -1;
        f->name = xstrdup(name);
        f->label = xstrdup(label);
        f->spec = *spec;
        f->spec.path = NULL;
        if ((r = open_file(f, &f->fd, &f->size)) < 0) {
                pod_err_set(err, r, "opening the log file %s: %s", name,
                            r == -EINVAL ? "not a regular file" : strerror(-r));
                log_file_free(f);
                return r;
        }
        uv_timer_init(loop, &f->timer);
        *ret = f;
        return 0;
}

void log_file_unwait(struct log_file *f, struct waiter *w)
{
        waiter_remove(&f->waiters, w);
}

static void queue_record(struct log_file *f, const char *ts, int stream, bool partial, bool meta, const char *content,
                         size_t len)
{
        char head[CRI_HEAD_MAX];
        size_t hl = cri_head(ts, stream, partial, meta, head);

        buf_append(f, head, hl);
        buf_append(f, content, len);
        buf_append(f, "\n", 1);
        f->st.records++;
        if (!meta)
                f->open_line[stream == 2 ? 2 : 1] = partial;
}

void log_file_record(struct log_file *f, const char *ts, int stream, bool partial, bool meta, const char *content,
                     size_t len)
{
        if (f->st.failing && f->spec.policy == LOG_DROP && f->len + len + CRI_HEAD_MAX > f->spec.buffer) {
                f->drop_bytes += len;
                f->drop_records++;
                f->dropped_in[stream == 2 ? 2 : 1] = true;
                f->st.dropped_bytes += len;
                f->st.dropped_records++;
                return;
        }
        /* Rotate between records, as soon as the size is reached at a line
         * boundary: the queued records are written first, then the file is
         * rotated (write_out -> maybe_rotate), so a file ends at most one
         * record past the size. */
        if (f->spec.max_size && f->len && !f->st.failing && f->size + f->len >= f->spec.max_size &&
            ((!f->open_line[1] && !f->open_line[2]) || (f->size + f->len) / 2 >= f->spec.max_size))
                write_out(f);
        queue_record(f, ts, stream, partial, meta, content, len);
}

/* Rename <name>.N-1 -> <name>.N ... <name> -> <name>.1 and start a new <name>. */
static void rotate(struct log_file *f)
{
        size_t nl = strlen(f->name) + 16;
        _cleanup_free_ char *from = xmalloc(nl), *to = xmalloc(nl);
        uint64_t size;
        int fd;

        if (fdatasync(f->fd) < 0)
                log_warn("%s: syncing the log file %s: %s", f->label, f->name, strerror(errno));
        for (unsigned i = f->spec.max_files; i >= 1; i--) {
                if (i > 1)
                        snprintf(from, nl, "%s.%u", f->name, i - 1);
                else
                        snprintf(from, nl, "%s", f->name);
                snprintf(to, nl, "%s.%u", f->name, i);
                if (renameat(f->dirfd, from, f->dirfd, to) < 0 && errno != ENOENT) {
                        log_warn("%s: rotating the log: renaming %s to %s: %s; going on with the current file",
                                 f->label, from, to, strerror(errno));
                        f->st.write_errors++;
                        return;
                }
        }
        if (open_file(f, &fd, &size) < 0) {
                /* The old file (now <name>.1) is still open: nothing is lost. */
                log_warn("%s: rotating the log: creating a new %s: %s; writing on to %s.1", f->label, f->name,
                         strerror(errno), f->name);
                f->st.write_errors++;
                return;
        }
        close(f->fd);
        f->fd = fd;
        f->size = size;
        f->st.rotations++;
}

static void maybe_rotate(struct log_file *f)
{
        uint64_t max = f->spec.max_size;

        if (!max || f->size < max)
                return;
        /* A line never spans two files, unless a stream stays mid-line past twice the size. */
        if ((f->open_line[1] || f->open_line[2]) && f->size / 2 < max)
                return;
        rotate(f);
}

static void fail(struct log_file *f, int e)
{
        f->st.write_errors++;
        f->st.last_errno = e;
        if (!f->st.failing) {
                f->st.failing = true;
                log_warn("%s: writing the log file %s: %s; holding up to %llu bytes, then %s", f->label, f->name,
                         strerror(e), (unsigned long long)f->spec.buffer,
                         f->spec.policy == LOG_BLOCK ? "pausing the app until the log can be written (policy block)"
                                                     : "dropping output and counting it (policy drop)");
        }
}

/* Writes work (again): say so, account for what was dropped, let writers go on. */
static void recovered(struct log_file *f)
{
        if (f->st.failing) {
                f->st.failing = false;
                f->st.last_errno = 0;
                log_info("%s: the log file %s can be written again%s", f->label, f->name,
                         f->drop_bytes ? "; the loss is recorded in it" : "");
        }
        if (f->drop_bytes) {
                char ts[CRI_TIMESTAMP_LEN + 1], msg[200];
                int n;
                int stream = 2;
                cri_timestamp(now_real_ns(), ts);
                n = snprintf(msg, sizeof(msg), "podinit: %llu bytes in %llu records of output were dropped: the log could not be written (%s)",
                             (unsigned long long)f->drop_bytes, (unsigned long long)f->drop_records,
                             strerror(f->drop_errno ? f->drop_errno : ENOSPC));
                /* A line whose end was dropped is closed here, so readers do
                 * not join it to the next one; the notice goes on a stream
                 * that is not in the middle of a line. */
                for (int k = 1; k <= 2; k++) {
                        if (f->dropped_in[k] && f->open_line[k])
                                queue_record(f, ts, k, false, false, "", 0);
                        f->dropped_in[k] = false;
                }
                if (f->open_line[2] && !f->open_line[1])
                        stream = 1;
                f->drop_bytes = f->drop_records = 0;
                queue_record(f, ts, stream, false, true, msg, (size_t)n);
                write_out(f);
        }
}

static void write_out(struct log_file *f)
{
        size_t done = 0, whole;
        int e = 0;

        if (f->writing)
                return;
        f->writing = true;
        /* Until everything is written or write() fails: after a short write
         * (the disk, a quota or the file size limit is reached) the next
         * write() says which it is. */
        while (done < f->len) {
                ssize_t n = write(f->fd, f->buf + done, f->len - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        e = n < 0 ? errno : ENOSPC;
                        break;
                }
                done += (size_t)n;
        }
        if (e) {
                /* Keep whole records only, so the file stays valid; if the
                 * cut cannot be undone, the rest of the record follows it in
                 * the next write. */
                whole = done;
                while (whole > 0 && f->buf[whole - 1] != '\n')
                        whole--;
                if (whole < done && ftruncate(f->fd, (off_t)(f->size + whole)) == 0)
                        done = whole;
                f->drop_errno = e;
                fail(f, e);
        }
        f->size += (uint64_t)done;
        f->st.bytes += (uint64_t)done;
        if (done < f->len)
                memmove(f->buf, f->buf + done, f->len - done);
        f->len -= done;
        f->writing = false;
        if (f->len == 0) {
                if (f->cap > 4u << 20) {        /* do not keep a burst's buffer */
                        free(f->buf);
                        f->buf = NULL;
                        f->cap = 0;
                }
                recovered(f);
                maybe_rotate(f);
        }
        if (f->waiters && f->len <= f->spec.buffer / 2)
                waiter_wake_all(&f->waiters);
}

static void finish_complete(struct log_file *f)
{
        void (*done)(void *) = f->finish_done;

        if (f->len) {
                log_warn("%s: the log file %s could not be written for %d ms after the app ended; %zu bytes of records are lost",
                         f->label, f->name, LOG_FINISH_DEADLINE_MS, f->len);
                f->st.dropped_bytes += f->len;
                for (size_t i = 0; i < f->len; i++)
                        f->st.dropped_records += f->buf[i] == '\n';
                f->len = 0;
        }
        if (fdatasync(f->fd) < 0 && errno != EINVAL)
                log_warn("%s: syncing the log file %s: %s", f->label, f->name, strerror(errno));
        f->finishing = false;
        f->finish_done = NULL;
        uv_timer_stop(&f->timer);
        if (done)
                done(f->finish_arg);
}

static void on_timer(uv_timer_t *t)
{
        struct log_file *f = container_of(t, struct log_file, timer);

        write_out(f);
        if (f->finishing && (f->len == 0 || now_mono_ns() >= f->finish_deadline_ns)) {
                finish_complete(f);
                return;
        }
        if ((f->len || f->finishing) && !uv_is_active((uv_handle_t *)t))
                uv_timer_start(t, on_timer, LOG_RETRY_MS, 0);
}

bool log_file_flush(struct log_file *f, struct waiter *w)
{
        write_out(f);
        if (f->len && !uv_is_active((uv_handle_t *)&f->timer) && !uv_is_closing((uv_handle_t *)&f->timer))
                uv_timer_start(&f->timer, on_timer, LOG_RETRY_MS, 0);
        if (f->spec.policy == LOG_BLOCK && f->len > f->spec.buffer) {
                if (w)
                        waiter_add(&f->waiters, w);
                return false;
        }
        return true;
}

int log_file_reopen(struct log_file *f, struct pod_err *err)
{
        uint64_t size;
        int fd, r;

        write_out(f);
        if (fdatasync(f->fd) < 0 && errno != EINVAL)
                log_warn("%s: syncing the log file %s: %s", f->label, f->name, strerror(errno));
        if ((r = open_file(f, &fd, &size)) < 0)
                return pod_err_set(err, r, "reopening the log file %s: %s", f->name,
                                   r == -EINVAL ? "not a regular file" : strerror(-r));
        close(f->fd);
        f->fd = fd;
        f->size = size;
        f->st.reopens++;
        return 0;
}

void log_file_finish(struct log_file *f, void (*done)(void *arg), void *arg)
{
        f->finishing = true;
        f->finish_done = done;
        f->finish_arg = arg;
        if (!f->finish_deadline_ns)
                f->finish_deadline_ns = now_mono_ns() + (uint64_t)LOG_FINISH_DEADLINE_MS * 1000000ull;
        write_out(f);
        if (f->len == 0 || uv_is_closing((uv_handle_t *)&f->timer)) {
                finish_complete(f);
                return;
        }
        uv_timer_start(&f->timer, on_timer, LOG_RETRY_MS, 0);
}

void log_file_stats(const struct log_file *f, struct log_file_stats *st)
{
        *st = f->st;
        st->buffered = f->len;
        st->size = f->size;
}

void log_file_finish_by(struct log_file *f, uint64_t deadline_ns)
{
        f->finish_deadline_ns = deadline_ns;
}

bool log_file_failing(const struct log_file *f)
{
        return f->st.failing;
}

void log_file_give_up(struct log_file *f)
{
        if (f->spec.policy == LOG_DROP)
                return;
        log_warn("%s: the log file %s still cannot be written after the app ended; dropping the rest of its output (counted)",
                 f->label, f->name);
        f->spec.policy = LOG_DROP;
        waiter_wake_all(&f->waiters);
}

void log_file_close(struct log_file *f)
{
        if (!f)
                return;
        f->waiters = NULL;
        if (!uv_is_closing((uv_handle_t *)&f->timer))
                uv_close((uv_handle_t *)&f->timer, NULL);
}

void log_file_free(struct log_file *f)
{
        if (!f)
                return;
        if (f->len)
                write_out(f);
        if (f->fd >= 0)
                close(f->fd);
        if (f->dirfd >= 0)
                close(f->dirfd);
        free(f->buf);
        free(f->name);
        free(f->label);
        free(f);
}
