/*
 * A pod's networks: the namespace, CNI ADD for each network the pod joins
 * (each plugin of a chain fed the previous one's result), net-info.json, and
 * the teardown (DEL, newest first) on stop, on a failed setup, or at gc.
 *
 * Files in the pod directory (docs/networking.md):
 *   netns                  the namespace, bound there until the teardown succeeds
 *   net/<i>-<name>.json    one record per network: the config as run, its
 *                          arguments and, once ADD succeeded, its result.
 *                          Written *before* ADD, so that a launcher killed
 *                          half-way leaves what gc needs to undo it.
 *   net/<i>-<name>.conf    the config as run (net-info.json's netConf), kept
 *   net-info.json          rkt's summary (netName, ip, mask, ...), kept after the teardown
 */
#ifndef POD_NET_PODNET_H
#define POD_NET_PODNET_H

#include "common/ports.h"
#include "common/util.h"
#include "net/netlist.h"

#define NET_NETNS_FILE "netns"
#define NET_RECORD_DIR "net"
#define NET_INFO_FILE "net-info.json"

struct net_options {
        const char *uuid;               /* CNI_CONTAINERID */
        const struct net_list *list;    /* kind NET_CNI */
        char *const *conf_dirs;         /* NULL-terminated; later ones win */
        const char *plugin_path;        /* CNI_PATH; NULL: CNI_DEFAULT_PATH */
        uint64_t timeout_ms;            /* per plugin call */
        const struct pod_port *ports;   /* forwarded through the first network with a portMappings plugin */
        size_t n_ports;
};

struct net_pod {
        int netns_fd;                   /* for the pod's setns() */
        char **addrs;                   /* the pod's addresses, one per line of /etc/hosts */
        char *resolv_conf;              /* from the first result with DNS servers, or NULL */
};

/* In the pod directory pod_path: on failure everything done so far is undone. */
int net_pod_setup(const char *pod_path, const struct net_options *o, struct net_pod *ret, struct pod_err *err);
void net_pod_done(struct net_pod *p);
/* DEL of every recorded network, then the namespace; a pod with none is fine.
 * A network whose DEL failed keeps its record (and the namespace stays) for a
 * later try, unless NET_TEARDOWN_FORCE: then both go anyway (the error is
 * still returned), for a DEL that cannot succeed later either. */
#define NET_TEARDOWN_FORCE 1u
int net_pod_teardown(const char *pod_path, unsigned flags, struct pod_err *err);

/*
 * CNI CHECK of each recorded network (plugins in order, with the recorded
 * result): report(name, ifname, 0 or -errno, message) once per network.
 * 0: all fine; -EIO: one failed; -ENOENT: the pod has no CNI network.
 */
typedef void (*net_check_report_fn)(const char *net, const char *ifname, int r, const char *msg, void *userdata);
int net_pod_check(const char *pod_path, net_check_report_fn report, void *userdata);

#endif
