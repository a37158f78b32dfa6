/*
 * Exec processes of a task (`ctr task exec`): podinit's exec op in the
 * task's app (its mount namespace, root, user, capabilities, cgroup), its
 * session bridged to the exec's fifos like the app's own streams
 * (shim/stdio.h), its EXIT frame the exit.
 *
 * containerd's two steps map onto one: Exec records the process (its OCI
 * process spec: args, env, terminal), Start runs it.  podinit's exec op runs
 * a command in the app's working directory as the app's user and groups and
 * has no way to ask for others, so a spec whose cwd or user differs from
 * the app's is refused rather than run somewhere else or as someone else
 * (CRI's exec specs are the container's process with other args: they
 * always match).
 */
#include <signal.h>

#include "common/log.h"
#include "containerd/events/task.pb-c.h"
#include "shim/exec.h"

#define EXEC_MAX 64             /* exec processes a task holds at once (containerd deletes finished ones) */
#define EXEC_SPEC_MAX (1u << 20)

static void timestamp(Google__Protobuf__Timestamp *ts, uint64_t ns)
{
        ts->seconds = (int64_t)(ns / 1000000000u);
        ts->nanos = (int32_t)(ns % 1000000000u);
}

static void exec_free(struct shim_exec *e)
{
        free(e->id);
        free(e->stdin_path);
        free(e->stdout_path);
        free(e->stderr_path);
        json_decref(e->argv);
        json_decref(e->env);
        free(e->waiters);
        free(e);
}

static void exec_io_closed(struct shim_stdio *io)
{
        exec_free(container_of(io, struct shim_exec, io));
}

static void exec_release(struct shim_exec *e)
{
        if (e->io_open)
                shim_stdio_close(&e->io, exec_io_closed);
        else
                exec_free(e);
}

struct shim_exec *shim_exec_find(struct task *t, const char *id)
{
        for (struct shim_exec *e = t->execs; e; e = e->next)
                if (!strcmp(e->id, id))
                        return e;
        return NULL;
}

/* An id of process.user (uid, gid) against the app's ("0" when the app has none): same or not. */
static bool same_id(json_t *v, const char *app)
{
        char b[24];

        if (!v)
                return true;
        if (!json_is_integer(v))
                return false;
        snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(v));
        return !strcmp(b, app ?: "0");
}

/* process.cwd and process.user of an exec against the app's: 0, or why podinit cannot run it so. */
static int check_cwd_user(const struct task *t, json_t *doc, struct pod_err *err)
{
        json_t *cwd = json_object_get(doc, "cwd"), *user = json_object_get(doc, "user"), *v;
        const char *wd = t->workdir ?: "/";

        if (cwd && (!json_is_string(cwd) || strcmp(json_string_value(cwd), wd)))
                return pod_err_set(err, -EOPNOTSUPP, "exec: process.cwd %s: podinit runs an exec in its container's "
                                   "working directory, %s; leave cwd as the container's (or cd in the command)",
                                   json_is_string(cwd) ? json_string_value(cwd) : "(not a string)", wd);
        if (user && (!same_id(json_object_get(user, "uid"), t->user) || !same_id(json_object_get(user, "gid"), t->group)))
                return pod_err_set(err, -EOPNOTSUPP, "exec: process.user: podinit runs an exec as its container's user "
                                   "(uid %s, gid %s); another user is not supported", t->user ?: "0", t->group ?: "0");
        if (user && (v = json_object_get(user, "additionalGids")) && json_array_size(v))
                log_debug("exec: process.user.additionalGids: the container's groups are used");
        return 0;
}

/* The OCI process spec's args and env (JSON in the Any), checked. */
static int parse_spec(const struct task *t, const Google__Protobuf__Any *spec, json_t **ret_argv, json_t **ret_env,
                      bool *ret_terminal, struct pod_err *err)
{
        json_t *doc, *args, *env, *v;
        json_error_t je;
        size_t i;

        if (!spec || spec->value.len == 0)
                return pod_err_set(err, -EINVAL, "exec: no process spec");
        if (spec->value.len > EXEC_SPEC_MAX)
                return pod_err_set(err, -E2BIG, "exec: a process spec of %zu bytes (at most %u)", spec->value.len, EXEC_SPEC_MAX);
        doc = json_loadb((const char *)spec->value.data, spec->value.len, 0, &je);
        if (!json_is_object(doc)) {
                json_decref(doc);
                return pod_err_set(err, -EINVAL, "exec: the process spec is not a JSON object: %s", je.text);
        }
        args = json_object_get(doc, "args");
        env = json_object_get(doc, "env");
        if (!json_is_array(args) || json_array_size(args) == 0) {
                json_decref(doc);
                return pod_err_set(err, -EINVAL, "exec: process.args: required, a non-empty list of strings");
        }
        json_array_foreach(args, i, v)
                if (!json_is_string(v)) {
                        json_decref(doc);
                        return pod_err_set(err, -EINVAL, "exec: process.args[%zu]: expected a string", i);
                }
        if (env && !json_is_array(env)) {
                json_decref(doc);
                return pod_err_set(err, -EINVAL, "exec: process.env: expected a list of NAME=VALUE strings");
        }
        json_array_foreach(env, i, v)
                if (!json_is_string(v) || !strchr(json_string_value(v), '=')) {
                        json_decref(doc);
                        return pod_err_set(err, -EINVAL, "exec: process.env[%zu]: expected NAME=VALUE", i);
                }
        if (check_cwd_user(t, doc, err) < 0) {
                json_decref(doc);
                return -EOPNOTSUPP;
        }
        *ret_argv = json_incref(args);
        *ret_env = env ? json_incref(env) : json_array();
        *ret_terminal = json_is_true(json_object_get(doc, "terminal"));
        json_decref(doc);
        return 0;
}

void shim_exec_add(struct ttrpc_call *call, struct task *t, const Containerd__Task__V2__ExecProcessRequest *q)
{
        Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
        Containerd__Events__TaskExecAdded ev = CONTAINERD__EVENTS__TASK_EXEC_ADDED__INIT;
        struct pod_err err = { 0 };
        struct shim_exec *e;
        size_t n = 0;
        bool terminal;

        if (!q->exec_id || !*q->exec_id) {
                ttrpc_call_error(call, TTRPC_INVALID_ARGUMENT, "exec: an exec id is required");
                return;
        }
        if (shim_exec_find(t, q->exec_id)) {
                ttrpc_call_error(call, TTRPC_ALREADY_EXISTS, "exec %s already exists in task %s", q->exec_id, t->id);
                return;
        }
        for (e = t->execs; e; e = e->next)
                n++;
        if (n >= EXEC_MAX) {
                ttrpc_call_error(call, TTRPC_RESOURCE_EXHAUSTED, "task %s has %zu exec processes; delete finished ones", t->id, n);
                return;
        }
        if (t->status != TASK_RUNNING) {
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "task %s is not running", t->id);
                return;
        }
        e = xcalloc(1, sizeof(*e));
        if (parse_spec(t, q->spec, &e->argv, &e->env, &terminal, &err) < 0) {
                exec_free(e);
                ttrpc_call_error(call, TTRPC_INVALID_ARGUMENT, "podinit: %s", err.msg);
                return;
        }
        e->task = t;
        e->id = xstrdup(q->exec_id);
        e->terminal = q->terminal;
        e->stdin_path = xstrdup(q->stdin ?: "");
        e->stdout_path = xstrdup(q->stdout ?: "");
        e->stderr_path = xstrdup(q->stderr ?: "");
        e->status = TASK_CREATED;
        e->next = t->execs;
        t->execs = e;
        ev.container_id = t->id;
        ev.exec_id = e->id;
        shim_publish(&t->shim->pub, "/tasks/exec-added", "TaskExecAdded", &ev.base);
        ttrpc_call_reply(call, &empty.base);
}

static void on_exec_exit(struct shim_stdio *io, const struct shim_exit *x)
{
        struct shim_exec *e = io->userdata;
        Containerd__Events__TaskExit ev = CONTAINERD__EVENTS__TASK_EXIT__INIT;
        Containerd__Task__V2__WaitResponse w = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
        Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

        e->exit = *x;
        e->status = TASK_STOPPED;
        timestamp(&ts, x->at_ns);
        ev.container_id = e->task->id;
        ev.id = e->id;
        ev.pid = e->pid;
        ev.exit_status = x->status;
        ev.exited_at = &ts;
        shim_publish(&e->task->shim->pub, "/tasks/exit", "TaskExit", &ev.base);
        w.exit_status = x->status;
        w.exited_at = &ts;
        for (size_t i = 0; i < e->n_waiters; i++)
                ttrpc_call_reply(e->waiters[i], &w.base);
        e->n_waiters = 0;
}

void shim_exec_start(struct ttrpc_call *call, struct task *t, struct shim_exec *e)
{
        Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
        Containerd__Events__TaskExecStarted ev = CONTAINERD__EVENTS__TASK_EXEC_STARTED__INIT;
        struct frame_decoder dec = { 0 };
        struct pod_err err = { 0 };
        pid_t ns_pid = 0, host;
        int fd = -1, r;

        if (e->status != TASK_CREATED) {
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "exec %s has already started", e->id);
                return;
        }
        r = shim_stdio_open(&e->io, &t->shim->loop, e->id, e->stdin_path, e->stdout_path, e->stderr_path, e->terminal,
                            &err);
        e->io_open = true;
        if (r < 0 || shim_pod_exec(&t->pod, e->argv, e->env, e->terminal, *e->stdin_path != 0, &fd, &dec, &ns_pid, &err) < 0) {
                log_error("task %s: exec %s: %s", t->id, e->id, err.msg);
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "podinit: %s", err.msg);
                /* Failed to start: a stopped process, as containerd expects of a failed Start. */
                e->status = TASK_STOPPED;
                e->exit = (struct shim_exit){ .status = 255, .at_ns = now_real_ns() };
                return;
        }
        host = shim_pod_host_pid(&t->pod, ns_pid);
        e->pid = host > 0 ? (uint32_t)host : 0;
        e->status = TASK_RUNNING;
        ev.container_id = t->id;
        ev.exec_id = e->id;
        ev.pid = e->pid;
        shim_publish(&t->shim->pub, "/tasks/exec-started", "TaskExecStarted", &ev.base);
        resp.pid = e->pid;
        ttrpc_call_reply(call, &resp.base);
        if (shim_stdio_run(&e->io, fd, &dec, -1, NULL, on_exec_exit, e) < 0)
                log_error("task %s: exec %s: following its I/O failed", t->id, e->id);
}

void shim_exec_state(struct ttrpc_call *call, struct task *t, struct shim_exec *e)
{
        Containerd__Task__V2__StateResponse r = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
        Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

        r.id = t->id;
        r.exec_id = e->id;
        r.bundle = t->bundle;
        r.pid = e->pid;
        r.status = (Containerd__V1__Types__Status)e->status;
        r.stdin = e->stdin_path;
        r.stdout = e->stdout_path;
        r.stderr = e->stderr_path;
        r.terminal = e->terminal;
        if (e->status == TASK_STOPPED) {
                r.exit_status = e->exit.status;
                timestamp(&ts, e->exit.at_ns);
                r.exited_at = &ts;
        }
        ttrpc_call_reply(call, &r.base);
}

void shim_exec_wait(struct ttrpc_call *call, struct shim_exec *e)
{
        Containerd__Task__V2__WaitResponse w = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
        Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

        if (e->status != TASK_STOPPED) {
                e->waiters = xrealloc(e->waiters, (e->n_waiters + 1) * sizeof(*e->waiters));
                e->waiters[e->n_waiters++] = call;
                return;
        }
        w.exit_status = e->exit.status;
        timestamp(&ts, e->exit.at_ns);
        w.exited_at = &ts;
        ttrpc_call_reply(call, &w.base);
}

void shim_exec_kill(struct ttrpc_call *call, struct shim_exec *e, unsigned sig)
{
        Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;

        if (e->status == TASK_STOPPED)
                ttrpc_call_error(call, TTRPC_NOT_FOUND, "process already finished");
        else if (e->status == TASK_CREATED)
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "exec %s has not started", e->id);
        else if (shim_stdio_signal(&e->io, (int)sig) < 0)
                ttrpc_call_error(call, TTRPC_NOT_FOUND, "process already finished");
        else
                ttrpc_call_reply(call, &empty.base);
}

void shim_exec_delete(struct ttrpc_call *call, struct task *t, struct shim_exec *e)
{
        Containerd__Task__V2__DeleteResponse r = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
        Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

        if (e->status == TASK_RUNNING) {
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "exec %s is running; kill it first", e->id);
                return;
        }
        r.pid = e->pid;
        r.exit_status = e->exit.status;
        timestamp(&ts, e->exit.at_ns);
        r.exited_at = &ts;
        ttrpc_call_reply(call, &r.base);
        for (struct shim_exec **p = &t->execs; *p; p = &(*p)->next)
                if (*p == e) {
                        *p = e->next;
                        break;
                }
        exec_release(e);
}

void shim_exec_resize(struct ttrpc_call *call, struct shim_exec *e, unsigned rows, unsigned cols)
{
        Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;

        if (!e->terminal)
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "exec %s has no terminal", e->id);
        else if (e->status != TASK_RUNNING || shim_stdio_resize(&e->io, rows, cols) < 0)
                ttrpc_call_error(call, TTRPC_FAILED_PRECONDITION, "exec %s is not running", e->id);
        else
                ttrpc_call_reply(call, &empty.base);
}

void shim_exec_close_stdin(struct shim_exec *e)
{
        if (e->status == TASK_RUNNING)
                shim_stdio_close_stdin(&e->io);
}

void shim_exec_release_all(struct task *t)
{
        while (t->execs) {
                struct shim_exec *e = t->execs;
                t->execs = e->next;
                /* Their Wait callers hear that the task is gone. */
                for (size_t i = 0; i < e->n_waiters; i++)
                        ttrpc_call_error(e->waiters[i], TTRPC_NOT_FOUND, "task %s was deleted", t->id);
                e->n_waiters = 0;
                exec_release(e);
        }
}
