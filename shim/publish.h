/*
 * Task events for containerd (shim/publish.c).  containerd 1.6 gives a shim
 * two ways, and the shim uses the first it can:
 *
 *  - its ttrpc socket (TTRPC_ADDRESS in the shim's environment): one
 *    connection, each event a call to containerd.services.events.ttrpc.v1.Events
 *    /Forward with an Envelope (time, namespace, topic, the event as a
 *    google.protobuf.Any), as containerd's own shims do;
 *  - the binary it names with -publish-binary, one process per event:
 *
 *     <publish-binary> --address <containerd's socket> publish --topic /tasks/exit --namespace NS
 *
 *    with the Any on stdin.  A fork and exec of containerd's 50 MB binary per
 *    event costs milliseconds, and CRI's StopContainer waits for the TaskExit
 *    event: the binary is the fallback, for a containerd that gave no socket or
 *    whose socket fails (the event in flight then goes through the binary).
 *
 * Events go out one at a time, in the order they were made (containerd
 * expects a task's create before its start before its exit); an event that
 * containerd refuses, or whose publisher fails, is logged and the next goes on.
 */
#ifndef POD_SHIM_PUBLISH_H
#define POD_SHIM_PUBLISH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <protobuf-c/protobuf-c.h>

#include "shim/ttrpc.h"

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
        /* The ttrpc way (NULL ttrpc_address, or ttrpc_broken: the binary). */
        const char *ttrpc_address;
        bool ttrpc_broken;
        int conn_state;                 /* PUB_CONN_* (publish.c) */
        uv_pipe_t conn;
        uv_connect_t connect_req;
        uv_write_t conn_write;
        uv_timer_t timer;               /* the Forward in flight gets 5 s, as containerd's shims give it */
        struct ttrpc_decoder dec;
        uint32_t next_stream, waiting_stream;
        struct publish_item *inflight;
};

/* ttrpc_address: containerd's ttrpc socket (the shim's TTRPC_ADDRESS), or NULL. */
void shim_publisher_init(struct shim_publisher *pub, uv_loop_t *loop, const char *binary, const char *address,
                         const char *ns, const char *ttrpc_address);
/* Close the connection to containerd (at exit, once idle). */
void shim_publisher_close(struct shim_publisher *pub);
/* Queue an event; name: its message name ("TaskExit"), topic: "/tasks/exit". */
void shim_publish(struct shim_publisher *pub, const char *topic, const char *name, const ProtobufCMessage *event);
bool shim_publisher_idle(const struct shim_publisher *pub);

#endif
