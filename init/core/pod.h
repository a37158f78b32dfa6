/*
 * The core's data: one pod, its apps, one libuv loop, no threads.  The
 * functions over it are in the core's modules (the headers in init/core/); services
 * above the core (init/control/) reach it through those and through the
 * observer list (init/core/events.h), never the other way round.
 *
 * Ownership: struct pod owns the apps and every uv handle is embedded in its
 * owner (container_of).  Handles are closed once, when the pod finishes; the
 * memory is freed after uv_run returns, when every close callback has run.
 */
#ifndef POD_INIT_CORE_POD_H
#define POD_INIT_CORE_POD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <uv.h>

#include "common/manifest.h"
#include "common/pidtab.h"
#include "common/proto.h"
#include "common/status.h"
#include "common/uuid.h"
#include "common/cgroup.h"
#include "init/core/events.h"
#include "init/core/spawn.h"
#include "iomux/iomux.h"
#include "logger/applog.h"
#include "logger/console.h"

#define APP_DRAIN_TIMEOUT_MS 2000       /* how long output may outlive an app (grandchildren) */
#define APP_STDIN_QUEUE (1u << 20)      /* queued stdin bytes before attach clients pause */

/* An app's streams (docs/io.md).  out[0] is stdout (or the tty), out[1] stderr. */
struct app_io {
        bool tty;                       /* some stream is a pty (cached pod_app_uses(spec, IO_TTY)) */
        struct io_out out[2];
        bool out_used[2];
        struct io_in in;
        bool in_used;
        bool persistent;                /* kept across restarts (restartable app) */
        int child_fd[IO_STREAMS];       /* the child's ends, closed in PID 1 after fork */
        bool child_fd_owned[IO_STREAMS];        /* created for this app (not /dev/null, not fd 0-2) */
        int ctty_fd;                    /* pty slave, closed in PID 1 after fork */
        unsigned outs_open;
        uint64_t dropped[2];            /* bytes attach clients missed, per output stream */
        unsigned clients;               /* attached now */
        uint64_t clients_total, clients_disconnected;
        unsigned short rows, cols;      /* current tty size */
};

/* A process PID 1 forked, as the reaper's table holds it. */
struct pod_child {
        void (*on_exit)(struct pod_child *c, int wstatus);
};

enum pod_state {
        POD_STARTING,
        POD_RUNNING,
        POD_STOPPING,
        POD_EXITED,
};

struct app {
        struct pod *pod;
        const struct pod_app *spec;     /* points into pod->manifest, or spec_owned */
        struct pod_app *spec_owned;     /* an app added to a running pod: its own spec */
        size_t serial;                  /* unique in the pod: the manifest index, then one per app added */
        enum app_state state;
        struct exec_plan plan;
        pid_t pid;
        int report_fd;                  /* exec report pipe, -1 once read */
        uv_poll_t report_poll;
        bool report_poll_active;
        uint64_t started_ns, exec_ns, exited_ns;        /* CLOCK_REALTIME */
        int wstatus;
        bool exited_by_pod;             /* died during pod shutdown */
        int rkt_code;                   /* what rkt/status/<app> says */
        char error[384];                /* setup failure, human-readable */
        bool reaped;                    /* main process gone; waiting for output to drain */
        struct app_io io;
        struct app_log log;             /* the log file and console copy of logged streams */
        bool log_ready;                 /* log initialised (its timers need closing) */
        bool log_finishing;             /* output drained; the log is being synced */
        uint64_t reaped_mono_ns;        /* when the main process was reaped (CLOCK_MONOTONIC) */
        struct iottymux *iottymux;      /* rkt's raw attach sockets, if any */
        uv_timer_t drain_timer;
        bool drain_timer_init;
        struct cg_app cg;               /* its cgroup, if cg_ready */
        bool cg_ready;
        uint64_t oom_kills;             /* OOM kills in its cgroup during its last run */
        bool oom_killed;                /* its main process was one of them */
        /* Supervision (docs/lifecycle.md). */
        const struct app_policy *pol;   /* &spec->pol */
        bool want_start;                /* the pod starts it once the apps it starts after are ready */
        bool keep_child_fds;            /* restartable: PID 1 keeps the child's stream ends for the next run */
        bool give_up;                   /* this exit reached the restart limit */
        bool stop_requested;            /* stopped by request (app stop, pod stop, a required app) */
        int stop_signal_sent;           /* the pod's stop signalled it before writing anything: app_stop must not again */
        unsigned restarts;              /* restarts so far */
        unsigned crash_streak;          /* restarts in a row without a run of pol->reset_ms */
        uint64_t last_backoff_ms;
        uint64_t final_seq;             /* order among final exits, for the pod's exit code */
        int final_code;                 /* shell code after the exit-code map */
        uv_timer_t restart_timer, stop_timer;
        bool timers_init;
        bool rerun_pending;             /* app start of a finished app: runs on the next iteration */
        struct pod_child proc;          /* the app's main process in the reaper's table */
        /* Readiness (init/core/ready.c). */
        int notify_fd;                  /* NOTIFY_SOCKET datagram socket, -1 if none */
        uv_poll_t notify_poll;
        bool notify_poll_active;
        int ready_pipe;                 /* fd:N readiness: PID 1's read end for this run, -1 if none */
        int ready_pipe_child;           /* the child's end, closed after fork */
        uv_poll_t ready_pipe_poll;
        bool ready_pipe_poll_active;
        uv_timer_t probe_timer, watchdog_timer;
        struct pod_child probe_proc;
        pid_t probe_pid;                /* a readiness probe running now, 0 if none */
        uint64_t probe_started_mono_ns;
        unsigned probes_failed;
        uint64_t watchdog_timeouts;
        char status_text[256];          /* the last STATUS= it sent */
        bool stopping_self;             /* it sent STOPPING=1 */
        struct app *next_dead;          /* in pod->graveyard */
};

/* Something freed on the next loop iteration, once libuv has run the close
 * callbacks of its handles (a removed app, an ended exec session). */
struct pod_deferred {
        void (*free)(struct pod_deferred *d);
        struct pod_deferred *next;
};

struct pod_options {
        const char *uuid;
        uint64_t stop_timeout_ms;
        int ready_fd;                   /* written once all apps started; -1 if none */
        unsigned max_clients;
        size_t max_frame;
        bool mutable_pod;
        enum console_format console_format;
        const char *pod_dir;            /* the pod directory's host path (for status) */
        bool caps_unrestricted;         /* --disable-capabilities-restriction */
        bool paths_unrestricted;        /* --disable-paths: no read-only or hidden kernel paths */
        bool seccomp_disabled;          /* --disable-seccomp: no filter for any app */
        int *log_dirfds;                /* per app: its podinit.io/log-path directory, or -1 */
        struct cg_pod cg;               /* the pod's cgroup (layout CG_NONE: none) */
        int base_mnt_ns_fd;             /* the apps' base mount namespace (init/isolate/appns.h); -1: none */
        struct rlimit nofile;           /* RLIMIT_NOFILE podinit was started with, the apps' default (0: keep PID 1's) */
};

struct json_t;
struct exec_session;
struct iottymux;

struct pod {
        uv_loop_t loop;
        uv_signal_t sig_chld, sig_term, sig_int, sig_hup;
        struct pidtab pids;
        struct pod_manifest *manifest;
        struct app **apps;              /* pointers: an app's handles must never move (mutable pods) */
        size_t n_apps, cap_apps;
        size_t next_serial;
        struct app *graveyard;          /* removed apps, freed once their handles are closed */
        struct pod_deferred *deferred;  /* other things freed with the graveyard */
        uv_timer_t graveyard_timer;
        uv_timer_t trim_timer;          /* gives the heap back to the kernel once events quiet down (events.c) */
        struct exec_session *execs;     /* podctl exec sessions running (init/control/exec.c) */
        struct pod_observer *observers; /* init/core/events.h */
        struct pod_observer persist_obs, supervise_obs; /* the core's own */
        unsigned clients;               /* control clients connected (kept by the control server) */
        struct pod_options opt;
        enum pod_state state;
        bool stop_forced;
        bool exit_code_set;
        int exit_code;
        char exit_reason[256];
        uint64_t orphans_reaped;
        uint64_t created_ns, ready_ns, exited_ns;
        int devnull_fd;
        uint64_t final_seq;             /* final app exits so far */
        struct event_log events;
        struct console *console;
        bool closing;
        bool started;                   /* the initial apps were started */
};

#endif
