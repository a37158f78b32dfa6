/*
 * podctl exec [-i] [-t] [--app=NAME] [--env=NAME=VALUE]... POD -- CMD [ARG...]:
 * run a command in a running app's context (docs/protocol.md "exec"), its
 * I/O relayed like attach, and exit with the command's exit code (128+N if
 * a signal killed it; 203 if it could not be run, with the reason).
 * -i: podctl's stdin goes to the command (default: /dev/null); -t: a pty
 * (with a local terminal, put in raw mode) and podctl's TERM in the
 * command's environment, since the pty is podctl's terminal (an --env=TERM=
 * wins).  Flags may come before or after POD, and bundled (-it).  Leaving
 * (a signal to podctl, a lost connection) kills the command.
 */
#include "cli/cli.h"
#include "cli/cmd_attach.h"
#include "cli/poddir.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/client.h"
#include "common/log.h"
#include "common/proto.h"

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int cmd_exec(int argc, char **argv)
{
        struct pod_err err = { 0 };
        struct pod_ref p = { 0 };
        struct ctl_conn *c = NULL;
        const char *app = NULL;
        bool in = false, tty = false;
        _cleanup_strv_ char **env = NULL;
        int idx, code = 1;
        struct args_rest rest;
        const char *term = getenv("TERM");
        bool have_term = false;
        json_t *req, *av, *resp = NULL, *res;
        const struct opt opts[] = {
                { "i", OPT_BOOL, &in },
                { "interactive", OPT_BOOL, &in },
                { "t", OPT_BOOL, &tty },
                { "tty", OPT_BOOL, &tty },
                { "app", OPT_STR, &app },
                { "env", OPT_STRV, &env },
        };

        if ((code = cli_parse("exec", argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0)
                return code > 0 ? 0 : 2;
        code = 1;
        /* POD, then "--" and the command. */
        if (rest.n_pos != 1 || !rest.dashdash || rest.n_after == 0) {
                cli_usage_error("exec", rest.n_pos == 0 ? "no POD given (a UUID or a unique prefix)"
                                        : rest.n_pos > 1 ? "give one POD, then -- and the command (-- CMD [ARG...])"
                                                         : "no command: give it after -- (POD -- CMD [ARG...])");
                return 2;
        }
        idx = rest.first;
        for (char **e = env; e && *e; e++) {
                if (!strchr(*e, '=') || **e == '=') {
                        log_error("exec: --env=%s: expected NAME=VALUE", *e);
                        return 2;
                }
                have_term |= str_startswith(*e, "TERM=");
        }
        if (tty && term && *term && !have_term) {
                _cleanup_free_ char *kv = xasprintf("TERM=%s", term);
                strv_push(&env, kv);
        }
        if (pod_find(argv[idx], &p, &err) < 0) {
                log_error("exec: %s", err.msg);
                return 1;
        }
        if (p.state != PODDIR_RUNNING) {
                log_error("exec: pod %s is not running (it is %s)", p.uuid, pod_dir_state_name(p.state));
                goto out;
        }
        av = json_array();
        for (int i = idx + 1; i < idx + 1 + rest.n_after; i++)
                json_array_append_new(av, json_string(argv[i]));
        req = json_pack("{s:s,s:o,s:b,s:b}", "op", "exec", "argv", av, "tty", tty, "stdin", in);
        if (app)
                json_object_set_new(req, "app", json_string(app));
        if (env) {
                json_t *ev = json_array();
                for (char **e = env; *e; e++)
                        json_array_append_new(ev, json_string(*e));
                json_object_set_new(req, "env", ev);
        }
        if (tty) {
                struct winsize ws;
                if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
                        json_object_set_new(req, "rows", json_integer(ws.ws_row));
                        json_object_set_new(req, "cols", json_integer(ws.ws_col));
                }
        }
        if (ctl_connect(p.path, &c, &err) < 0 || ctl_call(c, req, &resp, &err) < 0) {
                log_error("exec: pod %s: %s", p.uuid, err.msg);
                goto out;
        }
        res = json_object_get(resp, "result");
        code = attach_stream(c, json_is_true(json_object_get(res, "tty")), json_is_true(json_object_get(res, "stdin")),
                             NULL, 0, json_string_value(json_object_get(res, "app")), true);
out:
        json_decref(resp);
        ctl_close(c);
        pod_ref_done(&p);
        return code;
}
