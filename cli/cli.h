/* podctl internals: global options, the verb table and shared helpers. */
#ifndef POD_CLI_CLI_H
#define POD_CLI_CLI_H

#include <stdbool.h>
#include <jansson.h>

#include "common/util.h"

struct global {
        const char *dir;        /* --dir, default /var/lib/podinit */
        bool debug;
};

extern struct global g;

int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_gc(int argc, char **argv);

/* poddir.c: pods on disk. */
enum pod_dir_state { PODDIR_PREPARING, PODDIR_RUNNING, PODDIR_EXITED, PODDIR_GARBAGE };
struct pod_ref {
        char uuid[37];
        char *path;             /* <dir>/pods/<state>/<uuid> */
        enum pod_dir_state state;
};
const char *pod_dir_state_name(enum pod_dir_state s);
/* All pods, sorted by creation time. */
int pods_list(struct pod_ref **ret, size_t *ret_n, struct pod_err *err);
void pods_free(struct pod_ref *p, size_t n);
/* Resolve a UUID or unique prefix. */
int pod_find(const char *arg, struct pod_ref *ret, struct pod_err *err);
void pod_ref_done(struct pod_ref *p);
/* Status document of a pod: from its control socket if running, else from disk. */
int pod_status_load(const struct pod_ref *p, json_t **ret, struct pod_err *err);

/* client.c: the control socket. */
struct ctl_conn;
int ctl_connect(const char *pod_path, struct ctl_conn **ret, struct pod_err *err);
/* Send a request object (consumed) and read the response into *ret. */
int ctl_call(struct ctl_conn *c, json_t *req, json_t **ret, struct pod_err *err);
/* Block until podinit closes the connection (the pod has finished). */
int ctl_wait_closed(struct ctl_conn *c);
void ctl_close(struct ctl_conn *c);

#endif
