/*
 * The launcher's last part: waiting for PID 1 while forwarding the signals
 * that stop a pod, and telling a service manager (NOTIFY_SOCKET) when the
 * pod is ready and when it stops.
 */
#ifndef POD_INIT_LAUNCH_WAIT_H
#define POD_INIT_LAUNCH_WAIT_H

#include <sys/types.h>

#define LAUNCH_EXIT_SETUP 254   /* the launcher's own failure, as rkt's stage1 exits */

/*
 * Wait for PID 1 (child), forwarding SIGTERM/SIGINT to it as a graceful stop,
 * and return the pod's exit code.  The caller has blocked SIGCHLD, SIGTERM,
 * SIGINT and SIGHUP.  ready_rd (-1 if unused): PID 1 writes "R" there when
 * the pod is ready; the launcher then notifies the service manager and
 * passes the byte on to user_ready (--ready-fd; -1 if none).
 */
int launcher_wait_pod(pid_t child, int ready_rd, int user_ready);

#endif
