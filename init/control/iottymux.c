#include "init/control/iottymux.h"
#include "init/core/pod.h"
#include "init/core/events.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/owner.h"

#include <fcntl.h>
#include <jansson.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define RAW_QUEUE (1u << 20)

enum { EP_TTY, EP_STDIN, EP_STDOUT, EP_STDERR, EP_COUNT };
static const char *const ep_names[EP_COUNT] = { "tty", "stdin", "stdout", "stderr" };

struct raw_listener {
        uv_pipe_t server;
        struct iottymux *mux;
        int ep;
        bool open;
};

struct raw_conn {
        uv_pipe_t pipe;
        struct iottymux *mux;
        int ep;
        struct io_sub sub;
        struct raw_conn *next;
        bool closing, paused;
};

struct iottymux {
        struct app *app;
        struct raw_listener l[EP_COUNT];
        struct raw_conn *conns;
};

static char rbuf[64 * 1024];

static void conn_free(uv_handle_t *h)
{
        free(container_of((uv_pipe_t *)h, struct raw_conn, pipe));
}

static void conn_close(struct raw_conn *c)
{
        struct raw_conn **pp;

        if (c->closing)
                return;
        c->closing = true;
        io_out_unsubscribe(&c->sub);
        for (pp = &c->mux->conns; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        uv_close((uv_handle_t *)&c->pipe, conn_free);
}

struct raw_write {
        uv_write_t req;
        char data[];
};

static void raw_write_done(uv_write_t *req, int status)
{
        free(container_of(req, struct raw_write, req));
}

static void raw_data(struct io_sub *s, struct io_out *o, const char *buf, size_t len)
{
        struct raw_conn *c = container_of(s, struct raw_conn, sub);
        struct raw_write *w;
        uv_buf_t b;

        if (c->closing)
                return;
        if (uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) + len > RAW_QUEUE) {
                c->mux->app->io.dropped[o->stream == IO_STDERR ? 1 : 0] += len;
                return;
        }
        w = xmalloc(sizeof(*w) + len);
        memcpy(w->data, buf, len);
        b = uv_buf_init(w->data, (unsigned)len);
        if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, raw_write_done) < 0)
                free(w);
}

static void raw_shutdown_done(uv_shutdown_t *req, int status)
{
        struct raw_conn *c = req->data;
        free(req);
        conn_close(c);
}

static void raw_eof(struct io_sub *s, struct io_out *o)
{
        struct raw_conn *c = container_of(s, struct raw_conn, sub);
        uv_shutdown_t *req = xmalloc(sizeof(*req));

        /* rkt's attach exits when an output connection reaches EOF. */
        io_out_unsubscribe(&c->sub);
        req->data = c;
        if (uv_shutdown(req, (uv_stream_t *)&c->pipe, raw_shutdown_done) < 0) {
                free(req);
                conn_close(c);
        }
}

static void raw_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        *buf = uv_buf_init(rbuf, sizeof(rbuf));
}

static void raw_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf);

static void iottymux_stdin_drained(struct app *a)
{
        struct iottymux *mux = a->iottymux;

        for (struct raw_conn *c = mux ? mux->conns : NULL; c; c = c->next)
                if (c->paused && !c->closing) {
                        c->paused = false;
                        uv_read_start((uv_stream_t *)&c->pipe, raw_alloc, raw_read);
                }
}

static void raw_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
        struct raw_conn *c = container_of((uv_pipe_t *)st, struct raw_conn, pipe);
        struct app *a = c->mux->app;

        if (n == UV_EOF && c->ep != EP_STDIN) {
                /* A client done writing still reads the output (e.g. `echo x | attach`). */
                uv_read_stop(st);
                return;
        }
        if (n < 0) {
                conn_close(c);
                return;
        }
        if (n == 0 || (c->ep != EP_STDIN && c->ep != EP_TTY))
                return;         /* writes to output sockets are ignored, as in rkt */
        if (!a->io.in_used)
                return;
        if (io_in_write(&a->io.in, buf->base, (size_t)n) == 1) {
                c->paused = true;
                uv_read_stop(st);
        }
}

static void on_conn(uv_stream_t *server, int status)
{
        struct raw_listener *l = container_of((uv_pipe_t *)server, struct raw_listener, server);
        struct iottymux *mux = l->mux;
        struct app *a = mux->app;
        struct raw_conn *c;

        if (status < 0)
                return;
        c = xcalloc(1, sizeof(*c));
        c->mux = mux;
        c->ep = l->ep;
        uv_pipe_init(&a->pod->loop, &c->pipe, 0);
        c->next = mux->conns;
        mux->conns = c;
        if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
                conn_close(c);
                return;
        }
        /* rkt's attach runs as root.  These sockets bypass the control
         * server, so they check their peers too (docs/security.md): root
         * only, whatever the modes on the way say.  The raw stream has no
         * error message to give; the refusal is logged. */
        {
                struct ucred cr = { .uid = POD_NO_OWNER };
                socklen_t len = sizeof(cr);
                uv_os_fd_t fd;

                if (uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
                    !owner_admits(cr.uid, geteuid(), POD_NO_OWNER)) {
                        log_warn("app %s: rkt attach socket: refused a connection from uid %d: not root", a->spec->name,
                                 (int)cr.uid);
                        conn_close(c);
                        return;
                }
        }
        c->sub.data = raw_data;
        c->sub.eof = raw_eof;
        if (l->ep == EP_TTY || l->ep == EP_STDOUT)
                io_out_subscribe(&a->io.out[0], &c->sub);
        else if (l->ep == EP_STDERR)
                io_out_subscribe(&a->io.out[1], &c->sub);
        uv_read_start((uv_stream_t *)&c->pipe, raw_alloc, raw_read);
}

static int iottymux_open(struct app *a)
{
        char dir[256], path[300];
        bool want[EP_COUNT] = { false };
        json_t *targets, *doc;
        struct iottymux *mux;
        char *s;
        int r;

        want[EP_TTY] = a->io.tty;
        want[EP_STDIN] = !a->io.tty && a->spec->io[IO_STDIN] == IO_STREAM;
        want[EP_STDOUT] = !a->io.tty && a->spec->io[IO_STDOUT] == IO_STREAM;
        want[EP_STDERR] = !a->io.tty && a->spec->io[IO_STDERR] == IO_STREAM;
        if (!want[EP_TTY] && !want[EP_STDIN] && !want[EP_STDOUT] && !want[EP_STDERR])
                return 0;
        snprintf(dir, sizeof(dir), "/rkt/iottymux/%s", a->spec->name);
        if ((r = mkdir_p_at(AT_FDCWD, dir, 0700)) < 0)
                return r;
        mux = xcalloc(1, sizeof(*mux));
        mux->app = a;
        a->iottymux = mux;
        targets = json_array();
        /* Order: stdin, stdout, stderr, or a single tty (rkt's). */
        for (int ep = EP_STDIN; ep <= EP_COUNT; ep++) {
                int e = ep == EP_COUNT ? EP_TTY : ep;
                struct raw_listener *l = &mux->l[e];
                if (!want[e])
                        continue;
                snprintf(path, sizeof(path), "%s/sock-%s", dir, ep_names[e]);
                unlink(path);
                l->mux = mux;
                l->ep = e;
                uv_pipe_init(&a->pod->loop, &l->server, 0);
                l->open = true;
                if ((r = uv_pipe_bind(&l->server, path)) < 0 ||
                    (r = uv_listen((uv_stream_t *)&l->server, 16, on_conn)) < 0) {
                        log_warn("app %s: rkt attach socket %s: %s", a->spec->name, path, uv_strerror(r));
                        json_decref(targets);
                        return r;
                }
                chmod(path, 0600);
                json_array_append_new(targets, json_pack("{s:s,s:s,s:s}", "name", ep_names[e], "domain", "unix",
                                                         "address", path));
        }
        doc = json_pack("{s:i,s:o}", "version", 1, "targets", targets);
        s = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        snprintf(path, sizeof(path), "%s/endpoints", dir);
        {
                char *line = xasprintf("%s\n", s);
                r = write_file_atomic(AT_FDCWD, path, line, strlen(line), 0644, 0);
                free(line);
        }
        free(s);
        return r;
}

static void iottymux_close(struct app *a)
{
        struct iottymux *mux = a->iottymux;

        if (!mux)
                return;
        while (mux->conns)
                conn_close(mux->conns);
        for (int e = 0; e < EP_COUNT; e++)
                if (mux->l[e].open) {
                        mux->l[e].open = false;
                        uv_close((uv_handle_t *)&mux->l[e].server, NULL);
                }
}

static void iottymux_free(struct app *a)
{
        free(a->iottymux);
        a->iottymux = NULL;
}

/* One pod per PID 1: one observer, for as long as the process lives. */
static struct pod_observer iottymux_observer;

static void iottymux_notify(struct pod_observer *o, const struct pod_event *ev)
{
        struct app *a = ev->app;
        int r;

        switch (ev->kind) {
        case POD_EV_APP_STARTED:
                if (!a->iottymux && (r = iottymux_open(a)) < 0)
                        log_warn("app %s: rkt attach endpoints unavailable: %s", a->spec->name, strerror(-r));
                break;
        case POD_EV_APP_STDIN_DRAINED:
                iottymux_stdin_drained(a);
                break;
        case POD_EV_APP_CLOSING:
                iottymux_close(a);
                break;
        case POD_EV_APP_FREEING:
                iottymux_free(a);
                break;
        default:
                break;
        }
}

void iottymux_observe(struct pod *pod)
{
        iottymux_observer.phase = POD_PHASE_PUBLISH;
        iottymux_observer.notify = iottymux_notify;
        pod_observe(pod, &iottymux_observer);
}
