/*
 * podctl events [--json] [--since=SEQ] [--no-follow] POD: the pod's
 * lifecycle events (docs/lifecycle.md), the ones podinit kept first, then
 * each new one as it happens, until the pod exits.  One line per event:
 * its JSON with --json, else "TIME SEQ APP EVENT FROM -> TO DETAIL".
 */
#include "cli/cli.h"
#include "common/args.h"
#include "common/log.h"
#include "common/proto.h"

#include <limits.h>

static void print_event(json_t *ev, bool json)
{
        char detail[256] = "";
        const char *type = json_string_value(json_object_get(ev, "type")) ?: "?";
        json_t *v;

        if (json) {
                char *s = json_dumps(ev, JSON_COMPACT);
                if (s)
                        printf("%s\n", s);
                free(s);
                fflush(stdout);
                return;
        }
        if ((v = json_object_get(ev, "error")))
                snprintf(detail, sizeof(detail), "%s", json_string_value(v) ?: "");
        else if (json_is_integer(json_object_get(ev, "backoffMs")))
                snprintf(detail, sizeof(detail), "code %lld, restart %lld in %lld ms",
                         (long long)json_integer_value(json_object_get(ev, "code")),
                         (long long)json_integer_value(json_object_get(ev, "restarts")),
                         (long long)json_integer_value(json_object_get(ev, "backoffMs")));
        else if (json_is_integer(json_object_get(ev, "code")))
                snprintf(detail, sizeof(detail), "code %lld", (long long)json_integer_value(json_object_get(ev, "code")));
        else if (json_is_integer(json_object_get(ev, "exitCode")))
                snprintf(detail, sizeof(detail), "exit code %lld", (long long)json_integer_value(json_object_get(ev, "exitCode")));
        else if ((v = json_object_get(ev, "status")) || (v = json_object_get(ev, "reason")))
                snprintf(detail, sizeof(detail), "%s", json_string_value(v) ?: "");
        if (!strcmp(type, "app"))
                printf("%s %5lld %-16s %-17s %s -> %s%s%s\n", json_string_value(json_object_get(ev, "time")) ?: "-",
                       (long long)json_integer_value(json_object_get(ev, "seq")),
                       json_string_value(json_object_get(ev, "app")) ?: "-",
                       json_string_value(json_object_get(ev, "event")) ?: "-",
                       json_string_value(json_object_get(ev, "from")) ?: "-",
                       json_string_value(json_object_get(ev, "to")) ?: "-", detail[0] ? "  " : "", detail);
        else
                printf("%s %5lld %-16s pod-%s%s%s\n", json_string_value(json_object_get(ev, "time")) ?: "-",
                       (long long)json_integer_value(json_object_get(ev, "seq")), "(pod)",
                       json_string_value(json_object_get(ev, "event")) ?: "-", detail[0] ? "  " : "", detail);
        fflush(stdout);
}

int cmd_events(int argc, char **argv)
{
        struct pod_err err = { 0 };
        struct pod_ref p = { 0 };
        struct ctl_conn *c = NULL;
        bool json = false, no_follow = false;
        const char *since = NULL;
        long since_n = 0;
        int idx = 1, rc = 1;
        long long replayed = 0, printed = 0;
        const struct opt opts[] = {
                { "json", OPT_BOOL, &json },
                { "since", OPT_STR, &since },
                { "no-follow", OPT_BOOL, &no_follow },
        };
        json_t *resp = NULL;
        const char *pod = NULL;

        /* Flags before or after POD. */
        if (args_parse(argc, argv, &idx, opts, ARRAY_SIZE(opts), &err) == 0 && idx < argc) {
                pod = argv[idx++];
                args_parse(argc, argv, &idx, opts, ARRAY_SIZE(opts), &err);
        }
        if (err.msg[0] || !pod || idx != argc || (since && parse_long(since, 0, LONG_MAX, &since_n) < 0)) {
                if (err.msg[0])
                        log_error("events: %s", err.msg);
                else if (since)
                        log_error("events: --since=%s: expected an event sequence number", since);
                fprintf(stderr, "usage: podctl events [--json] [--since=SEQ] [--no-follow] POD\n");
                return 2;
        }
        if (pod_find(pod, &p, &err) < 0) {
                log_error("events: %s", err.msg);
                return 1;
        }
        if (p.state != PODDIR_RUNNING) {
                log_error("events: pod %s is not running (it is %s); its last states are in `podctl status`", p.uuid,
                          pod_dir_state_name(p.state));
                goto out;
        }
        if (ctl_connect(p.path, &c, &err) < 0 ||
            ctl_call(c, json_pack("{s:s,s:I}", "op", "events", "since", (json_int_t)since_n), &resp, &err) < 0) {
                log_error("events: pod %s: %s", p.uuid, err.msg);
                goto out;
        }
        if (json_is_integer(json_object_get(json_object_get(resp, "result"), "missed")) &&
            json_integer_value(json_object_get(json_object_get(resp, "result"), "missed")) > 0)
                log_warn("events: %lld older events are no longer kept (podinit keeps the last %u)",
                         (long long)json_integer_value(json_object_get(json_object_get(resp, "result"), "missed")),
                         1024u);
        replayed = json_integer_value(json_object_get(json_object_get(resp, "result"), "replayed"));
        if (!no_follow)
                ctl_no_timeout(c);
        for (;;) {
                uint8_t type;
                const uint8_t *pl;
                size_t len;
                ssize_t n;

                while (ctl_buffered_frame(c, &type, &pl, &len) == 1) {
                        json_t *ev;
                        if (type != FRAME_EVENT)
                                continue;
                        ev = json_loadb((const char *)pl, len, 0, NULL);
                        if (!ev)
                                continue;
                        print_event(ev, json);
                        json_decref(ev);
                        printed++;
                }
                if (no_follow && printed >= replayed)
                        break;
                n = ctl_read_some(c);
                if (n <= 0)
                        break;  /* the pod exited (its last event came first) */
        }
        rc = 0;
out:
        json_decref(resp);
        ctl_close(c);
        pod_ref_done(&p);
        return rc;
}
