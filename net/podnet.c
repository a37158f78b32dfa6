#include "net/podnet.h"
#include "net/cni.h"
#include "net/conf.h"
#include "net/netns.h"
#include "net/result.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

/* "0.4.0" >= "0.4.0": the versions where DEL and CHECK get the prevResult. */
static bool version_at_least(const char *v, int major, int minor)
{
        int a = 0, b = 0;
        if (sscanf(v ? v : "", "%d.%d", &a, &b) < 1)
                return false;
        return a > major || (a == major && b >= minor);
}

/* The stdin of plugin p of a network: the plugin's own keys, the network's
 * name and version, the runtime config it asked for, and prev: on ADD the
 * previous plugin's result, on CHECK and DEL the network's (CNI >= 0.4.0). */
static json_t *plugin_stdin(const json_t *rec, const json_t *p, const json_t *prev)
{
        const json_t *conf = json_object_get(rec, "conf"), *caps = json_object_get(p, "capabilities");
        const json_t *maps = json_object_get(rec, "portMappings");
        json_t *in = json_deep_copy(p);

        json_object_set(in, "name", json_object_get(conf, "name"));
        json_object_set(in, "cniVersion", json_object_get(conf, "cniVersion"));
        if (json_is_true(json_object_get(caps, "portMappings")) && json_array_size(maps))
                json_object_set_new(in, "runtimeConfig", json_pack("{s:O}", "portMappings", maps));
        if (prev)
                json_object_set(in, "prevResult", (json_t *)prev);
        return in;
}

static struct cni_call call_of(const json_t *rec, const char *command, const char *netns)
{
        return (struct cni_call){
                .command = command,
                .container_id = json_string_value(json_object_get(rec, "containerID")),
                .netns = netns,
                .ifname = json_string_value(json_object_get(rec, "ifName")),
                .args = json_string_value(json_object_get(rec, "args")),
                .path = json_string_value(json_object_get(rec, "pluginPath")),
                .timeout_ms = (uint64_t)json_integer_value(json_object_get(rec, "timeoutMs")),
        };
}

static int write_json(const char *path, const json_t *j, struct pod_err *err)
{
        _cleanup_free_ char *s = json_dumps(j, JSON_INDENT(2));
        int r = s ? write_file_atomic(AT_FDCWD, path, s, strlen(s), 0644, WRITE_SYNC) : -ENOMEM;
        if (r < 0)
                return pod_err_set(err, r, "writing %s: %s", path, strerror(-r));
        return 0;
}

/*
 * ADD of each plugin in order; the record gets the last result.  On failure
 * the record says how many plugins ran ("attempted": a plugin that could not
 * even be found did not), so that the DEL that undoes it calls only those:
 * a missing binary would fail that DEL too, and keep the pod's namespace.
 */
static int add_network(const char *rec_path, json_t *rec, const char *netns, struct pod_err *err)
{
        const json_t *conf = json_object_get(rec, "conf"), *p;
        const char *name = json_string_value(json_object_get(conf, "name"));
        json_t *prev = NULL;
        struct cni_call c = call_of(rec, "ADD", netns);
        size_t i;
        int r;

        json_array_foreach(json_object_get(conf, "plugins"), i, p) {
                const char *type = json_string_value(json_object_get(p, "type"));
                json_t *in = plugin_stdin(rec, p, prev), *res = NULL;

                r = cni_exec(type, &c, in, &res, err);
                json_decref(in);
                if (r == 0 && !res)
                        r = pod_err_set(err, -EPROTO, "plugin \"%s\" ADD printed no result", type);
                if (r < 0) {
                        struct pod_err ignored;
                        json_decref(prev);
                        json_object_set_new(rec, "attempted", json_integer((json_int_t)(r == -ENOENT ? i : i + 1)));
                        (void)write_json(rec_path, rec, &ignored);
                        return pod_err_prefix(err, "network \"%s\"", name);
                }
                json_decref(prev);
                prev = res;
        }
        json_object_set_new(rec, "result", prev);
        return write_json(rec_path, rec, err);
}

/* DEL of each plugin, last first; every plugin is tried, the first failure is returned. */
static int del_network(const json_t *rec, const char *netns, struct pod_err *err)
{
        const json_t *conf = json_object_get(rec, "conf"), *plugins = json_object_get(conf, "plugins");
        const json_t *result = json_object_get(rec, "result");
        const char *name = json_string_value(json_object_get(conf, "name"));
        bool with_prev = json_is_object(result) && version_at_least(json_string_value(json_object_get(conf, "cniVersion")), 0, 4);
        struct cni_call c = call_of(rec, "DEL", netns);
        const json_t *attempted = json_object_get(rec, "attempted");
        size_t n = json_array_size(plugins);
        int ret = 0;

        if (json_is_integer(attempted) && (size_t)json_integer_value(attempted) < n)
                n = (size_t)json_integer_value(attempted);
        for (size_t i = n; i-- > 0;) {
                const json_t *p = json_array_get(plugins, i);
                const char *type = json_string_value(json_object_get(p, "type"));
                json_t *in = plugin_stdin(rec, p, with_prev ? result : NULL), *res = NULL;
                struct pod_err e = { 0 };
                int r = type ? cni_exec(type, &c, in, &res, &e) : pod_err_set(&e, -EINVAL, "a plugin without a type");

                json_decref(in);
                json_decref(res);
                if (r < 0 && ret == 0) {
                        ret = r;
                        pod_err_set(err, r, "network \"%s\": %s", name ? name : "?", e.msg);
                }
        }
        return ret;
}

static int record_index(const char *name)
{
        long v;
        char num[8];
        size_t n = strspn(name, "0123456789");

        size_t len = strlen(name);

        if (n == 0 || n >= sizeof(num) || name[n] != '-' || len < 5 || strcmp(name + len - 5, ".json"))
                return -1;
        memcpy(num, name, n);
        num[n] = 0;
        return parse_long(num, 0, NET_MAX_NETWORKS, &v) < 0 ? -1 : (int)v;
}

int net_pod_teardown(const char *pod_path, unsigned flags, struct pod_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", pod_path, NET_RECORD_DIR);
        _cleanup_free_ char *ns = xasprintf("%s/%s", pod_path, NET_NETNS_FILE);
        char *recs[NET_MAX_NETWORKS + 1] = { 0 };
        struct dirent *de;
        int ret = 0, r, bound = netns_is_bound(ns);
        DIR *d = opendir(dir);

        if (d) {
                while ((de = readdir(d))) {
                        int i = record_index(de->d_name);
                        if (i >= 0 && !recs[i])
                                recs[i] = xasprintf("%s/%s", dir, de->d_name);
                }
                closedir(d);
        } else if (errno != ENOENT) {
                return pod_err_set(err, -errno, "reading %s: %s", dir, strerror(errno));
        }
        for (int i = NET_MAX_NETWORKS; i >= 0; i--) {
                _cleanup_free_ char *data = NULL;
                json_t *rec;
                size_t len;

                if (!recs[i])
                        continue;
                r = read_file_at(AT_FDCWD, recs[i], NET_CONF_MAX_BYTES + CNI_OUTPUT_MAX, &data, &len);
                rec = r == 0 ? json_loadb(data, len, 0, NULL) : NULL;
                if (!rec) {
                        /* A record is written whole (rename) or not at all: this one is not ours. */
                        log_warn("%s is not a network record; ignored", recs[i]);
                } else if ((r = del_network(rec, bound > 0 ? ns : "", err)) < 0) {
                        if (ret == 0)
                                ret = r;
                        if (flags & NET_TEARDOWN_FORCE)
                                unlink(recs[i]);
                } else {
                        unlink(recs[i]);
                }
                json_decref(rec);
                free(recs[i]);
        }
        if (ret < 0 && !(flags & NET_TEARDOWN_FORCE))
                return ret;
        if ((r = netns_remove(ns)) < 0 && ret == 0)
                ret = pod_err_set(err, r, "removing the pod's network namespace %s: %s", ns, strerror(-r));
        (void)rmdir(dir);
        return ret;
}

void net_pod_done(struct net_pod *p)
{
        if (p->netns_fd >= 0)
                close(p->netns_fd);
        strv_free(p->addrs);
        free(p->resolv_conf);
        *p = (struct net_pod){ .netns_fd = -1 };
}

static json_t *port_mappings(const struct net_options *o)
{
        json_t *a = json_array();

        for (size_t i = 0; i < o->n_ports; i++) {
                const struct pod_port *p = &o->ports[i];
                json_t *m = json_pack("{s:i,s:i,s:s}", "hostPort", (json_int_t)p->host_port, "containerPort",
                                      (json_int_t)p->pod_port, "protocol", p->proto);
                if (*p->host_ip)
                        json_object_set_new(m, "hostIP", json_string(p->host_ip));
                json_array_append_new(a, m);
        }
        return a;
}

static bool has_portmap(const json_t *list)
{
        const json_t *p;
        size_t i;

        json_array_foreach(json_object_get(list, "plugins"), i, p)
                if (json_is_true(json_object_get(json_object_get(p, "capabilities"), "portMappings")))
                        return true;
        return false;
}

/* The networks to join, in order, each with its config as it will run. */
static int plan(const struct net_options *o, const struct net_confs *confs, json_t **ret, struct pod_err *err)
{
        _cleanup_free_ char *names = NULL;
        json_t *plan = json_array();
        bool ports_placed = o->n_ports == 0;

        for (size_t i = 0; i < (o->list->all ? confs->n : o->list->n); i++) {
                const char *name = o->list->all ? confs->v[i].name : o->list->nets[i].name;
                const struct net_conf *c = net_confs_find(confs, name);
                json_t *conf, *rec;

                if (!c) {
                        names = net_confs_names(confs);
                        json_decref(plan);
                        return pod_err_set(err, -ENOENT, "network \"%s\" is not configured (known: %s; configs are read from %s)",
                                           name, names, o->conf_dirs && o->conf_dirs[0] ? o->conf_dirs[0] : "(none)");
                }
                conf = json_deep_copy(c->list);
                /* The built-ins forward ports with the portmap plugin, added only when a port is forwarded. */
                if (c->builtin && !ports_placed)
                        json_array_append_new(json_object_get(conf, "plugins"),
                                              json_pack("{s:s,s:{s:b},s:b}", "type", "portmap", "capabilities", "portMappings", 1,
                                                        "snat", 1));
                rec = json_pack("{s:i,s:s,s:s,s:s,s:s,s:I,s:o,s:b,s:n}", "index", (json_int_t)i, "name", name,
                                "ifName", "", "containerID", o->uuid, "pluginPath",
                                o->plugin_path && *o->plugin_path ? o->plugin_path : CNI_DEFAULT_PATH,
                                "timeoutMs", (json_int_t)o->timeout_ms, "conf", conf, "single", c->single, "result");
                json_object_set_new(rec, "ifName", json_sprintf("eth%zu", i));
                json_object_set_new(rec, "source", json_string(c->source));
                if (!o->list->all && o->list->nets[i].args)
                        json_object_set_new(rec, "args", json_string(o->list->nets[i].args));
                if (!ports_placed && has_portmap(conf)) {
                        json_object_set_new(rec, "portMappings", port_mappings(o));
                        ports_placed = true;
                }
                json_array_append_new(plan, rec);
        }
        if (!ports_placed) {
                json_decref(plan);
                return pod_err_set(err, -EINVAL, "ports are forwarded, but none of the pod's networks has a plugin with the "
                                   "portMappings capability (add {\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}} "
                                   "to a network's plugins, or use the default network)");
        }
        *ret = plan;
        return 0;
}

/* rkt's net-info.json entry for one network, from its record and result. */
static json_t *info_entry(const json_t *rec, const char *conf_path, const struct net_result *res)
{
        const json_t *conf = json_object_get(rec, "conf");
        const json_t *first = json_array_get(json_object_get(conf, "plugins"), 0);
        const struct net_addr *a = net_result_primary(res);
        _cleanup_free_ char *bin = NULL;
        char mask[INET6_ADDRSTRLEN] = "";
        json_t *ips = json_array(), *e;

        (void)cni_find_plugin(json_string_value(json_object_get(rec, "pluginPath")),
                              json_string_value(json_object_get(first, "type")), &bin, NULL);
        for (size_t i = 0; i < res->n_addrs; i++)
                json_array_append_new(ips, json_sprintf("%s/%u", res->addrs[i].ip, res->addrs[i].prefix));
        if (a)
                net_prefix_mask(a->family, a->prefix, mask, sizeof(mask));
        e = json_pack("{s:O,s:s,s:s,s:O,s:s,s:s,s:s,s:s,s:s,s:o}", "netName", json_object_get(conf, "name"),
                      "netConf", conf_path, "pluginPath", bin ? bin : "", "ifName", json_object_get(rec, "ifName"),
                      "ip", a ? a->ip : "", "args", json_string_value(json_object_get(rec, "args")) ?: "",
                      "mask", mask, "hostIP", a ? a->gateway : "", "gateway", a ? a->gateway : "", "ips", ips);
        if (res->nameservers)
                json_object_set(e, "dns", json_object_get(json_object_get(rec, "result"), "dns"));
        return e;
}

static void add_resolv(struct net_pod *p, const char *net, const struct net_result *res)
{
        char *s;

        if (p->resolv_conf || !res->nameservers)
                return;
        s = xasprintf("# Generated by podinit from network %s\n\n", net);
        for (size_t i = 0; res->nameservers[i]; i++) {
                char *t = xasprintf("%snameserver %s\n", s, res->nameservers[i]);
                free(s);
                s = t;
        }
        for (int k = 0; k < 2; k++) {
                char **v = k == 0 ? res->search : res->options;
                if (!v && !(k == 0 && res->domain))
                        continue;
                char *line = xstrdup(k == 0 ? "search" : "options");
                if (k == 0 && !v)
                        v = (char *[]){ res->domain, NULL };
                for (size_t i = 0; v[i]; i++) {
                        char *t = xasprintf("%s %s", line, v[i]);
                        free(line);
                        line = t;
                }
                char *t = xasprintf("%s%s\n", s, line);
                free(line);
                free(s);
                s = t;
        }
        p->resolv_conf = s;
}

int net_pod_setup(const char *pod_path, const struct net_options *o, struct net_pod *ret, struct pod_err *err)
{
        _cleanup_free_ char *ns = xasprintf("%s/%s", pod_path, NET_NETNS_FILE);
        _cleanup_free_ char *dir = xasprintf("%s/%s", pod_path, NET_RECORD_DIR);
        _cleanup_free_ char *info_path = xasprintf("%s/%s", pod_path, NET_INFO_FILE);
        struct net_confs confs = { 0 };
        struct net_pod p = { .netns_fd = -1 };
        json_t *planned = NULL, *info = json_array(), *rec;
        size_t i;
        int r;

        if ((r = net_confs_load(o->conf_dirs, &confs, err)) < 0)
                goto fail_early;
        if (o->list->all && confs.n > NET_MAX_NETWORKS) {
                r = pod_err_set(err, -E2BIG, "--net=all: %zu networks are configured; a pod joins at most %d", confs.n,
                                NET_MAX_NETWORKS);
                goto fail_early;
        }
        if ((r = plan(o, &confs, &planned, err)) < 0)
                goto fail_early;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                r = pod_err_set(err, -errno, "creating %s: %s", dir, strerror(errno));
                goto fail_early;
        }
        if ((r = netns_create(ns, &p.netns_fd)) < 0) {
                r = pod_err_set(err, r, "creating the pod's network namespace at %s: %s", ns, strerror(-r));
                goto fail;
        }
        json_array_foreach(planned, i, rec) {
                _cleanup_free_ char *rec_path = xasprintf("%s/%zu-%s.json", dir, i,
                                                          json_string_value(json_object_get(rec, "name")));
                struct net_result res;

                _cleanup_free_ char *conf_path = xasprintf("%s/%zu-%s.conf", dir, i,
                                                           json_string_value(json_object_get(rec, "name")));

                /* The config as run stays with the pod (rkt's netConf); the record goes at teardown. */
                if ((r = write_json(conf_path, json_object_get(rec, "conf"), err)) < 0 ||
                    (r = write_json(rec_path, rec, err)) < 0 || (r = add_network(rec_path, rec, ns, err)) < 0)
                        goto fail;
                if ((r = net_result_parse(json_object_get(rec, "result"), &res, err)) < 0) {
                        pod_err_prefix(err, "network \"%s\"", json_string_value(json_object_get(rec, "name")));
                        goto fail;
                }
                for (size_t k = 0; k < res.n_addrs; k++)
                        strv_push(&p.addrs, res.addrs[k].ip);
                add_resolv(&p, json_string_value(json_object_get(rec, "name")), &res);
                json_array_append_new(info, info_entry(rec, conf_path, &res));
                net_result_done(&res);
        }
        if ((r = write_json(info_path, info, err)) < 0)
                goto fail;
        json_decref(planned);
        json_decref(info);
        net_confs_done(&confs);
        *ret = p;
        return 0;
fail:
        {
                /* Forced: a plugin whose DEL fails now (it hangs, it is gone) would fail
                 * it at gc too; the pod never ran, so nothing more is left to undo. */
                struct pod_err e2 = { 0 };
                if (net_pod_teardown(pod_path, NET_TEARDOWN_FORCE, &e2) < 0)
                        log_warn("undoing the network setup: %s (what that plugin set up on the host is left behind)",
                                 e2.msg);
        }
fail_early:
        unlink(info_path);
        net_pod_done(&p);
        json_decref(planned);
        json_decref(info);
        net_confs_done(&confs);
        return r;
}

int net_pod_check(const char *pod_path, net_check_report_fn report, void *userdata)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", pod_path, NET_RECORD_DIR);
        _cleanup_free_ char *ns = xasprintf("%s/%s", pod_path, NET_NETNS_FILE);
        int failed = 0, checked = 0;

        for (int i = 0; i <= NET_MAX_NETWORKS; i++) {
                _cleanup_free_ char *data = NULL;
                struct dirent *de;
                json_t *rec = NULL, *conf, *result, *p;
                const char *name, *version;
                struct pod_err err = { 0 };
                size_t k, len;
                DIR *d = opendir(dir);
                int r = 0;

                if (!d)
                        break;
                while ((de = readdir(d)))
                        if (record_index(de->d_name) == i) {
                                _cleanup_free_ char *path = xasprintf("%s/%s", dir, de->d_name);
                                if (read_file_at(AT_FDCWD, path, NET_CONF_MAX_BYTES + CNI_OUTPUT_MAX, &data, &len) == 0)
                                        rec = json_loadb(data, len, 0, NULL);
                                break;
                        }
                closedir(d);
                if (!rec)
                        continue;
                conf = json_object_get(rec, "conf");
                result = json_object_get(rec, "result");
                name = json_string_value(json_object_get(conf, "name")) ?: "?";
                version = json_string_value(json_object_get(conf, "cniVersion"));
                checked++;
                if (!json_is_object(result))
                        r = pod_err_set(&err, -EAGAIN, "not set up (its ADD did not finish)");
                else if (!version_at_least(version, 0, 4))
                        r = pod_err_set(&err, -EOPNOTSUPP, "cniVersion %s has no CHECK (it came with 0.4.0)", version ?: "0.1.0");
                struct cni_call c = call_of(rec, "CHECK", ns);
                json_array_foreach(json_object_get(conf, "plugins"), k, p) {
                        json_t *in, *res = NULL;
                        if (r < 0)
                                break;
                        in = plugin_stdin(rec, p, result);
                        r = cni_exec(json_string_value(json_object_get(p, "type")), &c, in, &res, &err);
                        json_decref(in);
                        json_decref(res);
                }
                if (r < 0)
                        failed++;
                report(name, json_string_value(json_object_get(rec, "ifName")), r, err.msg, userdata);
                json_decref(rec);
        }
        return failed ? -EIO : checked ? 0 : -ENOENT;
}
