/*
 * PID 1 of the pod (init/pid1.c): the loop, the signals, the reaper, and
 * the wiring of the core to its services.
 */
#ifndef POD_INIT_PID1_H
#define POD_INIT_PID1_H

struct control_options;
struct pod_manifest;
struct pod_options;

/* Run the pod to its end; its exit code (254: it could not start).  ctl:
 * the control service's options (init/control/control.h). */
int pid1_main(struct pod_manifest *m, const struct pod_options *opt, const struct control_options *ctl);

#endif
