/*
 * The pod's filesystem, set up by PID 1 in its own mount namespace:
 * the stage1 rootfs ($s1) becomes PID 1's root with /proc, a read-only /sys
 * and a minimal /dev (null zero full random urandom tty, devpts with its own
 * ptmx, shm, console when the pod was started from a terminal); each app's
 * rootfs gets the pod's /dev, /proc and read-only /sys bound in.
 * Nothing here touches the host's mount namespace.
 */
#ifndef POD_INIT_MOUNTS_H
#define POD_INIT_MOUNTS_H

#include <stdbool.h>

#include "common/util.h"

/* rkt's --dns-conf-mode: where /etc/hosts and /etc/resolv.conf come from. */
enum hosts_mode { HOSTS_DEFAULT, HOSTS_STAGE0, HOSTS_HOST };
enum resolv_mode { RESOLV_DEFAULT, RESOLV_STAGE0, RESOLV_HOST, RESOLV_NONE };
/* Parse "resolv=X,hosts=Y" (either may be missing: default). */
int dns_conf_mode_parse(const char *s, enum hosts_mode *ret_hosts, enum resolv_mode *ret_resolv, struct pod_err *err);
/*
 * Before mounts_setup_pod, cwd the pod directory (host paths visible), in
 * the pod's mount namespace (made a slave first, so nothing leaks to the
 * host): the stage1 root's etc files for the apps (docs/stage1-abi.md
 * "hostname, hosts, resolv.conf").  hosts default: the hostname joins the
 * 127.0.0.1 line of etc/hosts-fallback; stage0: of etc/rkt-hosts; host: the
 * host's /etc/hosts bound read-only on etc/rkt-hosts.  resolv host: the
 * host's /etc/resolv.conf bound read-only on etc/rkt-resolv.conf.
 * addrs (NULL-terminated, may be NULL): the pod's addresses on its CNI
 * networks, each a line "ADDR hostname" in the default and stage0 files.
 */
int mounts_etc_files(const char *s1, const char *hostname, char *const *addrs, enum hosts_mode hosts,
                     enum resolv_mode resolv, struct pod_err *err);
/* Prepare $s1 (path relative to cwd or absolute) and switch root to it.
 * Its /sys/fs/cgroup shows the pod's cgroup cg (NULL or CG_NONE: none),
 * read-only, at its host path (docs/stage1-abi.md "cgroups"). */
struct cg_pod;
int mounts_setup_pod(const char *s1, const char *console_tty, const struct cg_pod *cg, struct pod_err *err);
/* Bind the pod's /dev, /proc, /sys into an app rootfs (path in PID 1's root);
 * with restrict_paths, also make kernel interfaces under them read-only or
 * inaccessible (off with podinit --disable-paths); of /sys/fs only the
 * pod's read-only cgroup view stays.  An app with a volume at or under
 * /sys gets no sysfs at all (rkt's rule): its volumes make its /sys. */
struct pod_app;
int mounts_setup_app(const char *rootfs, struct pod_app *a, bool restrict_paths, struct pod_err *err);

/*
 * Why exec of prog (as the app gives it: absolute, relative to workdir, or
 * a bare name searched in path_env, default PATH if NULL) returned ENOENT
 * although it exists: the interpreter it names (an ELF's PT_INTERP, or a
 * "#!" line) is missing in the app's root.  0 and ret_prog (the program's
 * path) and ret_interp when so; -ENOENT if the program itself is missing or
 * names no interpreter; -EEXIST if its interpreter is there.
 */
int mounts_missing_interpreter(const char *rootfs, const char *workdir, const char *path_env, const char *prog,
                               char *ret_prog, size_t prog_len, char *ret_interp, size_t interp_len);

#endif
