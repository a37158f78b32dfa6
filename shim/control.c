/*
 * The shim's calls to a pod's control socket (shim/pod_int.h): blocking,
 * each bounded by the client's timeout, made from the shim's loop while
 * containerd waits for an answer.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "common/client.h"
#include "common/fdutil.h"
#include "common/podstate.h"
#include "shim/pod_int.h"

/* A blocking connection to the pod's control socket, with the client's timeout. */
int shim_control_connect(const char *pod_path, struct pod_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", pod_path, POD_PODINIT_DIR);
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct timeval tv = { .tv_sec = CTL_TIMEOUT_MS / 1000 };
        char path[64];
        int fd;

        if (dfd < 0)
                return pod_err_set(err, -errno, "pod control directory %s: %s", dir, strerror(errno));
        snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, PROTO_SOCKET_NAME);
        fd = unix_connect(path);
        if (fd < 0)
                return pod_err_set(err, fd, "connecting to %s/%s: %s", dir, PROTO_SOCKET_NAME, strerror(-fd));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        return fd;
}

void shim_append_request(char **buf, size_t *len, json_t *req)
{
        char *body;
        uint8_t hdr[PROTO_HEADER_SIZE];
        size_t n;

        json_object_set_new(req, "v", json_integer(PROTO_VERSION));
        body = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        n = strlen(body);
        frame_header(hdr, FRAME_REQUEST, n);
        *buf = xrealloc(*buf, *len + sizeof(hdr) + n);
        memcpy(*buf + *len, hdr, sizeof(hdr));
        memcpy(*buf + *len + sizeof(hdr), body, n);
        *len += sizeof(hdr) + n;
        free(body);
}

/*
 * Read the next RESPONSE frame; *ret its result (NULL for a result-less ok) or an error in err.
 * The read buffer is small on purpose: the decoder keeps what a frame needs, and every page of
 * stack the shim ever touches stays with it (one shim per pod) until it exits.
 */
int shim_read_response(int fd, struct frame_decoder *dec, const char *what, json_t **ret, struct pod_err *err)
{
        for (;;) {
                uint8_t type;
                const uint8_t *payload;
                size_t len;
                char buf[4096];
                ssize_t n;
                int r = frame_decoder_next(dec, &type, &payload, &len);

                if (r < 0)
                        return pod_err_set(err, r, "%s: a bad frame from the pod", what);
                if (r > 0 && type == FRAME_RESPONSE) {
                        json_t *resp = json_loadb((const char *)payload, len, 0, NULL);
                        json_t *e = json_object_get(resp, "error");
                        if (!json_is_true(json_object_get(resp, "ok"))) {
                                r = pod_err_set(err, -EIO, "%s: %s", what,
                                                json_string_value(json_object_get(e, "message")) ?: "refused by the pod");
                                json_decref(resp);
                                return r;
                        }
                        *ret = json_incref(json_object_get(resp, "result"));
                        json_decref(resp);
                        return 0;
                }
                if (r > 0)
                        continue;       /* not ours before the response */
                n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return pod_err_set(err, n == 0 ? -ECONNRESET : -errno, "%s: %s", what,
                                           n == 0 ? "the pod closed the connection" : strerror(errno));
                frame_decoder_feed(dec, buf, (size_t)n);
        }
}

int shim_control_call(const char *pod_path, json_t *req, const char *what, struct pod_err *err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = shim_control_connect(pod_path, err);
        struct frame_decoder dec;
        json_t *res = NULL;
        size_t len = 0;
        int r;

        if (fd < 0) {
                json_decref(req);
                return fd;
        }
        shim_append_request(&buf, &len, req);
        if ((r = send_all(fd, buf, len)) < 0)
                return pod_err_set(err, r, "%s: %s", what, strerror(-r));
        frame_decoder_init(&dec, 16u << 20);
        r = shim_read_response(fd, &dec, what, &res, err);
        json_decref(res);
        frame_decoder_done(&dec);
        return r;
}
