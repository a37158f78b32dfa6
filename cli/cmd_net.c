/*
 * podctl net: what the --net flag can name, and whether a pod's networks
 * still hold (docs/networking.md).
 *   net list [--json] [--net-config-dir=DIR] [--net-plugin-dir=DIRS]
 *       every network a pod may join: built-ins and config files, each
 *       plugin's binary, and whether it speaks the config's cniVersion (CNI
 *       VERSION): a network that cannot work is visible before a pod fails.
 *   net check POD
 *       CNI CHECK of each of a running pod's networks; exit 1 if one fails.
 */
#include "cli/cli.h"
#include "cli/poddir.h"
#include "cli/run_launch.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/log.h"
#include "net/cni.h"
#include "net/conf.h"
#include "net/podnet.h"

/* "" if the plugin can run this config, else why not. */
static void plugin_state(const char *path, const char *type, const char *version, char *buf, size_t len)
{
        _cleanup_free_ char *bin = NULL;
        struct pod_err err = { 0 };
        struct cni_call c = { .command = "VERSION", .path = path, .timeout_ms = 10000 };
        json_t *in = json_pack("{s:s}", "cniVersion", version), *res = NULL, *v;
        size_t i;
        bool ok = false;

        buf[0] = 0;
        if (cni_find_plugin(path, type, &bin, NULL) < 0)
                snprintf(buf, len, "%s: not found", type);
        else if (cni_exec(type, &c, in, &res, &err) < 0)
                snprintf(buf, len, "%s: VERSION failed: %s", type, err.msg);
        else {
                json_array_foreach(json_object_get(res, "supportedVersions"), i, v)
                        ok |= json_is_string(v) && !strcmp(json_string_value(v), version);
                if (!ok)
                        snprintf(buf, len, "%s: does not speak cniVersion %s", type, version);
        }
        json_decref(in);
        json_decref(res);
}

static int net_list_cmd(int argc, char **argv)
{
        const char *dir = PODCTL_NET_CONFIG_DIR, *plugins = NULL;
        bool json = false;
        const struct opt opts[] = {
                { "json", OPT_BOOL, &json },
                { "net-config-dir", OPT_STR, &dir },
                { "net-plugin-dir", OPT_STR, &plugins },
        };
        struct args_rest rest;
        struct net_confs confs;
        struct pod_err err = { 0 };
        char *dirs[] = { (char *)dir, NULL };
        json_t *out = json_array();
        int r, rc = 0;

        if ((r = cli_parse("net list", argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0) {
                json_decref(out);
                return r > 0 ? 0 : 2;
        }
        if (rest.n_pos || rest.dashdash) {
                cli_usage_error("net list", "unexpected argument \"%s\"", argv[rest.first] ?: "--");
                json_decref(out);
                return 2;
        }
        dirs[0] = (char *)dir;
        if (net_confs_load(dirs, &confs, &err) < 0) {
                log_error("net list: %s", err.msg);
                json_decref(out);
                return 1;
        }
        if (!json)
                printf("%-20s  %-8s  %-24s  %-30s  %s\n", "NETWORK", "VERSION", "PLUGINS", "SOURCE", "PROBLEM");
        for (size_t i = 0; i < confs.n; i++) {
                const struct net_conf *c = &confs.v[i];
                char chain[256] = "", problem[512] = "";
                size_t k, off = 0;
                json_t *p, *types = json_array();

                json_array_foreach(json_object_get(c->list, "plugins"), k, p) {
                        const char *type = json_string_value(json_object_get(p, "type"));
                        char why[512];
                        int n = snprintf(chain + off, sizeof(chain) - off, "%s%s", k ? "," : "", type);
                        if (n > 0 && (size_t)n < sizeof(chain) - off)
                                off += (size_t)n;
                        json_array_append_new(types, json_string(type));
                        plugin_state(plugins, type, c->version, why, sizeof(why));
                        if (why[0] && !problem[0])
                                snprintf(problem, sizeof(problem), "%s", why);
                }
                if (problem[0])
                        rc = 1;
                if (json)
                        json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:b,s:o,s:s?}", "name", c->name, "cniVersion", c->version,
                                                             "source", c->source, "builtin", c->builtin, "plugins", types,
                                                             "problem", problem[0] ? problem : NULL));
                else {
                        json_decref(types);
                        printf("%-20s  %-8s  %-24s  %-30s  %s\n", c->name, c->version, chain, c->source, problem[0] ? problem : "-");
                }
        }
        if (json) {
                char *s = json_dumps(out, JSON_INDENT(2));
                printf("%s\n", s);
                free(s);
        }
        json_decref(out);
        net_confs_done(&confs);
        return rc;
}

static void print_check(const char *net, const char *ifname, int r, const char *msg, void *userdata)
{
        (void)userdata;
        if (r < 0)
                printf("%-20s  %-6s  failed: %s\n", net, ifname ?: "-", msg);
        else
                printf("%-20s  %-6s  ok\n", net, ifname ?: "-");
}

static int net_check_cmd(int argc, char **argv)
{
        struct args_rest rest;
        struct pod_ref p = { 0 };
        struct pod_err err = { 0 };
        int r;

        if ((r = cli_parse("net check", argc, argv, NULL, 0, &rest)) != 0)
                return r > 0 ? 0 : 2;
        if (rest.n_pos != 1 || rest.dashdash) {
                cli_usage_error("net check", rest.n_pos ? "give one POD" : "no POD given (a UUID or a unique prefix)");
                return 2;
        }
        if (pod_find(argv[rest.first], &p, &err) < 0) {
                log_error("net check: %s", err.msg);
                return 1;
        }
        if (p.state != PODDIR_RUNNING) {
                log_error("net check: pod %s is not running", p.uuid);
                pod_ref_done(&p);
                return 1;
        }
        r = net_pod_check(p.path, print_check, NULL);
        if (r == -ENOENT)
                log_error("net check: pod %s has no CNI network (--net=none or host)", p.uuid);
        pod_ref_done(&p);
        return r < 0 ? 1 : 0;
}

int cmd_net(int argc, char **argv)
{
        if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                cli_usage("net", argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        if (!strcmp(argv[1], "list") || !strcmp(argv[1], "ls"))
                return net_list_cmd(argc - 1, argv + 1);
        if (!strcmp(argv[1], "check"))
                return net_check_cmd(argc - 1, argv + 1);
        cli_usage_error("net", "unknown command \"%s\" (list, check)", argv[1]);
        return 2;
}
