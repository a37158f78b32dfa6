/*
 * coreos.com/rkt/stage1/gc: `gc [--debug] [--local-config DIR] UUID`, cwd =
 * the pod (in exited-garbage/), stdout discarded.  Removes what the pod
 * leaves on the host after it exits: its CNI networks (DEL of each recorded
 * one, then the namespace bound at $pod/netns: net/podnet.h), which the
 * launcher tears down itself unless it was killed, and its cgroups (named in
 * `subcgroup`, on cgroup v1 and v2 alike).  Idempotent: a pod that never started, or whose files are gone, is fine.
 * stage0 holds the pod's lock meanwhile, and unmounts and deletes the pod
 * directory itself afterwards.
 */
#include "stage1/entry.h"
#include "common/args.h"
#include "common/cgroup.h"
#include "common/log.h"
#include "common/uuid.h"
#include "net/podnet.h"

int s1_gc(int argc, char **argv)
{
        const char *local_config = NULL;
        struct pod_err err = { 0 };
        bool debug = false;
        int idx = 1, rc = 0;
        const struct opt opts[] = {
                { "debug", OPT_BOOL, &debug },
                { "local-config", OPT_STR, &local_config },
        };

        log_init("stage1 gc", false);
        if (args_parse(argc, argv, &idx, opts, ARRAY_SIZE(opts), &err) < 0 || idx != argc - 1 ||
            !uuid_valid(argv[idx])) {
                log_error("%s", err.msg[0] ? err.msg : idx < argc ? "expected one pod UUID" : "missing the pod UUID");
                fprintf(stderr, "usage: gc [--debug] [--local-config DIR] UUID\n");
                return S1_EXIT_USAGE;
        }
        log_init("stage1 gc", debug);
        _cleanup_free_ char *pod_path = getcwd(NULL, 0);
        if (net_pod_teardown(pod_path ? pod_path : ".", NET_TEARDOWN_FORCE, &err) < 0) {
                log_error("tearing down the pod's networks: %s", err.msg);
                rc = S1_EXIT_ERROR;
        }
        if (cg_pod_remove_recorded(".", argv[idx], &err) < 0) {
                log_error("removing the pod's cgroups: %s", err.msg);
                return S1_EXIT_ERROR;
        }
        log_debug("pod %s collected", argv[idx]);
        return rc;
}
