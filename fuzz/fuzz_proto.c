/*
 * The control protocol (common/proto.c, docs/protocol.md) from both ends.
 *
 * Input: one byte choosing the decoder's frame limit, one seeding how the
 * stream is cut into reads, then the byte stream itself.
 *
 * podinit's end: the stream fed to a frame_decoder in those reads, as the
 * server's read callback does; every frame decoded must re-encode to the
 * bytes it came from; a request's JSON is read as server.c reads it (an
 * object with "v", "id", "op"), and an app-add's "app" goes through
 * pod_app_parse, the first thing that op does.  (The rest of the request
 * handling and the attach frames need a running pod: init/control/.)
 *
 * podctl's end: the stream is what a pod answers on a real socket in a temp
 * directory, read by common/client.c (ctl_call, then the attach stream's
 * ctl_read_some/ctl_buffered_frame).  cli/cmd_attach.c's handling of each
 * frame is static there and not reached.
 */
#include "fuzz.h"
#include "common/client.h"
#include "common/fdutil.h"
#include "common/manifest.h"
#include "common/podstate.h"
#include "common/proto.h"

#include <fcntl.h>
#include <jansson.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static char pod_dir[256];
static int listen_fd = -1;

static void cleanup(void)
{
        if (pod_dir[0])
                rm_rf_at(AT_FDCWD, pod_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *tmp = getenv("TMPDIR") ?: "/tmp";
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        snprintf(pod_dir, sizeof(pod_dir), "%s/fuzz-proto.XXXXXX", tmp);
        if (!mkdtemp(pod_dir))
                abort();
        atexit(cleanup);
        dir = xasprintf("%s/%s", pod_dir, POD_PODINIT_DIR);
        if (mkdir_p_at(AT_FDCWD, dir, 0700) < 0 || (dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                abort();
        /* Through the directory's fd, as common/client.c connects: TMPDIR may be longer than sun_path. */
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dfd, PROTO_SOCKET_NAME);
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(listen_fd, 4) < 0)
                abort();
        return 0;
}

/* What server.c's handle_request reads of a request before it needs the pod. */
static void request(const uint8_t *p, size_t len)
{
        json_t *req = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, NULL), *op, *app;

        if (json_is_object(req) && json_is_string(op = json_object_get(req, "op")) &&
            !strcmp(json_string_value(op), "app-add") && json_is_object(app = json_object_get(req, "app"))) {
                struct pod_app a = { 0 };
                struct pod_err err = { 0 };
                if (pod_app_parse(app, "app", &a, &err) < 0)
                        FUZZ_CHECK(err.code < 0);
                pod_app_done(&a);
        }
        json_decref(req);
}

static void server_end(size_t max_frame, uint32_t seed, const uint8_t *s, size_t n)
{
        struct frame_decoder d;
        size_t fed = 0, used = 0;

        frame_decoder_init(&d, max_frame);
        while (fed < n) {
                size_t chunk;
                uint8_t type;
                const uint8_t *payload;
                size_t len;
                int r;

                seed = seed * 1103515245u + 12345u;
                chunk = 1 + (seed >> 16) % 64;
                if (chunk > n - fed)
                        chunk = n - fed;
                frame_decoder_feed(&d, s + fed, chunk);
                fed += chunk;
                while ((r = frame_decoder_next(&d, &type, &payload, &len)) == 1) {
                        uint8_t hdr[PROTO_HEADER_SIZE];
                        frame_header(hdr, type, len);
                        FUZZ_CHECK(len + 1 <= max_frame);
                        FUZZ_CHECK(used + sizeof(hdr) + len <= fed);
                        FUZZ_CHECK(!memcmp(hdr, s + used, sizeof(hdr)));
                        FUZZ_CHECK(len == 0 || !memcmp(payload, s + used + sizeof(hdr), len));
                        used += sizeof(hdr) + len;
                        if (type == FRAME_REQUEST)
                                request(payload, len);
                }
                if (r < 0)
                        break;          /* the server refuses the client and closes */
        }
        frame_decoder_done(&d);
}

static void client_end(const uint8_t *s, size_t n)
{
        struct ctl_conn *c = NULL;
        struct pod_err err = { 0 };
        json_t *resp = NULL;
        uint8_t type;
        const uint8_t *payload;
        size_t len, off = 0;
        int srv;

        if (ctl_connect_timeout(pod_dir, 2000, &c, &err) < 0)
                abort();
        srv = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        FUZZ_CHECK(srv >= 0);
        while (off < n) {
                ssize_t w = send(srv, s + off, n - off, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (w <= 0)
                        break;  /* the socket's buffer is full: the rest is cut off */
                off += (size_t)w;
        }
        shutdown(srv, SHUT_WR);
        if (ctl_call(c, json_pack("{s:s}", "op", "status"), &resp, &err) == 0)
                FUZZ_CHECK(json_is_object(resp));
        else
                FUZZ_CHECK(err.code < 0 && resp == NULL);
        json_decref(resp);
        /* The attach stream: whatever follows, frame by frame, until the pod hangs up. */
        for (;;) {
                int r;
                while ((r = ctl_buffered_frame(c, &type, &payload, &len)) == 1)
                        ;
                if (r < 0 || ctl_read_some(c) <= 0)
                        break;
        }
        ctl_close(c);
        close(srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const size_t limits[] = { PROTO_DEFAULT_MAX_FRAME, 1, 6, 300 };

        if (size < 2)
                return 0;
        server_end(limits[data[0] & 3], data[1], data + 2, size - 2);
        client_end(data + 2, size - 2);
        return 0;
}
