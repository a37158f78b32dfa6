#include "net/result.h"

#include <stdlib.h>

#include "common/manifest.h"

void net_result_done(struct net_result *r)
{
        free(r->addrs);
        free(r->host_ifname);
        strv_free(r->nameservers);
        strv_free(r->search);
        strv_free(r->options);
        free(r->domain);
        *r = (struct net_result){ 0 };
}

const struct net_addr *net_result_primary(const struct net_result *r)
{
        for (size_t i = 0; i < r->n_addrs; i++)
                if (r->addrs[i].family == AF_INET)
                        return &r->addrs[i];
        return r->n_addrs ? &r->addrs[0] : NULL;
}

void net_prefix_mask(int family, unsigned prefix, char *buf, size_t len)
{
        unsigned char b[16] = { 0 };
        unsigned n = family == AF_INET ? 4 : 16;

        for (unsigned i = 0; i < n * 8 && i < prefix; i++)
                b[i / 8] |= (unsigned char)(0x80 >> (i % 8));
        if (!inet_ntop(family, b, buf, (socklen_t)len))
                snprintf(buf, len, "?");
}

/* "172.16.28.2/24" (and an optional gateway) into a; 0 or -EINVAL. */
static int parse_cidr(const char *cidr, const char *gw, struct net_addr *a)
{
        const char *slash = cidr ? strchr(cidr, '/') : NULL;
        unsigned char buf[16];
        long prefix;
        char ip[INET6_ADDRSTRLEN];

        if (!slash || (size_t)(slash - cidr) >= sizeof(ip))
                return -EINVAL;
        memcpy(ip, cidr, (size_t)(slash - cidr));
        ip[slash - cidr] = 0;
        a->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(a->family, ip, buf) != 1 || parse_long(slash + 1, 0, a->family == AF_INET ? 32 : 128, &prefix) < 0)
                return -EINVAL;
        snprintf(a->ip, sizeof(a->ip), "%s", ip);
        a->prefix = (unsigned)prefix;
        a->gateway[0] = 0;
        if (gw) {
                if (inet_pton(a->family, gw, buf) != 1)
                        return -EINVAL;
                snprintf(a->gateway, sizeof(a->gateway), "%s", gw);
        }
        return 0;
}

static int add_addr(struct net_result *r, const json_t *o, const char *addr_key, struct pod_err *err)
{
        const char *cidr = json_string_value(json_object_get(o, addr_key));
        const json_t *gw = json_object_get(o, "gateway");
        struct net_addr a;

        if ((gw && !json_is_string(gw)) || parse_cidr(cidr, json_string_value(gw), &a) < 0)
                return pod_err_set(err, -EPROTO, "the result has an address \"%s\"%s%s that is not an IP/prefix (and gateway)",
                                   cidr ? cidr : "(missing)", gw ? " gateway " : "", gw ? (json_string_value(gw) ?: "?") : "");
        r->addrs = xrealloc(r->addrs, (r->n_addrs + 1) * sizeof(*r->addrs));
        r->addrs[r->n_addrs++] = a;
        return 0;
}

static char **string_list(const json_t *arr)
{
        char **v = NULL;
        size_t i;
        json_t *e;

        json_array_foreach(arr, i, e)
                if (json_is_string(e))
                        strv_push(&v, json_string_value(e));
        return v;
}

int net_result_parse(const json_t *res, struct net_result *ret, struct pod_err *err)
{
        struct net_result r = { 0 };
        const json_t *ips = json_object_get(res, "ips"), *ifs = json_object_get(res, "interfaces");
        const json_t *dns = json_object_get(res, "dns"), *e;
        size_t i;
        int k;

        if (!json_is_object(res))
                return pod_err_set(err, -EPROTO, "the result is not an object");
        if (ips && !json_is_array(ips))
                return pod_err_set(err, -EPROTO, "the result's \"ips\" is %s, expected an array", json_is_object(ips) ? "an object" : "not an array");
        if (ifs && !json_is_array(ifs))
                return pod_err_set(err, -EPROTO, "the result's \"interfaces\" is not an array");
        json_array_foreach(ifs, i, e) {
                const char *name = json_string_value(json_object_get(e, "name"));
                const char *sb = json_string_value(json_object_get(e, "sandbox"));
                if (name && (!sb || !*sb) && !r.host_ifname)
                        r.host_ifname = xstrdup(name);
        }
        json_array_foreach(ips, i, e) {
                const json_t *idx = json_object_get(e, "interface");
                if (!json_is_object(e)) {
                        net_result_done(&r);
                        return pod_err_set(err, -EPROTO, "the result's ips[%zu] is not an object", i);
                }
                /* An address on the host's side of a veth is not the pod's. */
                if (json_is_integer(idx) && ifs) {
                        const json_t *itf = json_array_get(ifs, (size_t)json_integer_value(idx));
                        const char *sb = json_string_value(json_object_get(itf, "sandbox"));
                        if (itf && (!sb || !*sb))
                                continue;
                }
                if ((k = add_addr(&r, e, "address", err)) < 0) {
                        net_result_done(&r);
                        return k;
                }
        }
        /* CNI 0.1.0 and 0.2.0 */
        for (const char *const *key = (const char *const[]){ "ip4", "ip6", NULL }; *key; key++) {
                const json_t *o = json_object_get(res, *key);
                if (o && (k = add_addr(&r, o, "ip", err)) < 0) {
                        net_result_done(&r);
                        return k;
                }
        }
        if (json_is_object(dns)) {
                r.nameservers = string_list(json_object_get(dns, "nameservers"));
                r.search = string_list(json_object_get(dns, "search"));
                r.options = string_list(json_object_get(dns, "options"));
                if (json_string_value(json_object_get(dns, "domain")))
                        r.domain = xstrdup(json_string_value(json_object_get(dns, "domain")));
        }
        *ret = r;
        return 0;
}
