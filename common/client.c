/*
 * The client side of the control socket.  Blocking I/O with a receive
 * timeout: podctl is a short-lived command, and a stuck pod must give the
 * user an error, not a hung terminal.  The socket is reached through an
 * O_PATH fd of its directory (/proc/self/fd/N/control.sock), so pod
 * directories deeper than sun_path's 108 bytes still work.
 *
 * A user podinit does not admit (docs/security.md) either cannot reach the
 * socket (EACCES) or is told so in one error response before podinit
 * closes the connection; both are -EACCES here, with a message that says
 * who may.  Writes never raise SIGPIPE: a connection podinit already closed
 * still has its last words to read.
 */
#include "common/client.h"
#include "common/fdutil.h"
#include "common/owner.h"
#include "common/podstate.h"
#include "common/proto.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

struct ctl_conn {
        int fd;
        struct frame_decoder dec;
        int next_id;
        unsigned timeout_ms;
};

/* The directory or the socket is not ours to reach: say who may. */
static int refused(const char *pod_path, struct pod_err *err)
{
        const char *name = strrchr(pod_path, '/') ? strrchr(pod_path, '/') + 1 : pod_path;

        if (!*name || !strcmp(name, "."))
                return pod_err_set(err, -EACCES, "cannot connect to this pod's control socket: permission denied (" OWNER_HINT ")");
        return pod_err_set(err, -EACCES, "cannot connect to pod %s's control socket: permission denied (" OWNER_HINT ")", name);
}

int ctl_connect(const char *pod_path, struct ctl_conn **ret, struct pod_err *err)
{
        return ctl_connect_timeout(pod_path, CTL_TIMEOUT_MS, ret, err);
}

int ctl_connect_timeout(const char *pod_path, unsigned timeout_ms, struct ctl_conn **ret, struct pod_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", pod_path, POD_PODINIT_DIR);
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        char path[64];
        struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
        struct ctl_conn *c;
        int fd;

        if (dfd < 0 && (errno == EACCES || errno == EPERM))
                return refused(pod_path, err);
        if (dfd < 0)
                return pod_err_set(err, -errno, "pod control directory %s: %s", dir, strerror(errno));
        snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, PROTO_SOCKET_NAME);
        if ((fd = unix_connect(path)) == -EACCES || fd == -EPERM)
                return refused(pod_path, err);
        if (fd < 0)
                return pod_err_set(err, fd, "connecting to %s/%s: %s", dir, PROTO_SOCKET_NAME, strerror(-fd));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        c = xcalloc(1, sizeof(*c));
        c->fd = fd;
        c->timeout_ms = timeout_ms;
        frame_decoder_init(&c->dec, 16u << 20);
        *ret = c;
        return 0;
}

static int read_frame(struct ctl_conn *c, uint8_t *type, const uint8_t **payload, size_t *len,
                      struct pod_err *err)
{
        char buf[16384];
        int r;

        while ((r = frame_decoder_next(&c->dec, type, payload, len)) == 0) {
                ssize_t n = read(c->fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return pod_err_set(err, -ETIMEDOUT, "reading from the pod: no answer within %u.%u s",
                                           c->timeout_ms / 1000, c->timeout_ms % 1000 / 100);
                if (n < 0)
                        return pod_err_set(err, -errno, "reading from the pod: %s", strerror(errno));
                if (n == 0)
                        return pod_err_set(err, -ECONNRESET, "the pod closed the connection");
                frame_decoder_feed(&c->dec, buf, (size_t)n);
        }
        if (r < 0)
                return pod_err_set(err, r, "bad frame from the pod");
        return 0;
}

int ctl_call(struct ctl_conn *c, json_t *req, json_t **ret, struct pod_err *err)
{
        uint8_t hdr[PROTO_HEADER_SIZE], type;
        const uint8_t *payload;
        size_t len;
        json_error_t je;
        json_t *resp, *ok;
        char *body;
        int r;

        json_object_set_new(req, "v", json_integer(PROTO_VERSION));
        json_object_set_new(req, "id", json_integer(++c->next_id));
        body = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        frame_header(hdr, FRAME_REQUEST, strlen(body));
        r = send_all(c->fd, hdr, sizeof(hdr));
        if (r >= 0)
                r = send_all(c->fd, body, strlen(body));
        free(body);
        if (r == -EAGAIN || r == -EWOULDBLOCK)
                return pod_err_set(err, -ETIMEDOUT, "writing to the pod: it takes no request within %u.%u s",
                                   c->timeout_ms / 1000, c->timeout_ms % 1000 / 100);
        /* Closed already (a refused peer): its one response may be waiting to be read. */
        if (r < 0 && r != -EPIPE && r != -ECONNRESET)
                return pod_err_set(err, r, "writing to the pod: %s", strerror(-r));
        do {
                if ((r = read_frame(c, &type, &payload, &len, err)) < 0)
                        return r;
        } while (type != FRAME_RESPONSE);
        resp = json_loadb((const char *)payload, len, 0, &je);
        if (!resp || !json_is_object(resp)) {
                json_decref(resp);
                return pod_err_set(err, -EBADMSG, "the pod sent a malformed response");
        }
        ok = json_object_get(resp, "ok");
        if (!json_is_true(ok)) {
                json_t *e = json_object_get(resp, "error");
                const char *msg = json_string_value(json_object_get(e, "message"));
                const char *code = json_string_value(json_object_get(e, "code"));
                r = pod_err_set(err, code && !strcmp(code, "permission-denied") ? -EACCES : -EPROTO, "%s",
                                msg ? msg : "the pod refused the request");
                json_decref(resp);
                return r;
        }
        *ret = resp;
        return 0;
}

int ctl_wait_closed(struct ctl_conn *c)
{
        struct timeval tv = { 0 };
        char buf[4096];

        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        for (;;) {
                ssize_t n = read(c->fd, buf, sizeof(buf));
                if (n == 0)
                        return 0;
                if (n < 0 && errno != EINTR)
                        return errno == ECONNRESET ? 0 : -errno;
        }
}

void ctl_close(struct ctl_conn *c)
{
        if (!c)
                return;
        close(c->fd);
        frame_decoder_done(&c->dec);
        free(c);
}

int ctl_fd(const struct ctl_conn *c)
{
        return c->fd;
}

int ctl_send_frame(struct ctl_conn *c, uint8_t type, const void *data, size_t len)
{
        uint8_t hdr[PROTO_HEADER_SIZE];
        int r;

        frame_header(hdr, type, len);
        r = send_all(c->fd, hdr, sizeof(hdr));
        if (r >= 0 && len)
                r = send_all(c->fd, data, len);
        return r;
}

int ctl_buffered_frame(struct ctl_conn *c, uint8_t *type, const uint8_t **payload, size_t *len)
{
        return frame_decoder_next(&c->dec, type, payload, len);
}

ssize_t ctl_read_some(struct ctl_conn *c)
{
        char buf[65536];
        ssize_t n;

        do
                n = read(c->fd, buf, sizeof(buf));
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == ECONNRESET ? 0 : -errno;
        if (n > 0)
                frame_decoder_feed(&c->dec, buf, (size_t)n);
        return n;
}

void ctl_set_timeout(struct ctl_conn *c, unsigned timeout_ms)
{
        struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };

        c->timeout_ms = timeout_ms;
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

void ctl_no_timeout(struct ctl_conn *c)
{
        struct timeval tv = { 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}
