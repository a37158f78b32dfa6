/*
 * The pod's policy over its apps (init/core/supervise.h).
 *
 * Pod policy for an immutable pod: the pod runs until every app has exited.
 * The first app that fails (non-zero exit, killed by a signal, or unable to
 * start) sets the pod's exit code and stops the others: each app's stop
 * signal (SIGTERM unless podinit.io/stop-signal) to its process group,
 * SIGKILL after the stop timeout, and the pod finishes as soon as the last
 * app is reaped, not when the timeout expires.  A mutable pod stays up until
 * it is stopped.
 *
 * It hears of apps running, ready and exited as a DECIDE observer, after
 * the status files are written and clients are told: finishing the pod
 * closes every client, so the last app's exit must reach them first.
 *
 * Memory: an app's uv handles are embedded in it, so the pod holds apps by
 * pointer (adding one never moves another).  A removed app's handles are
 * closed at once and its memory freed on the next loop iteration, after
 * libuv has run their close callbacks (which it does in the iteration they
 * were closed in); other things with handles (exec sessions) use the same
 * graveyard through pod_defer_free.
 */
#include "init/core/supervise.h"
#include "init/core/pod.h"
#include "init/core/app.h"
#include "init/core/appproc.h"
#include "init/core/persist.h"
#include "init/core/ready.h"
#include "common/log.h"
#include "common/podstate.h"

#include <jansson.h>
#include <signal.h>
#include <sys/wait.h>

#define SUPERVISOR_STATUS "/rkt/supervisor-status"

static void app_exited(struct pod *pod, struct app *a);

static void mark_ready(struct pod *pod)
{
        pod->state = POD_RUNNING;
        pod->ready_ns = now_real_ns();
        pod_event(pod, "running", NULL);
        if (symlink("ready", SUPERVISOR_STATUS) < 0 && errno != EEXIST)
                log_warn("creating %s: %s", SUPERVISOR_STATUS, strerror(errno));
        pod_write_status(pod);
        if (pod->opt.ready_fd >= 0) {
                (void)!write(pod->opt.ready_fd, "R", 1);
                close(pod->opt.ready_fd);
                pod->opt.ready_fd = -1;
        }
}

/*
 * The pod's exit code (docs/lifecycle.md "Exit codes"): a forced stop says
 * 137; otherwise the pod's exit policy picks among the apps' codes (after
 * each app's map).  An app stopped by the pod counts as 0, as rkt has it.
 */
static int pod_exit_code(const struct pod *pod)
{
        const struct app *first = NULL;
        int code = 0;

        if (pod->exit_code_set)
                return pod->exit_code;
        /* A mutable pod's apps are its orchestrator's to watch (CRI): 0 unless a policy is asked for. */
        if (pod->opt.mutable_pod && !kv_get(pod->manifest->annotations, pod->manifest->n_annotations, ANN_EXIT_POLICY))
                return 0;
        for (size_t i = 0; i < pod->n_apps; i++) {
                const struct app *a = pod->apps[i];
                int c = a->exited_by_pod || !app_state_final(a->state) || !a->final_seq ? 0 : a->final_code;
                switch (pod->manifest->exit_policy) {
                case EXIT_FIRST_FAILURE:
                        if (c && (!first || a->final_seq < first->final_seq))
                                first = a;
                        break;
                case EXIT_HIGHEST:
                        if (c > code)
                                code = c;
                        break;
                case EXIT_APP:
                        if (!strcmp(a->spec->name, pod->manifest->exit_app))
                                code = c;
                        break;
                }
        }
        return first ? first->final_code : code;
}

static void pod_finish(struct pod *pod)
{
        if (pod->state == POD_EXITED)
                return;
        pod->state = POD_EXITED;
        pod->exited_ns = now_real_ns();
        pod->exit_code = pod_exit_code(pod);
        unlink(SUPERVISOR_STATUS);
        pod_event(pod, "exited", json_pack("{s:i}", "exitCode", pod->exit_code));
        pod_write_status(pod);
        log_debug("pod finished, exit code %d", pod->exit_code);

        pod->closing = true;
        /* The services (control server, exec sessions) and PID 1's own
         * handles (signals, console) close theirs; then the core's. */
        pod_emit(pod, POD_EV_POD_CLOSING, NULL);
        uv_close((uv_handle_t *)&pod->graveyard_timer, NULL);
        uv_close((uv_handle_t *)&pod->trim_timer, NULL);
        for (size_t i = 0; i < pod->n_apps; i++)
                app_close_handles(pod->apps[i]);
}

static bool all_apps_exited(const struct pod *pod)
{
        for (size_t i = 0; i < pod->n_apps; i++)
                if (!app_state_final(pod->apps[i]->state) && pod->apps[i]->state != APP_CREATED)
                        return false;
        return true;
}

static void check_done(struct pod *pod)
{
        if (pod->state == POD_EXITED || !all_apps_exited(pod))
                return;
        if (pod->state == POD_STOPPING || !pod->opt.mutable_pod)
                pod_finish(pod);
}

/* Does an app that starts after a still run?  Then a stops after it (reverse order). */
static bool has_running_dependents(const struct pod *pod, const struct app *a)
{
        for (size_t i = 0; i < pod->n_apps; i++) {
                const struct app *b = pod->apps[i];
                if (b != a && !app_state_final(b->state) && b->state != APP_CREATED &&
                    strv_contains(b->pol->after, a->spec->name))
                        return true;
        }
        return false;
}

/* Stop every app whose dependents are gone (all of them if force). */
/* The apps this stop ends now: not final, not already stopping (unless forced), no running dependents. */
static bool stops_now(struct pod *pod, const struct app *a, bool force)
{
        if (app_state_final(a->state) || (a->state == APP_STOPPING && !force))
                return false;
        return force || !has_running_dependents(pod, a);
}

static void pod_stop_next(struct pod *pod, bool force)
{
        for (size_t i = 0; i < pod->n_apps && pod->state == POD_STOPPING; i++) {
                struct app *a = pod->apps[i];
                if (!stops_now(pod, a, force))
                        continue;
                a->exited_by_pod = true;
                app_stop(a, force);
        }
}

/*
 * Signals first: a SIGTERM to the pod reaches the apps before anything is
 * written (the pod's event and status file, then each app's, about 1 ms
 * each): an app's handler no longer waits for PID 1's writes (bench/signal.sh).
 * The bookkeeping follows in the same callback, in the same order as
 * before (pod "stopping", then each app's "stop"), and app_stop does not
 * signal again.
 */
static void pod_signal_first(struct pod *pod, bool force)
{
        for (size_t i = 0; i < pod->n_apps; i++) {
                struct app *a = pod->apps[i];
                int sig = force ? SIGKILL : a->pol->stop_signal;
                if (!stops_now(pod, a, force) || a->reaped || a->pid <= 0 ||
                    (a->state != APP_STARTING && a->state != APP_RUNNING && a->state != APP_READY &&
                     a->state != APP_STOPPING))
                        continue;
                app_signal(a, sig);
                a->stop_signal_sent = sig;
        }
}

void pod_request_stop(struct pod *pod, bool force, const char *why)
{
        if (pod->state == POD_EXITED || (pod->state == POD_STOPPING && (!force || pod->stop_forced)))
                return;
        log_debug("stopping pod%s: %s", force ? " (forced)" : "", why);
        if (force && !pod->exit_code_set) {
                pod->exit_code_set = true;
                pod->exit_code = 128 + SIGKILL;
                snprintf(pod->exit_reason, sizeof(pod->exit_reason), "%s", why);
        } else if (!pod->exit_code_set && !pod->exit_reason[0]) {
                snprintf(pod->exit_reason, sizeof(pod->exit_reason), "%s", why);
        }
        pod->stop_forced |= force;
        pod_signal_first(pod, force);
        if (pod->state != POD_STOPPING) {
                pod->state = POD_STOPPING;
                unlink(SUPERVISOR_STATUS);
                pod_event(pod, "stopping", json_pack("{s:s,s:b}", "reason", why, "force", force));
                pod_write_status(pod);
        }
        pod_stop_next(pod, force);
        for (size_t i = 0; i < pod->n_apps; i++)
                pod->apps[i]->stop_signal_sent = 0;
        check_done(pod);
}

/*
 * The pod is ready once every app it starts has exec'd its program (rkt
 * marks it at fork; waiting for exec means `podctl run -d` returns only when
 * the apps really run, and an app that cannot start fails the pod instead),
 * and an app whose image supports sd_notify has said READY=1, as in rkt.
 */
static void maybe_ready(struct pod *pod)
{
        if (pod->state != POD_STARTING)
                return;
        for (size_t i = 0; i < pod->n_apps; i++) {
                const struct app *a = pod->apps[i];
                if (a->want_start && (a->state == APP_STARTING || a->state == APP_CREATED))
                        return;
                /* rkt's sd_notify images: started means READY=1 (or the app already ended). */
                if (a->want_start && a->pol->pod_waits && a->state == APP_RUNNING)
                        return;
        }
        mark_ready(pod);
}

struct app *pod_find_app(struct pod *pod, const char *name)
{
        for (size_t i = 0; i < pod->n_apps; i++)
                if (!strcmp(pod->apps[i]->spec->name, name))
                        return pod->apps[i];
        return NULL;
}

/* A required app failed before a could start: a fails without running. */
static void app_dependency_failed(struct pod *pod, struct app *a, const struct app *dep)
{
        snprintf(a->error, sizeof(a->error), "requires app %s, which %s", dep->spec->name,
                 dep->state == APP_FAILED ? "failed" : "exited with a failure");
        log_error("app %s: not started: %s", a->spec->name, a->error);
        a->wstatus = 1 << 8;
        a->final_code = 1;
        a->rkt_code = 1;
        a->exited_ns = now_real_ns();
        /* Its status files are written as it fails (persist.c). */
        app_fire(a, EV_DEP_FAILED, json_pack("{s:s,s:s}", "requires", dep->spec->name, "error", a->error));
        pod_emit(pod, POD_EV_APP_EXITED, a);
}

/*
 * Ordering (docs/lifecycle.md "Ordering"): an app starts once every app it
 * starts after is ready or has exited successfully.  One it only starts
 * after may also have failed; one it requires may not: then it fails too.
 */
void pod_start_ready_apps(struct pod *pod)
{
        for (size_t i = 0; i < pod->n_apps; i++) {
                struct app *a = pod->apps[i];
                const struct app *failed_dep = NULL;
                bool waiting = false;

                if (pod->state != POD_STARTING && pod->state != POD_RUNNING)
                        return;
                if (!a->want_start || a->state != APP_CREATED)
                        continue;
                for (char **d = a->pol->after; d && *d && !failed_dep; d++) {
                        const struct app *b = pod_find_app(pod, *d);
                        bool ok = b->state == APP_READY || (b->state == APP_EXITED && !app_failed(b));
                        if (ok)
                                continue;
                        if (app_state_final(b->state) && strv_contains(a->pol->requires, *d))
                                failed_dep = b;
                        else if (!app_state_final(b->state))
                                waiting = true;
                }
                if (failed_dep)
                        app_dependency_failed(pod, a, failed_dep);
                else if (!waiting)
                        app_start(a);
        }
}

static void app_exited(struct pod *pod, struct app *a)
{
        bool failed = app_failed(a), stop;

        a->final_seq = ++pod->final_seq;
        if (pod->state == POD_STOPPING) {
                pod_stop_next(pod, pod->stop_forced);
                check_done(pod);
                return;
        }
        if (pod->state == POD_EXITED)
                return;
        if (a->pol->essential == ESSENTIAL_YES)
                stop = true;
        else if (a->pol->essential == ESSENTIAL_NO)
                stop = false;
        else
                stop = failed && !a->exited_by_pod && !a->stop_requested && !pod->opt.mutable_pod;     /* rkt's policy */
        if (stop) {
                char why[256];
                if (a->error[0])
                        snprintf(why, sizeof(why), "app %s could not start: %s", a->spec->name, a->error);
                else if (a->give_up)
                        snprintf(why, sizeof(why), "app %s gave up after %u restarts (last exit code %d)", a->spec->name,
                                 a->restarts, a->final_code);
                else if (WIFSIGNALED(a->wstatus))
                        snprintf(why, sizeof(why), "app %s was killed by signal %d (%s)", a->spec->name,
                                 WTERMSIG(a->wstatus), sigabbrev_np(WTERMSIG(a->wstatus)) ?: "?");
                else
                        snprintf(why, sizeof(why), "%sapp %s exited with code %d", a->pol->essential == ESSENTIAL_YES ? "essential " : "",
                                 a->spec->name, WEXITSTATUS(a->wstatus));
                snprintf(pod->exit_reason, sizeof(pod->exit_reason), "%s", why);
                pod_request_stop(pod, false, why);
                return;
        }
        /* Apps that require a failed app stop with it (systemd's Requires=). */
        if (failed)
                for (size_t i = 0; i < pod->n_apps; i++) {
                        struct app *b = pod->apps[i];
                        if (b != a && b->state != APP_CREATED && !app_state_final(b->state) &&
                            strv_contains(b->pol->requires, a->spec->name)) {
                                log_warn("app %s: stopping it: it requires app %s, which failed", b->spec->name, a->spec->name);
                                app_stop(b, false);
                        }
                }
        pod_start_ready_apps(pod);
        check_done(pod);
}

/* A new app's fields and timers; its prepare comes next (app_prepare). */
void pod_app_init(struct pod *pod, struct app *a, const struct pod_app *spec, size_t serial)
{
        a->pod = pod;
        a->spec = spec;
        a->serial = serial;
        a->state = APP_CREATED;
        a->report_fd = -1;
        a->pol = &spec->pol;
        a->want_start = !pod->opt.mutable_pod || !pod->started;
        a->keep_child_fds = a->pol->restart != RESTART_NEVER;
        uv_timer_init(&pod->loop, &a->restart_timer);
        uv_timer_init(&pod->loop, &a->stop_timer);
        uv_timer_init(&pod->loop, &a->probe_timer);
        uv_timer_init(&pod->loop, &a->watchdog_timer);
        a->timers_init = true;
        a->notify_fd = a->ready_pipe = a->ready_pipe_child = -1;
        exec_plan_done(&a->plan);
}

/* After the loop (or once its handles are closed): everything an app owns. */
void app_free(struct app *a)
{
        pod_emit(a->pod, POD_EV_APP_FREEING, a);
        exec_plan_done(&a->plan);
        ready_free(a);
        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k])
                        io_out_done(&a->io.out[k]);
        if (a->log_ready)
                app_log_free(&a->log);
        if (a->cg_ready)
                cg_app_close(&a->cg);   /* the cgroups stay until gc (rkt's rule) */
        if (a->spec_owned) {
                pod_app_done(a->spec_owned);
                free(a->spec_owned);
        }
        free(a);
}

static void supervise_notify(struct pod_observer *o, const struct pod_event *ev)
{
        struct pod *pod = container_of(o, struct pod, supervise_obs);

        switch (ev->kind) {
        case POD_EV_APP_RUNNING:
                maybe_ready(pod);
                break;
        case POD_EV_APP_READY:
                pod_start_ready_apps(pod);
                maybe_ready(pod);
                break;
        case POD_EV_APP_EXITED:
                app_exited(pod, ev->app);
                break;
        default:
                break;
        }
}

void supervise_observe(struct pod *pod)
{
        pod->supervise_obs.phase = POD_PHASE_DECIDE;
        pod->supervise_obs.notify = supervise_notify;
        pod_observe(pod, &pod->supervise_obs);
}

void pod_start(struct pod *pod)
{
        unlink(SUPERVISOR_STATUS);      /* a previous PID 1's, if the pod dir is reused */
        pod_event(pod, "starting", NULL);
        pod_write_status(pod);
        pod_start_ready_apps(pod);
        pod->started = true;
        maybe_ready(pod);
        check_done(pod);
}

static void on_graveyard(uv_timer_t *t)
{
        struct pod *pod = container_of(t, struct pod, graveyard_timer);

        while (pod->graveyard) {
                struct app *a = pod->graveyard;
                pod->graveyard = a->next_dead;
                app_free(a);
        }
        while (pod->deferred) {
                struct pod_deferred *d = pod->deferred;
                pod->deferred = d->next;
                d->free(d);
        }
}

static void graveyard_schedule(struct pod *pod)
{
        if (!pod->closing)
                uv_timer_start(&pod->graveyard_timer, on_graveyard, 0, 0);
}

void pod_bury(struct pod *pod, struct app *a)
{
        app_close_handles(a);
        a->next_dead = pod->graveyard;
        pod->graveyard = a;
        graveyard_schedule(pod);
}

void pod_defer_free(struct pod *pod, struct pod_deferred *d)
{
        d->next = pod->deferred;
        pod->deferred = d;
        graveyard_schedule(pod);
}

void pod_free_all(struct pod *pod)
{
        for (size_t i = 0; i < pod->n_apps; i++)
                app_free(pod->apps[i]);
        pod->n_apps = 0;
        on_graveyard(&pod->graveyard_timer);
}
