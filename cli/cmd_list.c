/*
 * podctl list [--json]: every pod under --dir, oldest first.  Each running
 * pod is asked with a 1 s timeout; one that does not answer is listed from
 * disk as "unresponsive" (JSON: "unresponsive": true).  NETWORKS: each CNI
 * network the pod joined and its address there.
 */
#include "cli/cli.h"
#include "cli/poddir.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/log.h"

/*
 * One column from an array of st: each element's name (and ":" and its addr
 * field, if addr), joined with ",", or "-".  APPS: "web,db"; NETWORKS
 * (rkt's column): "default:172.16.28.2,backend:10.1.0.7".
 */
static void summary(json_t *st, const char *array, const char *name, const char *addr, char *buf, size_t len)
{
        size_t i, off = 0;
        json_t *e;

        buf[0] = '\0';
        json_array_foreach(json_object_get(st, array), i, e) {
                const char *a = addr ? json_string_value(json_object_get(e, addr)) ?: "-" : NULL;
                int n = snprintf(buf + off, len - off, "%s%s%s%s", i ? "," : "",
                                 json_string_value(json_object_get(e, name)) ?: "?", a ? ":" : "", a ? a : "");
                if (n < 0 || (size_t)n >= len - off)
                        break;
                off += (size_t)n;
        }
        if (!buf[0])
                snprintf(buf, len, "-");
}

int cmd_list(int argc, char **argv)
{
        struct pod_err err = { 0 };
        struct pod_ref *pods;
        bool json = false;
        size_t n;
        int r;
        const struct opt opts[] = { { "json", OPT_BOOL, &json } };
        struct args_rest rest;
        json_t *out;

        if ((r = cli_parse("list", argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0)
                return r > 0 ? 0 : 2;
        if (rest.n_pos || rest.dashdash) {
                cli_usage_error("list", "unexpected argument \"%s\"", argv[rest.first] ?: "--");
                return 2;
        }
        if (pods_list(&pods, &n, &err) < 0) {
                log_error("list: %s", err.msg);
                return 1;
        }
        out = json_array();
        if (!json)
                printf("%-36s  %-12s  %-4s  %-24s  %-22s  %s\n", "UUID", "STATE", "EXIT", "STARTED", "NETWORKS", "APPS");
        for (size_t i = 0; i < n; i++) {
                json_t *st = NULL;
                char apps[256], exitc[16], nets[256];
                const char *state = pod_dir_state_name(pods[i].state);

                if (pod_status_load_timeout(&pods[i], POD_LIST_TIMEOUT_MS, &st, &err) < 0)
                        st = json_object();
                if (pods[i].state != PODDIR_RUNNING)
                        json_object_set_new(st, "state", json_string(state));
                else if (json_is_true(json_object_get(st, "unresponsive")))
                        state = "unresponsive";
                else if (json_string_value(json_object_get(st, "state")))
                        state = json_string_value(json_object_get(st, "state"));
                json_object_set_new(st, "uuid", json_string(pods[i].uuid));
                json_object_set_new(st, "path", json_string(pods[i].path));
                if (json) {
                        json_array_append(out, st);
                } else {
                        summary(st, "apps", "name", NULL, apps, sizeof(apps));
                        if (json_is_integer(json_object_get(st, "exitCode")))
                                snprintf(exitc, sizeof(exitc), "%lld",
                                         (long long)json_integer_value(json_object_get(st, "exitCode")));
                        else
                                snprintf(exitc, sizeof(exitc), "-");
                        summary(st, "networks", "name", "ip", nets, sizeof(nets));
                        printf("%-36s  %-12s  %-4s  %-24.24s  %-22s  %s\n", pods[i].uuid, state, exitc,
                               json_string_value(json_object_get(st, "startedAt")) ?: "-", nets, apps);
                }
                json_decref(st);
        }
        if (json) {
                char *s = json_dumps(out, JSON_INDENT(2));
                printf("%s\n", s);
                free(s);
        }
        json_decref(out);
        pods_free(pods, n);
        return 0;
}
