/*
 * Unit tests for net/: the --net list, CNI configs (files, built-ins, who
 * wins), results of each CNI version, running a plugin (fake plugins made
 * of shell scripts: a result, an error object, garbage, a hang past the
 * deadline, a flood of output), and common/ports.c (--port and the pod
 * manifest's ports resolved against the apps' declared ports).
 */
#include "test.h"
#include "net/cni.h"
#include "net/conf.h"
#include "net/netlist.h"
#include "net/result.h"
#include "common/fdutil.h"
#include "common/ports.h"
#include "common/util.h"

#include <fcntl.h>
#include <sys/stat.h>

TEST(net_list_forms)
{
        struct net_list l;
        struct pod_err err;

        ASSERT_EQ(0, net_list_parse(NULL, &l, &err));
        ASSERT_EQ(NET_CNI, l.kind);
        ASSERT_EQ(1, l.n);
        ASSERT_STREQ("default", l.nets[0].name);
        net_list_done(&l);
        ASSERT_EQ(0, net_list_parse("none", &l, &err));
        ASSERT_EQ(NET_NONE, l.kind);
        net_list_done(&l);
        ASSERT_EQ(0, net_list_parse("host", &l, &err));
        ASSERT_EQ(NET_HOST, l.kind);
        net_list_done(&l);
        ASSERT_EQ(0, net_list_parse("all", &l, &err));
        ASSERT(l.all && l.kind == NET_CNI && l.n == 0);
        net_list_done(&l);
        ASSERT_EQ(0, net_list_parse("default,back-end.2:IP=10.1.2.3;IgnoreUnknown=1", &l, &err));
        ASSERT_EQ(2, l.n);
        ASSERT(l.nets[0].args == NULL);
        ASSERT_STREQ("back-end.2", l.nets[1].name);
        ASSERT_STREQ("IP=10.1.2.3;IgnoreUnknown=1", l.nets[1].args);
        net_list_done(&l);
}

TEST(net_list_rejects)
{
        static const struct { const char *s, *msg; } bad[] = {
                { "none,default", "cannot be combined" }, { "default,host", "cannot be combined" },
                { "all:X=1", "cannot be combined" }, { "a/b", "not a network name" }, { "-x", "not a network name" },
                { "a,a", "listed twice" }, { "a:noequals", "K=V" }, { "a:=v", "K=V" }, { ",", "no network" },
                { "a:", "K=V" },
                { "n1,n2,n3,n4,n5,n6,n7,n8,n9,n10,n11,n12,n13,n14,n15,n16,n17", "at most 16" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct net_list l;
                struct pod_err err = { 0 };
                if (net_list_parse(bad[i].s, &l, &err) >= 0 || !strstr(err.msg, bad[i].msg))
                        FAIL_AT("--net=%s: expected an error with \"%s\", got \"%s\"", bad[i].s, bad[i].msg, err.msg);
        }
        char longname[NET_NAME_MAX + 2];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;
        ASSERT(!net_name_valid(longname));
        longname[NET_NAME_MAX] = 0;
        ASSERT(net_name_valid(longname));
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        ASSERT_EQ(0, write_file_atomic(AT_FDCWD, p, text, strlen(text), mode, 0));
}

TEST(net_conf_forms_and_precedence)
{
        _cleanup_free_ char *d1 = xasprintf("%s/d1", test_tmpdir()), *d2 = xasprintf("%s/d2", test_tmpdir());
        char *dirs[] = { d1, d2, NULL };
        struct net_confs c;
        struct pod_err err;
        const struct net_conf *n;

        ASSERT_EQ(0, mkdir(d1, 0755));
        ASSERT_EQ(0, mkdir(d2, 0755));
        /* Without files: the two built-ins. */
        ASSERT_EQ(0, net_confs_load(dirs, &c, &err));
        ASSERT_EQ(2, c.n);
        n = net_confs_find(&c, "default");
        ASSERT(n && n->builtin && n->single);
        ASSERT_STREQ("ptp", json_string_value(json_object_get(json_array_get(json_object_get(n->list, "plugins"), 0), "type")));
        net_confs_done(&c);
        /* A file beats the built-in; in one dir the first file by name wins; a later dir beats an earlier one. */
        write_file(d1, "10-default.conf", "{\"cniVersion\":\"1.0.0\",\"name\":\"default\",\"type\":\"bridge\"}", 0644);
        write_file(d1, "20-mine.conflist", "{\"cniVersion\":\"0.4.0\",\"name\":\"mine\",\"plugins\":[{\"type\":\"ptp\"},{\"type\":\"portmap\"}]}", 0644);
        write_file(d1, "30-mine.conf", "{\"cniVersion\":\"0.4.0\",\"name\":\"mine\",\"type\":\"macvlan\"}", 0644);
        write_file(d1, "README", "not a config", 0644);
        write_file(d2, "x.json", "{\"cniVersion\":\"0.3.1\",\"name\":\"mine\",\"type\":\"ipvlan\"}", 0644);
        ASSERT_EQ(0, net_confs_load(dirs, &c, &err));
        ASSERT_EQ(3, c.n);
        n = net_confs_find(&c, "default");
        ASSERT(n && !n->builtin);
        ASSERT_STREQ("1.0.0", n->version);
        n = net_confs_find(&c, "mine");
        ASSERT(n && n->single);
        ASSERT_STREQ("ipvlan", json_string_value(json_object_get(json_array_get(json_object_get(n->list, "plugins"), 0), "type")));
        net_confs_done(&c);
        /* A broken file is an error naming it. */
        write_file(d2, "y.conf", "{\"name\":", 0644);
        ASSERT(net_confs_load(dirs, &c, &err) < 0);
        ASSERT_CONTAINS(err.msg, "y.conf");
        ASSERT_CONTAINS(err.msg, "not JSON");
}

TEST(net_conf_rejects)
{
        static const struct { const char *json, *msg; } bad[] = {
                { "[]", "expected a CNI network config" },
                { "{\"type\":\"ptp\"}", "\"name\" is missing" },
                { "{\"name\":\"a b\",\"type\":\"ptp\"}", "not a valid name" },
                { "{\"name\":\"a\"}", "neither \"plugins\" nor" },
                { "{\"name\":\"a\",\"type\":\"../../bin/sh\"}", "neither \"plugins\" nor" },
                { "{\"name\":\"a\",\"cniVersion\":1,\"type\":\"ptp\"}", "\"cniVersion\" is" },
                { "{\"name\":\"a\",\"cniVersion\":\"0.4.0\",\"plugins\":[]}", "non-empty array" },
                { "{\"name\":\"a\",\"plugins\":[{\"type\":\"ptp\"}]}", "needs \"cniVersion\"" },
                { "{\"name\":\"a\",\"cniVersion\":\"0.4.0\",\"plugins\":[{\"type\":\"ptp\"},{\"x\":1}]}", "plugins[1]" },
                { "{\"name\":\"a\",\"name\":\"b\",\"type\":\"ptp\"}", "not JSON" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct net_conf c;
                struct pod_err err = { 0 };
                if (net_conf_parse(bad[i].json, strlen(bad[i].json), "t.conf", &c, &err) >= 0 ||
                    !strstr(err.msg, bad[i].msg) || !strstr(err.msg, "t.conf"))
                        FAIL_AT("%s: expected an error with \"%s\", got \"%s\"", bad[i].json, bad[i].msg, err.msg);
        }
}

static json_t *J(const char *s)
{
        json_t *j = json_loads(s, 0, NULL);
        ASSERT(j);
        return j;
}

TEST(net_result_versions)
{
        struct net_result r;
        struct pod_err err;
        char mask[64];
        /* 0.4.0/1.0.0: the host side's address (interface 0, no sandbox) is not the pod's. */
        json_t *j = J("{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"veth1\"},{\"name\":\"eth0\",\"sandbox\":\"/x\"}],"
                      "\"ips\":[{\"interface\":0,\"address\":\"172.16.28.1/32\"},{\"interface\":1,\"address\":\"172.16.28.5/24\","
                      "\"gateway\":\"172.16.28.1\"},{\"address\":\"fd00::5/64\"}],\"dns\":{\"nameservers\":[\"10.0.0.2\"],"
                      "\"search\":[\"a.example\"],\"options\":[\"ndots:2\"],\"domain\":\"example\"}}");

        ASSERT_EQ(0, net_result_parse(j, &r, &err));
        ASSERT_EQ(2, r.n_addrs);
        ASSERT_STREQ("veth1", r.host_ifname);
        ASSERT_STREQ("172.16.28.5", net_result_primary(&r)->ip);
        ASSERT_STREQ("172.16.28.1", net_result_primary(&r)->gateway);
        ASSERT_EQ(24, net_result_primary(&r)->prefix);
        ASSERT_STREQ("fd00::5", r.addrs[1].ip);
        ASSERT_STREQ("10.0.0.2", r.nameservers[0]);
        ASSERT_STREQ("ndots:2", r.options[0]);
        ASSERT_STREQ("example", r.domain);
        net_result_done(&r);
        json_decref(j);
        /* 0.2.0 */
        j = J("{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"10.1.0.7/16\",\"gateway\":\"10.1.0.1\"}}");
        ASSERT_EQ(0, net_result_parse(j, &r, &err));
        ASSERT_EQ(1, r.n_addrs);
        ASSERT_STREQ("10.1.0.7", net_result_primary(&r)->ip);
        net_prefix_mask(AF_INET, 16, mask, sizeof(mask));
        ASSERT_STREQ("255.255.0.0", mask);
        net_prefix_mask(AF_INET, 0, mask, sizeof(mask));
        ASSERT_STREQ("0.0.0.0", mask);
        net_prefix_mask(AF_INET6, 64, mask, sizeof(mask));
        ASSERT_STREQ("ffff:ffff:ffff:ffff::", mask);
        net_result_done(&r);
        json_decref(j);
        /* Garbage addresses are errors, not zeros. */
        static const char *const bad[] = {
                "{\"ips\":[{\"address\":\"300.1.1.1/24\"}]}", "{\"ips\":[{\"address\":\"10.0.0.1\"}]}",
                "{\"ips\":[{\"address\":\"10.0.0.1/33\"}]}", "{\"ips\":[{\"address\":\"10.0.0.1/8\",\"gateway\":\"x\"}]}",
                "{\"ips\":{}}", "{\"ips\":[7]}", "{\"ip4\":{\"ip\":5}}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                j = J(bad[i]);
                if (net_result_parse(j, &r, &err) >= 0)
                        FAIL_AT("%s: parsed", bad[i]);
                json_decref(j);
        }
}

/* A fake plugin named type in the test's dir: a shell script body. */
static const char *fake_plugin(const char *type, const char *body)
{
        static char dir[512];
        _cleanup_free_ char *text = xasprintf("#!/bin/sh\n%s\n", body);

        snprintf(dir, sizeof(dir), "%s", test_tmpdir());
        write_file(dir, type, text, 0755);
        return dir;
}

static int run_fake(const char *type, const char *body, uint64_t timeout_ms, json_t **res, struct pod_err *err)
{
        struct cni_call c = { .command = "ADD", .container_id = "cid", .netns = "/x", .ifname = "eth0",
                              .args = "IP=1.2.3.4", .timeout_ms = timeout_ms };
        json_t *conf = J("{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"t\"}");
        int r;

        c.path = fake_plugin(type, body);
        r = cni_exec(type, &c, conf, res, err);
        json_decref(conf);
        return r;
}

TEST(net_cni_exec_result_env_and_stdin)
{
        json_t *res = NULL;
        struct pod_err err;

        /* The plugin echoes its environment and stdin into its result. */
        ASSERT_EQ(0, run_fake("echo", "conf=$(cat); printf '{\"cmd\":\"%s\",\"id\":\"%s\",\"ns\":\"%s\",\"if\":\"%s\",\"args\":\"%s\",\"conf\":%s}' "
                                     "\"$CNI_COMMAND\" \"$CNI_CONTAINERID\" \"$CNI_NETNS\" \"$CNI_IFNAME\" \"$CNI_ARGS\" \"$conf\"",
                              5000, &res, &err));
        ASSERT_STREQ("ADD", json_string_value(json_object_get(res, "cmd")));
        ASSERT_STREQ("cid", json_string_value(json_object_get(res, "id")));
        ASSERT_STREQ("/x", json_string_value(json_object_get(res, "ns")));
        ASSERT_STREQ("eth0", json_string_value(json_object_get(res, "if")));
        ASSERT_STREQ("IP=1.2.3.4", json_string_value(json_object_get(res, "args")));
        ASSERT_STREQ("n", json_string_value(json_object_get(json_object_get(res, "conf"), "name")));
        json_decref(res);
        /* DEL may print nothing. */
        ASSERT_EQ(0, run_fake("quiet", "cat >/dev/null", 5000, &res, &err));
        ASSERT(res == NULL);
}

TEST(net_cni_exec_failures)
{
        json_t *res = NULL;
        struct pod_err err = { 0 };
        uint64_t t0;

        ASSERT(run_fake("errobj", "cat >/dev/null; echo '{\"cniVersion\":\"0.4.0\",\"code\":11,\"msg\":\"boom\",\"details\":\"why\"}'; exit 1",
                        5000, &res, &err) < 0);
        ASSERT_CONTAINS(err.msg, "plugin \"errobj\" ADD");
        ASSERT_CONTAINS(err.msg, "boom: why (CNI error 11)");
        ASSERT(run_fake("garbage", "cat >/dev/null; echo 'hello there'", 5000, &res, &err) < 0);
        ASSERT_CONTAINS(err.msg, "not a CNI result: hello there");
        ASSERT(run_fake("dies", "echo 'on stderr' >&2; exit 3", 5000, &res, &err) < 0);
        ASSERT_CONTAINS(err.msg, "exited with code 3: on stderr");
        /* Its config unread and its stdin closed: no SIGPIPE for us. */
        ASSERT(run_fake("noread", "exec 0<&-; exit 4", 5000, &res, &err) < 0);
        ASSERT_CONTAINS(err.msg, "exited with code 4");
        /* A hang, with a child holding the pipes too: the whole group is killed at the deadline. */
        t0 = now_mono_ns();
        ASSERT_EQ(-ETIMEDOUT, run_fake("hang", "sleep 60 & sleep 60", 300, &res, &err));
        ASSERT((now_mono_ns() - t0) / 1000000 < 5000);
        ASSERT_CONTAINS(err.msg, "did not finish ADD within 300 ms");
        ASSERT_EQ(-EFBIG, run_fake("flood", "cat >/dev/null; yes '{}' | head -c 3000000", 10000, &res, &err));
        ASSERT_CONTAINS(err.msg, "printed more than");
        struct cni_call c = { .command = "ADD", .path = "/nonexistent:/also/not", .timeout_ms = 1000 };
        json_t *conf = J("{}");
        ASSERT_EQ(-ENOENT, cni_exec("ptp", &c, conf, &res, &err));
        ASSERT_CONTAINS(err.msg, "plugin \"ptp\" not found in /nonexistent:/also/not");
        json_decref(conf);
}

TEST(net_port_flags)
{
        static const struct { const char *flag, *json; } ok[] = {
                { "8080:80", "{\"name\": \"tcp-8080\", \"hostPort\": 8080, \"hostIP\": \"0.0.0.0\", \"podPort\": {\"name\": \"tcp-8080\", \"protocol\": \"tcp\", \"port\": 80}}" },
                { "127.0.0.1:53:5353/udp", "{\"name\": \"udp-53\", \"hostPort\": 53, \"hostIP\": \"127.0.0.1\", \"podPort\": {\"name\": \"udp-53\", \"protocol\": \"udp\", \"port\": 5353}}" },
                { "[::1]:8443:443", "{\"name\": \"tcp-8443\", \"hostPort\": 8443, \"hostIP\": \"::1\", \"podPort\": {\"name\": \"tcp-8443\", \"protocol\": \"tcp\", \"port\": 443}}" },
                { "http:8080", "{\"name\": \"http\", \"hostPort\": 8080, \"hostIP\": \"0.0.0.0\"}" },
                { "http:127.0.0.1:8080", "{\"name\": \"http\", \"hostPort\": 8080, \"hostIP\": \"127.0.0.1\"}" },
        };
        static const char *const bad[] = { "8080", "0:80", "8080:70000", "http:80/udp", "Http:80", "8080:80/icmp",
                                           "1.2.3.4:x:80", "http:nothost:80", "[::1:80:80", "a:b:c:d", "",
                                           /* found by fuzz_ports: */ "2:2:66", ":80",
                                           "a123456789012345678901234567890123456789012345678901234567890123:80" };

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                json_t *j = NULL, *want = J(ok[i].json);
                struct pod_err err = { 0 };
                if (port_flag_parse(ok[i].flag, &j, &err) < 0 || !json_equal(j, want))
                        FAIL_AT("--port=%s: %s", ok[i].flag, err.msg[0] ? err.msg : json_dumps(j, JSON_SORT_KEYS));
                json_decref(j);
                json_decref(want);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                json_t *j = NULL;
                struct pod_err err = { 0 };
                if (port_flag_parse(bad[i], &j, &err) >= 0)
                        FAIL_AT("--port=%s: accepted", bad[i]);
                ASSERT_CONTAINS(err.msg, "--port=");
        }
}

TEST(net_pod_ports_resolve)
{
        _cleanup_free_ char *dir = xasprintf("%s/stage1/rootfs/opt/stage2/web", test_tmpdir());
        _cleanup_close_ int podfd = -1;
        struct pod_port *p = NULL;
        struct pod_err err = { 0 };
        size_t n = 0;
        json_t *pod;

        ASSERT_EQ(0, mkdir_p_at(AT_FDCWD, dir, 0755));
        write_file(dir, "manifest", "{\"app\":{\"ports\":[{\"name\":\"http\",\"protocol\":\"tcp\",\"port\":80},"
                                    "{\"name\":\"dns\",\"protocol\":\"udp\",\"port\":53}]}}", 0644);
        podfd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* The image's port (from its manifest file), an inline podPort, and hostIP 0.0.0.0 as "every address". */
        pod = J("{\"apps\":[{\"name\":\"web\"},{\"name\":\"db\",\"app\":{\"ports\":[{\"name\":\"pg\",\"port\":5432}]}}],"
                "\"ports\":[{\"name\":\"http\",\"hostPort\":8080,\"hostIP\":\"0.0.0.0\"},{\"name\":\"dns\",\"hostPort\":53,"
                "\"hostIP\":\"127.0.0.1\"},{\"name\":\"pg\",\"hostPort\":5432},{\"name\":\"x\",\"hostPort\":9,\"podPort\":"
                "{\"name\":\"x\",\"protocol\":\"udp\",\"port\":7}}]}");
        ASSERT_EQ(0, pod_ports_resolve(podfd, pod, &p, &n, &err));
        ASSERT_EQ(4, n);
        ASSERT(p[0].pod_port == 80 && p[0].host_port == 8080 && !strcmp(p[0].proto, "tcp") && !p[0].host_ip[0]);
        ASSERT(p[1].pod_port == 53 && !strcmp(p[1].proto, "udp") && !strcmp(p[1].host_ip, "127.0.0.1"));
        ASSERT(p[2].pod_port == 5432 && !strcmp(p[2].proto, "tcp"));
        ASSERT(p[3].pod_port == 7 && p[3].host_port == 9 && !strcmp(p[3].proto, "udp"));
        free(p);
        json_decref(pod);
        static const struct { const char *ports, *msg; } bad[] = {
                { "[{\"name\":\"nope\",\"hostPort\":1}]", "declared: http, dns, pg" },
                { "[{\"name\":\"http\",\"hostPort\":0}]", "hostPort" },
                { "[{\"name\":\"http\",\"hostPort\":8080,\"hostIP\":\"x\"}]", "hostIP" },
                { "[{\"name\":\"http\",\"hostPort\":8080},{\"name\":\"pg\",\"hostPort\":8080}]", "both forward host port 8080/tcp" },
                { "[{\"hostPort\":1}]", "needs a \"name\"" },
                { "{}", "expected an array" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                _cleanup_free_ char *s = xasprintf("{\"apps\":[{\"name\":\"web\"},{\"name\":\"db\",\"app\":{\"ports\":[{\"name\":\"pg\",\"port\":5432}]}}],\"ports\":%s}",
                                                   bad[i].ports);
                pod = J(s);
                memset(&err, 0, sizeof(err));
                if (pod_ports_resolve(podfd, pod, &p, &n, &err) >= 0 || !strstr(err.msg, bad[i].msg))
                        FAIL_AT("%s: expected \"%s\", got \"%s\"", bad[i].ports, bad[i].msg, err.msg);
                json_decref(pod);
        }
}
