/*
 * The shim's event publisher (shim/publish.c) against a stand-in for
 * containerd's ttrpc events service, served by the shim's own ttrpc server
 * on a temporary socket: events go out in order as Forward calls with a
 * full envelope; one containerd refuses is logged and the rest go on; when
 * the socket goes away, the event in flight and the next ones go through
 * the publish binary (here a shell script that records its arguments and
 * stdin).  Every test ends with uv_loop_close() == 0.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "common/fdutil.h"
#include "common/util.h"
#include "shim/publish.h"
#include "shim/ttrpc.h"
#include "containerd/events/task.pb-c.h"
#include "containerd/services/events/ttrpc/v1/events.pb-c.h"

#define EVENTS "containerd.services.events.ttrpc.v1.Events"

struct got {
        char topics[8][32];
        char ids[8][32];
        char ns[32];
        size_t n;
        int64_t first_seconds;
        bool refuse_second;
};
static struct got got;

static void m_forward(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        Containerd__Services__Events__Ttrpc__V1__ForwardRequest *q =
                containerd__services__events__ttrpc__v1__forward_request__unpack(NULL, n, p);
        Containerd__Events__TaskExit *ev;
        Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
        size_t i = got.n;

        ASSERT(q && q->envelope && q->envelope->event && q->envelope->timestamp);
        ASSERT_STREQ("containerd.events.TaskExit", q->envelope->event->type_url);
        ev = containerd__events__task_exit__unpack(NULL, q->envelope->event->value.len, q->envelope->event->value.data);
        ASSERT(ev && i < 8);
        snprintf(got.topics[i], sizeof(got.topics[i]), "%s", q->envelope->topic);
        snprintf(got.ids[i], sizeof(got.ids[i]), "%s", ev->id);
        snprintf(got.ns, sizeof(got.ns), "%s", q->envelope->namespace_);
        if (i == 0)
                got.first_seconds = q->envelope->timestamp->seconds;
        got.n++;
        containerd__events__task_exit__free_unpacked(ev, NULL);
        containerd__services__events__ttrpc__v1__forward_request__free_unpacked(q, NULL);
        if (i == 1 && got.refuse_second)
                ttrpc_call_error(call, TTRPC_INVALID_ARGUMENT, "refused for the test");
        else
                ttrpc_call_reply(call, &e.base);
}

static const struct ttrpc_method methods[] = { { "Forward", m_forward } };
static const struct ttrpc_service services[] = { { EVENTS, methods, 1, NULL } };

static void exit_event(struct shim_publisher *pub, const char *id)
{
        Containerd__Events__TaskExit ev = CONTAINERD__EVENTS__TASK_EXIT__INIT;

        ev.container_id = (char *)id;
        ev.id = (char *)id;
        ev.exit_status = 3;
        shim_publish(pub, "/tasks/exit", "TaskExit", &ev.base);
}

/* The lines in file (0 if it is missing), its text in *text. */
static int lines_in(const char *file, char **text)
{
        size_t len = 0;
        int n = 0;

        free(*text);
        *text = NULL;
        if (read_file_at(AT_FDCWD, file, 4096, text, &len) < 0)
                return 0;
        for (size_t i = 0; i < len; i++)
                n += (*text)[i] == '\n';
        return n;
}

static bool idle_seen;
static void on_idle(struct shim_publisher *pub)
{
        idle_seen = true;
}

/* Run loop until cond or 5 s. */
#define RUN_UNTIL(loop, cond)                                                              \
        do {                                                                               \
                time_t end_ = time(NULL) + 5;                                              \
                while (!(cond) && time(NULL) <= end_)                                      \
                        uv_run(loop, UV_RUN_NOWAIT), usleep(1000);                         \
                ASSERT(cond);                                                              \
        } while (0)

TEST(publish_forwards_events_in_order_over_ttrpc)
{
        _cleanup_free_ char *sock = xasprintf("%s/ctd.ttrpc", test_tmpdir());
        struct shim_publisher pub;
        struct ttrpc_server *srv;
        uv_loop_t loop;

        got = (struct got){ .refuse_second = true };
        idle_seen = false;
        ASSERT_EQ(0, uv_loop_init(&loop));
        ASSERT_EQ(0, ttrpc_server_new(&loop, services, 1, NULL, &srv));
        ASSERT_EQ(0, ttrpc_server_listen(srv, sock));
        /* No binary: if anything went that way it would be lost, and the test would see it missing. */
        shim_publisher_init(&pub, &loop, NULL, "/ctd.sock", "k8s.io", sock);
        pub.on_idle = on_idle;
        exit_event(&pub, "one");
        exit_event(&pub, "two");
        exit_event(&pub, "three");
        RUN_UNTIL(&loop, got.n == 3 && idle_seen);
        ASSERT_STREQ("one", got.ids[0]);
        ASSERT_STREQ("two", got.ids[1]);       /* refused by "containerd": logged, the next goes on */
        ASSERT_STREQ("three", got.ids[2]);
        ASSERT_STREQ("/tasks/exit", got.topics[2]);
        ASSERT_STREQ("k8s.io", got.ns);
        ASSERT(got.first_seconds > time(NULL) - 60 && got.first_seconds <= time(NULL));
        ASSERT(shim_publisher_idle(&pub));
        ASSERT(!pub.ttrpc_broken);

        shim_publisher_close(&pub);
        ttrpc_server_close(srv);
        uv_run(&loop, UV_RUN_DEFAULT);
        ttrpc_decoder_done(&pub.dec);
        ASSERT_EQ(0, uv_loop_close(&loop));
}

TEST(publish_falls_back_to_the_binary_when_the_socket_fails)
{
        _cleanup_free_ char *sock = xasprintf("%s/none.ttrpc", test_tmpdir());
        _cleanup_free_ char *bin = xasprintf("%s/publish.sh", test_tmpdir());
        _cleanup_free_ char *rec = xasprintf("%s/published", test_tmpdir());
        _cleanup_free_ char *script = xasprintf("#!/bin/sh\n# $1=--address $2 $3=publish $4=--topic $5 $6=--namespace $7\n"
                                                "n=$(wc -c)\necho \"$5 $7 $n\" >>%s\n", rec);
        _cleanup_free_ char *out = NULL;
        struct shim_publisher pub;
        uv_loop_t loop;
        int fd;

        idle_seen = false;
        fd = open(bin, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        ASSERT(fd >= 0);
        ASSERT_EQ((ssize_t)strlen(script), write(fd, script, strlen(script)));
        close(fd);
        ASSERT_EQ(0, uv_loop_init(&loop));
        /* Nobody listens on sock: the connection fails, the events go through the binary. */
        shim_publisher_init(&pub, &loop, bin, "/ctd.sock", "default", sock);
        pub.on_idle = on_idle;
        exit_event(&pub, "a");
        exit_event(&pub, "b");
        RUN_UNTIL(&loop, idle_seen && lines_in(rec, &out) == 2);
        ASSERT(pub.ttrpc_broken);
        ASSERT_CONTAINS(out, "/tasks/exit default ");

        shim_publisher_close(&pub);
        uv_run(&loop, UV_RUN_DEFAULT);
        ttrpc_decoder_done(&pub.dec);
        ASSERT_EQ(0, uv_loop_close(&loop));
}
