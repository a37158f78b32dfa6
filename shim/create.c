/*
 * A task's life in the shim's list: found by id, created, released
 * (shim/shim.h).  Create: the rootfs containerd hands over mounted at
 * <bundle>/rootfs, config.json read (stage0/ocispec.h), the fifos opened,
 * and then, by the spec's CRI annotations:
 *
 *   `ctr run` (none)   a mutable pod launched, the container its app (the
 *                      spec's mounts mounted inside its rootfs, as for a CRI
 *                      container; its network namespace joined if the spec
 *                      names one: `ctr run --with-ns network:PATH`);
 *   CRI sandbox        the same: the pod stands for the sandbox (its network
 *                      namespace, the one CRI made, and its pid, ipc and uts
 *                      namespaces), the pause image's process its app
 *                      "pause", so that State, Wait and Kill of the sandbox
 *                      task act on a process as containerd expects;
 *   CRI container      an app added to its sandbox's pod, which this shim
 *                      serves (`start` grouped it with the sandbox): its
 *                      rootfs with its mounts (CRI's /etc/hosts,
 *                      /etc/resolv.conf, /etc/hostname, volumes) mounted
 *                      inside it on the host and bound at the app's place.
 *
 * Every refusal is an error containerd passes on to its client (ctr, the
 * kubelet) with what to do.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "common/log.h"
#include "containerd/events/task.pb-c.h"
#include "containerd/task/v2/shim.pb-c.h"
#include "shim/exec.h"
#include "shim/shim.h"
#include "stage0/rootfs.h"

static int open_bundle_spec(const char *bundle, struct stage0_oci_spec *spec, struct pod_err *err)
{
        _cleanup_close_ int fd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return pod_err_set(err, -errno, "opening the bundle %s: %s", bundle, strerror(errno));
        return stage0_oci_spec_load(fd, bundle, 0, spec, err);
}

/*
 * The spec's volumes (its bind mounts as host volumes, its tmpfs mounts as
 * empty ones: stage0/ocispec.h), for every kind of task: the app is always
 * added to a running pod, where podinit mounts nothing for it
 * (init/core/mutable.c), so they are mounted inside the rootfs on the host
 * and come along when it is bound at the app's place (stage0/rootfs.h).
 * That needs a rootfs containerd handed over (mounted by this shim, undone
 * with it: a recursive lazy unmount).  A bundle that brings its own
 * (`ctr run --rootfs`) is the caller's directory, which the shim does not
 * mount into: its empty volumes (what a tmpfs becomes, such as the /run of
 * every `ctr run` spec) are left out, their paths the rootfs's own
 * directories, and a host bind is refused with a message that says so.
 */
static int mount_volumes(const char *id, bool rootfs_mounted, struct stage0_app *a, struct pod_err *err)
{
        if (a->n_mounts == 0)
                return 0;
        if (rootfs_mounted)
                return stage0_rootfs_mount_volumes(a, err);
        for (size_t i = 0; i < a->n_mounts; i++) {
                struct stage0_mount *m = &a->mounts[i];
                const char *kind = json_string_value(json_object_get(m->app_volume, "kind"));

                if (!kind || strcmp(kind, "empty"))
                        return pod_err_set(err, -EOPNOTSUPP, "mount at %s (%s volume): the bundle brought its own rootfs; "
                                           "this shim mounts volumes only in a rootfs containerd hands over (from a "
                                           "snapshot); remove the mount or run the container from an image", m->path,
                                           kind ?: "a pod");
        }
        for (size_t i = 0; i < a->n_mounts; i++) {
                struct stage0_mount *m = &a->mounts[i];
                log_warn("task %s: the tmpfs at %s is not mounted: it is the rootfs's own directory", id, m->path);
                free(m->volume);
                free(m->path);
                json_decref(m->app_volume);
        }
        a->n_mounts = 0;
        return 0;
}

/*
 * process.args[0] without a slash is looked up in the process's PATH inside
 * the rootfs, as runc does (`ctr run IMAGE ID echo hi`).  Not found: left as
 * it is, and podinit's "cannot run echo: No such file or directory" says so.
 */
static void resolve_exec(struct stage0_app *a)
{
        const char *path = strv_env_get(a->env, "PATH") ?: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        _cleanup_free_ char *dirs = NULL;
        char *save = NULL;

        if (!a->exec || !a->rootfs || strchr(a->exec, '/'))
                return;
        dirs = xstrdup(path);
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *host = xasprintf("%s/%s/%s", a->rootfs, d, a->exec);
                struct stat st;
                /* lstat: an absolute symlink (busybox's) points into the container, not the host. */
                if (*d == '/' && lstat(host, &st) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
                        char *full = xasprintf("%s/%s", d, a->exec);
                        free(a->exec);
                        a->exec = full;
                        return;
                }
        }
}

struct task *shim_task_find(struct shim *s, const char *id)
{
        for (struct task *t = s->tasks; t; t = t->next)
                if (!strcmp(t->id, id ?: ""))
                        return t;
        return NULL;
}

static void task_free(struct task *t)
{
        free(t->id);
        free(t->bundle);
        free(t->sandbox_id);
        free(t->workdir);
        free(t->user);
        free(t->group);
        free(t->stdin_path);
        free(t->stdout_path);
        free(t->stderr_path);
        free(t->waiters);
        shim_pod_done(&t->pod);
        free(t);
}

static void task_io_closed(struct shim_stdio *io)
{
        task_free(container_of(io, struct task, io));
}

void shim_task_release(struct task *t)
{
        if (t->start_call)
                ttrpc_call_error(TAKE_PTR(t->start_call), TTRPC_NOT_FOUND, "task %s was deleted", t->id);
        shim_exec_release_all(t);
        if (t->io_open)
                shim_stdio_close(&t->io, task_io_closed);
        else
                task_free(t);
}

static char *task_field(const char *v)
{
        return v ? xstrdup(v) : NULL;
}

/* What kind of task this shim can take, given those it has: 0, or an answered error. */
static int admit(struct ttrpc_call *call, struct shim *s, const char *id, const struct stage0_oci_spec *spec,
                 struct task **ret_sandbox)
{
        struct task *sb;

        *ret_sandbox = NULL;
        switch (spec->kind) {
        case STAGE0_OCI_PLAIN:
                if (s->tasks) {
                        ttrpc_call_error(call, TTRPC_ALREADY_EXISTS, "this shim runs task %s already; a container "
                                         "without CRI annotations gets a shim of its own", s->tasks->id);
                        return -EEXIST;
                }
                return 0;
        case STAGE0_OCI_SANDBOX:
                if (spec->sandbox_id && strcmp(spec->sandbox_id, id)) {
                        ttrpc_call_error(call, TTRPC_INVALID_ARGUMENT, "podinit: sandbox %s: its %s annotation names "
                                         "another sandbox, %s", id, OCI_ANN_SANDBOX_ID, spec->sandbox_id);
                        return -EINVAL;
                }
                if (s->tasks) {
                        ttrpc_call_error(call, TTRPC_ALREADY_EXISTS, "this shim serves sandbox %s already",
                                         s->tasks->sandbox_id ?: s->tasks->id);
                        return -EEXIST;
                }
                return 0;
        case STAGE0_OCI_CONTAINER:
                sb = shim_task_find(s, spec->sandbox_id);
                if (!sb || sb->kind != STAGE0_OCI_SANDBOX) {
                        ttrpc_call_error(call, TTRPC_NOT_FOUND, "podinit: container %s: its sandbox %s is not served by "
                                         "this shim (its sandbox task is gone, or it was never created with the podinit "
                                         "runtime)", id, spec->sandbox_id);
                        return -ENOENT;
                }
                if (!sb->pod.path || sb->status == TASK_STOPPED) {
                        ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "podinit: container %s: sandbox %s has "
                                         "stopped; start a new sandbox", id, sb->id);
                        return -ESRCH;
                }
                *ret_sandbox = sb;
                return 0;
        }
        return -EINVAL;
}

void shim_task_create(struct ttrpc_call *call, struct shim *s, const uint8_t *p, size_t n)
{
        Containerd__Task__V2__CreateTaskRequest *q = containerd__task__v2__create_task_request__unpack(NULL, n, p);
        Containerd__Task__V2__CreateTaskResponse resp = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
        Containerd__Events__TaskCreate ev = CONTAINERD__EVENTS__TASK_CREATE__INIT;
        Containerd__Events__TaskIO tio = CONTAINERD__EVENTS__TASK_IO__INIT;
        struct stage0_oci_spec spec = { 0 };
        struct pod_err err = { 0 };
        struct task *t, *sb = NULL;
        char app[SHIM_APP_NAME_MAX + 1];
        int code = TTRPC_FAILED_PRECONDITION;

        if (!q) {
                ttrpc_call_error(call, TTRPC_INVALID_ARGUMENT, "not a CreateTaskRequest message");
                return;
        }
        if (shim_task_find(s, q->id)) {
                ttrpc_call_error(call, TTRPC_ALREADY_EXISTS, "task %s already exists in this shim", q->id);
                goto out;
        }
        if (q->checkpoint && *q->checkpoint) {
                ttrpc_call_error(call, TTRPC_UNIMPLEMENTED, "podinit cannot restore a checkpoint");
                goto out;
        }
        t = xcalloc(1, sizeof(*t));
        t->shim = s;
        t->id = xstrdup(q->id);
        t->bundle = xstrdup(q->bundle && *q->bundle ? q->bundle : s->bundle);
        t->stdin_path = xstrdup(q->stdin ?: "");
        t->stdout_path = xstrdup(q->stdout ?: "");
        t->stderr_path = xstrdup(q->stderr ?: "");
        t->terminal = q->terminal;
        t->pio = (struct shim_pod_io){ .terminal = q->terminal, .in = *t->stdin_path, .out = *t->stdout_path,
                                       .err = *t->stderr_path };
        if (open_bundle_spec(t->bundle, &spec, &err) < 0) {
                code = TTRPC_INVALID_ARGUMENT;
                goto fail;
        }
        if (admit(call, s, t->id, &spec, &sb) < 0) {
                shim_task_release(t);
                goto out;
        }
        for (size_t i = 0; i < spec.n_warnings; i++)
                log_warn("task %s: config.json: %s", t->id, spec.warnings[i]);
        t->kind = spec.kind;
        t->sandbox_id = task_field(spec.sandbox_id ?: (spec.kind == STAGE0_OCI_SANDBOX ? t->id : NULL));
        if (shim_mount_rootfs(t->bundle, q->rootfs, q->n_rootfs, &err) < 0)
                goto fail;
        t->rootfs_mounted = q->n_rootfs > 0;
        resolve_exec(&spec.app);
        if (mount_volumes(t->id, t->rootfs_mounted, &spec.app, &err) < 0) {
                code = err.code == -EOPNOTSUPP ? TTRPC_INVALID_ARGUMENT : TTRPC_FAILED_PRECONDITION;
                goto fail;
        }
        if (spec.terminal != q->terminal)
                log_warn("task %s: process.terminal is %s but containerd asked for %s; containerd wins", t->id,
                         spec.terminal ? "true" : "false", q->terminal ? "a terminal" : "no terminal");
        t->workdir = task_field(spec.app.workdir);
        t->user = task_field(spec.app.user);
        t->group = task_field(spec.app.group);
        t->io_open = true;      /* closed by shim_task_release, also after a failed open */
        if (shim_stdio_open(&t->io, &s->loop, "", t->stdin_path, t->stdout_path, t->stderr_path, t->terminal, &err) < 0)
                goto fail;
        shim_app_name(t->id, &spec, app, sizeof(app));
        if (sb ? shim_pod_join(&sb->pod, t->bundle, app, &spec, &t->pio, &t->pod, &err) < 0
               : shim_pod_create(s->state_dir, t->bundle, app, &spec, &t->pio, s->debug, &t->pod, &err) < 0)
                goto fail;
        snprintf(t->io.app, sizeof(t->io.app), "%s", t->pod.app);
        t->status = TASK_CREATED;
        t->pid = (uint32_t)t->pod.pid1;
        {
                struct task **pp = &s->tasks;
                while (*pp)
                        pp = &(*pp)->next;
                *pp = t;
        }
        log_info("task %s: pod %s, app %s%s", t->id, t->pod.uuid, t->pod.app,
                 sb ? " (a container of the sandbox)" : spec.kind == STAGE0_OCI_SANDBOX ? " (the sandbox)" : "");

        ev.container_id = t->id;
        ev.bundle = t->bundle;
        ev.n_rootfs = q->n_rootfs;
        ev.rootfs = q->rootfs;
        tio.stdin = t->stdin_path;
        tio.stdout = t->stdout_path;
        tio.stderr = t->stderr_path;
        tio.terminal = t->terminal;
        ev.io = &tio;
        ev.pid = t->pid;
        shim_publish(&s->pub, "/tasks/create", "TaskCreate", &ev.base);
        resp.pid = t->pid;
        ttrpc_call_reply(call, &resp.base);
        goto out;
fail:
        log_error("task %s: create: %s", q->id, err.msg);
        if (t->rootfs_mounted)
                shim_unmount_rootfs(t->bundle);
        shim_task_release(t);
        ttrpc_call_error(call, code, "podinit: %s", err.msg);
out:
        stage0_oci_spec_done(&spec);
        containerd__task__v2__create_task_request__free_unpacked(q, NULL);
}
