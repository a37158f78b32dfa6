/*
 * CNI network configurations: the two rkt defined (built in), and the files
 * of the config directories, a conf (one plugin) or a conflist (a chain).
 * Each is kept in the list form {"cniVersion","name","plugins":[...]} that
 * the caller runs (net/podnet.c).
 *
 * Where several define one name: a file beats a built-in, a later directory
 * beats an earlier one (rkt: the user's <local-config>/net.d overrides
 * stage1's), and in one directory the first file in name order wins (CNI's
 * own rule).  A file that is not a valid config is an error, not skipped:
 * the network it meant to define would silently be another one.
 */
#ifndef POD_NET_CONF_H
#define POD_NET_CONF_H

#include "common/util.h"

#include <jansson.h>

#define NET_CONF_MAX_BYTES (1 << 20)
#define NET_DEFAULT_SUBNET "172.16.28.0/24"
#define NET_RESTRICTED_SUBNET "172.17.0.0/16"

struct net_conf {
        char *name;
        char *source;           /* the file it came from, or "built in" */
        char *version;          /* cniVersion */
        bool builtin;
        bool single;            /* a .conf: one plugin, no prevResult chaining */
        json_t *list;           /* {"cniVersion","name","plugins":[...]} */
};

struct net_confs {
        struct net_conf *v;
        size_t n;
};

/* Load the built-ins, then every directory of dirs (NULL-terminated; a missing one is empty). */
int net_confs_load(char *const *dirs, struct net_confs *ret, struct pod_err *err);
const struct net_conf *net_confs_find(const struct net_confs *c, const char *name);
void net_confs_done(struct net_confs *c);
/* One document, a conf or a conflist; source names it in messages. */
int net_conf_parse(const char *data, size_t len, const char *source, struct net_conf *ret, struct pod_err *err);
void net_conf_done(struct net_conf *c);
/* "a, b, c": the names loaded, for a message. */
char *net_confs_names(const struct net_confs *c);

#endif
