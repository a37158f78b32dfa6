/*
 * What every podctl verb shares: the global options (g), the verbs' usage
 * texts and the one flag parser.  `podctl VERB --help` and `podctl help
 * VERB` print a verb's text, and cli_parse() (one flag parser for every
 * verb: flags before or after POD, up to "--") points a user who mistyped a
 * flag at it.  The texts live here, apart from podctl.c's dispatch table,
 * so that a verb can print its own usage without calling up into podctl.c;
 * the two tables list the same verbs in the same order.
 */
#include "cli/cli.h"
#include "common/args.h"
#include "common/log.h"
#include "common/manifest.h"

struct global g = { .dir = "/var/lib/podinit" };

static const struct verb_text {
        const char *name;
        const char *summary;
        const char *usage;      /* the synopsis, then what the flags mean */
} verbs[] = {
        { "run", "run a pod from images (foreground, or -d to detach)", NULL /* run_usage() */ },
        { "list", "list pods",
          "usage: podctl list [--json]\n"
          "Every pod under --dir, oldest first.  A running pod whose podinit does not answer within 1 s\n"
          "is shown from its files on disk as \"unresponsive\".\n"
          "  --json   the pods' status documents as a JSON list\n" },
        { "status", "show a pod and its apps",
          "usage: podctl status [--json] POD\n"
          "The pod and each app, live from podinit if the pod runs (else from its files on disk).\n"
          "POD is a UUID or a unique prefix of one.\n"
          "  --json   the status document (docs/protocol.md \"status\")\n" },
        { "stop", "stop a running pod (--force: kill at once)",
          "usage: podctl stop [--force] [--no-wait] POD\n"
          "Stops every app in order (its stop signal, SIGKILL after its stop timeout) and waits for the pod.\n"
          "  --force     SIGKILL every app at once; if podinit does not answer, kill the pod's launcher\n"
          "              and PID 1 (as rkt's stage1 stop --force)\n"
          "  --no-wait   return once podinit has the request\n" },
        { "attach", "attach to an app's tty or streams",
          "usage: podctl attach [--app=NAME] [--mode=auto|list|tty|stdin,stdout,stderr] [--no-stdin]\n"
          "                     [--detach-keys=ctrl-p,ctrl-q] [--replay=BYTES] [--queue=BYTES]\n"
          "                     [--overflow=drop|disconnect] POD\n"
          "Attach to an app run with --stdin/--stdout/--stderr=tty|stream; the detach keys leave.\n" },
        { "exec", "run a command in a running app's context (-i stdin, -t tty)",
          "usage: podctl exec [-i] [-t] [--app=NAME] [--env=NAME=VALUE]... POD -- CMD [ARG...]\n"
          "Runs CMD in the app's root, user, environment, namespaces and cgroup; exits with its code.\n"
          "  -i, --interactive   podctl's stdin goes to the command (default: /dev/null)\n"
          "  -t, --tty           a pseudo-terminal (TERM is passed on from podctl's environment)\n"
          "  --app=NAME          the app (needed if the pod has several)\n"
          "  --env=NAME=VALUE    set a variable for the command (repeatable)\n"
          "  -it                 both, as in `podctl exec -it POD -- /bin/sh`\n" },
        { "app", "apps of a mutable pod: sandbox, add, start, stop, rm, list, status",
          "usage: podctl app sandbox [-d] [POD FLAGS as for run]\n"
          "       podctl app add POD IMAGE [--name=N] [APP FLAGS as for run] [-- ARG...]\n"
          "       podctl app start|stop|rm POD --app=NAME     (stop: [--force])\n"
          "       podctl app list [--json] POD\n"
          "       podctl app status [--json] POD --app=NAME\n" },
        { "events", "stream a pod's lifecycle events (restarts, readiness, exits)",
          "usage: podctl events [--json] [--since=SEQ] [--no-follow] POD\n"
          "The events podinit kept, then each new one until the pod exits.\n"
          "  --json        one JSON object per line\n"
          "  --since=SEQ   only events after sequence number SEQ\n"
          "  --no-follow   stop after the kept events\n" },
        { "logs", "print an app's log (-f: follow it)",
          "usage: podctl logs [-f|--follow] [--tail=N] [--since=TIME] [--timestamps] [--app=NAME]\n"
          "                   [--stream=stdout|stderr] POD\n"
          "TIME is RFC 3339 (2026-11-23T10:00:00Z) or a duration back from now (10m, 1h).\n" },
        { "reopen-log", "reopen log files after an outside rename",
          "usage: podctl reopen-log [--app=NAME] POD\n" },
        { "gc", "remove exited pods", "usage: podctl gc\nRemoves every pod that is not running.\n" },
        { "net", "CNI networks: what --net can name; check a pod's",
          "usage: podctl net list [--json] [--net-config-dir=DIR] [--net-plugin-dir=DIR[:DIR]]\n"
          "       podctl net check POD\n"
          "list: every network a pod can join (built in, and from the config directory), its plugins\n"
          "and what is wrong with them (a missing binary, a cniVersion it does not speak): exit 1 if any.\n"
          "check: CNI CHECK of each network of a running pod: exit 1 if one fails (docs/networking.md).\n" },
        { "image", "the image store: import, list, inspect, rm, gc",
          "usage: podctl image import PATH[:REF] [--name=NAME] [--platform=OS/ARCH[/VARIANT]]\n"
          "                          [--max-entries=N] [--max-size=BYTES]\n"
          "       podctl image list [--json]\n"
          "       podctl image inspect IMAGE\n"
          "       podctl image rm IMAGE...\n"
          "       podctl image gc\n"
          "The store is DIR/images (--dir).  import takes an OCI image layout (a directory or a tar; REF picks\n"
          "a ref name in it), a docker archive (docker save; REF picks a tag), an ACI file or directory, and\n"
          "prints the image's id.  IMAGE is a name (NAME without a tag means NAME:latest), an id, or an id\n"
          "prefix of 12 or more hex digits.  rm refuses an image a running pod uses; gc removes the layers\n"
          "and documents no image uses.  docs/images.md.\n"
          "  --name=NAME         name the image (default: the layout's ref name, the archive's tags, the ACI's name)\n"
          "  --platform=P        the index entry to import (default: this machine's, linux/amd64 here)\n"
          "  --max-entries=N     most files in the image (default 1000000)\n"
          "  --max-size=BYTES    most bytes unpacked (default 32Gi)\n" },
        { "help", "this list, or a verb's usage (podctl help VERB)", "usage: podctl help [VERB]\n" },
        { "version", "print podctl's version", "usage: podctl version\n" },
};

/* run's text names the apps limit. */
static void run_usage(FILE *f)
{
        fprintf(f,
                "usage: podctl run [-d] [--net=LIST | --netns=PATH] [--hostname=NAME] [--stop-timeout=DURATION]\n"
                "                  [--port=[HOSTIP:]HOSTPORT:PODPORT[/PROTO]|NAME:[HOSTIP:]HOSTPORT]...\n"
                "                  [--net-config-dir=DIR] [--net-plugin-dir=DIR[:DIR]] [--net-timeout=DURATION]\n"
                "                  [--dns=IP|host|none]... [--dns-search=D]... [--dns-opt=O]... [--dns-domain=D]\n"
                "                  [--uuid-file-save=FILE] [--pod-manifest=FILE] [--interactive]\n"
                "                  [--console-format=raw|rkt|none] [--no-overlay] [--owner=USER|UID]\n"
                "                  [--volume=NAME,kind=host,source=PATH[,readOnly=true][,recursive=false]]...\n"
                "                  [--volume=NAME,kind=empty[,mode=0755][,uid=N][,gid=N]]...\n"
                "                  IMAGE [--name=NAME] [--exec=CMD] [--user=U] [--group=G] [--set-env=K=V]...\n"
                "                        [--stdin=null|stream|tty|interactive] [--stdout=MODE] [--stderr=MODE] [--log-attached]\n"
                "                        [--log-path=FILE] [--log-max-size=SIZE] [--log-max-files=N] [--log-policy=block|drop]\n"
                "                        [--log-buffer=SIZE] [--log-rate=LINES/s] [--log-burst=LINES] [--log-line-max=SIZE]\n"
                "                        [--log-partial-timeout=DURATION]\n"
                "                        [--caps-retain=CAP,...] [--caps-remove=CAP,...]\n"
                "                        [--seccomp=default|unconfined|mode=retain|remove[,errno=EXXX],SYSCALL|@GROUP,...]\n"
                "                        [--mount=volume=NAME,target=PATH]... [--readonly-rootfs]\n"
                "                        [--memory=QUANTITY] [--cpu=CPUS] [--cpu-shares=N] [--pids-max=N]\n"
                "                        [--rlimit=NAME=SOFT[:HARD]]...\n"
                "                        [-- ARG...]\n"
                "                  [--- IMAGE ...]\n"
                "IMAGE is an image in the store (podctl image list), or a path: an OCI image layout (directory or\n"
                "tar), a docker archive or an .aci file, imported first; or an unpacked ACI directory, copied.\n"
                "At most %d apps.\n"
                "Each app's output is logged to a CRI log file; `podctl logs` reads it (see podctl(1)).\n"
                "  -d, --detach        print the pod UUID once every app has started; fail (the app's name\n"
                "                      and status) if an app fails within --start-grace of starting\n"
                "                      and that stops the pod (not restarted, essential)\n"
                "  --start-grace=DURATION  with -d: how long an app must stay up (default 300ms; 0: no wait)\n"
                "  --no-overlay        copy store images into the pod instead of mounting overlays\n"
                "  --owner=USER|UID    besides root, who may control the pod (status, attach, exec, stop...);\n"
                "                      the owner names the pod by its full UUID (docs/security.md)\n"
                "  --net=LIST          default (the default: ptp on 172.16.28.0/24, masqueraded),\n"
                "                      default-restricted, none (only lo), host, all, or NAME[:K=V;...],...\n"
                "                      from --net-config-dir (default /etc/podinit/net.d); docs/networking.md\n"
                "  --memory=QUANTITY   memory limit: bytes with a suffix, 256Mi, 1G\n"
                "  --cpu=CPUS          CPU limit in CPUs, Kubernetes style: 500m is half a CPU, 2 is two CPUs\n"
                "                      (500 means 500 CPUs)\n"
                "  --cpu-shares=N      CPU weight (2 to 262144)\n"
                "  --pids-max=N        at most N processes in the app\n",
                POD_MAX_APPS);
}

/* "app start" is app's entry. */
static const struct verb_text *verb_find(const char *name)
{
        size_t len = strcspn(name, " ");

        for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
                if (strlen(verbs[i].name) == len && !strncmp(name, verbs[i].name, len))
                        return &verbs[i];
        return NULL;
}

void cli_usage_all(FILE *f)
{
        fprintf(f, "usage: podctl [--dir=DIR] [--debug] VERB [ARGS]\n\nverbs:\n");
        for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
                fprintf(f, "  %-11s %s\n", verbs[i].name, verbs[i].summary);
        fprintf(f, "\nDIR defaults to /var/lib/podinit. `podctl VERB --help` shows a verb's flags; see podctl(1).\n");
}

bool cli_verb_known(const char *verb)
{
        return verb_find(verb) != NULL;
}

void cli_usage(const char *verb, FILE *f)
{
        const struct verb_text *v = verb_find(verb);

        if (v && !v->usage)
                run_usage(f);
        else if (v)
                fputs(v->usage, f);
}

void cli_usage_error(const char *verb, const char *fmt, ...)
{
        const struct verb_text *v = verb_find(verb);
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        log_error("%s: %s", verb, msg);
        /* The synopsis (its first lines, up to the description), not the whole text. */
        if (v && v->usage) {
                const char *p = v->usage, *e;
                while (*p && (!strncmp(p, "usage:", 6) || *p == ' ')) {
                        e = strchrnul(p, '\n');
                        fprintf(stderr, "%.*s\n", (int)(e - p), p);
                        p = *e ? e + 1 : e;
                }
        }
        fprintf(stderr, "(podctl %s --help)\n", verb);
}

int cli_parse(const char *verb, int argc, char **argv, const struct opt *opts, size_t n_opts,
              struct args_rest *rest)
{
        _cleanup_free_ struct opt *all = xcalloc(n_opts + 2, sizeof(*all));
        struct pod_err err = { 0 };
        bool help = false;

        if (n_opts)     /* a verb with no flags of its own passes NULL */
                memcpy(all, opts, n_opts * sizeof(*opts));
        all[n_opts] = (struct opt){ "help", OPT_BOOL, &help };
        all[n_opts + 1] = (struct opt){ "h", OPT_BOOL, &help };
        if (args_parse_interleaved(argc, argv, 1, all, n_opts + 2, rest, &err) < 0) {
                if (rest->unknown) {
                        /* One line: a typo is not a reason to print the whole usage. */
                        if (rest->suggest)
                                log_error("unknown flag %.*s for \"%s\"; did you mean -%s%s? (podctl %s --help)",
                                          (int)rest->unknown_len, rest->unknown, verb,
                                          strlen(rest->suggest) > 1 ? "-" : "", rest->suggest, verb);
                        else
                                log_error("unknown flag %.*s for \"%s\" (podctl %s --help)", (int)rest->unknown_len,
                                          rest->unknown, verb, verb);
                } else {
                        log_error("%s: %s (podctl %s --help)", verb, err.msg, verb);
                }
                return -EINVAL;
        }
        if (help) {
                cli_usage(verb, stdout);
                return 1;
        }
        return 0;
}
