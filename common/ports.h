/*
 * Port forwarding in the one pod model: the pod manifest's "ports" (appc's
 * ExposedPort: name, hostPort, optional hostIP, optional inline podPort),
 * each resolved against the port of that name that an app declares (appc
 * app "ports", or an OCI image's ExposedPorts mapped to them), and podctl's
 * --port flag, which becomes one such entry.
 */
#ifndef POD_COMMON_PORTS_H
#define POD_COMMON_PORTS_H

#include "common/util.h"

#include <jansson.h>
#include <netinet/in.h>

#define POD_MAX_PORTS 256

struct pod_port {
        char name[64];
        char proto[8];                          /* "tcp", "udp" or "sctp" */
        unsigned pod_port, host_port;
        char host_ip[INET6_ADDRSTRLEN];         /* "" for every address */
};

/*
 * The pod manifest's ports resolved: a name without an inline podPort must
 * match exactly one declared port (one port number) among the apps, whose
 * app sections are in pod or in podfd's stage1/rootfs/opt/stage2/<app>/manifest.
 */
int pod_ports_resolve(int podfd, const json_t *pod, struct pod_port **ret, size_t *ret_n, struct pod_err *err);
/*
 * podctl's --port: "[HOSTIP:]HOSTPORT:PODPORT[/tcp|/udp|/sctp]" or "NAME:[HOSTIP:]HOSTPORT"
 * (an IPv6 HOSTIP in brackets), as one ExposedPort object.
 */
int port_flag_parse(const char *s, json_t **ret, struct pod_err *err);

#endif
