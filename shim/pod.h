/*
 * The podinit pod behind one containerd task (`ctr run`: one container, one
 * pod).  Everything here is a short blocking call to the shim's own pod
 * (prepare, launch, the control socket with its timeout), made from the
 * shim's loop while containerd waits for the answer to Create, Start, Kill
 * or Delete: no client of the shim can make it wait longer than the control
 * socket's timeout.
 *
 *   shim_pod_create()   a mutable pod under the state dir, podinit launched,
 *                       the container added as an app (created, not started)
 *   shim_pod_start()    app-start and attach pipelined on one connection,
 *                       so no output is missed however fast the app exits
 *   shim_pod_events()   the pod's event stream (the app's exit)
 *   shim_pod_destroy()  the pod stopped, its mounts undone, its directory removed
 *
 * The pod's path is recorded in <bundle>/podinit-pod, so `shim delete` can
 * clean up after a shim that was killed.
 */
#ifndef POD_SHIM_POD_H
#define POD_SHIM_POD_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/proto.h"
#include "common/util.h"
#include "stage0/ocispec.h"

#define SHIM_DEFAULT_STATE_DIR "/run/podinit-shim"
#define SHIM_POD_FILE "podinit-pod"     /* in the bundle: the pod directory's path */
#define SHIM_APP_NAME_MAX 63

struct shim_pod {
        char *path;             /* <state>/pods/run/<uuid> */
        char uuid[40];
        char app[SHIM_APP_NAME_MAX + 1];        /* the container's app name in the pod */
        pid_t launcher;         /* our child: podinit's launcher; 0 once reaped */
        pid_t pid1;             /* the pod's PID 1 on the host */
};

/* The I/O the container asked for, as podinit's modes. */
struct shim_pod_io {
        bool terminal;
        bool in, out, err;      /* a fifo was given for the stream */
};

/*
 * Create the pod for spec in state_dir and add the container as app
 * (derived from id).  On failure nothing is left behind and err says why,
 * for containerd's user.
 */
int shim_pod_create(const char *state_dir, const char *bundle, const char *id, struct stage0_oci_spec *spec,
                    const struct shim_pod_io *io, bool debug, struct shim_pod *ret, struct pod_err *err);

/*
 * Start the app and, if it has any stream to carry, attach to it on the
 * same connection: *ret_fd is the attach connection (-1 if none), *dec what
 * was read past the two responses (its output may already be there),
 * *ret_ns_pid the app's pid in the pod.
 */
int shim_pod_start(struct shim_pod *p, const struct shim_pod_io *io, int *ret_fd, struct frame_decoder *dec,
                   pid_t *ret_ns_pid, struct pod_err *err);

/* A connection carrying the pod's events from the first (EVENT frames), as *ret_fd and *dec. */
int shim_pod_events(const struct shim_pod *p, int *ret_fd, struct frame_decoder *dec, struct pod_err *err);

/*
 * Run argv in the app (podinit's exec op): *ret_fd carries the session (the
 * attach stream's frames, then EXIT), *dec what came with the response,
 * *ret_ns_pid the command's pid in the pod.
 */
int shim_pod_exec(const struct shim_pod *p, json_t *argv, json_t *env, bool tty, bool in, int *ret_fd,
                  struct frame_decoder *dec, pid_t *ret_ns_pid, struct pod_err *err);

/* The host pid of the pod's process ns_pid (0 if it cannot be found). */
pid_t shim_pod_host_pid(const struct shim_pod *p, pid_t ns_pid);

/* Stop the pod (forced), wait for it to end, undo its host mounts, remove its directory. */
int shim_pod_destroy(struct shim_pod *p, struct pod_err *err);

/* The pod recorded in bundle (for `shim delete`): 0 and *ret, -ENOENT if none. */
int shim_pod_load(const char *bundle, struct shim_pod *ret);

void shim_pod_done(struct shim_pod *p);

#endif
