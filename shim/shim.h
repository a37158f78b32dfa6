/*
 * containerd-shim-podinit-v2: the shim's state.  `ctr run` gives each
 * container a shim and a pod of its own.  A CRI sandbox's tasks share one
 * shim, as with containerd's runc v2 shim: `start` names the socket after
 * the sandbox id (io.kubernetes.cri.sandbox-id), so every container of the
 * sandbox reaches the shim its sandbox started, and the shim serves many
 * tasks, keyed by the request's id: the sandbox (a podinit pod, its pause
 * process an app) and its containers (apps added to that pod).
 *
 *   shim/main.c      the command line: `start`, `delete`, and the daemon
 *   shim/task.c      the containerd.task.v2.Task service over ttrpc
 *   shim/create.c    Create: a pod (`ctr run`, a CRI sandbox) or an app of one
 *   shim/pod.c       the podinit pod behind the task
 *   shim/app.c       an app of that pod (add, remove, the record in the bundle)
 *   shim/stdio.c     the fifos, the attach stream and the exit
 *   shim/mount.c     the rootfs mounts containerd hands over
 *   shim/exec.c      exec processes (podinit's exec op)
 *   shim/control.c   blocking calls to the pod's control socket
 *   shim/stats.c     Stats: the task's cgroup as containerd's cgroups Metrics
 *   shim/update.c    Update: LinuxResources written to the task's cgroup
 *   shim/publish.c   task events to containerd (its ttrpc socket, or its publish binary)
 */
#ifndef POD_SHIM_SHIM_H
#define POD_SHIM_SHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "containerd/types/mount.pb-c.h"
#include "shim/pod.h"
#include "shim/publish.h"
#include "shim/stdio.h"
#include "shim/ttrpc.h"

#define SHIM_NAME "containerd-shim-podinit-v2"
#define SHIM_TASK_SERVICE "containerd.task.v2.Task"

enum task_status {
        TASK_CREATED = 1,       /* containerd.v1.types.Status values */
        TASK_RUNNING = 2,
        TASK_STOPPED = 3,
};

/* An exec process of the task (shim/exec.c). */
struct shim_exec {
        struct shim_exec *next;
        struct task *task;
        char *id;
        char *stdin_path, *stdout_path, *stderr_path;
        bool terminal;
        json_t *argv, *env;
        enum task_status status;
        uint32_t pid;
        struct shim_stdio io;
        bool io_open;
        struct shim_exit exit;
        struct ttrpc_call **waiters;
        size_t n_waiters;
};

struct task {
        struct task *next;              /* the shim's tasks */
        struct shim *shim;
        char *id, *bundle;
        enum stage0_oci_kind kind;      /* plain (`ctr run`), CRI sandbox or CRI container */
        char *sandbox_id;               /* CRI: the sandbox's task id (its own for the sandbox) */
        char *workdir, *user, *group;   /* the app's: what an exec runs with (podinit's exec op has no others) */
        char *stdin_path, *stdout_path, *stderr_path;
        bool terminal;
        enum task_status status;
        uint32_t pid;                   /* the app's host pid (the pod's PID 1 before Start) */
        pid_t ns_pid;                   /* the app's pid in the pod */
        struct shim_pod pod;
        struct shim_pod_io pio;
        struct shim_stdio io;
        bool io_open;
        struct shim_exit exit;
        struct ttrpc_call **waiters;
        size_t n_waiters;
        bool rootfs_mounted;
        struct ttrpc_call *start_call;  /* Start, answered once the app's exec is known */
        struct shim_exec *execs;
};

struct shim {
        uv_loop_t loop;
        const char *ns, *id, *address, *publish_binary, *bundle, *state_dir, *socket_path;
        bool debug;
        struct ttrpc_server *srv;
        struct shim_publisher pub;
        struct task *tasks;             /* a list: the sandbox's and its containers' (one for `ctr run`) */
        uv_signal_t sigchld, sigterm;
        bool exiting;
        void (*shutdown)(struct shim *s);      /* Shutdown asked the shim to end (set by main.c) */
};

/* The task service's methods, for ttrpc_server_new (shim/task.c). */
extern const struct ttrpc_method shim_task_methods[];
extern const size_t shim_task_n_methods;

/* SIGCHLD: reap the pods' launchers that were ours. */
void shim_task_reap(struct shim *s);

/* Create (shim/create.c). */
void shim_task_create(struct ttrpc_call *call, struct shim *s, const uint8_t *p, size_t n);
/* The task id of this shim, or NULL. */
struct task *shim_task_find(struct shim *s, const char *id);
/* The app's exit: TaskExit, and the Wait calls answered (shim/task.c). */
void shim_task_on_exit(struct shim_stdio *io, const struct shim_exit *e);
/* Free t (not in the list) once its handles have closed. */
void shim_task_release(struct task *t);

/* The rootfs containerd mounts for the task (shim/mount.c): at <bundle>/rootfs. */
int shim_mount_rootfs(const char *bundle, Containerd__Types__Mount **mounts, size_t n, struct pod_err *err);
int shim_unmount_rootfs(const char *bundle);

#endif
