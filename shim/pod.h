/*
 * The podinit pod behind a containerd task: `ctr run` gives each container a
 * pod of its own; a CRI sandbox is one pod (its pause process an app of
 * it) and each container of the sandbox another app of that pod
 * (docs/kubernetes.md "How a CRI pod maps onto a podinit pod").  Everything here is a short blocking call to the shim's own pod
 * (prepare, launch, the control socket with its timeout), made from the
 * shim's loop while containerd waits for the answer to Create, Start, Kill
 * or Delete: no client of the shim can make it wait longer than the control
 * socket's timeout.
 *
 *   shim_pod_create()   a mutable pod under the state dir, podinit launched,
 *                       the container added as an app (created, not started)
 *   shim_pod_join()     a container added as an app to a sandbox's running pod
 *   shim_pod_remove_app()  that app stopped and removed, its mounts undone
 *   shim_pod_start()    app-start and attach pipelined on one connection,
 *                       so no output is missed however fast the app exits
 *   shim_pod_events()   the pod's event stream (the app's exit)
 *   shim_pod_destroy()  the pod stopped, its mounts undone, its directory removed
 *
 * The pod's path, the app and its role are recorded in <bundle>/podinit-pod,
 * so `shim delete` can clean up after a shim that was killed (the pod, or
 * only the app for a container of a sandbox); a task deleted normally has its
 * record removed (shim_pod_forget), as containerd runs `shim delete` after
 * every task's end.
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
        bool member;            /* the app is in a sandbox's pod: removing the task removes the app only */
};

/* The I/O the container asked for, as podinit's modes. */
struct shim_pod_io {
        bool terminal;
        bool in, out, err;      /* a fifo was given for the stream */
};

/*
 * The app's name for a task: a CRI container is named after its container
 * name and the start of its id ("c1-0123456789ab": attempts of one name
 * coexist); a sandbox's pause process is "pause"; a `ctr run` container
 * is named after its id (lower-cased, other characters turned into '-').
 */
void shim_app_name(const char *id, const struct stage0_oci_spec *spec, char *out, size_t size);

/*
 * Create the pod for spec in state_dir and add the container as app (its
 * name: shim_app_name).  The pod joins spec's network namespace if it names
 * one (CRI's sandbox netns).  On failure nothing is left behind and err says
 * why, for containerd's user.
 */
int shim_pod_create(const char *state_dir, const char *bundle, const char *app, struct stage0_oci_spec *spec,
                    const struct shim_pod_io *io, bool debug, struct shim_pod *ret, struct pod_err *err);

/*
 * Add the container (spec, its volumes already mounted in its rootfs) as app
 * to sandbox's running pod: *ret is its handle (member), recorded in bundle.
 */
int shim_pod_join(const struct shim_pod *sandbox, const char *bundle, const char *app, struct stage0_oci_spec *spec,
                  const struct shim_pod_io *io, struct shim_pod *ret, struct pod_err *err);

/* Stop (forced) and remove a member app, unmount its rootfs from the pod; 0 if the pod is gone. */
int shim_pod_remove_app(struct shim_pod *p, struct pod_err *err);

/* Drop the bundle's record: the task was deleted and nothing is left to clean up. */
void shim_pod_forget(const char *bundle);

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
