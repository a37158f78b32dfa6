/*
 * The pod's policy over its apps (init/core/supervise.c, docs/lifecycle.md):
 * the app table, start order, what an app's exit means for the others, the
 * pod's stop, readiness and exit code, and freeing what was removed.
 */
#ifndef POD_INIT_CORE_SUPERVISE_H
#define POD_INIT_CORE_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct pod;
struct pod_app;
struct pod_deferred;

/* Register the DECIDE observer (after the PUBLISH ones, which is what phases are for). */
void supervise_observe(struct pod *pod);
/* A new app's fields and timers; its prepare comes next (app_prepare). */
void pod_app_init(struct pod *pod, struct app *a, const struct pod_app *spec, size_t serial);
/* Everything an app owns, after its handles are closed. */
void app_free(struct app *a);
struct app *pod_find_app(struct pod *pod, const char *name);
/* Run the pod's start policy: start every wanted app whose ordering is satisfied. */
void pod_start_ready_apps(struct pod *pod);
/* Start the pod: its "starting" event, then every initial app whose ordering allows it. */
void pod_start(struct pod *pod);
void pod_request_stop(struct pod *pod, bool force, const char *why);
/* Close a removed app's handles now; free it on the next loop iteration. */
void pod_bury(struct pod *pod, struct app *a);
/* Free d on the next loop iteration (after its handles' close callbacks). */
void pod_defer_free(struct pod *pod, struct pod_deferred *d);
/* After the loop: every app, buried or not, and everything deferred. */
void pod_free_all(struct pod *pod);

#endif
