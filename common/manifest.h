/*
 * The one pod model (DESIGN rule 7): the appc pod manifest with rkt's
 * annotations and podinit's own (podinit.io/...).  rkt's stage0 and
 * `podctl run` both write it; podinit reads only it.
 *
 * Parsing validates everything podinit honours and reports the first problem
 * with its JSON path ("apps[0].exec: expected a list of strings").  Fields
 * podinit does not honour yet are accepted and ignored, as rkt does.
 */
#ifndef POD_COMMON_MANIFEST_H
#define POD_COMMON_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "common/isolators.h"
#include "common/names.h"
#include "common/policy.h"
#include "common/rlimits.h"
#include "common/volumes.h"
#include "common/util.h"

/* Limits (DESIGN rule 6); each has a test that goes past it. */
#define POD_MANIFEST_MAX_BYTES (1u << 20)  /* a pod or image manifest file */
#define POD_MAX_APPS 1000                  /* apps in one pod */
#define POD_MAX_ARGS 4096                  /* exec argv entries */
#define POD_MAX_ENV 4096                   /* environment entries per app */

/* Annotations podinit defines (documented in docs/manifest.md). */
#define ANN_STOP_TIMEOUT "podinit.io/stop-timeout"
#define ANN_RKT_MUTABLE "coreos.com/rkt/stage1/mutable"
#define POD_DEFAULT_STOP_TIMEOUT_MS 10000u

/* Per-stream I/O modes (rkt's coreos.com/rkt/stage2/{stdin,stdout,stderr}). */
enum io_mode {
        IO_NULL,
        IO_LOG,
        IO_STREAM,
        IO_TTY,
        IO_INTERACTIVE,
        IO_MODE_COUNT
};

enum io_stream_id { IO_STDIN, IO_STDOUT, IO_STDERR, IO_STREAMS };

#define ANN_IO_PREFIX "coreos.com/rkt/stage2/"
#define ANN_TTY_SIZE "podinit.io/tty-size"              /* "ROWSxCOLS", default 24x80 */
#define ANN_SCROLLBACK "podinit.io/scrollback-bytes"    /* per output stream, default 65536 */
#define ANN_LOG_ATTACHED "podinit.io/log-attached"     /* "true": stream/tty output is logged too */
#define ANN_PIDS_MAX "podinit.io/pids-max"             /* the app cgroup's pids.max; default none */
#define POD_MAX_PIDS_MAX 4194304
/* The app's log file (docs/logging.md). */
#define ANN_LOG_PATH "podinit.io/log-path"                 /* absolute host path; default in the pod */
#define ANN_LOG_LINE_MAX "podinit.io/log-line-max"         /* split size of long lines, default 16 KiB */
#define ANN_LOG_PARTIAL_TIMEOUT "podinit.io/log-partial-timeout" /* write a waiting partial line, default 1s */
#define ANN_LOG_MAX_SIZE "podinit.io/log-max-size"         /* rotate past this size, default 10Mi; 0 never */
#define ANN_LOG_MAX_FILES "podinit.io/log-max-files"       /* rotated files kept, default 5 */
#define ANN_LOG_BUFFER "podinit.io/log-buffer-bytes"       /* held while writes fail, default 1 MiB */
#define ANN_LOG_POLICY "podinit.io/log-policy"             /* block (default) or drop, past the buffer */
#define ANN_LOG_RATE "podinit.io/log-rate"                 /* lines per second, default unlimited */
#define ANN_LOG_BURST "podinit.io/log-burst"               /* lines above the rate, default = rate */
#define LOG_DEFAULT_LINE_MAX (16u * 1024u)
#define LOG_MAX_LINE_MAX (16u << 20)
#define LOG_DEFAULT_PARTIAL_TIMEOUT_MS 1000
#define LOG_DEFAULT_MAX_SIZE (10ull << 20)
#define LOG_DEFAULT_MAX_FILES 5
#define LOG_MAX_MAX_FILES 1000
#define LOG_DEFAULT_BUFFER (1u << 20)
#define LOG_MAX_BUFFER (1ull << 30)
#define LOG_DIR "/rkt/logs"                                 /* in stage1's root: <pod>/stage1/rootfs/rkt/logs */
#define POD_DEFAULT_SCROLLBACK (64u * 1024u)
#define POD_MAX_SCROLLBACK (64u << 20)

const char *io_mode_name(enum io_mode m);
const char *io_stream_name(enum io_stream_id s);
/* "an object", "a list", "a string"...: what a JSON value is, for messages. */
const char *json_type_name(const json_t *j);
/* Parse a mode name valid for the stream; -EINVAL otherwise. */
int io_mode_parse(const char *s, enum io_stream_id stream, enum io_mode *ret);

struct app_spec {
        char **exec;            /* NULL-terminated argv; NULL if absent */
        char *user;             /* required when exec is present */
        char *group;
        gid_t *supp_gids;
        size_t n_supp_gids;
        char *workdir;          /* absolute; NULL means "/" */
        struct kv *env;
        size_t n_env;
        struct isolators iso;   /* isolators (plain values) */
        struct mount_point *mount_points;       /* mountPoints */
        size_t n_mount_points;
        char **pre_start;       /* eventHandlers "pre-start" argv; NULL if none */
        char **post_stop;       /* eventHandlers "post-stop" argv; NULL if none */
};

enum log_policy { LOG_BLOCK, LOG_DROP };

struct log_spec {
        char *path;                     /* absolute host path, or NULL for LOG_DIR/<app>.log in the pod */
        uint64_t line_max;
        uint64_t partial_timeout_ms;    /* 0: only at end of stream */
        uint64_t max_size;              /* 0: no rotation */
        unsigned max_files;
        uint64_t buffer;
        enum log_policy policy;
        uint64_t rate, burst;           /* lines per second and bucket size; rate 0: no limit */
};

struct pod_app {
        char *name;             /* ACName */
        char *image_name;
        bool has_app;           /* apps[].app present (else the image's app applies) */
        struct app_spec app;
        struct kv *annotations;
        size_t n_annotations;
        enum io_mode io[IO_STREAMS];    /* from the annotations; defaults null, log, log */
        unsigned short tty_rows, tty_cols;
        size_t scrollback;
        bool log_attached;
        struct log_spec log;
        struct app_rlimits rlimits;     /* podinit.io/rlimit-* annotations */
        uint64_t pids_max;              /* podinit.io/pids-max; 0: no limit */
        struct app_mount_spec *mounts_spec;     /* apps[].mounts */
        size_t n_mounts_spec;
        bool read_only_rootfs;          /* apps[].readOnlyRootFS */
        struct app_mount *mounts;       /* resolved by volumes_resolve() */
        size_t n_mounts;
        struct app_policy pol;          /* supervision (common/policy.h) */
};

struct pod_manifest {
        struct pod_app *apps;
        size_t n_apps;
        struct kv *annotations;
        size_t n_annotations;
        uint64_t stop_timeout_ms;
        bool mutable_pod;
        struct volume *volumes;
        size_t n_volumes;
        enum exit_policy exit_policy;   /* podinit.io/exit-policy */
        char *exit_app;                 /* EXIT_APP: the app whose code is the pod's */
        uint64_t events_file_max;       /* podinit.io/events-file-max */
};

struct image_manifest {
        char *name;
        bool has_app;
        struct app_spec app;
        struct kv *annotations;
        size_t n_annotations;
};

int pod_manifest_parse(const char *data, size_t len, struct pod_manifest **ret, struct pod_err *err);
void pod_manifest_free(struct pod_manifest *m);
/* One apps[] entry, parsed on its own (an app added to a running pod); path starts messages. */
struct json_t;
int pod_app_parse(struct json_t *obj, const char *path, struct pod_app *ret, struct pod_err *err);
void pod_app_done(struct pod_app *a);
/* Every podinit.io/after and requires names an app of the pod, none of them makes a cycle,
 * and the exit policy's app exists. */
int pod_manifest_check_order(struct pod_manifest *m, struct pod_err *err);
int image_manifest_parse(const char *data, size_t len, struct image_manifest **ret, struct pod_err *err);
void image_manifest_free(struct image_manifest *m);

/* What the image manifest gives a pod app: its `app` section where the pod manifest has none
 * (rkt: replace, never merge), and notify readiness where the image has
 * appc.io/executor/supports-systemd-notify=true and the app no podinit.io/ready. */
#define ANN_IMAGE_SD_NOTIFY "appc.io/executor/supports-systemd-notify"
int pod_app_take_image_app(struct pod_app *a, const struct image_manifest *im, struct pod_err *err);
void app_spec_done(struct app_spec *s);

/* An app's log settings from annotations (docs/logging.md); messages start with where. */
int log_spec_parse(const struct kv *ann, size_t n_ann, const char *where, struct log_spec *ret,
                   struct pod_err *err);
/* Does the app write a log file (a log-mode stream, or log-attached stream/tty output)? */
bool pod_app_logs(const struct pod_app *a);
const char *log_policy_name(enum log_policy p);
/* Does any of the app's three streams use this mode? */
bool pod_app_uses(const struct pod_app *a, enum io_mode mode);

#endif
