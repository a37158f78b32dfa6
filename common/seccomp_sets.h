/*
 * The names behind the seccomp isolators (docs/manifest.md, "Isolators"):
 * errno names, the syscall groups (`@docker/default-whitelist`, ...) and the
 * expansion of a set into syscall names.  Pure data and string handling, no
 * libseccomp: podctl validates `--seccomp` with it, PID 1 (init/isolate/seccomp.c)
 * turns the names into a filter and ignores the ones this architecture does
 * not have.
 */
#ifndef POD_COMMON_SECCOMP_SETS_H
#define POD_COMMON_SECCOMP_SETS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"

/* The longest syscall name or @group we accept in a set. */
#define SECCOMP_NAME_MAX 64

/* "EPERM" to 1; -EINVAL for a name that is not a Linux errno. */
int sc_errno_parse(const char *name, int *ret);
/* 1 to "EPERM"; NULL if unknown. */
const char *sc_errno_name(int e);

enum seccomp_entry_kind {
        SECCOMP_ENTRY_NAME,             /* a syscall name */
        SECCOMP_ENTRY_GROUP,            /* a known @scope/name group */
        SECCOMP_ENTRY_UNKNOWN_GROUP,    /* an @group we do not know: ignored, as rkt does */
        SECCOMP_ENTRY_ALL,              /* @appc.io/all */
        SECCOMP_ENTRY_EMPTY,            /* @appc.io/empty */
};

/* Check one entry of a set; -EINVAL (with a message in err) if it is neither
 * a syscall name ([a-z0-9_]) nor an @group. */
int sc_entry_check(const char *entry, size_t len, enum seccomp_entry_kind *ret, struct pod_err *err);

/*
 * Call fn for each syscall name in a comma-separated set, groups expanded.
 * kind is SECCOMP_ENTRY_NAME for names given by hand (PID 1 warns when
 * libseccomp knows no such syscall: likely a typo) and SECCOMP_ENTRY_GROUP
 * for group members (names of other architectures are expected there).
 * Unknown groups are passed once with kind SECCOMP_ENTRY_UNKNOWN_GROUP so the
 * caller can warn; @appc.io/all and @appc.io/empty expand to nothing.
 */
typedef void (*sc_name_fn)(const char *name, enum seccomp_entry_kind kind, void *userdata);
void sc_set_foreach(const char *set, sc_name_fn fn, void *userdata);

/* The default allow-list (= @rkt/default-whitelist = @docker/default-whitelist). */
void sc_default_foreach(sc_name_fn fn, void *userdata);
/* Calls every allow-list permits, listed or not: exec, exit, signal return, time. */
void sc_implicit_foreach(sc_name_fn fn, void *userdata);

#endif
