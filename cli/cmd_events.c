/*
 * podctl events [--json] [--since=SEQ] [--no-follow] POD: the pod's
 * lifecycle events (docs/lifecycle.md), the ones podinit kept first, then
 * each new one as it happens, until the pod exits.  One line per event:
 * its JSON with --json, else "TIME SEQ APP EVENT FROM -> TO DETAIL".  A pod
 * that is no longer running has its history read from the events file
 * podinit wrote as it went (docs/lifecycle.md).
 */
#include "cli/cli.h"
#include "cli/poddir.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/client.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/podstate.h"
#include "common/policy.h"
#include "common/proto.h"
#include "common/status.h"

#include <fcntl.h>

#include <limits.h>

static void print_event(json_t *ev, bool json)
{
        char detail[256] = "";
        const char *type = json_string_value(json_object_get(ev, "type")) ?: "?";
        json_t *v;

        char oom[128] = "";

        if (json_is_true(json_object_get(ev, "oomKilled"))) {
                json_t *lim = json_object_get(ev, "memoryLimit");
                char d[112];
                oom_describe(json_is_integer(lim), (uint64_t)json_integer_value(lim), d, sizeof(d));
                snprintf(oom, sizeof(oom), " (%s)", d);
        }
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
                snprintf(detail, sizeof(detail), "code %lld%s, restart %lld in %lld ms",
                         (long long)json_integer_value(json_object_get(ev, "code")), oom,
                         (long long)json_integer_value(json_object_get(ev, "restarts")),
                         (long long)json_integer_value(json_object_get(ev, "backoffMs")));
        else if (json_is_integer(json_object_get(ev, "code")))
                snprintf(detail, sizeof(detail), "code %lld%s", (long long)json_integer_value(json_object_get(ev, "code")),
                         oom);
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

/*
 * A pod whose podinit is gone: its events from the file podinit appended
 * them to (common/status.h, POD_EVENTS_FILE; the rotated ".1" first), those
 * newer than since.  Lines that do not parse (a write cut short by a full
 * disk) are skipped.  1 if there is no file at all.
 */
static int events_from_disk(const struct pod_ref *p, long since, bool json)
{
        static const char *const names[] = { POD_EVENTS_FILE ".1", POD_EVENTS_FILE };
        uint64_t first = 0, printed = 0;
        bool found = false;

        for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
                _cleanup_free_ char *path = xasprintf("%s/%s/%s", p->path, POD_PODINIT_DIR, names[k]);
                _cleanup_free_ char *data = NULL;
                size_t len;
                char *line, *end;
                int r = read_file_at(AT_FDCWD, path, 2 * (size_t)POD_EVENTS_FILE_MAX, &data, &len);

                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        log_error("events: pod %s: reading %s: %s", p->uuid, path, strerror(-r));
                        return -1;
                }
                found = true;
                for (line = data; line < data + len; line = end + 1) {
                        json_t *ev;
                        json_int_t seq;

                        end = memchr(line, '\n', (size_t)(data + len - line));
                        if (!end)
                                break;          /* a last line cut short */
                        ev = json_loadb(line, (size_t)(end - line), 0, NULL);
                        seq = json_integer_value(json_object_get(ev, "seq"));
                        if (json_is_object(ev) && seq > 0) {
                                if (!first)
                                        first = (uint64_t)seq;
                                if (seq > since) {
                                        print_event(ev, json);
                                        printed++;
                                }
                        }
                        json_decref(ev);
                }
        }
        if (!found)
                return 1;
        if (first > (uint64_t)since + 1)
                log_warn("events: %llu older events are no longer kept (on disk, podinit keeps the last 1 MiB of them, or what the pod's %s says)",
                         (unsigned long long)(first - (uint64_t)since - 1), ANN_EVENTS_FILE_MAX);
        return 0;
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
        struct args_rest rest;

        /* Flags before or after POD. */
        if ((idx = cli_parse("events", argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0)
                return idx > 0 ? 0 : 2;
        if (rest.n_pos != 1 || rest.dashdash) {
                cli_usage_error("events", rest.n_pos ? "give one POD" : "no POD given (a UUID or a unique prefix)");
                return 2;
        }
        pod = argv[rest.first];
        if (since && parse_long(since, 0, LONG_MAX, &since_n) < 0) {
                log_error("events: --since=%s: expected an event sequence number", since);
                return 2;
        }
        if (pod_find(pod, &p, &err) < 0) {
                log_error("events: %s", err.msg);
                return 1;
        }
        if (p.state != PODDIR_RUNNING) {
                /* Its history, from the file podinit kept (there is nothing to follow). */
                int r = p.state == PODDIR_PREPARING ? 1 : events_from_disk(&p, since_n, json);
                if (r == 0)
                        rc = 0;
                else if (r > 0)
                        log_error("events: pod %s is not running (it is %s) and has no saved events (podinit never ran it); its last states are in `podctl status`",
                                  p.uuid, pod_dir_state_name(p.state));
                goto out;
        }
        if (ctl_connect(p.path, &c, &err) < 0) {
                /* It may have exited since it was found: then its file has it all. */
                int podfd = open(p.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                bool gone = podfd >= 0 && pod_lock_held(podfd) == 0;
                if (podfd >= 0)
                        close(podfd);
                if (gone && events_from_disk(&p, since_n, json) == 0)
                        rc = 0;
                else
                        log_error("events: pod %s: %s", p.uuid, err.msg);
                goto out;
        }
        if (ctl_call(c, json_pack("{s:s,s:I}", "op", "events", "since", (json_int_t)since_n), &resp, &err) < 0) {
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
