/*
 * podctl: the host-side client.  Global flags come before the verb (as in
 * rkt); each verb lives in its own cmd_<verb>.c behind this table.  This is
 * the top of podctl: only main() and this table call the verbs, and nothing
 * calls into this file.  The verbs' usage texts and the flag parser they
 * share are cli/cli.c, below the verbs.
 */
#include "cli/cli.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/log.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

/* The same verbs, in the same order, as cli/cli.c's usage texts. */
static const struct verb {
        const char *name;
        int (*fn)(int, char **);
} verbs[] = {
        { "run", cmd_run },
        { "list", cmd_list },
        { "status", cmd_status },
        { "stop", cmd_stop },
        { "attach", cmd_attach },
        { "exec", cmd_exec },
        { "app", cmd_app },
        { "events", cmd_events },
        { "logs", cmd_logs },
        { "reopen-log", cmd_reopen_log },
        { "gc", cmd_gc },
        { "image", cmd_image },
        { "net", cmd_net },
        { "help", cmd_help },
        { "version", cmd_version },
};

/* A verb is its argument's first word, as in cli/cli.c. */
static const struct verb *verb_find(const char *name)
{
        size_t len = strcspn(name, " ");

        for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
                if (strlen(verbs[i].name) == len && !strncmp(name, verbs[i].name, len))
                        return &verbs[i];
        return NULL;
}

static int cmd_help(int argc, char **argv)
{
        struct args_rest rest;
        int r;

        if ((r = cli_parse("help", argc, argv, NULL, 0, &rest)) != 0)
                return r > 0 ? 0 : 2;
        if (rest.n_pos == 0) {
                cli_usage_all(stdout);
                return 0;
        }
        /* "podctl help app add" is app's text. */
        if (!cli_verb_known(argv[rest.first])) {
                log_error("help: unknown verb \"%s\" (podctl help lists them)", argv[rest.first]);
                return 2;
        }
        cli_usage(argv[rest.first], stdout);
        return 0;
}

static int cmd_version(int argc, char **argv)
{
        struct args_rest rest;
        int r;

        if (argv && (r = cli_parse("version", argc, argv, NULL, 0, &rest)) != 0)
                return r > 0 ? 0 : 2;
        printf("podctl %s\n", POD_VERSION);
        return 0;
}

int main(int argc, char **argv)
{
        struct pod_err err = { 0 };
        bool help = false, version = false;
        const struct verb *v;
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
                log_error("%s (podctl --help)", err.msg);
                return 2;
        }
        log_init("podctl", g.debug);
        if (version)
                return cmd_version(0, NULL);
        if (help || idx >= argc) {
                cli_usage_all(help ? stdout : stderr);
                return help ? 0 : 2;
        }
        if (!*g.dir) {
                log_error("--dir: empty path");
                return 2;
        }
        if ((v = verb_find(argv[idx])))
                return v->fn(argc - idx, argv + idx);
        log_error("unknown verb \"%s\"", argv[idx]);
        cli_usage_all(stderr);
        return 2;
}
