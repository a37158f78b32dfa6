/*
 * Per-app resource limits (setrlimit(2)), from the app annotations
 * podinit.io/rlimit-<name> = "SOFT[:HARD]" (docs/manifest.md "Resource limits").
 * appc has no isolator for them, so they are podinit's own; `podctl run
 * --rlimit=NAME=SOFT[:HARD]` writes the same annotations.  Limits not named
 * are inherited from podinit (which inherits them from whoever started it).
 */
#ifndef POD_COMMON_RLIMITS_H
#define POD_COMMON_RLIMITS_H

#include <stdint.h>
#include <sys/resource.h>

#include "common/util.h"

#define ANN_RLIMIT_PREFIX "podinit.io/rlimit-"
#define RLIMITS_N 16    /* RLIMIT_CPU .. RLIMIT_RTTIME */

struct app_rlimits {
        uint32_t set;                   /* bit r: lim[r] is set */
        struct rlimit lim[RLIMITS_N];
};

/* "nofile" (or "NOFILE", "RLIMIT_NOFILE") to RLIMIT_NOFILE; -EINVAL if unknown. */
int rlimit_from_name(const char *name);
const char *rlimit_name(int resource);
/* "1024", "1024:4096", "unlimited", "0:unlimited"; byte-valued limits also take sizes ("8Mi"). */
int rlimit_value_parse(int resource, const char *s, struct rlimit *ret);
/* Every podinit.io/rlimit-* annotation; messages start with where ("apps[0].annotations"). */
struct kv;
int rlimits_parse(const struct kv *ann, size_t n_ann, const char *where, struct app_rlimits *ret,
                  struct pod_err *err);

#endif
