/*
 * An app's supervision policy (docs/manifest.md "Supervision"), read from
 * podinit.io/ annotations: restart policy and backoff, whether the app is
 * essential to the pod, how its exit code is remapped, how it is stopped,
 * how it says it is ready, and which apps it starts after.  The pod's own
 * exit-code policy is a pod annotation.
 *
 * rkt never had any of these; every default is rkt's behaviour: no restart,
 * a failure stops an immutable pod, SIGTERM then SIGKILL after the pod's
 * stop timeout, ready as soon as the program runs, no ordering.
 */
#ifndef POD_COMMON_POLICY_H
#define POD_COMMON_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

struct kv;

#define ANN_RESTART "podinit.io/restart"                       /* never (default), on-failure, always */
#define ANN_RESTART_BACKOFF "podinit.io/restart-backoff"       /* first delay, default 100ms */
#define ANN_RESTART_BACKOFF_MAX "podinit.io/restart-backoff-max" /* cap, default 30s */
#define ANN_RESTART_RESET "podinit.io/restart-reset-after"     /* a run this long resets the backoff, default 10s */
#define ANN_RESTART_MAX "podinit.io/restart-max"               /* restarts in a row before giving up, default 0: no limit */
#define ANN_ESSENTIAL "podinit.io/essential"                   /* true/false; default: rkt's policy */
#define ANN_EXIT_CODE_MAP "podinit.io/exit-code-map"           /* "143=0,2=0" */
#define ANN_STOP_SIGNAL "podinit.io/stop-signal"               /* default SIGTERM */
#define ANN_APP_STOP_TIMEOUT "podinit.io/stop-timeout"         /* per app; default the pod's */
#define ANN_READY "podinit.io/ready"                           /* exec (default), notify, fd:N, probe */
#define ANN_READY_PROBE "podinit.io/ready-probe"               /* JSON list: the probe's argv */
#define ANN_READY_PROBE_INTERVAL "podinit.io/ready-probe-interval"     /* default 1s */
#define ANN_READY_PROBE_TIMEOUT "podinit.io/ready-probe-timeout"       /* default 1s */
#define ANN_WATCHDOG "podinit.io/watchdog"                     /* sd_notify WATCHDOG=1 deadline; notify only */
#define ANN_AFTER "podinit.io/after"                           /* "a,b": start once they are ready */
#define ANN_REQUIRES "podinit.io/requires"                     /* "a": as after, and fail/stop with them */
#define ANN_EXIT_POLICY "podinit.io/exit-policy"               /* pod: first-failure (default), highest, app:NAME */
#define ANN_EVENTS_FILE_MAX "podinit.io/events-file-max"       /* pod: rotate events.jsonl past it (16Ki to 1Mi, default) */

#define POLICY_DEFAULT_BACKOFF_MS 100u
#define POLICY_DEFAULT_BACKOFF_MAX_MS 30000u
#define POLICY_DEFAULT_RESET_MS 10000u
#define POLICY_DEFAULT_PROBE_INTERVAL_MS 1000u
#define POLICY_DEFAULT_PROBE_TIMEOUT_MS 1000u
#define POLICY_MAX_DURATION_MS (24ull * 3600 * 1000)
#define POLICY_MAX_CODE_MAP 64
#define POLICY_MAX_DEPS 64

enum restart_policy { RESTART_NEVER, RESTART_ON_FAILURE, RESTART_ALWAYS };
enum essential_mode { ESSENTIAL_DEFAULT, ESSENTIAL_YES, ESSENTIAL_NO };
enum ready_mode { READY_EXEC, READY_NOTIFY, READY_FD, READY_PROBE };
enum exit_policy { EXIT_FIRST_FAILURE, EXIT_HIGHEST, EXIT_APP };

struct code_map {
        int from, to;
};

struct app_policy {
        enum restart_policy restart;
        uint64_t backoff_ms, backoff_max_ms, reset_ms;
        unsigned restart_max;           /* restarts in a row; 0: no limit */
        enum essential_mode essential;
        struct code_map *code_map;
        size_t n_code_map;
        int stop_signal;
        uint64_t stop_timeout_ms;       /* 0: the pod's */
        enum ready_mode ready;
        bool pod_waits;                 /* the pod is ready only once this app is (rkt's sd_notify images) */
        int ready_fd;                   /* READY_FD: the fd number the app writes to */
        char **probe_argv;              /* READY_PROBE */
        uint64_t probe_interval_ms, probe_timeout_ms;
        uint64_t watchdog_ms;           /* READY_NOTIFY: 0 none */
        char **after;                   /* NULL-terminated app names; NULL if none */
        char **requires;                /* a subset of after (requires implies after) */
};

/* Parse the app's policy annotations; where starts messages ("manifest: apps[0].annotations"). */
int app_policy_parse(const struct kv *ann, size_t n_ann, const char *where, struct app_policy *ret,
                     struct pod_err *err);
void app_policy_done(struct app_policy *p);
/* The exit code after the app's map (codes are shell codes: 128+N for signal N). */
int app_policy_map_code(const struct app_policy *p, int code);

/* The pod's exit-code policy; *ret_app is the named app for EXIT_APP (allocated). */
int exit_policy_parse(const char *v, enum exit_policy *ret, char **ret_app, struct pod_err *err);

const char *restart_policy_name(enum restart_policy r);
const char *ready_mode_name(enum ready_mode m);
/* "TERM", "SIGTERM", "15" -> 15; -EINVAL otherwise. */
int signal_parse(const char *s, int *ret);

/* Backoff before restart number n (1-based) of a crash loop: initial * 2^(n-1), capped. */
uint64_t policy_backoff_ms(const struct app_policy *p, unsigned n);

#endif
