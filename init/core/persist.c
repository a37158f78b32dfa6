/*
 * Status documents and their files (init/core/persist.h).
 *
 * Ordering (DESIGN rule 4, "Typed, ordered events"): an app that reaches a
 * final state has rkt/status/<app> and apps/<app>.json written and synced
 * by the PERSIST observer, which runs before any PUBLISH observer: a client
 * told that an app exited finds its status on disk.
 */
#include "init/core/persist.h"
#include "init/core/pod.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <jansson.h>
#include <sys/wait.h>

void app_write_rkt_status(const struct app *a)
{
        char path[512];
        int r;

        snprintf(path, sizeof(path), "%s/%s", S1_RKT_STATUS, a->spec->name);
        if ((r = rkt_status_write(AT_FDCWD, path, a->rkt_code)) < 0)
                log_warn("app %s: writing %s: %s", a->spec->name, path, strerror(-r));
}

void app_write_status(const struct app *a)
{
        char path[512];

        snprintf(path, sizeof(path), "%s/apps/%s.json", S1_PODINIT_DIR, a->spec->name);
        pod_write_json(path, app_status_json(a), app_state_final(a->state) ? WRITE_SYNC : 0);
}

json_t *app_exit_json(const struct app *a)
{
        json_t *j = json_pack("{s:i,s:i}", "shellCode", shell_code_from_wait(a->wstatus), "code", a->final_code);

        if (WIFEXITED(a->wstatus))
                json_object_set_new(j, "exitCode", json_integer(WEXITSTATUS(a->wstatus)));
        if (WIFSIGNALED(a->wstatus))
                json_object_set_new(j, "signal", json_integer(WTERMSIG(a->wstatus)));
        if (a->error[0])
                json_object_set_new(j, "error", json_string(a->error));
        /* An OOM kill is otherwise just "signal 9": say so, with the limit
         * that was reached (docs/lifecycle.md, events "exit" and "backoff"). */
        if (a->oom_killed) {
                json_object_set_new(j, "oomKilled", json_true());
                if (a->spec->app.iso.has_memory)
                        json_object_set_new(j, "memoryLimit", json_integer((json_int_t)a->spec->app.iso.memory_limit));
        }
        return j;
}

bool app_failed(const struct app *a)
{
        return a->final_code != 0;
}

json_t *app_status_json(const struct app *a)
{
        char ts[48];
        json_t *j = json_object();

        json_object_set_new(j, "name", json_string(a->spec->name));
        json_object_set_new(j, "state", json_string(app_state_name(a->state)));
        if (a->spec->image_name)
                json_object_set_new(j, "image", json_string(a->spec->image_name));
        if (a->pid > 0)
                json_object_set_new(j, "pid", json_integer(a->pid));
        if (a->started_ns) {
                format_rfc3339(a->started_ns, ts, sizeof(ts));
                json_object_set_new(j, "startedAt", json_string(ts));
        }
        if (a->exec_ns) {
                format_rfc3339(a->exec_ns, ts, sizeof(ts));
                json_object_set_new(j, "execAt", json_string(ts));
        }
        if ((app_state_final(a->state) || a->state == APP_BACKOFF) && a->exited_ns) {
                format_rfc3339(a->exited_ns, ts, sizeof(ts));
                json_object_set_new(j, "exitedAt", json_string(ts));
                if (WIFEXITED(a->wstatus))
                        json_object_set_new(j, "exitCode", json_integer(WEXITSTATUS(a->wstatus)));
                if (WIFSIGNALED(a->wstatus)) {
                        json_object_set_new(j, "signal", json_integer(WTERMSIG(a->wstatus)));
                        json_object_set_new(j, "signalName", json_string(sigabbrev_np(WTERMSIG(a->wstatus))
                                                                         ? sigabbrev_np(WTERMSIG(a->wstatus)) : "?"));
                }
                json_object_set_new(j, "shellCode", json_integer(shell_code_from_wait(a->wstatus)));
                json_object_set_new(j, "code", json_integer(a->final_code));
                if (a->state != APP_BACKOFF)
                        json_object_set_new(j, "rktStatus", json_integer(a->rkt_code));
                json_object_set_new(j, "stoppedByPod", json_boolean(a->exited_by_pod));
        }
        if (a->error[0])
                json_object_set_new(j, "error", json_string(a->error));
        json_object_set_new(j, "restarts", json_integer(a->restarts));
        json_object_set_new(j, "restartPolicy", json_string(restart_policy_name(a->pol->restart)));
        if (a->state == APP_BACKOFF)
                json_object_set_new(j, "backoffMs", json_integer((json_int_t)a->last_backoff_ms));
        json_object_set_new(j, "ready", json_boolean(a->state == APP_READY));
        json_object_set_new(j, "readiness", json_string(ready_mode_name(a->pol->ready)));
        if (a->status_text[0])
                json_object_set_new(j, "statusText", json_string(a->status_text));
        if (a->stopping_self)
                json_object_set_new(j, "stoppingSelf", json_true());
        if (a->pol->ready == READY_PROBE)
                json_object_set_new(j, "probesFailed", json_integer(a->probes_failed));
        if (a->pol->watchdog_ms)
                json_object_set_new(j, "watchdogTimeouts", json_integer((json_int_t)a->watchdog_timeouts));
        if (a->pol->essential != ESSENTIAL_DEFAULT)
                json_object_set_new(j, "essential", json_boolean(a->pol->essential == ESSENTIAL_YES));
        {
                json_t *io = json_object(), *streams = json_object();
                for (int i = 0; i < IO_STREAMS; i++)
                        json_object_set_new(io, io_stream_name(i), json_string(io_mode_name(a->spec->io[i])));
                json_object_set_new(j, "io", io);
                for (int k = 0; k < 2; k++) {
                        if (!a->io.out_used[k])
                                continue;
                        json_object_set_new(streams, a->io.tty && k == 0 ? "tty" : io_stream_name(k + 1),
                                            json_pack("{s:I,s:I}", "bytes", (json_int_t)a->io.out[k].bytes,
                                                      "droppedForClients", (json_int_t)a->io.dropped[k]));
                }
                if (a->io.in_used || a->io.in.bytes)
                        json_object_set_new(streams, "stdin", json_pack("{s:I}", "bytes", (json_int_t)a->io.in.bytes));
                json_object_set_new(j, "streams", streams);
                json_object_set_new(j, "clients", json_pack("{s:i,s:I,s:I}", "attached", a->io.clients,
                                                            "total", (json_int_t)a->io.clients_total,
                                                            "disconnectedSlow", (json_int_t)a->io.clients_disconnected));
                if (a->io.tty)
                        json_object_set_new(j, "ttySize", json_pack("{s:i,s:i}", "rows", a->io.rows, "cols", a->io.cols));
        }
        if (a->cg_ready) {
                _cleanup_free_ char *cg = xasprintf("/%s/system.slice/%s.service", a->pod->opt.cg.path, a->spec->name);
                json_object_set_new(j, "cgroup", json_string(cg));
                json_object_set_new(j, "oomKills", json_integer((json_int_t)a->oom_kills));
                if (app_state_final(a->state) || a->state == APP_BACKOFF)
                        json_object_set_new(j, "oomKilled", json_boolean(a->oom_killed));
                if (a->spec->app.iso.has_memory)
                        json_object_set_new(j, "memoryLimit", json_integer((json_int_t)a->spec->app.iso.memory_limit));
        }
        if (a->log_ready && a->log.file) {
                struct log_file_stats st;
                _cleanup_free_ char *path = pod_app_log_path(a->pod->opt.pod_dir, a->spec);
                json_t *l;

                log_file_stats(a->log.file, &st);
                l = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "path", path,
                              "policy", log_policy_name(a->spec->log.policy),
                              "bytes", (json_int_t)st.bytes, "records", (json_int_t)st.records,
                              "lines", (json_int_t)a->log.lines,
                              "droppedBytes", (json_int_t)st.dropped_bytes,
                              "droppedRecords", (json_int_t)st.dropped_records,
                              "suppressedLines", (json_int_t)a->log.suppressed_total,
                              "rotations", (json_int_t)st.rotations, "reopens", (json_int_t)st.reopens,
                              "writeErrors", (json_int_t)st.write_errors, "buffered", (json_int_t)st.buffered,
                              "size", (json_int_t)st.size, "failing", st.failing);
                if (st.last_errno)
                        json_object_set_new(l, "lastError", json_string(strerror(st.last_errno)));
                json_object_set_new(j, "log", l);
        }
        return j;
}

static const char *pod_state_name(enum pod_state s)
{
        switch (s) {
        case POD_STARTING: return "starting";
        case POD_RUNNING: return "running";
        case POD_STOPPING: return "stopping";
        case POD_EXITED: return "exited";
        }
        return "unknown";
}

json_t *pod_status_json(const struct pod *pod)
{
        char ts[48];
        json_t *j = json_object(), *apps = json_array();

        json_object_set_new(j, "version", json_integer(PROTO_VERSION));
        json_object_set_new(j, "uuid", json_string(pod->opt.uuid));
        json_object_set_new(j, "state", json_string(pod_state_name(pod->state)));
        json_object_set_new(j, "mutable", json_boolean(pod->opt.mutable_pod));
        format_rfc3339(pod->created_ns, ts, sizeof(ts));
        json_object_set_new(j, "startedAt", json_string(ts));
        if (pod->ready_ns) {
                format_rfc3339(pod->ready_ns, ts, sizeof(ts));
                json_object_set_new(j, "readyAt", json_string(ts));
        }
        if (pod->state == POD_EXITED) {
                format_rfc3339(pod->exited_ns, ts, sizeof(ts));
                json_object_set_new(j, "exitedAt", json_string(ts));
                json_object_set_new(j, "exitCode", json_integer(pod->exit_code));
        }
        if (pod->exit_reason[0])
                json_object_set_new(j, "exitReason", json_string(pod->exit_reason));
        json_object_set_new(j, "orphansReaped", json_integer((json_int_t)pod->orphans_reaped));
        json_object_set_new(j, "stopTimeoutMs", json_integer((json_int_t)pod->opt.stop_timeout_ms));
        json_object_set_new(j, "clients", json_integer(pod->clients));
        for (size_t i = 0; i < pod->n_apps; i++)
                json_array_append_new(apps, app_status_json(pod->apps[i]));
        json_object_set_new(j, "apps", apps);
        return j;
}

void pod_write_json(const char *path, json_t *j, int flags)
{
        char *s = json_dumps(j, JSON_COMPACT);
        int r = s ? write_file_atomic(AT_FDCWD, path, s, strlen(s), 0644, flags) : -ENOMEM;

        if (r < 0)
                log_warn("writing %s: %s", path, strerror(-r));
        free(s);
        json_decref(j);
}

void pod_write_status(struct pod *pod)
{
        pod_write_json(S1_PODINIT_DIR "/" POD_STATUS_JSON, pod_status_json(pod),
                       pod->state == POD_EXITED ? WRITE_SYNC : 0);
}

static void persist_notify(struct pod_observer *o, const struct pod_event *ev)
{
        struct app *a = ev->app;

        if (ev->kind != POD_EV_RECORD || !a || !ev->changed || !app_state_final(a->state))
                return;
        if (a->rkt_code >= 0)
                app_write_rkt_status(a);
        app_write_status(a);
}

void persist_observe(struct pod *pod)
{
        pod->persist_obs.phase = POD_PHASE_PERSIST;
        pod->persist_obs.notify = persist_notify;
        pod_observe(pod, &pod->persist_obs);
}
