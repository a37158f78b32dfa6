/* podctl internals: global options, the verb table and shared helpers. */
#ifndef POD_CLI_CLI_H
#define POD_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "common/args.h"
#include "common/client.h"
#include "common/util.h"

struct global {
        const char *dir;        /* --dir, default /var/lib/podinit */
        bool debug;
};

extern struct global g;

/*
 * podctl.c: every verb's flags go through cli_parse(): flags before or after
 * the positionals (up to "--"), -h/--help prints the verb's usage to stdout
 * (returns 1: exit 0), an unknown flag is one line with the likely meant
 * flag (returns -EINVAL: exit 2).  On 0, rest says where the positionals are.
 */
int cli_parse(const char *verb, int argc, char **argv, const struct opt *opts, size_t n_opts,
              struct args_rest *rest);
/* A usage error: "podctl: VERB: MESSAGE", the verb's synopsis and where its help is. */
void cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_usage(const char *verb, FILE *f);
/* cmd_run.c: run's usage text. */
void run_usage(FILE *f);

int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_reopen_log(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_app(int argc, char **argv);
/* cmd_run.c: podctl app add (shares run's image and flag handling). */
int cmd_app_add(int argc, char **argv);

/* poddir.c: pods on disk. */
enum pod_dir_state { PODDIR_PREPARING, PODDIR_RUNNING, PODDIR_EXITED, PODDIR_GARBAGE };
struct pod_ref {
        char uuid[37];
        char *path;             /* <dir>/pods/<state>/<uuid> */
        enum pod_dir_state state;
};
const char *pod_dir_state_name(enum pod_dir_state s);
/* All pods, sorted by creation time. */
int pods_list(struct pod_ref **ret, size_t *ret_n, struct pod_err *err);
void pods_free(struct pod_ref *p, size_t n);
/* Resolve a UUID or unique prefix. */
int pod_find(const char *arg, struct pod_ref *ret, struct pod_err *err);
void pod_ref_done(struct pod_ref *p);
/*
 * Status document of a pod: from its control socket if running, else from
 * disk.  A running pod whose podinit does not answer within the timeout is
 * read from disk with "unresponsive": true and "unresponsiveReason".
 */
#define POD_STATUS_TIMEOUT_MS 2000u     /* status, app list/status */
#define POD_LIST_TIMEOUT_MS 1000u       /* list: per pod */
int pod_status_load(const struct pod_ref *p, json_t **ret, struct pod_err *err);
int pod_status_load_timeout(const struct pod_ref *p, unsigned timeout_ms, json_t **ret, struct pod_err *err);

/*
 * app add and app rm rewrite <pod>/pod, serialised by an exclusive flock on
 * <pod>/app.lock: lock it (*ret_podfd: the pod directory), read the manifest
 * as JSON, and store new text atomically (fsync'd).  Messages name the file.
 */
int pod_manifest_lock(const struct pod_ref *p, int *ret_podfd, int *ret_lockfd, struct pod_err *err);
int pod_manifest_load(int podfd, json_t **ret, struct pod_err *err);
int pod_manifest_store(int podfd, const char *text, struct pod_err *err);

int cmd_attach(int argc, char **argv);
int cmd_exec(int argc, char **argv);
/* cmd_attach.c: relay an attach or exec stream until its EXIT (or a detach); the exit code to use. */
int attach_stream(struct ctl_conn *c, bool tty_mode, bool in_on, const unsigned char *keys, size_t n_keys,
                  const char *app, bool is_exec);
#endif
