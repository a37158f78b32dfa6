/*
 * The containerd.task.v2.Task service (shim/shim.h) for one task: a
 * container of `ctr run`, one podinit pod with one app.
 *
 *   Create   mount the rootfs, read config.json (stage0/ocispec.h), open the
 *            fifos, prepare and launch a mutable pod, add the app (created)
 *   Start    start the app, attached; its pid; TaskStart
 *   Wait     answered when the app has exited and its output is delivered
 *   Kill     the signal to the app (its process group with all)
 *   Delete   the pod stopped and removed, the rootfs unmounted; TaskDelete
 *
 * Errors are gRPC codes containerd maps to its own kinds (NOT_FOUND,
 * FAILED_PRECONDITION, ...) with a message that ends up in ctr's output:
 * each says what went wrong and, where there is something to do, what.
 * Exec, Update, Stats, Pause, Resume and Checkpoint are UNIMPLEMENTED
 * (docs/kubernetes.md "Running podinit under containerd").
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common/log.h"
#include "containerd/task/v2/shim.pb-c.h"
#include "containerd/events/task.pb-c.h"
#include "shim/exec.h"
#include "shim/shim.h"

/* Unpack the method's request or answer INVALID_ARGUMENT. */
#define UNPACK(call, type, fn, p, n)                                                          \
        ({                                                                                    \
                type *_m = fn##__unpack(NULL, n, p);                                          \
                if (!_m)                                                                      \
                        ttrpc_call_error(call, TTRPC_INVALID_ARGUMENT, "not a " #type " message"); \
                _m;                                                                           \
        })

static void timestamp(Google__Protobuf__Timestamp *ts, uint64_t ns)
{
        ts->seconds = (int64_t)(ns / 1000000000u);
        ts->nanos = (int32_t)(ns % 1000000000u);
}

/* The task named id, or an answered NOT_FOUND; exec ids are refused (no exec yet). */
static struct task *find(struct shim *s, struct ttrpc_call *call, const char *id, const char *exec_id)
{
        if (!s->task || strcmp(s->task->id, id ?: "")) {
                ttrpc_call_error(call, TTRPC_NOT_FOUND, "task %s not found", id ?: "");
                return NULL;
        }
        (void)exec_id;
        return s->task;
}

/* An exec id given: the exec process (or an answered NOT_FOUND, *ret_handled set). */
static struct shim_exec *find_exec(struct shim *s, struct ttrpc_call *call, const char *id, const char *exec_id,
                                   bool *ret_handled)
{
        struct task *t;
        struct shim_exec *e;

        *ret_handled = false;
        if (!exec_id || !*exec_id)
                return NULL;
        *ret_handled = true;
        if (!(t = find(s, call, id, NULL)))
                return NULL;
        if (!(e = shim_exec_find(t, exec_id)))
                ttrpc_call_error(call, TTRPC_NOT_FOUND, "process %s not found in task %s", exec_id, id);
        return e;
}

static void task_free(struct task *t)
{
        free(t->id);
        free(t->bundle);
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

/* Free t once its handles have closed. */
static void task_release(struct task *t)
{
        shim_exec_release_all(t);
        if (t->io_open)
                shim_stdio_close(&t->io, task_io_closed);
        else
                task_free(t);
}

static void on_task_exit(struct shim_stdio *io, const struct shim_exit *e)
{
        struct task *t = io->userdata;
        Containerd__Events__TaskExit ev = CONTAINERD__EVENTS__TASK_EXIT__INIT;
        Containerd__Task__V2__WaitResponse w = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
        Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

        t->exit = *e;
        t->status = TASK_STOPPED;
        timestamp(&ts, e->at_ns);
        log_debug("task %s: exited with status %u", t->id, e->status);
        if (e->oom) {
                Containerd__Events__TaskOOM oom = CONTAINERD__EVENTS__TASK_OOM__INIT;
                oom.container_id = t->id;
                shim_publish(&t->shim->pub, "/tasks/oom", "TaskOOM", &oom.base);
        }
        ev.container_id = t->id;
        ev.id = t->id;
        ev.pid = t->pid;
        ev.exit_status = e->status;
        ev.exited_at = &ts;
        shim_publish(&t->shim->pub, "/tasks/exit", "TaskExit", &ev.base);
        w.exit_status = e->status;
        w.exited_at = &ts;
        for (size_t i = 0; i < t->n_waiters; i++)
                ttrpc_call_reply(t->waiters[i], &w.base);
        t->n_waiters = 0;
}

static int open_bundle_spec(const char *bundle, struct stage0_oci_spec *spec, struct pod_err *err)
{
        _cleanup_close_ int fd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return pod_err_set(err, -errno, "opening the bundle %s: %s", bundle, strerror(errno));
        return stage0_oci_spec_load(fd, bundle, 0, spec, err);
}

/*
 * podinit cannot mount volumes into an app added to a running pod yet
 * (docs/lifecycle.md "Mutable pods"), and the shim's pod runs before its app
 * starts.  An empty volume (what a tmpfs becomes, such as the /run of every
 * `ctr run` spec) is left out: the path is the rootfs's own directory, on
 * the container's writable snapshot.  Anything else (a host bind mount) is
 * refused with a message that says so.
 */
static int drop_unmountable(const char *id, struct stage0_app *a, struct pod_err *err)
{
        size_t k = 0;

        for (size_t i = 0; i < a->n_mounts; i++) {
                struct stage0_mount *m = &a->mounts[i];
                const char *kind = json_string_value(json_object_get(m->app_volume, "kind"));

                if (!kind || strcmp(kind, "empty"))
                        return pod_err_set(err, -EOPNOTSUPP, "mount at %s (%s volume): this shim cannot mount volumes into "
                                           "a container yet (podinit adds the app to a running pod); remove the mount",
                                           m->path, kind ?: "a pod");
        }
        for (size_t i = 0; i < a->n_mounts; i++) {
                struct stage0_mount *m = &a->mounts[i];
                log_warn("task %s: the tmpfs at %s is not mounted: it is the rootfs's own directory", id, m->path);
                free(m->volume);
                free(m->path);
                json_decref(m->app_volume);
        }
        a->n_mounts = k;
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

static void m_create(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__CreateTaskRequest *q =
                UNPACK(call, Containerd__Task__V2__CreateTaskRequest, containerd__task__v2__create_task_request, p, n);
        Containerd__Task__V2__CreateTaskResponse resp = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
        Containerd__Events__TaskCreate ev = CONTAINERD__EVENTS__TASK_CREATE__INIT;
        Containerd__Events__TaskIO tio = CONTAINERD__EVENTS__TASK_IO__INIT;
        struct stage0_oci_spec spec = { 0 };
        struct pod_err err = { 0 };
        struct task *t;
        int code = TTRPC_FAILED_PRECONDITION;

        if (!q)
                return;
        if (s->task) {
                ttrpc_call_error(call, TTRPC_ALREADY_EXISTS, "task %s already exists in this shim", s->task->id);
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
        if (shim_mount_rootfs(t->bundle, q->rootfs, q->n_rootfs, &err) < 0)
                goto fail;
        t->rootfs_mounted = q->n_rootfs > 0;
        if (open_bundle_spec(t->bundle, &spec, &err) < 0) {
                code = TTRPC_INVALID_ARGUMENT;
                goto fail;
        }
        for (size_t i = 0; i < spec.n_warnings; i++)
                log_warn("task %s: config.json: %s", t->id, spec.warnings[i]);
        if (spec.kind != STAGE0_OCI_PLAIN) {
                code = TTRPC_UNIMPLEMENTED;
                pod_err_set(&err, -EOPNOTSUPP, "this is a CRI %s (%s); this shim runs `ctr run` containers only so far",
                            spec.kind == STAGE0_OCI_SANDBOX ? "sandbox" : "container", OCI_ANN_CONTAINER_TYPE);
                goto fail;
        }
        resolve_exec(&spec.app);
        if (drop_unmountable(t->id, &spec.app, &err) < 0) {
                code = TTRPC_INVALID_ARGUMENT;
                goto fail;
        }
        if (spec.terminal != q->terminal)
                log_warn("task %s: process.terminal is %s but containerd asked for %s; containerd wins", t->id,
                         spec.terminal ? "true" : "false", q->terminal ? "a terminal" : "no terminal");
        t->io_open = true;      /* closed by task_release, also after a failed open */
        if (shim_stdio_open(&t->io, &s->loop, "", t->stdin_path, t->stdout_path, t->stderr_path, t->terminal, &err) < 0)
                goto fail;
        if (shim_pod_create(s->state_dir, t->bundle, t->id, &spec, &t->pio, s->debug, &t->pod, &err) < 0)
                goto fail;
        snprintf(t->io.app, sizeof(t->io.app), "%s", t->pod.app);
        t->status = TASK_CREATED;
        t->pid = (uint32_t)t->pod.pid1;
        s->task = t;
        log_info("task %s: pod %s, app %s", t->id, t->pod.uuid, t->pod.app);

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
        task_release(t);
        ttrpc_call_error(call, code, "podinit: %s", err.msg);
out:
        stage0_oci_spec_done(&spec);
        containerd__task__v2__create_task_request__free_unpacked(q, NULL);
}

static void m_start(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__StartRequest *q =
                UNPACK(call, Containerd__Task__V2__StartRequest, containerd__task__v2__start_request, p, n);
        Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
        Containerd__Events__TaskStart ev = CONTAINERD__EVENTS__TASK_START__INIT;
        struct frame_decoder adec = { 0 }, edec = { 0 };
        struct pod_err err = { 0 };
        int afd = -1, efd = -1;
        struct shim_exec *e;
        bool handled = false;
        struct task *t;

        if (q && (e = find_exec(s, call, q->id, q->exec_id, &handled))) {
                shim_exec_start(call, e->task, e);
                goto out;
        }
        if (!q || handled || !(t = find(s, call, q->id, q->exec_id)))
                goto out;
        if (t->status != TASK_CREATED) {
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "task %s is %s, not created", t->id,
                                 t->status == TASK_RUNNING ? "running" : "stopped");
                goto out;
        }
        if (shim_pod_events(&t->pod, &efd, &edec, &err) < 0 ||
            shim_pod_start(&t->pod, &t->pio, &afd, &adec, &t->ns_pid, &err) < 0) {
                if (efd >= 0)
                        close(efd);
                frame_decoder_done(&edec);
                log_error("task %s: start: %s", t->id, err.msg);
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "podinit: %s", err.msg);
                goto out;
        }
        t->status = TASK_RUNNING;
        {
                pid_t host = shim_pod_host_pid(&t->pod, t->ns_pid);
                if (host > 0)
                        t->pid = (uint32_t)host;
        }
        ev.container_id = t->id;
        ev.pid = t->pid;
        shim_publish(&s->pub, "/tasks/start", "TaskStart", &ev.base);
        resp.pid = t->pid;
        ttrpc_call_reply(call, &resp.base);
        /* After the answer: an app that is already gone makes its exit event follow TaskStart. */
        if (shim_stdio_run(&t->io, afd, &adec, efd, &edec, on_task_exit, t) < 0)
                log_error("task %s: following the app's I/O and exit failed", t->id);
out:
        if (q)
                containerd__task__v2__start_request__free_unpacked(q, NULL);
}

static void m_state(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__StateRequest *q =
                UNPACK(call, Containerd__Task__V2__StateRequest, containerd__task__v2__state_request, p, n);
        Containerd__Task__V2__StateResponse r = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
        Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
        struct shim_exec *e;
        bool handled = false;
        struct task *t;

        if (q && (e = find_exec(s, call, q->id, q->exec_id, &handled))) {
                shim_exec_state(call, e->task, e);
                goto out;
        }
        if (!q || handled || !(t = find(s, call, q->id, q->exec_id)))
                goto out;
        r.id = t->id;
        r.bundle = t->bundle;
        r.pid = t->pid;
        r.status = (Containerd__V1__Types__Status)t->status;
        r.stdin = t->stdin_path;
        r.stdout = t->stdout_path;
        r.stderr = t->stderr_path;
        r.terminal = t->terminal;
        if (t->status == TASK_STOPPED) {
                r.exit_status = t->exit.status;
                timestamp(&ts, t->exit.at_ns);
                r.exited_at = &ts;
        }
        ttrpc_call_reply(call, &r.base);
out:
        if (q)
                containerd__task__v2__state_request__free_unpacked(q, NULL);
}

static void m_wait(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__WaitRequest *q =
                UNPACK(call, Containerd__Task__V2__WaitRequest, containerd__task__v2__wait_request, p, n);
        Containerd__Task__V2__WaitResponse w = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
        Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
        struct shim_exec *e;
        bool handled = false;
        struct task *t;

        if (q && (e = find_exec(s, call, q->id, q->exec_id, &handled))) {
                shim_exec_wait(call, e);
                goto out;
        }
        if (!q || handled || !(t = find(s, call, q->id, q->exec_id)))
                goto out;
        if (t->status == TASK_STOPPED) {
                w.exit_status = t->exit.status;
                timestamp(&ts, t->exit.at_ns);
                w.exited_at = &ts;
                ttrpc_call_reply(call, &w.base);
                goto out;
        }
        /* Answered by on_task_exit; bounded by the server's pending-call limit per connection. */
        t->waiters = xrealloc(t->waiters, (t->n_waiters + 1) * sizeof(*t->waiters));
        t->waiters[t->n_waiters++] = call;
out:
        if (q)
                containerd__task__v2__wait_request__free_unpacked(q, NULL);
}

static void m_kill(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__KillRequest *q =
                UNPACK(call, Containerd__Task__V2__KillRequest, containerd__task__v2__kill_request, p, n);
        Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
        struct shim_exec *e;
        bool handled = false;
        struct task *t;

        if (q && (q->signal == 0 || q->signal > 64)) {
                ttrpc_call_error(call, TTRPC_INVALID_ARGUMENT, "signal %u is not a signal", q->signal);
                goto out;
        }
        if (q && (e = find_exec(s, call, q->id, q->exec_id, &handled))) {
                shim_exec_kill(call, e, q->signal);
                goto out;
        }
        if (!q || handled || !(t = find(s, call, q->id, q->exec_id)))
                goto out;
        if (t->status == TASK_STOPPED) {
                ttrpc_call_error(call, TTRPC_NOT_FOUND, "process already finished");
                goto out;
        }
        if (t->status == TASK_CREATED) {
                /* Never started: nothing runs; a deadly signal makes it stopped, as runc's init would be. */
                if (q->signal == SIGKILL || q->signal == SIGTERM || q->signal == SIGINT) {
                        struct shim_exit ex = { .status = 128 + q->signal, .at_ns = now_real_ns() };
                        on_task_exit(&t->io, &ex);
                }
                ttrpc_call_reply(call, &empty.base);
                goto out;
        }
        if (t->ns_pid <= 0 || t->pid == (uint32_t)t->pod.pid1) {
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "signalling task %s: the app's host pid is not known",
                                 t->id);
                goto out;
        }
        /* The app leads its process group in the pod: all=true reaches what it started too. */
        {
                pid_t target = (pid_t)t->pid;
                int r = kill(q->all ? -target : target, (int)q->signal);
                if (r < 0 && q->all && errno == ESRCH)
                        r = kill(target, (int)q->signal);
                /* ESRCH: it is exiting, its exit is on the way. */
                if (r == 0 || errno == ESRCH)
                        ttrpc_call_reply(call, &empty.base);
                else
                        ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "signalling task %s (pid %d): %s", t->id,
                                         (int)target, strerror(errno));
        }
out:
        if (q)
                containerd__task__v2__kill_request__free_unpacked(q, NULL);
}

static void m_delete(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__DeleteRequest *q =
                UNPACK(call, Containerd__Task__V2__DeleteRequest, containerd__task__v2__delete_request, p, n);
        Containerd__Task__V2__DeleteResponse r = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
        Containerd__Events__TaskDelete ev = CONTAINERD__EVENTS__TASK_DELETE__INIT;
        Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
        struct pod_err err = { 0 };
        struct shim_exec *e;
        bool handled = false;
        struct task *t;

        if (q && (e = find_exec(s, call, q->id, q->exec_id, &handled))) {
                shim_exec_delete(call, e->task, e);
                goto out;
        }
        if (!q || handled || !(t = find(s, call, q->id, q->exec_id)))
                goto out;
        if (t->status == TASK_RUNNING) {
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "task %s is running; kill it first", t->id);
                goto out;
        }
        if (shim_pod_destroy(&t->pod, &err) < 0)
                log_error("task %s: delete: %s", t->id, err.msg);
        if (t->rootfs_mounted && shim_unmount_rootfs(t->bundle) < 0)
                log_error("task %s: delete: unmounting %s/rootfs: %s", t->id, t->bundle, strerror(errno));
        if (t->status != TASK_STOPPED)
                t->exit = (struct shim_exit){ .status = 128 + SIGKILL, .at_ns = now_real_ns() };
        timestamp(&ts, t->exit.at_ns);
        r.pid = t->pid;
        r.exit_status = t->exit.status;
        r.exited_at = &ts;
        ev.container_id = t->id;
        ev.id = t->id;
        ev.pid = t->pid;
        ev.exit_status = t->exit.status;
        ev.exited_at = &ts;
        shim_publish(&s->pub, "/tasks/delete", "TaskDelete", &ev.base);
        ttrpc_call_reply(call, &r.base);
        s->task = NULL;
        task_release(t);
out:
        if (q)
                containerd__task__v2__delete_request__free_unpacked(q, NULL);
}

static void m_pids(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__PidsRequest *q =
                UNPACK(call, Containerd__Task__V2__PidsRequest, containerd__task__v2__pids_request, p, n);
        Containerd__Task__V2__PidsResponse r = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
        Containerd__V1__Types__ProcessInfo pi = CONTAINERD__V1__TYPES__PROCESS_INFO__INIT;
        Containerd__V1__Types__ProcessInfo *list[1] = { &pi };
        struct task *t;

        if (!q || !(t = find(s, call, q->id, NULL)))
                goto out;
        /* The app's own pid; what it started is in `podctl status`. */
        if (t->status == TASK_RUNNING) {
                pi.pid = t->pid;
                r.processes = list;
                r.n_processes = 1;
        }
        ttrpc_call_reply(call, &r.base);
out:
        if (q)
                containerd__task__v2__pids_request__free_unpacked(q, NULL);
}

static void m_connect(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__ConnectRequest *q =
                UNPACK(call, Containerd__Task__V2__ConnectRequest, containerd__task__v2__connect_request, p, n);
        Containerd__Task__V2__ConnectResponse r = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;

        if (!q)
                return;
        r.shim_pid = (uint32_t)getpid();
        r.task_pid = s->task ? s->task->pid : 0;
        r.version = (char *)"podinit " POD_VERSION;
        ttrpc_call_reply(call, &r.base);
        containerd__task__v2__connect_request__free_unpacked(q, NULL);
}

static void m_shutdown(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__ShutdownRequest *q =
                UNPACK(call, Containerd__Task__V2__ShutdownRequest, containerd__task__v2__shutdown_request, p, n);
        Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
        bool go = q && (!s->task || q->now);

        if (!q)
                return;
        containerd__task__v2__shutdown_request__free_unpacked(q, NULL);
        /* With a task still there (not deleted), only now=true ends the shim, as runc's shim does. */
        ttrpc_call_reply(call, &e.base);
        if (go && s->shutdown)
                s->shutdown(s);
}

static void m_resize_pty(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__ResizePtyRequest *q =
                UNPACK(call, Containerd__Task__V2__ResizePtyRequest, containerd__task__v2__resize_pty_request, p, n);
        Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
        struct shim_exec *e;
        bool handled = false;
        struct task *t;

        if (q && (e = find_exec(s, call, q->id, q->exec_id, &handled))) {
                shim_exec_resize(call, e, q->height, q->width);
                goto out;
        }
        if (!q || handled || !(t = find(s, call, q->id, q->exec_id)))
                goto out;
        if (!t->terminal)
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "task %s has no terminal", t->id);
        else if (q->width > 65535 || q->height > 65535)
                ttrpc_call_error(call, TTRPC_INVALID_ARGUMENT, "a terminal of %ux%u is too large", q->width, q->height);
        else if (t->status != TASK_RUNNING || shim_stdio_resize(&t->io, q->height, q->width) < 0)
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "task %s is not running", t->id);
        else
                ttrpc_call_reply(call, &empty.base);
out:
        if (q)
                containerd__task__v2__resize_pty_request__free_unpacked(q, NULL);
}

static void m_close_io(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__CloseIORequest *q =
                UNPACK(call, Containerd__Task__V2__CloseIORequest, containerd__task__v2__close_iorequest, p, n);
        Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
        struct shim_exec *e;
        bool handled = false;
        struct task *t;

        if (q && (e = find_exec(s, call, q->id, q->exec_id, &handled))) {
                if (q->stdin)
                        shim_exec_close_stdin(e);
                ttrpc_call_reply(call, &empty.base);
                goto out;
        }
        if (!q || handled || !(t = find(s, call, q->id, q->exec_id)))
                goto out;
        /* Only stdin can be closed (CloseIORequest.stdin); closing nothing is a no-op. */
        if (q->stdin && t->status == TASK_RUNNING)
                shim_stdio_close_stdin(&t->io);
        ttrpc_call_reply(call, &empty.base);
out:
        if (q)
                containerd__task__v2__close_iorequest__free_unpacked(q, NULL);
}

static void m_exec(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__ExecProcessRequest *q =
                UNPACK(call, Containerd__Task__V2__ExecProcessRequest, containerd__task__v2__exec_process_request, p, n);
        struct task *t;

        if (q && (t = find(s, call, q->id, NULL)))
                shim_exec_add(call, t, q);
        if (q)
                containerd__task__v2__exec_process_request__free_unpacked(q, NULL);
}

/* A method podinit has no counterpart for (yet): UNIMPLEMENTED with the reason. */
#define NOT_SUPPORTED(fn, why)                                                                 \
        static void fn(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)    \
        {                                                                                      \
                ttrpc_call_error(call, TTRPC_UNIMPLEMENTED, why);                              \
        }

NOT_SUPPORTED(m_update, "podinit shim: updating a running task's resources is not supported yet (docs/kubernetes.md)")
NOT_SUPPORTED(m_stats, "podinit shim: task metrics are not supported yet; `podctl status` shows the app's state")
NOT_SUPPORTED(m_pause, "podinit cannot pause a task (it has no cgroup freezer support); docs/kubernetes.md")
NOT_SUPPORTED(m_resume, "podinit cannot pause or resume a task; docs/kubernetes.md")
NOT_SUPPORTED(m_checkpoint, "podinit cannot checkpoint a task")

const struct ttrpc_method shim_task_methods[] = {
        { "Create", m_create },   { "Start", m_start },     { "State", m_state },
        { "Wait", m_wait },       { "Kill", m_kill },       { "Delete", m_delete },
        { "Pids", m_pids },       { "Connect", m_connect }, { "Shutdown", m_shutdown },
        { "ResizePty", m_resize_pty }, { "CloseIO", m_close_io }, { "Exec", m_exec },
        { "Update", m_update },   { "Stats", m_stats },     { "Pause", m_pause },
        { "Resume", m_resume },   { "Checkpoint", m_checkpoint },
};
const size_t shim_task_n_methods = ARRAY_SIZE(shim_task_methods);

void shim_task_reap(struct shim *s)
{
        struct task *t = s->task;

        if (t && t->pod.launcher > 0 && waitpid(t->pod.launcher, NULL, WNOHANG) == t->pod.launcher)
                t->pod.launcher = 0;
}
