/*
 * rkt's iottymux endpoints (stage1 reference §5.5-5.7), for tools that speak
 * rkt's attach: per attachable app, listening Unix sockets
 * /rkt/iottymux/<app>/sock-{tty|stdin|stdout|stderr} carrying raw bytes (no
 * framing), and the `endpoints` JSON file that lists them, written once they
 * listen.  Output connections get the same bounded, drop-on-overflow
 * treatment as attach clients (without a marker: the raw protocol has none);
 * input connections write the app's stdin with the same backpressure.
 */
#ifndef POD_INIT_CONTROL_IOTTYMUX_H
#define POD_INIT_CONTROL_IOTTYMUX_H

struct pod;

/* Open each app's endpoints at its first start, close and free them with it
 * (an observer of the pod's events, init/core/events.h). */
void iottymux_observe(struct pod *pod);

#endif
