/*
 * Flags (common/args.c) as rkt's stage0 hands them to stage1's run
 * entrypoint and podctl's verbs take them.  The input is argv, words split
 * at NUL.  The flag table is a copy of init/launcher.c's (rkt's stage1 ABI,
 * docs/stage1-abi.md); the values then go through the common parsers the
 * launcher applies to them (--net, --dns-conf-mode, --net-timeout, the
 * numbers, the pod UUID).  The launcher's own checks around them are in
 * its launcher_main and not reached.  Then the same words, parsed
 * interleaved as podctl's verbs do (with the suggestion for an unknown flag).
 */
#include "fuzz.h"
#include "common/args.h"
#include "common/uuid.h"
#include "init/isolate/mounts.h"
#include "net/netlist.h"

struct launch_flags {
        bool debug, interactive, mutable_pod, disable_caps, disable_paths, disable_seccomp;
        const char *net, *hostname, *ipc, *private_users, *mds_token, *local_config, *dns_mode, *ready_fd,
                *max_clients, *max_message, *console_format, *cgroup_parent, *net_config_dir, *net_plugin_dir,
                *net_timeout;
        char **volumes;         /* a repeatable flag, as podctl's --volume */
};

static void values(const struct launch_flags *l)
{
        struct pod_err err = { 0 };
        struct net_list nets;
        enum hosts_mode hosts;
        enum resolv_mode resolv;
        uint64_t ms;
        long v;

        if (net_list_parse(l->net, &nets, &err) == 0) {
                FUZZ_CHECK(nets.n <= NET_MAX_NETWORKS);
                for (size_t i = 0; i < nets.n; i++)
                        FUZZ_CHECK(net_name_valid(nets.nets[i].name));
                net_list_done(&nets);
        }
        dns_conf_mode_parse(l->dns_mode, &hosts, &resolv, &err);
        if (l->net_timeout)
                parse_duration_ms(l->net_timeout, &ms);
        if (l->ready_fd)
                parse_long(l->ready_fd, 3, 65535, &v);
        if (l->max_clients)
                parse_long(l->max_clients, 1, 100000, &v);
        if (l->max_message)
                parse_long(l->max_message, 256, 64L << 20, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct launch_flags l = { 0 };
        const struct opt opts[] = {
                { "debug", OPT_BOOL, &l.debug },
                { "interactive", OPT_BOOL, &l.interactive },
                { "mutable", OPT_BOOL, &l.mutable_pod },
                { "disable-capabilities-restriction", OPT_BOOL, &l.disable_caps },
                { "disable-paths", OPT_BOOL, &l.disable_paths },
                { "disable-seccomp", OPT_BOOL, &l.disable_seccomp },
                { "net", OPT_STR, &l.net },
                { "hostname", OPT_STR, &l.hostname },
                { "ipc", OPT_STR, &l.ipc },
                { "private-users", OPT_STR, &l.private_users },
                { "mds-token", OPT_STR, &l.mds_token },
                { "local-config", OPT_STR, &l.local_config },
                { "dns-conf-mode", OPT_STR, &l.dns_mode },
                { "ready-fd", OPT_STR, &l.ready_fd },
                { "max-clients", OPT_STR, &l.max_clients },
                { "max-message", OPT_STR, &l.max_message },
                { "console-format", OPT_STR, &l.console_format },
                { "cgroup-parent", OPT_STR, &l.cgroup_parent },
                { "net-config-dir", OPT_STR, &l.net_config_dir },
                { "net-plugin-dir", OPT_STR, &l.net_plugin_dir },
                { "net-timeout", OPT_STR, &l.net_timeout },
                { "volume", OPT_STRV, &l.volumes },
                { "i", OPT_BOOL, &l.interactive },
                { "t", OPT_BOOL, &l.debug },
        };
        struct pod_err err = { 0 };
        struct args_rest rest = { 0 };
        size_t n, n_words;
        /* argv[0] is the program; the words are argv[1..]. */
        _cleanup_strv_ char **words = fuzz_split(data, size, '\0', &n_words);
        _cleanup_free_ char **argv = xcalloc(n_words + 2, sizeof(char *));
        int idx = 1, argc;

        argv[0] = (char *)"init";
        for (n = 0; n < n_words; n++)
                argv[n + 1] = words[n];
        argc = (int)n_words + 1;

        if (args_parse_rest(argc, argv, &idx, opts, ARRAY_SIZE(opts), &rest, &err) == 0) {
                FUZZ_CHECK(idx >= 1 && idx <= argc);
                if (idx == argc - 1)
                        uuid_valid(argv[idx]);
                values(&l);
        } else {
                FUZZ_CHECK(err.code < 0);
                if (rest.unknown)
                        FUZZ_CHECK(rest.unknown_len <= strlen(rest.unknown));
        }
        strv_free(l.volumes);
        l.volumes = NULL;

        /* podctl's verbs: flags anywhere before "--", positionals moved to the front. */
        memset(&rest, 0, sizeof(rest));
        if (args_parse_interleaved(argc, argv, 1, opts, ARRAY_SIZE(opts), &rest, &err) == 0) {
                FUZZ_CHECK(rest.first == 1 && rest.n_pos >= 0 && rest.n_after >= 0);
                FUZZ_CHECK(rest.first + rest.n_pos + rest.n_after <= argc);
                for (int i = rest.first; i < rest.first + rest.n_pos + rest.n_after; i++)
                        FUZZ_CHECK(argv[i] != NULL);
                for (int i = 0; i < rest.n_pos; i++)
                        FUZZ_CHECK(argv[rest.first + i][0] != '-' || !argv[rest.first + i][1]);
        } else if (rest.unknown) {
                FUZZ_CHECK(rest.unknown_len <= strlen(rest.unknown));
        }
        strv_free(l.volumes);
        /* args_suggest runs on the first unknown flag (rest.suggest): no more, it is the slow part. */
        return 0;
}
