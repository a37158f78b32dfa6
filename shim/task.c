/*
 * The containerd.task.v2.Task service (shim/shim.h) for the shim's tasks,
 * each found by the request's id: a container of `ctr run` (a pod of its
 * own), a CRI sandbox (a pod, its pause process an app) or a container of
 * that sandbox (an app added to the sandbox's pod).
 *
 *   Create   shim/create.c
 *   Start    start the app, attached; answered (and TaskStart) once its
 *            exec is known: a program that cannot run fails Start
 *   Wait     answered when the app has exited and its output is delivered
 *   Kill     the signal to the app (its process group with all)
 *   Delete   a pod's task: the pod stopped and removed; a container of a
 *            sandbox: its app removed from the pod; the rootfs unmounted;
 *            TaskDelete
 *
 * Errors are gRPC codes containerd maps to its own kinds (NOT_FOUND,
 * FAILED_PRECONDITION, ...) with a message that ends up in ctr's output:
 * each says what went wrong and, where there is something to do, what.
 * Exec processes are shim/exec.c; Stats and Update read and write the
 * task's cgroup (shim/stats.h); Pause, Resume and Checkpoint are
 * UNIMPLEMENTED (docs/kubernetes.md "What works").
 */
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common/log.h"
#include "containerd/task/v2/shim.pb-c.h"
#include "containerd/events/task.pb-c.h"
#include "shim/exec.h"
#include "shim/shim.h"
#include "shim/stats.h"

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

/* The task named id, or an answered NOT_FOUND. */
static struct task *find(struct shim *s, struct ttrpc_call *call, const char *id, const char *exec_id)
{
        struct task *t = shim_task_find(s, id);

        if (!t)
                ttrpc_call_error(call, TTRPC_NOT_FOUND, "task %s not found", id ?: "");
        (void)exec_id;
        return t;
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

void shim_task_on_exit(struct shim_stdio *io, const struct shim_exit *e)
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

/*
 * A task's Create and Start parse config.json, prepare a pod and talk JSON
 * to podinit: far more is freed than stays live, and glibc keeps the freed
 * pages.  Handing them back once the task is under way keeps the shim, one
 * per pod, at what it holds while it idles (bench/k8s.sh measures it).
 */
static void trim_heap(void)
{
        malloc_trim(0);
}

static void m_create(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        shim_task_create(call, userdata, p, n);
        trim_heap();
}

/* The app exec'd (error NULL) or could not: Start is answered; TaskStart comes before any TaskExit. */
static void task_started(struct shim_stdio *io, const char *error)
{
        struct task *t = io->userdata;
        Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
        Containerd__Events__TaskStart ev = CONTAINERD__EVENTS__TASK_START__INIT;
        struct ttrpc_call *call = TAKE_PTR(t->start_call);

        if (error) {
                log_error("task %s: start: %s", t->id, error);
                if (call)
                        ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "podinit: the container could not start: %s", error);
                return;
        }
        ev.container_id = t->id;
        ev.pid = t->pid;
        shim_publish(&t->shim->pub, "/tasks/start", "TaskStart", &ev.base);
        resp.pid = t->pid;
        if (call)
                ttrpc_call_reply(call, &resp.base);
        trim_heap();
}

static void m_start(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__StartRequest *q =
                UNPACK(call, Containerd__Task__V2__StartRequest, containerd__task__v2__start_request, p, n);
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
        /* Answered once the app's exec is known (task_started): a program that cannot run fails Start, as with runc. */
        t->start_call = call;
        t->io.on_start = task_started;
        if (shim_stdio_run(&t->io, afd, &adec, efd, &edec, shim_task_on_exit, t) < 0) {
                log_error("task %s: following the app's I/O and exit failed", t->id);
                if (t->start_call)
                        task_started(&t->io, NULL);
        }
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
                        shim_task_on_exit(&t->io, &ex);
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
        /* A container of a sandbox is an app of the sandbox's pod; any other task owns its pod. */
        if ((t->pod.member ? shim_pod_remove_app(&t->pod, &err) : shim_pod_destroy(&t->pod, &err)) < 0)
                log_error("task %s: delete: %s", t->id, err.msg);
        else
                shim_pod_forget(t->bundle);     /* `shim delete` follows every delete: nothing for it to do */
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
        for (struct task **pp = &s->tasks; *pp; pp = &(*pp)->next)
                if (*pp == t) {
                        *pp = t->next;
                        break;
                }
        shim_task_release(t);
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
        {
                struct task *t = shim_task_find(s, q->id);
                r.task_pid = t ? t->pid : 0;
        }
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
        /* With tasks still there (a sandbox's other containers), the shim goes on, as runc's shim does;
         * now=true ends a shim whose only task is the one named. */
        bool go = q && (!s->tasks || (q->now && !s->tasks->next && !strcmp(s->tasks->id, q->id ?: "")));

        if (!q)
                return;
        containerd__task__v2__shutdown_request__free_unpacked(q, NULL);
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

/*
 * The cgroup Stats and Update act on (shim/stats.h): a sandbox's is its
 * pod's (PID 1, pause and every container: what Kubernetes counts as the
 * pod), any other task's its app's.
 */
static int task_cgroup(struct task *t, struct shim_cgroup *ret, struct pod_err *err)
{
        if (!t->pod.path)
                return pod_err_set(err, -ENOENT, "task %s has no pod", t->id);
        return shim_cgroup_find(CG_DEFAULT_MOUNT, t->pod.path, t->kind == STAGE0_OCI_SANDBOX ? NULL : t->pod.app, ret,
                                err);
}

static int grpc_code(int r)
{
        return r == -ENOENT ? TTRPC_NOT_FOUND : r == -EINVAL ? TTRPC_INVALID_ARGUMENT : TTRPC_FAILED_PRECONDITION;
}

static void m_update(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__UpdateTaskRequest *q =
                UNPACK(call, Containerd__Task__V2__UpdateTaskRequest, containerd__task__v2__update_task_request, p, n);
        Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
        struct shim_cgroup cg = { 0 };
        struct shim_update u = { 0 };
        struct pod_err err = { 0 };
        json_t *created = NULL;
        struct task *t;
        int r;

        if (!q || !(t = find(s, call, q->id, NULL)))
                goto out;
        /* Annotations alone change nothing podinit keeps. */
        if (!q->resources) {
                ttrpc_call_reply(call, &empty.base);
                goto out;
        }
        if (t->kind == STAGE0_OCI_SANDBOX) {
                /* Its cgroup is the pod's, PID 1's too: a limit there could take the pod's supervisor down. */
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "podinit: a sandbox's resources cannot be updated "
                                 "(its cgroup is the whole pod's); update its containers");
                goto out;
        }
        if (t->status != TASK_RUNNING) {
                /* containerd's CRI takes NOT_FOUND as "exited already"; a created task's limits are its spec's. */
                ttrpc_call_error(call, t->status == TASK_STOPPED ? TTRPC_NOT_FOUND : TTRPC_FAILED_PRECONDITION,
                                 "task %s is %s: only a running task's resources can be updated", t->id,
                                 t->status == TASK_STOPPED ? "stopped" : "not started");
                goto out;
        }
        created = shim_update_created(t->bundle);
        if ((r = shim_update_parse(q->resources->type_url, q->resources->value.data, q->resources->value.len, created,
                                   &u, &err)) < 0 ||
            (r = task_cgroup(t, &cg, &err)) < 0 || (r = shim_update_apply(&cg, &u, &err)) < 0) {
                log_warn("task %s: update: %s", t->id, err.msg);
                ttrpc_call_error(call, grpc_code(r), "podinit: %s", err.msg);
                goto out;
        }
        log_debug("task %s: resources updated in %s", t->id, cg.rel);
        ttrpc_call_reply(call, &empty.base);
out:
        json_decref(created);
        shim_cgroup_done(&cg);
        if (q)
                containerd__task__v2__update_task_request__free_unpacked(q, NULL);
}

static void m_stats(struct ttrpc_call *call, const uint8_t *p, size_t n, void *userdata)
{
        struct shim *s = userdata;
        Containerd__Task__V2__StatsRequest *q =
                UNPACK(call, Containerd__Task__V2__StatsRequest, containerd__task__v2__stats_request, p, n);
        Containerd__Task__V2__StatsResponse resp = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
        Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
        struct shim_cgroup cg = { 0 };
        struct pod_err err = { 0 };
        _cleanup_free_ uint8_t *data = NULL;
        const char *url = NULL;
        struct task *t;
        size_t len = 0;
        int r;

        if (!q || !(t = find(s, call, q->id, NULL)))
                goto out;
        /* NOT_FOUND (no cgroup: not started, or gone) makes containerd leave the task out of a metrics list. */
        if ((r = task_cgroup(t, &cg, &err)) < 0 || (r = shim_stats_read(&cg, &url, &data, &len, &err)) < 0) {
                ttrpc_call_error(call, grpc_code(r), "podinit: task %s: %s", t->id, err.msg);
                goto out;
        }
        any.type_url = (char *)url;
        any.value.data = data;
        any.value.len = len;
        resp.stats = &any;
        ttrpc_call_reply(call, &resp.base);
out:
        shim_cgroup_done(&cg);
        if (q)
                containerd__task__v2__stats_request__free_unpacked(q, NULL);
}

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
        for (struct task *t = s->tasks; t; t = t->next)
                if (t->pod.launcher > 0 && waitpid(t->pod.launcher, NULL, WNOHANG) == t->pod.launcher)
                        t->pod.launcher = 0;
}
