/* podctl status [--json] POD: the pod and each app, live if it is running. */
#include "cli/cli.h"
#include "cli/poddir.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/log.h"
#include "common/status.h"

#include <pwd.h>

static const char *str(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k)) ?: "-";
}

int cmd_status(int argc, char **argv)
{
        struct pod_err err = { 0 };
        struct pod_ref p = { 0 };
        bool json = false;
        int idx, r;
        const struct opt opts[] = { { "json", OPT_BOOL, &json } };
        struct args_rest rest;
        json_t *st, *a;
        size_t i;

        if ((r = cli_parse("status", argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0)
                return r > 0 ? 0 : 2;
        if (rest.n_pos != 1 || rest.dashdash) {
                cli_usage_error("status", rest.n_pos ? "give one POD" : "no POD given (a UUID or a unique prefix)");
                return 2;
        }
        idx = rest.first;
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
                if (json_is_true(json_object_get(st, "unresponsive")))
                        printf("warning  podinit does not answer (%s): shown from the files on disk, which may be\n"
                               "         out of date; `podctl stop --force %.8s` kills the pod\n",
                               str(st, "unresponsiveReason"), p.uuid);
                printf("started  %s\n", str(st, "startedAt"));
                if (json_is_integer(json_object_get(st, "ownerUid"))) {
                        /* Besides root, who may control it (docs/security.md); named from the host's users. */
                        uid_t uid = (uid_t)json_integer_value(json_object_get(st, "ownerUid"));
                        struct passwd *pw = getpwuid(uid);
                        printf("owner    %s%suid %u%s\n", pw ? pw->pw_name : "", pw ? " (" : "", (unsigned)uid, pw ? ")" : "");
                }
                if (json_object_get(st, "exitedAt"))
                        printf("exited   %s\n", str(st, "exitedAt"));
                if (json_is_integer(json_object_get(st, "exitCode")))
                        printf("exit     %lld\n", (long long)json_integer_value(json_object_get(st, "exitCode")));
                if (json_object_get(st, "exitReason"))
                        printf("reason   %s\n", str(st, "exitReason"));
                json_array_foreach(json_object_get(st, "networks"), i, a)
                        printf("network  %s %s %s%s%s\n", str(a, "name"), str(a, "ifName"), str(a, "ip"),
                               json_object_get(a, "gateway") ? " gateway " : "", json_string_value(json_object_get(a, "gateway")) ?: "");
                if (json_object_get(st, "netns"))
                        printf("netns    %s\n", str(st, "netns"));
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
                        else if (json_is_true(json_object_get(a, "oomKilled"))) {
                                /* Not "killed by SIGKILL": say who, and which limit it reached. */
                                json_t *lim = json_object_get(a, "memoryLimit");
                                oom_describe(json_is_integer(lim), (uint64_t)json_integer_value(lim), dbuf, sizeof(dbuf));
                                detail = dbuf;
                        } else if (json_object_get(a, "signalName")) {
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
