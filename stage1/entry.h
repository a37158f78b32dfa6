/*
 * rkt's stage1 entrypoints other than `run` (docs/stage1-abi.md): enter, gc,
 * stop, app/add, app/start, app/stop, app/rm and attach.  They are one
 * multi-call binary with the launcher: the stage1 image holds podinit as
 * /init and symlinks to it named after each entrypoint; main() dispatches on
 * the name it was started as.  Every entrypoint runs on the host, with the
 * pod directory as its working directory, and talks to the pod's PID 1 over
 * the control socket where it needs the supervisor.
 */
#ifndef POD_STAGE1_ENTRY_H
#define POD_STAGE1_ENTRY_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/util.h"

#define S1_EXIT_ERROR 254       /* every error the entrypoint detects (rkt's log.Fatal) */
#define S1_EXIT_USAGE 2         /* unknown flags, as Go's flag package */
#define S1_EXIT_NO_APP 5        /* app/stop: the supervisor does not know the app (systemctl) */

/* The entrypoint named by argv[0]'s last component, or NULL. */
typedef int (*s1_entry_fn)(int argc, char **argv);
s1_entry_fn stage1_entrypoint(const char *argv0);

int s1_enter(int argc, char **argv);
int s1_gc(int argc, char **argv);
int s1_stop(int argc, char **argv);
int s1_app_add(int argc, char **argv);
int s1_app_start(int argc, char **argv);
int s1_app_stop(int argc, char **argv);
int s1_app_rm(int argc, char **argv);
int s1_attach(int argc, char **argv);

#endif
