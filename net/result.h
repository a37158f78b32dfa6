/*
 * What a CNI result says about the pod: its addresses, the gateway, and DNS.
 * Results of every CNI version Debian's plugins speak are read: 0.1.0/0.2.0
 * ("ip4"/"ip6" objects) and 0.3.0 to 1.0.0 ("ips" with "interfaces").
 */
#ifndef POD_NET_RESULT_H
#define POD_NET_RESULT_H

#include "common/util.h"

#include <jansson.h>
#include <netinet/in.h>
#include <arpa/inet.h>

struct net_addr {
        int family;                     /* AF_INET or AF_INET6 */
        char ip[INET6_ADDRSTRLEN];
        unsigned prefix;
        char gateway[INET6_ADDRSTRLEN]; /* "" if none */
};

struct net_result {
        struct net_addr *addrs;
        size_t n_addrs;
        char *host_ifname;              /* the host side's interface (no "sandbox"), or NULL */
        char **nameservers, **search, **options;
        char *domain;
};

/* Only the pod's addresses are kept (those on an interface in the sandbox). */
int net_result_parse(const json_t *res, struct net_result *ret, struct pod_err *err);
void net_result_done(struct net_result *r);
/* The first IPv4 address, else the first one; NULL if none. */
const struct net_addr *net_result_primary(const struct net_result *r);
/* "255.255.255.0" for an IPv4 prefix of 24 (the IPv6 form for AF_INET6). */
void net_prefix_mask(int family, unsigned prefix, char *buf, size_t len);

#endif
