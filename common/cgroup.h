/*
 * The pod's cgroups (docs/manifest.md "Resources", docs/architecture.md).
 *
 * Layout, the same in every hierarchy podinit uses:
 *
 *   <parent>/machine-rkt\x2d<uuid, '-' as \x2d>.scope      the pod (its path is $pod/subcgroup)
 *        init.scope                                        PID 1
 *        system.slice/<app>.service                        one per app
 *
 * rkt's name is kept so tools that recognise rkt pods by their cgroup (cAdvisor) keep working.
 *
 * Two layouts are handled:
 *   CG_V1  a tmpfs at the mount point with one cgroup v1 hierarchy per controller (cpu, cpuacct,
 *          memory, pids, devices, name=systemd), plus the cgroup2 "unified" hierarchy of a hybrid
 *          system when it is mounted (used for cgroup.kill and for nothing else);
 *   CG_V2  cgroup2 mounted at the mount point: controllers enabled down the path (no process
 *          is ever left in a cgroup whose subtree has controllers: PID 1 lives in init.scope).
 *
 * The launcher creates the pod cgroup and init.scope and moves PID 1 in (before the pid file
 * is written), then opens the pod cgroup's directories (O_PATH) for PID 1, which can no longer
 * see the host's /sys/fs/cgroup after pivot_root.  PID 1 creates each app's cgroup from those
 * fds before fork; the child joins it by writing "0" to pre-opened cgroup.procs fds, so the
 * app is confined from its first instruction.  Nothing here runs in the child except
 * cg_app_join_child(), which only calls write().
 *
 * Every function returns 0 or a negative errno and says what failed in err.
 */
#ifndef POD_COMMON_CGROUP_H
#define POD_COMMON_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/util.h"

#define CG_DEFAULT_MOUNT "/sys/fs/cgroup"
#define CG_DEFAULT_PARENT "machine.slice"

enum cg_layout { CG_NONE = 0, CG_V1, CG_V2 };

/* The hierarchies podinit uses; under CG_V2 only CG_H_UNIFIED is used. */
enum cg_hier {
        CG_H_CPU,       /* v1 "cpu" (often co-mounted with cpuacct) */
        CG_H_CPUACCT,
        CG_H_MEMORY,
        CG_H_PIDS,
        CG_H_DEVICES,
        CG_H_SYSTEMD,   /* v1 name=systemd, for /proc/<pid>/cgroup to show the pod */
        CG_H_UNIFIED,   /* v2: the only one; v1 hybrid: the "unified" mount */
        CG_NHIER,
};

/* Limits of one app (0: not set, the kernel's default applies). */
struct cg_limits {
        uint64_t memory_max;    /* bytes: v1 memory.limit_in_bytes, v2 memory.max */
        uint64_t cpu_quota_us;  /* per 100000 us: v1 cpu.cfs_quota_us (+ cfs_period_us), v2 cpu.max */
        uint64_t cpu_shares;    /* 2..262144: v1 cpu.shares, v2 cpu.weight = 1 + (shares-2)*9999/262142 */
        uint64_t pids_max;      /* v1 and v2 pids.max */
};

/* One device rule: type 'c', 'b' or 'a'; major/minor -1 is '*'; access a subset of "rwm". */
struct cg_device {
        char type;
        int64_t major, minor;
        char access[4];
};

/* The default allow list of an app (rkt's DevicePolicy=closed, reference §4.3). */
extern const struct cg_device cg_default_devices[];
extern const size_t cg_n_default_devices;

struct cg_pod {
        enum cg_layout layout;
        char *path;             /* relative to each hierarchy root, no leading '/': "machine.slice/machine-rkt\x2d…scope" */
        int dirfd[CG_NHIER];    /* the pod cgroup's directory in each hierarchy (O_PATH|O_DIRECTORY|O_CLOEXEC); -1: not used */
};

/*
 * An app's cgroup holds no fd of its own: PID 1 would need ~14 per app (a
 * directory and a cgroup.procs in each v1 hierarchy), 14,000 at 1,000 apps,
 * each copied at every fork.  Its directories are opened from the pod's
 * dirfds when needed, and the child opens cgroup.procs the same way.
 */
struct cg_app {
        int pod_fd[CG_NHIER];   /* the pod's dirfd of each hierarchy used (cg_pod.dirfd, not owned); -1: not used */
        char *procs;            /* "system.slice/<app>.service/cgroup.procs", relative to pod_fd */
        size_t rel_len;         /* the length of its directory part */
        uint64_t oom_kills_at_start;    /* memory OOM kill count when the app (re)started */
};

/* The directory of hierarchy h under the mount point on CG_V1 ("cpu", "memory", "systemd", "unified", ...). */
const char *cg_hier_dir(int h);

/* Which layout is mounted at mnt (statfs: cgroup2 -> CG_V2; a tmpfs with v1 hierarchies -> CG_V1). */
int cg_detect(const char *mnt, enum cg_layout *ret, struct pod_err *err);

/* The pod cgroup's path for a UUID under parent: "machine.slice/machine-rkt\x2d1234\x2d….scope". */
char *cg_pod_path(const char *parent, const char *uuid);

/*
 * Launcher: create the pod cgroup and its init.scope in every available hierarchy under mnt
 * (a hierarchy that is not mounted is skipped; memory, pids and devices missing is only noted
 * by cg_pod_missing()), enable the controllers on v2, and open the dirfds.  An existing pod
 * cgroup (a restarted pod) is reused.
 */
int cg_pod_create(const char *mnt, enum cg_layout layout, const char *path, struct cg_pod *ret,
                  struct pod_err *err);
/* Launcher: move pid into <pod>/init.scope in every hierarchy. */
int cg_pod_enter(const struct cg_pod *pod, pid_t pid, struct pod_err *err);
/* Comma-separated names of controllers podinit wanted and could not use ("memory,pids"), or "" */
const char *cg_pod_missing(const struct cg_pod *pod);
void cg_pod_close(struct cg_pod *pod);  /* closes the fds, frees path; the cgroups stay */

/*
 * PID 1, before fork: create (or reuse) system.slice/<app>.service under the pod, write the
 * limits and the device rules (devices_closed: deny everything, then allow devs; v1 devices
 * controller, or a BPF_CGROUP_DEVICE program on v2).  The pod's fds must outlive ret.
 * A limit whose controller is missing is an error naming the controller.
 */
int cg_app_create(const struct cg_pod *pod, const char *app, const struct cg_limits *lim,
                  bool devices_closed, const struct cg_device *devs, size_t n_devs,
                  struct cg_app *ret, struct pod_err *err);
/* In the child between fork and exec: write "0" to the app's cgroup.procs in every hierarchy.  Async-signal-safe. */
int cg_app_join_child(const struct cg_app *app);
/* The app cgroup's memory OOM kill count (v1 memory.oom_control "oom_kill", v2 memory.events "oom_kill"). */
int cg_app_oom_kills(const struct cg_app *app, uint64_t *ret);
/*
 * Signal every process left in the app's cgroup; *ret_count is how many were signalled.
 * SIGKILL uses cgroup.kill where the kernel has it (v2 or hybrid unified); otherwise the pids
 * are read from cgroup.procs (as this pid namespace numbers them) and signalled, repeated
 * until a pass finds none new, so processes forked meanwhile are caught.
 */
int cg_app_kill(const struct cg_app *app, int sig, unsigned *ret_count);
/* Does the app's cgroup still have processes? */
bool cg_app_populated(const struct cg_app *app);
/* Forget the app; the cgroup stays (removed with the pod's by gc). */
void cg_app_close(struct cg_app *app);
/* Remove the app's cgroup directories (EBUSY if processes remain is ignored) and forget it. */
void cg_app_destroy(struct cg_app *app);

/* gc: remove <mnt>/<hier>/<path> in every hierarchy, deepest first.  Missing is not an error. */
int cg_pod_remove(const char *mnt, enum cg_layout layout, const char *path, struct pod_err *err);
/*
 * gc: remove the cgroups named in <pod_dir>/subcgroup (no file: nothing to
 * do), if it names this pod's cgroup (a relative path ending in the pod's
 * cgroup name); anything else is refused and left alone.
 */
int cg_pod_remove_recorded(const char *pod_dir, const char *uuid, struct pod_err *err);

#endif
