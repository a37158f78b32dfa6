/*
 * The pod's network list, as rkt's --net flag spells it: "none", "host",
 * "all", or a comma list of network names, each with optional CNI arguments
 * ("default,backend:IP=172.16.30.5;IgnoreUnknown=1").  Parsing only: which
 * names exist is decided against the loaded configs (net/conf.h).
 */
#ifndef POD_NET_NETLIST_H
#define POD_NET_NETLIST_H

#include "common/util.h"

#define NET_MAX_NETWORKS 16     /* eth0..eth15 */
#define NET_NAME_MAX 64         /* a CNI network name (it ends up in iptables comments and dirs) */

enum net_kind {
        NET_NONE,       /* a new network namespace with only lo */
        NET_HOST,       /* the host's network namespace */
        NET_CNI,        /* a new namespace joined to the listed CNI networks */
};

struct net_req {
        char *name;
        char *args;     /* CNI_ARGS ("K=V;K2=V2"), or NULL */
};

struct net_list {
        enum net_kind kind;
        bool all;               /* "all": every configured network (nets[] empty) */
        struct net_req *nets;
        size_t n;
};

/* NULL or "" is "default", as in rkt. */
int net_list_parse(const char *s, struct net_list *ret, struct pod_err *err);
void net_list_done(struct net_list *l);
/* A valid CNI network name: [A-Za-z0-9][A-Za-z0-9_.-]*, at most NET_NAME_MAX. */
bool net_name_valid(const char *s);

#endif
