/*
 * CNI (net/): what a plugin prints as its result (net/result.c, every CNI
 * version), a network config file, a conf or a conflist (net/conf.c), and
 * the --net list (net/netlist.c).  The input is tried as each.
 */
#include "fuzz.h"
#include "net/conf.h"
#include "net/netlist.h"
#include "net/result.h"

static void result(const uint8_t *data, size_t size)
{
        json_t *j = json_loadb((const char *)data, size, 0, NULL);
        struct net_result r = { 0 };
        struct pod_err err = { 0 };
        const struct net_addr *a;
        char mask[INET6_ADDRSTRLEN];

        if (!j)
                return;
        if (net_result_parse(j, &r, &err) == 0) {
                for (size_t i = 0; i < r.n_addrs; i++) {
                        FUZZ_CHECK(r.addrs[i].family == AF_INET || r.addrs[i].family == AF_INET6);
                        FUZZ_CHECK(r.addrs[i].prefix <= (r.addrs[i].family == AF_INET ? 32u : 128u));
                        net_prefix_mask(r.addrs[i].family, r.addrs[i].prefix, mask, sizeof(mask));
                }
                if ((a = net_result_primary(&r)))
                        FUZZ_CHECK(a >= r.addrs && a < r.addrs + r.n_addrs);
                net_result_done(&r);
        }
        json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = fuzz_str(data, size);
        struct net_conf c = { 0 };
        struct net_list l;
        struct pod_err err = { 0 };

        result(data, size);
        if (net_conf_parse((const char *)data, size, "fuzz.conflist", &c, &err) == 0) {
                FUZZ_CHECK(c.name && net_name_valid(c.name) && c.version);
                FUZZ_CHECK(json_array_size(json_object_get(c.list, "plugins")) > 0);
                net_conf_done(&c);
        }
        if (net_list_parse(s, &l, &err) == 0) {
                FUZZ_CHECK(l.n <= NET_MAX_NETWORKS);
                FUZZ_CHECK(l.kind == NET_CNI || l.n == 0);
                for (size_t i = 0; i < l.n; i++)
                        FUZZ_CHECK(net_name_valid(l.nets[i].name));
                net_list_done(&l);
        }
        return 0;
}
