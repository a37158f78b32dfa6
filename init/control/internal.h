/*
 * What the control server's files share (init/control/server.c, attach.c,
 * ops.c): the client and server structs, framing, responses.
 */
#ifndef POD_INIT_CONTROL_INTERNAL_H
#define POD_INIT_CONTROL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "init/core/pod.h"
#include "common/proto.h"

#include <jansson.h>

#define CLIENT_MAX_QUEUED (1u << 20)
#define CONTROL_LINGER_MS 2000
/* All attach clients' queues together (docs/protocol.md "Slow clients"). */
#define ANN_ATTACH_QUEUE_TOTAL "podinit.io/attach-queue-total"
#define ATTACH_DEFAULT_BUDGET (64ull << 20)
#define ATTACH_MIN_BUDGET (64ull << 10)
#define ATTACH_MAX_BUDGET (16ull << 30)

enum overflow { OVERFLOW_DROP, OVERFLOW_DISCONNECT };

/* A client in attach mode (docs/protocol.md, "The attach stream"). */
struct attach {
        struct app *app;
        bool in;                        /* may write the app's stdin */
        bool want[2];                   /* stdout (or tty), stderr */
        struct io_sub sub[2];
        enum overflow overflow;
        size_t limit;                   /* queued bytes past which output is dropped */
        uint64_t pending_drop[2];       /* dropped, marker not yet sent */
        bool input_paused;
        size_t charged;                 /* its frames' cost in the pod's attach budget */
};

struct client {
        uv_pipe_t pipe;
        struct control *ctl;
        struct frame_decoder dec;
        struct client *next, *prev;
        bool closing;
        bool attached;
        bool events;                    /* streams the pod's events */
        struct exec_session *exec;      /* an exec stream (docs/protocol.md "exec") */
        bool exec_input_paused, exec_output_paused;
        bool shutting_down;
        bool released;                  /* its charge left the budget (closed): frames still queued are not counted */
        struct attach at;
        uv_shutdown_t shutdown_req;
};

struct control {
        struct pod *pod;
        struct pod_observer obs;        /* PUBLISH: events, attach exits, stdin drained */
        uv_pipe_t server;
        struct client *clients;
        unsigned n_clients;
        int pending_stop;       /* 1 graceful, 2 forced: acted on after the reply */
        unsigned live;          /* clients whose memory is not yet freed */
        bool closing, server_closed, linger_closed;
        uv_timer_t linger;      /* at pod exit: time for attached clients to get their last output */
        size_t attach_budget;   /* podinit.io/attach-queue-total: all attach clients' queues together */
        size_t attach_queued;   /* what they cost now (frame_cost of each queued frame) */
        unsigned n_attached;    /* attach streams open */
        void (*resume_input)(struct client *c);  /* server.c: read and dispatch again */
        uid_t owner;            /* who besides root may connect (POD_NO_OWNER: nobody; docs/security.md) */
        char readbuf[64 * 1024];
};

struct bin_write {
        uv_write_t req;
        uint32_t cost;                  /* charged to the attach budget; 0 if not */
        uint8_t data[];
};

#define EXEC_CLIENT_QUEUE (1u << 20)    /* an exec's output queued for its client before the command waits */

int send_frame(struct client *c, uint8_t type, const void *payload, size_t len);
json_t *error_response(json_t *id, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
json_t *op_app_add(struct control *ctl, json_t *id, json_t *req);
json_t *op_app_rm(struct control *ctl, json_t *id, json_t *req);
json_t *op_app_start(struct control *ctl, json_t *id, json_t *req);
json_t *op_app_stop(struct control *ctl, json_t *id, json_t *req);
json_t *op_attach(struct control *ctl, json_t *id, json_t *req, struct client *c);
json_t *op_events(struct control *ctl, json_t *id, json_t *req, struct client *c);
json_t *op_exec(struct control *ctl, json_t *id, json_t *req, struct client *c);
json_t *op_hello(struct control *ctl, json_t *id, json_t *req);
json_t *op_list(struct control *ctl, json_t *id, json_t *req);
json_t *op_reopen_log(struct control *ctl, json_t *id, json_t *req);
json_t *op_status(struct control *ctl, json_t *id, json_t *req);
json_t *op_stop(struct control *ctl, json_t *id, json_t *req);
json_t *response(json_t *id, bool ok);
size_t client_queued(const struct client *c);
size_t frame_cost(size_t len);
void attach_app_exited(struct control *ctl, struct app *a);
void attach_frame(struct client *c, uint8_t type, const uint8_t *p, size_t len);
void attach_stdin_drained(struct control *ctl, struct app *a);
void client_close(struct client *c);
void client_reject(struct client *c, json_t *obj);
void events_publish(struct control *ctl, json_t *ev);
void exec_frame(struct client *c, uint8_t type, const uint8_t *p, size_t len);
void client_on_shutdown(uv_shutdown_t *req, int status);
void send_event(struct client *c, json_t *ev);
void send_json_frame(struct client *c, uint8_t type, json_t *obj);

void client_resume_input(struct client *c);
/* The server's lifetime after control_close: freed once its handles and clients are closed. */
void control_maybe_free(struct control *ctl);
void control_server_closed(uv_handle_t *h);
void control_linger_closed(uv_handle_t *h);

#endif
