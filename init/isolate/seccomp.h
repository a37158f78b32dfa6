/*
 * Seccomp filters for apps (docs/manifest.md, "Isolators"): an app's seccomp
 * isolator (or the default allow-list) compiled with libseccomp to a BPF
 * program before fork, which the child installs as its last step before
 * execve.  Programs are cached in PID 1 by profile (mode, errno, set), so
 * a pod of many apps with the default profile compiles it once.
 */
#ifndef POD_INIT_SECCOMP_H
#define POD_INIT_SECCOMP_H

#include <linux/filter.h>

#include "common/isolators.h"
#include "common/util.h"

/*
 * The program for an app's isolators: *ret_prog points into the cache (valid
 * for PID 1's lifetime), or is NULL when the app runs unconfined.  Names
 * given by hand that this architecture does not know, and unknown @groups,
 * are listed in warn (they are ignored, as rkt does) so the caller can say so.
 */
int app_seccomp_prog(const struct isolators *iso, const struct sock_fprog **ret_prog, char *warn, size_t warn_len,
                     struct pod_err *err);

/* Free the cache (tests; PID 1 keeps it until exit). */
void app_seccomp_cache_clear(void);

#endif
