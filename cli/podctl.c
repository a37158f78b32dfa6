/*
 * podctl: the host-side client.  Global flags come before the verb (as in
 * rkt); each verb lives in its own cmd_<verb>.c behind this table.
 */
#include "cli/cli.h"
#include "common/args.h"
#include "common/log.h"

struct global g = { .dir = "/var/lib/podinit" };

static const struct verb {
        const char *name;
        int (*fn)(int, char **);
        const char *summary;
} verbs[] = {
        { "run", cmd_run, "run a pod from images (foreground, or -d to detach)" },
        { "list", cmd_list, "list pods" },
        { "status", cmd_status, "show a pod and its apps" },
        { "stop", cmd_stop, "stop a running pod (--force: kill at once)" },
        { "attach", cmd_attach, "attach to an app's tty or streams" },
        { "exec", cmd_exec, "run a command in a running app's context (-i stdin, -t tty)" },
        { "app", cmd_app, "apps of a mutable pod: sandbox, add, start, stop, rm, list, status" },
        { "events", cmd_events, "stream a pod's lifecycle events (restarts, readiness, exits)" },
        { "logs", cmd_logs, "print an app's log (-f: follow it)" },
        { "reopen-log", cmd_reopen_log, "reopen log files after an outside rename" },
        { "gc", cmd_gc, "remove exited pods" },
};

static void usage(FILE *f)
{
        fprintf(f, "usage: podctl [--dir=DIR] [--debug] VERB [ARGS]\n\nverbs:\n");
        for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
                fprintf(f, "  %-11s %s\n", verbs[i].name, verbs[i].summary);
        fprintf(f, "\nDIR defaults to /var/lib/podinit. See podctl(1).\n");
}

int main(int argc, char **argv)
{
        struct pod_err err = { 0 };
        bool help = false, version = false;
        int idx = 1;
        const struct opt opts[] = {
                { "dir", OPT_STR, &g.dir },
                { "debug", OPT_BOOL, &g.debug },
                { "help", OPT_BOOL, &help },
                { "h", OPT_BOOL, &help },
                { "version", OPT_BOOL, &version },
        };

        log_init("podctl", false);
        if (args_parse(argc, argv, &idx, opts, ARRAY_SIZE(opts), &err) < 0) {
                log_error("%s", err.msg);
                usage(stderr);
                return 2;
        }
        log_init("podctl", g.debug);
        if (version) {
                printf("podctl %s\n", POD_VERSION);
                return 0;
        }
        if (help || idx >= argc) {
                usage(help ? stdout : stderr);
                return help ? 0 : 2;
        }
        if (!*g.dir) {
                log_error("--dir: empty path");
                return 2;
        }
        for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
                if (!strcmp(argv[idx], verbs[i].name))
                        return verbs[i].fn(argc - idx, argv + idx);
        log_error("unknown verb \"%s\"", argv[idx]);
        usage(stderr);
        return 2;
}
