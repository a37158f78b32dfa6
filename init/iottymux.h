/*
 * rkt's iottymux endpoints (stage1 reference §5.5-5.7), for tools that speak
 * rkt's attach: per attachable app, listening Unix sockets
 * /rkt/iottymux/<app>/sock-{tty|stdin|stdout|stderr} carrying raw bytes (no
 * framing), and the `endpoints` JSON file that lists them, written once they
 * listen.  Output connections get the same bounded, drop-on-overflow
 * treatment as attach clients (without a marker: the raw protocol has none);
 * input connections write the app's stdin with the same backpressure.
 */
#ifndef POD_INIT_IOTTYMUX_H
#define POD_INIT_IOTTYMUX_H

#include "init/pod.h"

/* After the app's streams are set up; no-op for an app with nothing attachable. */
int iottymux_open(struct app *a);
/* Close the listeners and connections (the app ended or the pod finishes). */
void iottymux_close(struct app *a);
/* The app's stdin queue drained: resume raw input connections paused on it. */
void iottymux_stdin_drained(struct app *a);
/* After the loop has ended. */
void iottymux_free(struct app *a);

#endif
