/*
 * The launcher: the `run` entrypoint (rkt's stage1 calling convention, cwd =
 * the pod directory).  It validates the pod, creates the namespaces, lets the
 * child become the pod's PID 1, writes the `pid` file once the child's root
 * is final, holds the pod lock, forwards SIGTERM/SIGINT to PID 1 as a graceful
 * stop, and exits with the pod's exit code.
 */
#ifndef POD_INIT_LAUNCHER_H
#define POD_INIT_LAUNCHER_H

int launcher_main(int argc, char **argv);

#endif
