/*
 * Running one CNI plugin: the plugin binary found in the CNI_PATH
 * directories, executed with the CNI environment and its config on stdin,
 * its stdout read as a result (ADD, CHECK, VERSION) or as a CNI error object,
 * all within a deadline.  The plugin runs in its own process group, which is
 * killed as a whole when the deadline passes (plugins exec IPAM plugins and
 * iptables).  Blocking: used by the launcher and by gc, never by PID 1.
 */
#ifndef POD_NET_CNI_H
#define POD_NET_CNI_H

#include "common/util.h"

#include <jansson.h>

#define CNI_OUTPUT_MAX (1 << 20)        /* a result larger than this is refused */
#define CNI_DEFAULT_TIMEOUT_MS 30000
#define CNI_DEFAULT_PATH "/usr/lib/cni:/opt/cni/bin"

struct cni_call {
        const char *command;            /* ADD, DEL, CHECK or VERSION */
        const char *container_id;
        const char *netns;              /* "" for DEL once the namespace is gone */
        const char *ifname;
        const char *args;               /* CNI_ARGS, or NULL */
        const char *path;               /* CNI_PATH: directories separated by ':' */
        uint64_t timeout_ms;
};

/* Find type in path (the first directory that has it); ret_path is malloc'ed. */
int cni_find_plugin(const char *path, const char *type, char **ret_path, struct pod_err *err);
/*
 * Run the plugin `type` with conf on stdin.  On success *ret_result is the
 * parsed stdout (NULL if it printed nothing, as DEL may).  On failure err
 * says what the plugin reported (its error object's msg and details), or how
 * it failed: not found, killed at the deadline, exited without a result,
 * printed something that is not JSON.
 */
int cni_exec(const char *type, const struct cni_call *c, const json_t *conf, json_t **ret_result,
             struct pod_err *err);

#endif
