/*
 * Task events for containerd (shim/publish.c), through the binary containerd
 * names with -publish-binary:
 *
 *     <publish-binary> --address <containerd's socket> publish --topic /tasks/exit --namespace NS
 *
 * with the event, a google.protobuf.Any ("containerd.events.TaskExit" and its
 * bytes), on stdin.  Events go out one at a time, in the order they were
 * made (containerd expects a task's create before its start before its exit);
 * a publisher that fails is logged and the next event goes on.
 */
#ifndef POD_SHIM_PUBLISH_H
#define POD_SHIM_PUBLISH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <protobuf-c/protobuf-c.h>

struct publish_item;

struct shim_publisher {
        uv_loop_t *loop;
        const char *binary, *address, *ns;
        struct publish_item *head, *tail;
        uv_process_t proc;
        uv_pipe_t stdin_pipe;
        uv_write_t write_req;
        bool busy;
        size_t queued;
        void (*on_idle)(struct shim_publisher *pub);    /* the queue has emptied (shutdown waits for it) */
};

void shim_publisher_init(struct shim_publisher *pub, uv_loop_t *loop, const char *binary, const char *address,
                         const char *ns);
/* Queue an event; name: its message name ("TaskExit"), topic: "/tasks/exit". */
void shim_publish(struct shim_publisher *pub, const char *topic, const char *name, const ProtobufCMessage *event);
bool shim_publisher_idle(const struct shim_publisher *pub);

#endif
