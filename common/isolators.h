/*
 * An app's appc isolators (docs/manifest.md, "Isolators"), parsed from its
 * `isolators` list.  Plain values only, so an app spec copies them with `=`.
 *
 * Implemented: os/linux/capabilities-retain-set, os/linux/capabilities-remove-set,
 * os/linux/no-new-privileges, os/linux/oom-score-adj, os/linux/seccomp-retain-set,
 * os/linux/seccomp-remove-set, resource/memory, resource/cpu, os/linux/cpu-shares
 * (the last three applied through the app's cgroup).  rkt's ignored ones (selinux-context,
 * sysctl, block/network bandwidth) are ignored here too.  Anything else is
 * an error: a typo must not silently run an app unconfined.
 */
#ifndef POD_COMMON_ISOLATORS_H
#define POD_COMMON_ISOLATORS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"

#define ISO_CAPS_RETAIN "os/linux/capabilities-retain-set"
#define ISO_CAPS_REMOVE "os/linux/capabilities-remove-set"
#define ISO_NNP "os/linux/no-new-privileges"
#define ISO_OOM_SCORE_ADJ "os/linux/oom-score-adj"
#define ISO_SECCOMP_RETAIN "os/linux/seccomp-retain-set"
#define ISO_SECCOMP_REMOVE "os/linux/seccomp-remove-set"
#define ISO_MEMORY "resource/memory"
#define ISO_CPU "resource/cpu"
#define ISO_CPU_SHARES "os/linux/cpu-shares"

/* The entries of one seccomp set, joined with ',' (docs/manifest.md: the limit). */
#define SECCOMP_SET_MAX 4096

enum seccomp_mode {
        SECCOMP_DEFAULT = 0,    /* no seccomp isolator, or a remove-set with @appc.io/empty */
        SECCOMP_UNCONFINED,     /* a retain-set with @appc.io/all: no filter */
        SECCOMP_RETAIN,         /* allow-list: the set (plus the implicit calls) */
        SECCOMP_REMOVE,         /* deny-list: the set */
};

/* appc's default capability set (rkt's stage1 default): the bounding set of an app. */
#define CAPS_DEFAULT_NAMES                                                                         \
        "CAP_AUDIT_WRITE,CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FSETID,CAP_FOWNER,CAP_KILL,CAP_MKNOD,"    \
        "CAP_NET_RAW,CAP_NET_BIND_SERVICE,CAP_SETUID,CAP_SETGID,CAP_SETPCAP,CAP_SETFCAP,"         \
        "CAP_SYS_CHROOT"

struct isolators {
        bool has_retain, has_remove;
        uint64_t retain, remove;        /* capability masks (bit n = capability n) */
        bool nnp;
        bool has_oom;
        int oom_score_adj;
        enum seccomp_mode seccomp;
        int seccomp_errno;      /* errno for filtered calls; 0: ENOSYS (default list) or kill (sets) */
        char seccomp_set[SECCOMP_SET_MAX];      /* the isolator's entries, ',' separated */
        bool has_memory;
        uint64_t memory_limit;          /* resource/memory limit, bytes */
        bool has_cpu;
        uint64_t cpu_millis;            /* resource/cpu limit, millicores */
        bool has_cpu_shares;
        uint64_t cpu_shares;            /* os/linux/cpu-shares, 2..262144 */
};

/* Parse an appc isolator list (a JSON array; NULL or null: none). */
struct json_t;
int isolators_parse(struct json_t *list, const char *path, struct isolators *ret, struct pod_err *err);
/* The app's capability bounding set. */
uint64_t isolators_bounding(const struct isolators *iso);
/*
 * The same, less what this host cannot give (above the kernel's
 * cap_last_cap, or not in the bounding set the process started with),
 * with a warning naming each capability of a retain-set so dropped.
 */
uint64_t isolators_bounding_host(const struct isolators *iso, const char *app);
/* The capabilities the process's bounding set held when it started. */
uint64_t caps_host_mask(void);
uint64_t caps_default_mask(void);
/* "CAP_NET_ADMIN,CAP_CHOWN" or "NET_ADMIN,chown" to a mask; -EINVAL names the bad one in err. */
int caps_parse_list(const char *s, uint64_t *ret, struct pod_err *err);
/*
 * Validate a seccomp set given as "NAME,@group,..." (podctl's --seccomp) and
 * set *ret_mode to SECCOMP_RETAIN/REMOVE, or UNCONFINED/DEFAULT when it names
 * @appc.io/all (retain) or @appc.io/empty (remove).
 */
int sc_set_check(const char *set, bool retain, enum seccomp_mode *ret_mode, struct pod_err *err);
/*
 * A Kubernetes quantity ("128Mi", "1G", "0.5", "250m", "1e3") as an integer
 * count of units, or of thousandths when millis (CPU: "1" -> 1000);
 * fractions round up.  -EINVAL for garbage (negative included), -ERANGE
 * past UINT64_MAX.
 */
int k8s_quantity_parse(const char *s, bool millis, uint64_t *ret);
/* Highest capability number this kernel knows. */
int caps_last(void);

#endif
