/*
 * Starting podinit in a prepared pod (cli/run_launch.c): in the foreground
 * podctl becomes podinit (exec); with -d podinit runs in its own session and
 * podctl returns once the pod has started, or reports the app that failed.
 */
#ifndef POD_CLI_RUN_LAUNCH_H
#define POD_CLI_RUN_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

#define PODCTL_NET_CONFIG_DIR "/etc/podinit/net.d"

struct run_launch {
        const char *podinit;            /* the stage1 binary */
        const char *pod_path;           /* the pod directory, in pods/run */
        const char *uuid;
        int lock_fd;                    /* the pod's lock, handed to podinit (RKT_LOCK_FD) */
        bool debug, detach;
        const char *net, *hostname, *console_format;    /* NULL: podinit's defaults (for -d, no console) */
        const char *net_config_dir, *net_plugin_dir, *net_timeout, *dns_mode;  /* NULL: defaults */
        const char *netns;              /* podinit --netns instead of --net (NULL: --net) */
        unsigned grace_ms;              /* -d: how long an app must stay up (0: no wait) */
        uid_t owner;                    /* podinit's --owner-uid; 0 or POD_NO_OWNER: none */
};

/* podctl run's exit code; in the foreground, returns only if podinit could not be started. */
int run_launch(const struct run_launch *l);

#endif
