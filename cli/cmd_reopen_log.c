/*
 * podctl reopen-log [--app=NAME] POD: reopen the apps' log files by path,
 * after an outside tool renamed them (kubelet's ReopenContainerLog).
 */
#include "cli/cli.h"
#include "cli/poddir.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/client.h"
#include "common/log.h"

int cmd_reopen_log(int argc, char **argv)
{
        struct pod_err err = { 0 };
        struct pod_ref p = { 0 };
        struct ctl_conn *c = NULL;
        const char *app = NULL;
        int idx, r;
        const struct opt opts[] = { { "app", OPT_STR, &app } };
        struct args_rest rest;
        json_t *req, *resp;

        if ((r = cli_parse("reopen-log", argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0)
                return r > 0 ? 0 : 2;
        if (rest.n_pos != 1 || rest.dashdash) {
                cli_usage_error("reopen-log", rest.n_pos ? "give one POD" : "no POD given (a UUID or a unique prefix)");
                return 2;
        }
        idx = rest.first;
        if (pod_find(argv[idx], &p, &err) < 0) {
                log_error("reopen-log: %s", err.msg);
                return 1;
        }
        if (p.state != PODDIR_RUNNING) {
                log_error("reopen-log: pod %s is not running (it is %s); its log files are closed",
                          p.uuid, pod_dir_state_name(p.state));
                pod_ref_done(&p);
                return 1;
        }
        req = json_pack("{s:s}", "op", "reopen-log");
        if (app)
                json_object_set_new(req, "app", json_string(app));
        if (ctl_connect(p.path, &c, &err) < 0 || ctl_call(c, req, &resp, &err) < 0) {
                log_error("reopen-log: pod %s: %s", p.uuid, err.msg);
                ctl_close(c);
                pod_ref_done(&p);
                return 1;
        }
        json_decref(resp);
        ctl_close(c);
        pod_ref_done(&p);
        return 0;
}
