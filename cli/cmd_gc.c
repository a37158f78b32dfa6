/*
 * podctl gc: remove every pod that is not running (exited pods, and pods
 * whose preparation died).  A pod is taken only while we hold its lock, so a
 * pod that starts or runs concurrently is never touched; it is renamed to
 * exited-garbage first so an interrupted gc resumes cleanly next time.
 * The pod's networks go first (CNI DEL of what its launcher could not tear
 * down, killed or crashed: net/podnet.h), then its cgroups (its
 * $pod/subcgroup): rkt's stage1 leaves them for gc so the pod's counters
 * outlive it.
 */
#include "cli/cli.h"
#include "cli/poddir.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/cgroup.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "net/podnet.h"
#include "stage0/rootfs.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

int cmd_gc(int argc, char **argv)
{
        struct pod_err err = { 0 };
        struct pod_ref *pods;
        size_t n, removed = 0;
        int rc = 0;
        struct args_rest rest;
        _cleanup_free_ char *garbage = xasprintf("%s/pods/exited-garbage", g.dir);

        if ((rc = cli_parse("gc", argc, argv, NULL, 0, &rest)) != 0)
                return rc > 0 ? 0 : 2;
        if (rest.n_pos || rest.dashdash) {
                cli_usage_error("gc", "unexpected argument \"%s\"", argv[rest.first] ?: "--");
                return 2;
        }
        if (pods_list(&pods, &n, &err) < 0) {
                log_error("gc: %s", err.msg);
                return 1;
        }
        mkdir_p_at(AT_FDCWD, garbage, 0700);
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int fd = -1;
                _cleanup_free_ char *dst = NULL;
                int r;

                if (pods[i].state == PODDIR_RUNNING || pods[i].state == PODDIR_PREPARING)
                        continue;
                fd = open(pods[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
                        continue;       /* it came alive, or vanished */
                dst = xasprintf("%s/%s", garbage, pods[i].uuid);
                if (strcmp(pods[i].path, dst) && rename(pods[i].path, dst) < 0) {
                        log_error("gc: moving pod %s to %s: %s", pods[i].uuid, garbage, strerror(errno));
                        rc = 1;
                        continue;
                }
                /* Forced: a DEL that keeps failing must not keep the pod forever; it is reported. */
                if (net_pod_teardown(dst, NET_TEARDOWN_FORCE, &err) < 0) {
                        log_error("gc: pod %s: tearing down its networks: %s (what that plugin set up on the host "
                                  "is left behind)", pods[i].uuid, err.msg);
                        rc = 1;
                }
                if (cg_pod_remove_recorded(dst, pods[i].uuid, &err) < 0) {
                        log_error("gc: pod %s: %s", pods[i].uuid, err.msg);
                        rc = 1;
                }         /* the pod directory still goes: its cgroups were reported */
                /* What the pod's tooling left mounted in it (a killed shim's rootfs binds): never
                 * removed through, and never left behind (rm_rf_at does not cross mounts). */
                if ((r = stage0_pod_unmount_all(dst, &err)) < 0) {
                        log_error("gc: pod %s: %s", pods[i].uuid, err.msg);
                        rc = 1;
                } else if (r > 0) {
                        log_debug("gc: pod %s: %d mounts left in it unmounted", pods[i].uuid, r);
                }
                r = rm_rf_at(AT_FDCWD, dst);
                if (r < 0) {
                        log_error("gc: removing pod %s: %s%s", pods[i].uuid, strerror(-r),
                                  r == -EBUSY ? " (something is still mounted inside it; unmount it and run gc again)" : "");
                        rc = 1;
                        continue;
                }
                printf("removed %s\n", pods[i].uuid);
                removed++;
        }
        pods_free(pods, n);
        if (g.debug)
                log_debug("%zu pods removed", removed);
        return rc;
}
