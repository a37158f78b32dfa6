/*
 * The control requests other than attach (docs/protocol.md): hello,
 * status, list, stop, reopen-log, the event stream, exec sessions and the
 * apps of a mutable pod.  Each decodes its request, calls the core, and
 * returns the response (or NULL when the connection now carries a stream).
 */
#include "init/control/internal.h"
#include "init/control/exec.h"
#include "init/core/pod.h"
#include "init/core/app.h"
#include "init/core/appproc.h"
#include "init/core/events.h"
#include "init/core/mutable.h"
#include "init/core/persist.h"
#include "init/core/supervise.h"
#include "common/log.h"
#include "common/owner.h"

#include <jansson.h>

json_t *op_hello(struct control *ctl, json_t *id, json_t *req)
{
        json_t *j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:i,s:[i],s:s,s:s,s:i,s:i}",
                                                   "version", PROTO_VERSION, "versions", PROTO_VERSION,
                                                   "server", "podinit " POD_VERSION,
                                                   "pod", ctl->pod->opt.uuid,
                                                   "maxFrame", (json_int_t)ctl->pod->opt.max_frame,
                                                   "maxClients", (json_int_t)ctl->pod->opt.max_clients));
        json_object_set_new(json_object_get(j, "result"), "attachQueueTotal", json_integer((json_int_t)ctl->attach_budget));
        return j;
}

json_t *op_status(struct control *ctl, json_t *id, json_t *req)
{
        json_t *j = response(id, true), *st = pod_status_json(ctl->pod);

        /* The control service's own setting: the core's status document does not know it. */
        if (ctl->owner != POD_NO_OWNER)
                json_object_set_new(st, "ownerUid", json_integer((json_int_t)ctl->owner));
        json_object_set_new(j, "result", st);
        return j;
}

json_t *op_list(struct control *ctl, json_t *id, json_t *req)
{
        json_t *j = response(id, true), *apps = json_array();
        for (size_t i = 0; i < ctl->pod->n_apps; i++) {
                const struct app *a = ctl->pod->apps[i];
                json_array_append_new(apps, json_pack("{s:s,s:s}", "name", a->spec->name, "state",
                                                      app_state_name(a->state)));
        }
        json_object_set_new(j, "result", json_pack("{s:o}", "apps", apps));
        return j;
}

json_t *op_stop(struct control *ctl, json_t *id, json_t *req)
{
        json_t *force = json_object_get(req, "force");
        json_t *j;

        if (force && !json_is_boolean(force))
                return error_response(id, "bad-request", "stop: \"force\" must be true or false");
        ctl->pending_stop = json_is_true(force) ? 2 : 1;
        j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:b}", "stopping", 1));
        return j;
}

/*
 * reopen-log {app?}: reopen the log file(s) by path, after an outside rename
 * (kubelet's ReopenContainerLog).  Every app with a log file, or one.
 */
json_t *op_reopen_log(struct control *ctl, json_t *id, json_t *req)
{
        json_t *app = json_object_get(req, "app"), *done = json_array(), *j;
        struct pod_err err = { 0 };

        if (app && !json_is_string(app)) {
                json_decref(done);
                return error_response(id, "bad-request", "reopen-log: \"app\" must be a string");
        }
        if (app) {
                struct app *a = pod_find_app(ctl->pod, json_string_value(app));
                if (!a) {
                        json_decref(done);
                        return error_response(id, "no-such-app", "no app \"%s\" in this pod", json_string_value(app));
                }
                if (!a->log_ready || !a->log.file) {
                        json_decref(done);
                        return error_response(id, "no-log", "app \"%s\" has no log file (no stream is in log mode)",
                                              a->spec->name);
                }
        }
        for (size_t i = 0; i < ctl->pod->n_apps; i++) {
                struct app *a = ctl->pod->apps[i];
                if (!a->log_ready || !a->log.file || (app && strcmp(a->spec->name, json_string_value(app))))
                        continue;
                if (log_file_reopen(a->log.file, &err) < 0) {
                        json_decref(done);
                        return error_response(id, "reopen-failed", "app \"%s\": %s", a->spec->name, err.msg);
                }
                json_array_append_new(done, json_string(a->spec->name));
        }
        j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:o}", "reopened", done));
        return j;
}

/* ---- events ----------------------------------------------------------- */

void send_event(struct client *c, json_t *ev)
{
        char *s;

        if (c->closing || c->shutting_down)
                return;
        if (client_queued(c) > CLIENT_MAX_QUEUED) {
                log_warn("events client does not read its events; disconnecting it");
                client_close(c);
                return;
        }
        s = json_dumps(ev, JSON_COMPACT);
        if (s) {
                send_frame(c, FRAME_EVENT, s, strlen(s));
                free(s);
        }
}

void events_publish(struct control *ctl, json_t *ev)
{
        const char *app = json_string_value(json_object_get(ev, "app"));
        const char *name = json_string_value(json_object_get(ev, "event"));
        bool marker = app && name && (!strcmp(name, "backoff") || !strcmp(name, "restart"));
        struct client *c, *next;

        for (c = ctl->clients; c; c = next) {
                next = c->next;
                if (c->events || (marker && c->attached && !strcmp(c->at.app->spec->name, app)))
                        send_event(c, ev);
        }
}

/*
 * events {since?}: the events kept newer than seq `since` (all kept if 0),
 * then every new one as it happens, as EVENT frames, until the pod exits
 * (its "exited" event is the last frame) or the client hangs up.
 */
json_t *op_events(struct control *ctl, json_t *id, json_t *req, struct client *c)
{
        json_t *v = json_object_get(req, "since"), *list, *ev, *j;
        uint64_t since = 0, missed;
        size_t i;

        if (c->attached || c->events)
                return error_response(id, "bad-request", "this connection is already streaming");
        if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
                return error_response(id, "bad-request", "events: \"since\" must be an event sequence number (0 for all kept)");
        if (v)
                since = (uint64_t)json_integer_value(v);
        list = event_log_since(&ctl->pod->events, since, &missed);
        j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:I,s:I,s:I}", "seq", (json_int_t)ctl->pod->events.seq,
                                                   "replayed", (json_int_t)json_array_size(list),
                                                   "missed", (json_int_t)missed));
        send_json_frame(c, FRAME_RESPONSE, j);
        json_array_foreach(list, i, ev)
                send_event(c, ev);
        json_decref(list);
        c->events = true;
        return NULL;
}

/* ---- exec (docs/protocol.md "exec") ------------------------------------ */

static bool exec_output(void *ctx, int stream, const char *buf, size_t len)
{
        struct client *c = ctx;

        if (c->closing || c->shutting_down)
                return true;
        send_frame(c, stream == 2 ? FRAME_STDERR : FRAME_STDOUT, buf, len);
        if (client_queued(c) > EXEC_CLIENT_QUEUE) {
                c->exec_output_paused = true;
                return false;
        }
        return true;
}

static void exec_exited(void *ctx, int wstatus, const char *error)
{
        struct client *c = ctx;
        json_t *j = json_pack("{s:i}", "shellCode", shell_code_from_wait(wstatus));

        if (WIFEXITED(wstatus))
                json_object_set_new(j, "exitCode", json_integer(WEXITSTATUS(wstatus)));
        if (WIFSIGNALED(wstatus))
                json_object_set_new(j, "signal", json_integer(WTERMSIG(wstatus)));
        if (error)
                json_object_set_new(j, "error", json_string(error));
        c->exec = NULL;
        if (c->closing || c->shutting_down) {
                json_decref(j);
                return;
        }
        send_json_frame(c, FRAME_EXIT, j);
        uv_read_stop((uv_stream_t *)&c->pipe);
        c->shutting_down = true;
        if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->pipe, client_on_shutdown) < 0)
                client_close(c);
}

static void exec_stdin_drained(void *ctx)
{
        struct client *c = ctx;

        if (c->exec_input_paused && !c->closing) {
                c->exec_input_paused = false;
                client_resume_input(c);
        }
}

static const struct exec_ops exec_client_ops = { exec_output, exec_exited, exec_stdin_drained };

json_t *op_exec(struct control *ctl, json_t *id, json_t *req, struct client *c)
{
        struct pod *pod = ctl->pod;
        const char *name = json_string_value(json_object_get(req, "app"));
        json_t *argv = json_object_get(req, "argv"), *env = json_object_get(req, "env"), *v, *j;
        struct exec_request er = { 0 };
        struct pod_err err = { 0 };
        _cleanup_strv_ char **av = NULL, **ev = NULL;
        struct app *a = NULL;
        size_t i;

        if (c->attached || c->events || c->exec)
                return error_response(id, "bad-request", "this connection is already streaming");
        if (name) {
                if (!(a = pod_find_app(pod, name)))
                        return error_response(id, "no-such-app", "no app \"%s\" in this pod", name);
        } else if (pod->n_apps == 1) {
                a = pod->apps[0];
        } else {
                return error_response(id, "bad-request", "this pod has %zu apps: say which one (\"app\")", pod->n_apps);
        }
        if (!json_is_array(argv) || json_array_size(argv) == 0 || json_array_size(argv) > POD_MAX_ARGS)
                return error_response(id, "bad-request", "exec: \"argv\" must be a list of 1 to %d strings (the command and its arguments)",
                                      POD_MAX_ARGS);
        json_array_foreach(argv, i, v) {
                if (!json_is_string(v) || (i == 0 && !*json_string_value(v)))
                        return error_response(id, "bad-request", "exec: argv[%zu] must be a%s string", i, i ? "" : " non-empty");
                strv_push(&av, json_string_value(v));
        }
        if (env && (!json_is_array(env) || json_array_size(env) > POD_MAX_ENV))
                return error_response(id, "bad-request", "exec: \"env\" must be a list of NAME=VALUE strings");
        json_array_foreach(env, i, v) {
                const char *kv = json_string_value(v), *eq = kv ? strchr(kv, '=') : NULL;
                _cleanup_free_ char *n = eq ? strndup(kv, (size_t)(eq - kv)) : NULL;
                if (!n || !env_name_valid(n))
                        return error_response(id, "bad-request", "exec: env[%zu] must be NAME=VALUE with a valid NAME", i);
                strv_push(&ev, kv);
        }
        for (const char *k = "tty"; k; k = !strcmp(k, "tty") ? "stdin" : NULL)
                if ((v = json_object_get(req, k)) && !json_is_boolean(v))
                        return error_response(id, "bad-request", "exec: \"%s\" must be true or false", k);
        er.argv = av;
        er.env = ev;
        er.tty = json_is_true(json_object_get(req, "tty"));
        er.stdin_open = json_is_true(json_object_get(req, "stdin"));
        if ((v = json_object_get(req, "rows")) || json_object_get(req, "cols")) {
                json_t *cv = json_object_get(req, "cols");
                if (!json_is_integer(v) || !json_is_integer(cv) || json_integer_value(v) < 1 ||
                    json_integer_value(v) > 65535 || json_integer_value(cv) < 1 || json_integer_value(cv) > 65535)
                        return error_response(id, "bad-request", "exec: \"rows\" and \"cols\" must both be 1 to 65535");
                er.rows = (unsigned short)json_integer_value(v);
                er.cols = (unsigned short)json_integer_value(cv);
        }
        if (exec_start(pod, a, &er, &exec_client_ops, c, &c->exec, &err) < 0)
                return error_response(id, err.code == -ESRCH ? "not-running" : "exec-failed", "%s", err.msg);
        j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:s,s:i,s:b,s:b}", "app", a->spec->name, "pid", exec_pid(c->exec),
                                                   "tty", er.tty, "stdin", er.stdin_open));
        send_json_frame(c, FRAME_RESPONSE, j);
        return NULL;
}

/* A frame on an exec stream. */
void exec_frame(struct client *c, uint8_t type, const uint8_t *p, size_t len)
{
        switch (type) {
        case FRAME_STDIN:
                if (exec_write_stdin(c->exec, (const char *)p, len) == 1 && !c->exec_input_paused) {
                        c->exec_input_paused = true;
                        uv_read_stop((uv_stream_t *)&c->pipe);
                }
                return;
        case FRAME_CLOSE_STDIN:
                exec_close_stdin(c->exec);
                return;
        case FRAME_RESIZE:
                if (len == 4)
                        exec_resize(c->exec, (unsigned short)(p[0] << 8 | p[1]), (unsigned short)(p[2] << 8 | p[3]));
                return;
        case FRAME_SIGNAL:
                if (len == 1 && p[0] > 0 && p[0] < 65)
                        exec_signal(c->exec, p[0]);
                return;
        default:
                send_json_frame(c, FRAME_RESPONSE,
                                error_response(NULL, "bad-frame", "frame type 0x%02x is not valid from a client", type));
        }
}

/* ---- mutable pods (docs/protocol.md "Apps of a mutable pod") ---------- */

static struct app *req_app(struct control *ctl, json_t *req, json_t *id, const char *op, json_t **ret_err)
{
        const char *name = json_string_value(json_object_get(req, "app"));
        struct app *a;

        if (!name) {
                *ret_err = error_response(id, "bad-request", "%s: \"app\" (the app's name) is required", op);
                return NULL;
        }
        a = pod_find_app(ctl->pod, name);
        if (!a)
                *ret_err = error_response(id, "no-such-app", "no app \"%s\" in this pod", name);
        return a;
}

static json_t *app_result(json_t *id, const struct app *a)
{
        json_t *j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:s,s:s}", "app", a->spec->name, "state", app_state_name(a->state)));
        return j;
}

json_t *op_app_add(struct control *ctl, json_t *id, json_t *req)
{
        struct pod_err err = { 0 };
        json_t *obj = json_object_get(req, "app");
        struct app *a;

        if (!json_is_object(obj))
                return error_response(id, "bad-request", "app-add: \"app\" must be a pod manifest apps[] entry (an object)");
        if (pod_app_add(ctl->pod, obj, &a, &err) < 0)
                return error_response(id, err.code == -EPERM && !ctl->pod->opt.mutable_pod ? "not-mutable" : "app-add-failed",
                                      "%s", err.msg);
        return app_result(id, a);
}

json_t *op_app_start(struct control *ctl, json_t *id, json_t *req)
{
        struct pod_err err = { 0 };
        json_t *e = NULL;
        struct app *a = req_app(ctl, req, id, "app-start", &e);

        if (!a)
                return e;
        if (pod_app_start_req(ctl->pod, a, &err) < 0)
                return error_response(id, "bad-state", "%s", err.msg);
        return app_result(id, a);
}

json_t *op_app_stop(struct control *ctl, json_t *id, json_t *req)
{
        json_t *e = NULL, *force = json_object_get(req, "force");
        struct app *a = req_app(ctl, req, id, "app-stop", &e);

        if (!a)
                return e;
        if (force && !json_is_boolean(force))
                return error_response(id, "bad-request", "app-stop: \"force\" must be true or false");
        if (ctl->pod->state == POD_EXITED)
                return error_response(id, "bad-state", "the pod has exited");
        app_stop(a, json_is_true(force));
        return app_result(id, a);
}

json_t *op_app_rm(struct control *ctl, json_t *id, json_t *req)
{
        struct pod_err err = { 0 };
        json_t *e = NULL;
        struct app *a = req_app(ctl, req, id, "app-rm", &e);
        json_t *j;

        if (!a)
                return e;
        if (!ctl->pod->opt.mutable_pod)
                return error_response(id, "not-mutable", "this pod is not mutable; its apps cannot be removed");
        j = response(id, true);
        json_object_set_new(j, "result", json_pack("{s:s}", "app", a->spec->name));
        if (pod_app_remove(ctl->pod, a, &err) < 0) {
                json_decref(j);
                return error_response(id, "bad-state", "%s", err.msg);
        }
        return j;
}
