/*
 * A task's cgroup on the host, for the task service's Stats and Update
 * (docs/kubernetes.md "Stats and Update").
 *
 * podinit puts each app in <pod cgroup>/system.slice/<app>.service
 * (common/cgroup.h), the pod cgroup being the path in the pod's
 * `subcgroup` file, in every hierarchy it uses.  The shim reads and writes
 * those files directly from the host: no call to the pod's PID 1 is needed,
 * and nothing here can make the shim wait on the pod.
 *
 *   Stats   containerd's cgroups Metrics, v1 on a host with cgroup v1
 *           hierarchies (a hybrid host too: its cgroup2 "unified" mount has
 *           no controllers), v2 on a pure cgroup2 host, packed for an Any
 *           (type URL "io.containerd.cgroups.v1.Metrics" / "...v2.Metrics"),
 *           as containerd's CRI plugin unpacks them into ContainerStats.
 *   Update  (shim/update.c) the runtime spec's LinuxResources (JSON, containerd's type URL
 *           "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"):
 *           CPU shares, quota and period, the memory limit and swap, the
 *           pids limit are written to the app's cgroup; anything else that
 *           would change what the container was created with is refused,
 *           and then nothing is written.
 *
 * Every function takes the cgroup mount point, so the unit tests run them
 * on a fake tree (tests/unit/test_shim_stats.c).  Return 0 or a negative
 * errno with err set: -EINVAL is a malformed request (INVALID_ARGUMENT),
 * -EOPNOTSUPP what podinit cannot apply (FAILED_PRECONDITION), -ENOENT a
 * cgroup that does not exist (NOT_FOUND).
 */
#ifndef POD_SHIM_STATS_H
#define POD_SHIM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/cgroup.h"
#include "common/util.h"

#define SHIM_METRICS_V1_URL "io.containerd.cgroups.v1.Metrics"
#define SHIM_METRICS_V2_URL "io.containerd.cgroups.v2.Metrics"
#define SHIM_RESOURCES_URL "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"

struct shim_cgroup {
        char *mnt;              /* CG_DEFAULT_MOUNT, or a test's fake tree */
        enum cg_layout layout;  /* CG_V1 or CG_V2 */
        char *rel;              /* relative to each hierarchy's root: "<subcgroup>[/system.slice/<app>.service]" */
};

/*
 * The cgroup of pod_dir's pod (app NULL) or of its app under mnt: the
 * layout is what mnt holds (cg_detect), the pod's path its `subcgroup`
 * file.  -ENOENT if the pod has no cgroup or the app none yet (an app's
 * cgroup is made when it starts).
 */
int shim_cgroup_find(const char *mnt, const char *pod_dir, const char *app, struct shim_cgroup *ret,
                     struct pod_err *err);
void shim_cgroup_done(struct shim_cgroup *cg);
/* <mnt>/<hier>/<rel>[/<file>] on v1 (each controller its hierarchy), <mnt>/<rel>[/<file>] on v2. */
char *shim_cgroup_path(const struct shim_cgroup *cg, const char *hier, const char *file);

/* The cgroup's Metrics, packed: *ret_type_url (static) and *ret_data (malloc'd, *ret_len bytes). */
int shim_stats_read(const struct shim_cgroup *cg, const char **ret_type_url, uint8_t **ret_data, size_t *ret_len,
                    struct pod_err *err);

/* What an Update writes; a value is applied only when its set_ flag is. */
struct shim_update {
        bool set_memory, set_swap, set_shares, set_quota, set_period, set_pids;
        bool swap_as_created;   /* the swap asked for is the create's: nothing to do without a swap controller */
        int64_t memory;         /* bytes; -1: unlimited */
        int64_t swap;           /* memory + swap, bytes (the OCI meaning); -1: unlimited */
        uint64_t shares;        /* 2..262144 */
        int64_t quota;          /* microseconds per period; -1: unlimited */
        uint64_t period;        /* microseconds, 1000..1000000 */
        int64_t pids;           /* -1: unlimited */
};

/*
 * Parse an UpdateTaskRequest's resources (type_url and its JSON value).
 * created is the bundle's linux.resources (or NULL): a field podinit
 * cannot change (devices, blockIO, hugepage limits, ...) is accepted only
 * if it is what the container was created with, as containerd's CRI sends
 * the whole LinuxResources of the updated spec every time.
 */
int shim_update_parse(const char *type_url, const uint8_t *data, size_t len, const json_t *created,
                      struct shim_update *ret, struct pod_err *err);

/* The bundle's config.json linux.resources (a new reference), or NULL. */
json_t *shim_update_created(const char *bundle);

/*
 * Write u to the cgroup.  Every value is worked out (and every file found)
 * before the first write; a write the kernel refuses (a memory limit below
 * what the app uses: EBUSY) undoes the ones before it.
 */
int shim_update_apply(const struct shim_cgroup *cg, const struct shim_update *u, struct pod_err *err);

#endif
