/*
 * From fork to ready (init/core/ready.c, docs/lifecycle.md "Readiness"): the
 * exec report that says the program runs, and the readiness protocols
 * (notify, fd:N, probe, watchdog) that say it is ready.
 */
#ifndef POD_INIT_CORE_READY_H
#define POD_INIT_CORE_READY_H

struct app;
struct pod_err;

/* Before the first start: the notify socket and the environment it needs. */
int ready_prepare(struct app *a, struct pod_err *err);
/* Right before fork: this run's notification pipe (fd:N). */
int ready_before_fork(struct app *a);
/* After fork (the child has its copies); report_fd is this run's exec report pipe. */
void ready_after_fork(struct app *a, int report_fd);
/* Read the exec report now, if it is there: the program runs (or could not start). */
void app_report_consume(struct app *a);
/* The run ended: stop probes, the watchdog and this run's pipe. */
void ready_on_exit(struct app *a);
/* The app is removed or the pod finished: every handle readiness holds, and the exec report. */
void ready_close_handles(struct app *a);
/* After the loop: close the notify socket. */
void ready_free(struct app *a);

#endif
