/*
 * An app's running processes (init/core/appproc.c): signals to its process
 * group and cgroup, its tty's size, and a plan for another command in its
 * context (a readiness probe, an exec session).
 */
#ifndef POD_INIT_CORE_APPPROC_H
#define POD_INIT_CORE_APPPROC_H

#include <sys/types.h>

#include "init/core/spawn.h"

struct app;

/* Signal a running app: its process group and the pid itself (SIGCONT after, unless SIGKILL/SIGCONT). */
void app_signal(struct app *a, int sig);
/* SIGKILL whatever the app left in its cgroup. */
void app_kill_rest(struct app *a);
/* Resize an app's tty (most recent request wins) and make its foreground redraw. */
int app_tty_resize(struct app *a, unsigned short rows, unsigned short cols);
/* Send a signal from an attach client: the tty's foreground group, else the app's group. */
int app_send_signal(struct app *a, int sig);
/*
 * A plan for another command in the running app's context (a readiness
 * probe, an exec): the app's own plan -- root, ids, capabilities, seccomp,
 * rlimits, cgroup, environment -- with argv and stdio replaced, joining the
 * app's mount namespace instead of making one.  Pointers are borrowed from
 * the app's plan; ret->join_mnt_ns_fd is the caller's to close.  -ESRCH if
 * the app has no process, -errno if its namespace cannot be opened.
 */
int app_command_plan(const struct app *a, char **argv, int stdin_fd, int stdout_fd, int stderr_fd,
                     struct exec_plan *ret);

#endif
