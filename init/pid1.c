/*
 * PID 1 of the pod: one uv_loop, no threads.
 *
 * Start-up is two-phase (DESIGN rule 5): every app is prepared (user, group,
 * environment, mounts) before the first one is started, so a bad manifest
 * fails the whole pod with exit code 254 and nothing running.  From then on
 * errors are contained to one app or one client.
 *
 * One reaper (DESIGN rule 1): SIGCHLD -> waitpid(-1, WNOHANG) until nothing
 * is left, because signals coalesce.  A pid found in the table is an app;
 * any other pid is an orphan re-parented to us and is only counted.
 *
 * Pod policy for an immutable pod: the pod runs until every app has exited.
 * The first app that fails (non-zero exit, killed by a signal, or unable to
 * start) sets the pod's exit code and stops the others: SIGTERM to each app's
 * process group, SIGKILL after the stop timeout, and the pod finishes as soon
 * as the last app is reaped, not when the timeout expires.  A mutable pod
 * stays up until it is stopped.
 */
#include "init/pod.h"
#include "init/control.h"
#include "init/exec.h"
#include "init/iottymux.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SUPERVISOR_STATUS "/rkt/supervisor-status"

static void mark_ready(struct pod *pod);

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
        json_object_set_new(j, "clients", json_integer(control_client_count(pod)));
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

static void write_pod_json(struct pod *pod)
{
        pod_write_json(S1_PODINIT_DIR "/" POD_STATUS_JSON, pod_status_json(pod),
                       pod->state == POD_EXITED ? WRITE_SYNC : 0);
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
        write_pod_json(pod);
        log_debug("pod finished, exit code %d", pod->exit_code);

        pod->closing = true;
        control_close(pod);
        exec_close_all(pod);
        console_close(pod->console);
        uv_close((uv_handle_t *)&pod->sig_chld, NULL);
        uv_close((uv_handle_t *)&pod->sig_term, NULL);
        uv_close((uv_handle_t *)&pod->sig_int, NULL);
        uv_close((uv_handle_t *)&pod->sig_hup, NULL);
        uv_close((uv_handle_t *)&pod->graveyard_timer, NULL);
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
static void pod_stop_next(struct pod *pod, bool force)
{
        for (size_t i = 0; i < pod->n_apps && pod->state == POD_STOPPING; i++) {
                struct app *a = pod->apps[i];
                if (app_state_final(a->state) || (a->state == APP_STOPPING && !force))
                        continue;
                if (!force && has_running_dependents(pod, a))
                        continue;
                a->exited_by_pod = true;
                app_stop(a, force);
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
        if (pod->state != POD_STOPPING) {
                pod->state = POD_STOPPING;
                unlink(SUPERVISOR_STATUS);
                pod_event(pod, "stopping", json_pack("{s:s,s:b}", "reason", why, "force", force));
                write_pod_json(pod);
        }
        pod_stop_next(pod, force);
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

void pod_app_running(struct pod *pod, struct app *a)
{
        maybe_ready(pod);
}

void pod_app_ready(struct pod *pod, struct app *a)
{
        pod_start_ready_apps(pod);
        maybe_ready(pod);
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
        app_fire(a, EV_DEP_FAILED, json_pack("{s:s,s:s}", "requires", dep->spec->name, "error", a->error));
        app_write_rkt_status(a);
        pod_app_exited(pod, a);
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

void pod_app_exited(struct pod *pod, struct app *a)
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

static void on_sigchld(uv_signal_t *h, int signum)
{
        struct pod *pod = container_of(h, struct pod, sig_chld);

        for (;;) {
                int st;
                pid_t pid = waitpid(-1, &st, WNOHANG);
                struct pod_child *c;

                if (pid <= 0)
                        break;
                c = pidtab_take(&pod->pids, pid);
                if (c)
                        c->on_exit(c, st);
                else
                        pod->orphans_reaped++;
        }
}

static void on_sigterm(uv_signal_t *h, int signum)
{
        struct pod *pod = h->data;
        pod_request_stop(pod, false, signum == SIGINT ? "SIGINT received" : "SIGTERM received");
}

static void on_sighup(uv_signal_t *h, int signum)
{
        log_debug("SIGHUP ignored");
}

static int setup_dirs(struct pod_err *err)
{
        static const struct { const char *path; mode_t mode; } dirs[] = {
                { S1_RKT_STATUS, 0755 }, { S1_RKT_ENV, 0755 }, { S1_PODINIT_DIR, 0700 },
                { S1_PODINIT_DIR "/apps", 0755 },
        };
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                int r = mkdir_p_at(AT_FDCWD, dirs[i].path, dirs[i].mode);
                if (r < 0)
                        return pod_err_set(err, r, "creating %s: %s", dirs[i].path, strerror(-r));
        }
        unlink(SUPERVISOR_STATUS);
        return 0;
}

static void mark_ready(struct pod *pod)
{
        pod->state = POD_RUNNING;
        pod->ready_ns = now_real_ns();
        pod_event(pod, "running", NULL);
        if (symlink("ready", SUPERVISOR_STATUS) < 0 && errno != EEXIST)
                log_warn("creating %s: %s", SUPERVISOR_STATUS, strerror(errno));
        write_pod_json(pod);
        if (pod->opt.ready_fd >= 0) {
                (void)!write(pod->opt.ready_fd, "R", 1);
                close(pod->opt.ready_fd);
                pod->opt.ready_fd = -1;
        }
}

/*
 * PID 1 keeps only the capabilities it needs (docs/architecture.md
 * "Capabilities").  Its bounding set becomes systemd-nspawn's default set
 * plus every app's set, as rkt's stage1 has it (rkt's tests read PID 1's
 * CapBnd): an app added later to a mutable pod cannot get more.  Its own
 * permitted and effective sets keep what it uses -- mounts and seccomp
 * (SYS_ADMIN), chroot, setuid/setgid, files it creates for apps, signals,
 * device filters on cgroup v2 (BPF, NET_ADMIN), lowering OOM scores and
 * raising limits (SYS_RESOURCE) -- plus the apps' sets, which a root app's
 * child takes as its own.  Runs after every app is prepared, so the apps'
 * sets are known.
 */
#define PID1_BOUNDING_NAMES                                                                        \
        "CHOWN,DAC_OVERRIDE,DAC_READ_SEARCH,FOWNER,FSETID,IPC_OWNER,KILL,LEASE,LINUX_IMMUTABLE,"    \
        "MKNOD,NET_BIND_SERVICE,NET_BROADCAST,NET_RAW,SETGID,SETFCAP,SETPCAP,SETUID,SYS_ADMIN,"    \
        "SYS_BOOT,SYS_CHROOT,SYS_NICE,SYS_PTRACE,SYS_RESOURCE,SYS_TTY_CONFIG,AUDIT_CONTROL,AUDIT_WRITE"
#define PID1_NEEDED_NAMES                                                                          \
        "CHOWN,DAC_OVERRIDE,DAC_READ_SEARCH,FOWNER,FSETID,KILL,MKNOD,SETGID,SETUID,SETPCAP,"        \
        "SYS_ADMIN,SYS_CHROOT,SYS_PTRACE,SYS_RESOURCE,NET_ADMIN"

static int limit_own_caps(const struct pod *pod, struct pod_err *err)
{
        uint64_t bounding = 0, keep = 0, apps = 0;
        cap_t cur;
        int last = caps_last(), r = 0;

        if (pod->opt.caps_unrestricted)
                return 0;
        (void)caps_parse_list(PID1_BOUNDING_NAMES, &bounding, NULL);
        (void)caps_parse_list(PID1_NEEDED_NAMES, &keep, NULL);
        keep |= 1ull << 39;     /* CAP_BPF, by number: newer than some libcap builds */
        for (size_t i = 0; i < pod->n_apps; i++)
                apps |= pod->apps[i]->plan.caps_bounding;
        bounding |= apps;
        keep |= apps;
        /* Apps added later take their sets from PID 1's: keep all it may hand out. */
        if (pod->opt.mutable_pod)
                keep |= bounding;
        for (int c = 0; c <= last && c < 64; c++)
                if (!(bounding & (1ull << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return pod_err_set(err, -errno, "dropping capability %d from PID 1's bounding set: %s", c,
                                           strerror(errno));
        cur = cap_get_proc();
        if (!cur)
                return pod_err_set(err, -errno, "reading PID 1's capabilities: %s", strerror(errno));
        for (int c = 0; c <= last && c < 64; c++) {
                cap_value_t v = c;
                if (!(keep & (1ull << c)) &&
                    (cap_set_flag(cur, CAP_PERMITTED, 1, &v, CAP_CLEAR) < 0 ||
                     cap_set_flag(cur, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) < 0 ||
                     cap_set_flag(cur, CAP_INHERITABLE, 1, &v, CAP_CLEAR) < 0))
                        r = -errno;
        }
        if (r == 0 && cap_set_proc(cur) < 0)
                r = -errno;
        cap_free(cur);
        if (r < 0)
                return pod_err_set(err, r, "dropping PID 1's unneeded capabilities: %s", strerror(-r));
        return 0;
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
        exec_plan_done(&a->plan);
        ready_free(a);
        iottymux_free(a);
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

static int pod_init(struct pod *pod, struct pod_manifest *m, const struct pod_options *opt,
                    struct pod_err *err)
{
        sigset_t none;
        int r;

        pod->manifest = m;
        pod->opt = *opt;
        pod->events.file_max = m->events_file_max;
        pod->state = POD_STARTING;
        pod->created_ns = now_real_ns();
        pidtab_init(&pod->pids);
        if ((r = uv_loop_init(&pod->loop)) < 0)
                return pod_err_set(err, r, "initialising the event loop: %s", uv_strerror(r));
        uv_signal_init(&pod->loop, &pod->sig_chld);
        uv_signal_init(&pod->loop, &pod->sig_term);
        uv_signal_init(&pod->loop, &pod->sig_int);
        uv_signal_init(&pod->loop, &pod->sig_hup);
        pod->sig_term.data = pod->sig_int.data = pod;
        /* Signal watchers before any child exists, so no exit can be missed. */
        uv_signal_start(&pod->sig_chld, on_sigchld, SIGCHLD);
        uv_signal_start(&pod->sig_term, on_sigterm, SIGTERM);
        uv_signal_start(&pod->sig_int, on_sigterm, SIGINT);
        uv_signal_start(&pod->sig_hup, on_sighup, SIGHUP);
        /* The launcher cloned us with these blocked so that none sent since
         * is lost (launcher.c, pod_child): pending ones arrive now, to the
         * handlers, and are acted on in the loop's first iteration. */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);

        console_open(&pod->loop, opt->console_format, &pod->console);
        pod->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (pod->devnull_fd < 0)
                return pod_err_set(err, -errno, "opening /dev/null: %s", strerror(errno));
        if ((r = setup_dirs(err)) < 0)
                return r;
        pod->n_apps = m->n_apps;
        pod->cap_apps = m->n_apps + 1;
        pod->apps = xcalloc(pod->cap_apps, sizeof(struct app *));
        pod->next_serial = m->n_apps;
        uv_timer_init(&pod->loop, &pod->graveyard_timer);
        for (size_t i = 0; i < m->n_apps; i++)
                pod_app_init(pod, pod->apps[i] = xcalloc(1, sizeof(struct app)), &m->apps[i], i);
        for (size_t i = 0; i < m->n_apps; i++)
                if ((r = app_prepare(pod->apps[i], err)) < 0)
                        return r;
        if ((r = limit_own_caps(pod, err)) < 0)
                return r;
        return control_start(pod, S1_PODINIT_DIR "/" PROTO_SOCKET_NAME, err);
}

int pid1_main(struct pod_manifest *m, const struct pod_options *opt)
{
        struct pod *pod = xcalloc(1, sizeof(*pod));
        struct pod_err err = { 0 };
        int code;

        signal(SIGPIPE, SIG_IGN);
        if (pod_init(pod, m, opt, &err) < 0) {
                log_error("%s", err.msg);
                return 254;
        }
        pod_event(pod, "starting", NULL);
        write_pod_json(pod);
        pod_start_ready_apps(pod);
        pod->started = true;
        maybe_ready(pod);
        check_done(pod);

        uv_run(&pod->loop, UV_RUN_DEFAULT);

        code = pod->exit_code;
        if (uv_loop_close(&pod->loop) != 0)
                log_debug("event loop closed with handles still open");
        for (size_t i = 0; i < pod->n_apps; i++)
                app_free(pod->apps[i]);
        while (pod->graveyard) {
                struct app *a = pod->graveyard;
                pod->graveyard = a->next_dead;
                app_free(a);
        }
        exec_free_all(pod);
        cg_pod_close(&pod->opt.cg);
        event_log_done(&pod->events);
        console_free(pod->console);
        free(pod->apps);
        pidtab_done(&pod->pids);
        if (pod->devnull_fd >= 0)
                close(pod->devnull_fd);
        free(pod);
        return code;
}
