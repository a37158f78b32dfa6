/*
 * The ttrpc server on a libuv loop, driven over socketpairs and a listening
 * socket: dispatch, status errors (unknown service/method, even stream ids,
 * garbage, oversized frames), answers after the client left, a client that
 * never reads its replies, and the connection limit.  Every test ends with
 * uv_loop_close() == 0: nothing is left open.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "shim/ttrpc.h"
#include "containerd/task/v2/shim.pb-c.h"

#define SERVICE "containerd.task.v2.Task"

static struct ttrpc_call *parked;

/* Connect: answers version = the request's id. */
static void m_connect(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        Containerd__Task__V2__ConnectRequest *q = containerd__task__v2__connect_request__unpack(NULL, n, p);
        Containerd__Task__V2__ConnectResponse r = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;

        if (!q) {
                ttrpc_call_error(call, TTRPC_INVALID_ARGUMENT, "not a ConnectRequest");
                return;
        }
        r.shim_pid = (uint32_t)getpid();
        r.version = q->id;
        ttrpc_call_reply(call, &r.base);
        containerd__task__v2__connect_request__free_unpacked(q, NULL);
}

/* Wait: parked until the test answers it. */
static void m_wait(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        parked = call;
}

/* State: a reply of (id) bytes of stdout, to fill a client's queue. */
static void m_state(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        Containerd__Task__V2__StateRequest *q = containerd__task__v2__state_request__unpack(NULL, n, p);
        Containerd__Task__V2__StateResponse r = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
        size_t size = q ? strtoul(q->id, NULL, 10) : 0;
        char *big = malloc(size + 1);

        memset(big, 'o', size);
        big[size] = 0;
        r.stdout = big;
        ttrpc_call_reply(call, &r.base);
        free(big);
        containerd__task__v2__state_request__free_unpacked(q, NULL);
}

static const struct ttrpc_method methods[] = {
        { "Connect", m_connect },
        { "Wait", m_wait },
        { "State", m_state },
};
static const struct ttrpc_service services[] = {
        { SERVICE, methods, 3, NULL },
};

struct client {
        int fd;
        struct ttrpc_decoder dec;
};

static void send_all(int fd, const uint8_t *b, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, b, n);
                ASSERT(k > 0);
                b += k;
                n -= (size_t)k;
        }
}

static void send_connect(struct client *c, uint32_t stream, const char *service, const char *method,
                         const char *id)
{
        Containerd__Task__V2__ConnectRequest m = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
        uint8_t *f;
        size_t n;

        m.id = (char *)id;
        ASSERT_EQ(0, ttrpc_request_frame(stream, service, method, &m.base, &f, &n));
        send_all(c->fd, f, n);
        free(f);
}

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Run the loop until the client has a response frame (or its socket reports EOF: NULL). */
static Ttrpc__Response *recv_response(uv_loop_t *loop, struct client *c, uint32_t *ret_stream)
{
        long long deadline = now_ms() + 5000;

        for (;;) {
                struct ttrpc_header h;
                const uint8_t *body;
                uint8_t buf[65536];
                struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
                ssize_t k;

                if (ttrpc_decoder_next(&c->dec, &h, &body) == TTRPC_FRAME) {
                        ASSERT_EQ(TTRPC_TYPE_RESPONSE, h.type);
                        *ret_stream = h.stream_id;
                        return ttrpc_response_parse(body, h.length);
                }
                if (now_ms() > deadline)
                        FAIL_AT("no response within 5 s");
                uv_run(loop, UV_RUN_NOWAIT);
                if (poll(&pfd, 1, 10) == 1) {
                        k = read(c->fd, buf, sizeof(buf));
                        if (k == 0)
                                return NULL;
                        ASSERT(k > 0);
                        ASSERT_EQ(0, ttrpc_decoder_feed(&c->dec, buf, (size_t)k));
                }
        }
}

static void expect_error(uv_loop_t *loop, struct client *c, uint32_t stream, int code, const char *text)
{
        uint32_t got;
        Ttrpc__Response *r = recv_response(loop, c, &got);

        ASSERT(r && r->status);
        ASSERT_EQ(stream, got);
        ASSERT_EQ(code, r->status->code);
        ASSERT_CONTAINS(r->status->message, text);
        ttrpc__response__free_unpacked(r, NULL);
}

static void expect_version(uv_loop_t *loop, struct client *c, uint32_t stream, const char *version)
{
        Containerd__Task__V2__ConnectResponse *m;
        uint32_t got;
        Ttrpc__Response *r = recv_response(loop, c, &got);

        ASSERT(r);
        ASSERT(!r->status || r->status->code == 0);
        ASSERT_EQ(stream, got);
        m = containerd__task__v2__connect_response__unpack(NULL, r->payload.len, r->payload.data);
        ASSERT(m);
        ASSERT_STREQ(version, m->version);
        ASSERT_EQ(getpid(), m->shim_pid);
        containerd__task__v2__connect_response__free_unpacked(m, NULL);
        ttrpc__response__free_unpacked(r, NULL);
}

static void client_pair(struct ttrpc_server *s, struct client *c)
{
        int sv[2];

        ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
        ASSERT_EQ(0, ttrpc_server_adopt(s, sv[0]));
        c->fd = sv[1];
        ttrpc_decoder_init(&c->dec, 0);
}

static void client_close(struct client *c)
{
        close(c->fd);
        ttrpc_decoder_done(&c->dec);
}

static void server_finish(uv_loop_t *loop, struct ttrpc_server *s)
{
        ttrpc_server_close(s);
        ASSERT_EQ(0, uv_run(loop, UV_RUN_DEFAULT));
        ASSERT_EQ(0, uv_loop_close(loop));
}

TEST(ttrpc_server_dispatch_and_status_errors)
{
        uv_loop_t loop;
        struct ttrpc_server *s;
        struct client c;
        uint8_t hdr[TTRPC_HEADER_SIZE], junk[32];

        ASSERT_EQ(0, uv_loop_init(&loop));
        ASSERT_EQ(0, ttrpc_server_new(&loop, services, 1, NULL, &s));
        client_pair(s, &c);

        send_connect(&c, 1, SERVICE, "Connect", "hello");
        expect_version(&loop, &c, 1, "hello");
        send_connect(&c, 3, "containerd.task.v3.Task", "Connect", "x");
        expect_error(&loop, &c, 3, TTRPC_UNIMPLEMENTED, "service containerd.task.v3.Task");
        send_connect(&c, 5, SERVICE, "Checkpoint", "x");
        expect_error(&loop, &c, 5, TTRPC_UNIMPLEMENTED, "method Checkpoint");
        send_connect(&c, 6, SERVICE, "Connect", "x");
        expect_error(&loop, &c, 6, TTRPC_INVALID_ARGUMENT, "odd");

        /* A body that is not a ttrpc.Request. */
        memset(junk, 0xff, sizeof(junk));
        ttrpc_header_encode(hdr, &(struct ttrpc_header){ .length = sizeof(junk), .stream_id = 7, .type = 1 });
        send_all(c.fd, hdr, sizeof(hdr));
        send_all(c.fd, junk, sizeof(junk));
        expect_error(&loop, &c, 7, TTRPC_INVALID_ARGUMENT, "not a ttrpc.Request");

        /* A frame of an unknown type is ignored; the next request is served. */
        ttrpc_header_encode(hdr, &(struct ttrpc_header){ .length = sizeof(junk), .stream_id = 9, .type = 0x7f });
        send_all(c.fd, hdr, sizeof(hdr));
        send_all(c.fd, junk, sizeof(junk));
        send_connect(&c, 11, SERVICE, "Connect", "still here");
        expect_version(&loop, &c, 11, "still here");

        client_close(&c);
        server_finish(&loop, s);
}

/* A frame over 4 MiB gets RESOURCE_EXHAUSTED on its stream and the connection goes on. */
TEST(ttrpc_server_oversized_frame_answered_then_served)
{
        uv_loop_t loop;
        struct ttrpc_server *s;
        struct client c;
        uint8_t hdr[TTRPC_HEADER_SIZE], *body;
        size_t len = TTRPC_MESSAGE_MAX + 1;

        ASSERT_EQ(0, uv_loop_init(&loop));
        ASSERT_EQ(0, ttrpc_server_new(&loop, services, 1, NULL, &s));
        client_pair(s, &c);
        body = calloc(1, len);
        ASSERT(body);
        ttrpc_header_encode(hdr, &(struct ttrpc_header){ .length = (uint32_t)len, .stream_id = 1, .type = 1 });
        send_all(c.fd, hdr, sizeof(hdr));
        expect_error(&loop, &c, 1, TTRPC_RESOURCE_EXHAUSTED, "exceed maximum message size");
        /* The body is written in pieces while the loop runs (the socket buffer is smaller). */
        ASSERT_EQ(0, fcntl(c.fd, F_SETFL, O_NONBLOCK));
        for (size_t off = 0; off < len;) {
                ssize_t k = write(c.fd, body + off, len - off);
                if (k < 0) {
                        ASSERT(errno == EAGAIN);
                        uv_run(&loop, UV_RUN_NOWAIT);
                        continue;
                }
                off += (size_t)k;
        }
        ASSERT_EQ(0, fcntl(c.fd, F_SETFL, 0));
        send_connect(&c, 3, SERVICE, "Connect", "after");
        expect_version(&loop, &c, 3, "after");
        free(body);
        client_close(&c);
        server_finish(&loop, s);
}

/* A call answered after its client hung up is dropped; the other client is unaffected. */
TEST(ttrpc_server_answer_after_client_left)
{
        Containerd__Task__V2__WaitResponse w = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
        uv_loop_t loop;
        struct ttrpc_server *s;
        struct client a, b;
        long long deadline;

        ASSERT_EQ(0, uv_loop_init(&loop));
        ASSERT_EQ(0, ttrpc_server_new(&loop, services, 1, NULL, &s));
        client_pair(s, &a);
        client_pair(s, &b);
        send_connect(&a, 1, SERVICE, "Wait", "");
        deadline = now_ms() + 5000;
        while (!parked && now_ms() < deadline)
                uv_run(&loop, UV_RUN_ONCE);
        ASSERT(parked);
        ASSERT(ttrpc_call_connected(parked));
        client_close(&a);
        deadline = now_ms() + 5000;
        while (ttrpc_call_connected(parked) && now_ms() < deadline)
                uv_run(&loop, UV_RUN_ONCE);
        ASSERT(!ttrpc_call_connected(parked));
        ASSERT_EQ(1, ttrpc_server_connections(s));
        w.exit_status = 3;
        ttrpc_call_reply(parked, &w.base);
        parked = NULL;
        send_connect(&b, 1, SERVICE, "Connect", "b");
        expect_version(&loop, &b, 1, "b");
        client_close(&b);
        server_finish(&loop, s);
}

/* A client that sends requests and never reads the replies is dropped once its queue passes
 * the limit; the loop never blocks on it and another client is served meanwhile. */
TEST(ttrpc_server_drops_client_that_never_reads)
{
        struct ttrpc_server_limits lim = { .max_queued = 1u << 20 };
        Containerd__Task__V2__StateRequest q = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
        uv_loop_t loop;
        struct ttrpc_server *s;
        struct client slow, ok;
        uint8_t *f;
        size_t n;
        long long deadline;

        ASSERT_EQ(0, uv_loop_init(&loop));
        ASSERT_EQ(0, ttrpc_server_new(&loop, services, 1, &lim, &s));
        client_pair(s, &slow);
        client_pair(s, &ok);
        q.id = (char *)"262144";
        for (uint32_t i = 0; i < 32; i++) {
                ASSERT_EQ(0, ttrpc_request_frame(2 * i + 1, SERVICE, "State", &q.base, &f, &n));
                send_all(slow.fd, f, n);
                free(f);
        }
        deadline = now_ms() + 5000;
        while (ttrpc_server_connections(s) == 2 && now_ms() < deadline)
                uv_run(&loop, UV_RUN_NOWAIT);
        ASSERT_EQ(1, ttrpc_server_connections(s));
        send_connect(&ok, 1, SERVICE, "Connect", "served");
        expect_version(&loop, &ok, 1, "served");
        client_close(&slow);
        client_close(&ok);
        server_finish(&loop, s);
}

/* The listening socket: a stale socket file is replaced, connections past the limit are
 * closed at once, and the rest are served. */
TEST(ttrpc_server_listen_and_connection_limit)
{
        struct ttrpc_server_limits lim = { .max_connections = 2 };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        uv_loop_t loop;
        struct ttrpc_server *s;
        struct client c[3];
        uint32_t got;
        int stale;

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ttrpc.sock", test_tmpdir());
        stale = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_EQ(0, bind(stale, (struct sockaddr *)&sa, sizeof(sa)));
        close(stale);
        ASSERT_EQ(0, uv_loop_init(&loop));
        ASSERT_EQ(0, ttrpc_server_new(&loop, services, 1, &lim, &s));
        ASSERT_EQ(0, ttrpc_server_listen(s, sa.sun_path));
        for (int i = 0; i < 3; i++) {
                c[i].fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                ASSERT_EQ(0, connect(c[i].fd, (struct sockaddr *)&sa, sizeof(sa)));
                ttrpc_decoder_init(&c[i].dec, 0);
                /* Accept in order, so the third is the one over the limit. */
                for (long long d = now_ms() + 5000; ttrpc_server_connections(s) < (size_t)(i < 2 ? i + 1 : 2) && now_ms() < d;)
                        uv_run(&loop, UV_RUN_NOWAIT);
        }
        ASSERT(recv_response(&loop, &c[2], &got) == NULL);      /* closed without an answer */
        send_connect(&c[0], 1, SERVICE, "Connect", "first");
        expect_version(&loop, &c[0], 1, "first");
        send_connect(&c[1], 1, SERVICE, "Connect", "second");
        expect_version(&loop, &c[1], 1, "second");
        for (int i = 0; i < 3; i++)
                client_close(&c[i]);
        server_finish(&loop, s);
}
