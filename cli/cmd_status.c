/* podctl status [--json] POD: the pod and each app, live if it is running. */
#include "cli/cli.h"
#include "common/args.h"
#include "common/log.h"

static const char *str(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k)) ?: "-";
}

int cmd_status(int argc, char **argv)
{
        struct pod_err err = { 0 };
        struct pod_ref p = { 0 };
        bool json = false;
        int idx = 1;
        const struct opt opts[] = { { "json", OPT_BOOL, &json } };
        json_t *st, *a;
        size_t i;

        if (args_parse(argc, argv, &idx, opts, ARRAY_SIZE(opts), &err) < 0 || idx != argc - 1) {
                if (err.msg[0])
                        log_error("status: %s", err.msg);
                fprintf(stderr, "usage: podctl status [--json] POD\n");
                return 2;
        }
        if (pod_find(argv[idx], &p, &err) < 0 || pod_status_load(&p, &st, &err) < 0) {
                log_error("status: %s", err.msg);
                pod_ref_done(&p);
                return 1;
        }
        if (json) {
                char *s;
                json_object_set_new(st, "path", json_string(p.path));
                s = json_dumps(st, JSON_INDENT(2));
                printf("%s\n", s);
                free(s);
        } else {
                printf("pod      %s\n", p.uuid);
                printf("state    %s\n", str(st, "state"));
                printf("started  %s\n", str(st, "startedAt"));
                if (json_object_get(st, "exitedAt"))
                        printf("exited   %s\n", str(st, "exitedAt"));
                if (json_is_integer(json_object_get(st, "exitCode")))
                        printf("exit     %lld\n", (long long)json_integer_value(json_object_get(st, "exitCode")));
                if (json_object_get(st, "exitReason"))
                        printf("reason   %s\n", str(st, "exitReason"));
                printf("orphans  %lld reaped\n", (long long)json_integer_value(json_object_get(st, "orphansReaped")));
                printf("\n%-20s  %-8s  %-7s  %-6s  %-8s  %s\n", "APP", "STATE", "PID", "EXIT", "RESTARTS", "DETAIL");
                json_array_foreach(json_object_get(st, "apps"), i, a) {
                        char pid[16] = "-", code[16] = "-";
                        const char *detail = "";
                        char dbuf[128];
                        if (json_is_integer(json_object_get(a, "pid")))
                                snprintf(pid, sizeof(pid), "%lld", (long long)json_integer_value(json_object_get(a, "pid")));
                        if (json_is_integer(json_object_get(a, "shellCode")))
                                snprintf(code, sizeof(code), "%lld",
                                         (long long)json_integer_value(json_object_get(a, "shellCode")));
                        if (json_object_get(a, "error"))
                                detail = str(a, "error");
                        else if (json_object_get(a, "signalName")) {
                                snprintf(dbuf, sizeof(dbuf), "killed by SIG%s%s", str(a, "signalName"),
                                         json_is_true(json_object_get(a, "stoppedByPod")) ? " (pod stop)" : "");
                                detail = dbuf;
                        } else if (json_is_true(json_object_get(a, "stoppedByPod")))
                                detail = "stopped by the pod";
                        if (!detail[0] && json_object_get(a, "statusText"))
                                detail = str(a, "statusText");
                        printf("%-20s  %-8s  %-7s  %-6s  %-8lld  %s\n", str(a, "name"), str(a, "state"), pid, code,
                               (long long)json_integer_value(json_object_get(a, "restarts")), detail);
                }
        }
        json_decref(st);
        pod_ref_done(&p);
        return 0;
}
