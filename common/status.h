/*
 * Exit statuses as recorded on disk and shown to users.
 *
 * Three views of one app exit (docs/manifest.md, "Exit statuses"):
 *  - rkt's status file  $s1/rkt/status/<app>: "%d\n" with the exit code, the
 *    signal number if killed, a systemd-style setup code (203 = exec failed)
 *    if the program never ran, or 0 for apps killed by pod shutdown (rkt's
 *    reference behaviour, asserted by rkt's tests);
 *  - the JSON status (state, exitCode, signal, error, times): the truth;
 *  - the pod's exit code: what a shell would show, 128+N for signal N.
 */
#ifndef POD_COMMON_STATUS_H
#define POD_COMMON_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* systemd exit-status.h codes used when the program never got to run. */
enum setup_code {
        SETUP_CHDIR = 200,
        SETUP_EXEC = 203,
        SETUP_LIMITS = 205,
        SETUP_OOM_ADJUST = 206,
        SETUP_STDIN = 208,
        SETUP_CHROOT = 210,
        SETUP_GROUP = 216,
        SETUP_USER = 217,
        SETUP_CAPABILITIES = 218,
        SETUP_CGROUP = 219,
        SETUP_SETSID = 220,
        SETUP_NAMESPACE = 226,
        SETUP_NO_NEW_PRIVILEGES = 227,
        SETUP_SECCOMP = 228,
};

/* An app's lifecycle (docs/lifecycle.md; the transitions are init/core/events.c applies common/status.c's table). */
enum app_state {
        APP_CREATED,    /* prepared, not started (or waiting for the apps it starts after) */
        APP_STARTING,   /* forked, exec not yet confirmed */
        APP_RUNNING,    /* exec succeeded, not yet ready */
        APP_READY,      /* ready: at exec, or as its readiness protocol says */
        APP_STOPPING,   /* asked to stop, not yet finished */
        APP_EXITED,     /* finished, will not restart */
        APP_BACKOFF,    /* finished, restarting after its backoff delay */
        APP_FAILED,     /* gave up restarting, or a required app failed */
        APP_STATE_COUNT
};

const char *app_state_name(enum app_state s);

/* What happens to an app; the state x event table is in status.c. */
enum app_event {
        EV_START,       /* started (pod start, ordering satisfied, or `app start`) */
        EV_EXEC,        /* its program runs */
        EV_READY,       /* it is ready (at exec, or by its readiness protocol) */
        EV_STOP,        /* asked to stop */
        EV_EXIT,        /* finished for good: output drained, status recorded */
        EV_CRASH,       /* "backoff": its process ended and a restart is scheduled */
        EV_GIVE_UP,     /* finished, and the restart limit was reached */
        EV_RESTART,     /* the backoff delay passed: starting again */
        EV_DEP_FAILED,  /* an app it requires failed before it could start */
        APP_EVENT_COUNT
};

const char *app_event_name(enum app_event ev);
/* Exited or failed: no process, no restart pending. */
bool app_state_final(enum app_state s);
/* The next state for ev in state s, or -1 if ev is not valid there. */
int app_next_state(enum app_state s, enum app_event ev);

/* Shell convention for a wait status: exit code, or 128+signal. */
int shell_code_from_wait(int wstatus);

/*
 * The pod's event log on disk (docs/lifecycle.md "Events"), in PID 1's
 * S1_PODINIT_DIR: one JSON event per line, appended as each event happens,
 * so `podctl events` can show the history after the pod has exited.  Past
 * POD_EVENTS_FILE_MAX bytes (or the pod's podinit.io/events-file-max, which
 * may only lower it: `podctl events` reads at most twice the default) the file is renamed to POD_EVENTS_FILE ".1"
 * (replacing the previous one) and a new file is started: at most twice
 * that on disk, at least the last POD_EVENTS_FILE_MAX bytes of events kept.
 */
#define POD_EVENTS_FILE "events.jsonl"
#define POD_EVENTS_FILE_MAX (1u << 20)     /* the default, and the most (podinit.io/events-file-max) */
#define POD_EVENTS_FILE_MIN (16u << 10)

/* "killed by the OOM killer (memory limit 64 MiB)", or "(no memory limit of
 * its own)" when the app has none, into buf (always terminated). */
void oom_describe(bool has_limit, uint64_t limit, char *buf, size_t size);
/* A byte count for people: "64 MiB" when it is a whole number of KiB, MiB or
 * GiB, else "N bytes". */
void format_bytes_iec(uint64_t n, char *buf, size_t size);

/* Write "%d\n" to dirfd/name atomically (temp file + fsync + rename). */
int rkt_status_write(int dirfd, const char *name, int code);
/* Read a status file written by rkt_status_write (or by rkt): 0 and *ret, or -errno. */
int rkt_status_read(int dirfd, const char *name, int *ret);

#endif
