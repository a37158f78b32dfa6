/*
 * One app's runs (init/core/app.c): starting it with its streams, its exit
 * (drained, logged, recorded), restarts, stops and re-runs.
 */
#ifndef POD_INIT_CORE_APP_H
#define POD_INIT_CORE_APP_H

#include <stdbool.h>

struct app;

void app_start(struct app *a);
void app_on_exit(struct app *a, int wstatus);
/* Run a finished (exited or failed) app again, with new streams (app start, rkt's app/start). */
void app_rerun(struct app *a);
/* Stop one app: its stop signal, SIGKILL after its stop timeout (or at once if force). */
void app_stop(struct app *a, bool force);
void app_close_handles(struct app *a);

#endif
