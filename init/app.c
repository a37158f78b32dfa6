/*
 * One app of the pod: preparing its exec plan before fork, starting it,
 * recording its exit.  The pod-level policy (what an exit means for the other
 * apps) lives in pid1.c; this file only reports to it via pod_app_exited().
 *
 * Ordering constraints:
 *  - the pid goes into the pid table in the same loop iteration as fork, so
 *    the reaper can never mistake the app for an orphan;
 *  - on exit, the report pipe is read before the status is recorded, so an
 *    exec failure is never reported as a plain exit code;
 *  - rkt/status/<app> and the JSON status are written (fsync + rename) before
 *    PID 1 tells anyone the app exited.
 */
#include "init/pod.h"
#include "init/mounts.h"
#include "common/userdb.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void env_set(char ***envp, const char *name, const char *value, bool overwrite)
{
        size_t nl = strlen(name);
        for (char **e = *envp; e && *e; e++)
                if (!strncmp(*e, name, nl) && (*e)[nl] == '=') {
                        if (overwrite) {
                                free(*e);
                                *e = xasprintf("%s=%s", name, value);
                        }
                        return;
                }
        char *kv = xasprintf("%s=%s", name, value);
        strv_push(envp, kv);
        free(kv);
}

static const char *env_get(char **envp, const char *name)
{
        size_t nl = strlen(name);
        for (char **e = envp; e && *e; e++)
                if (!strncmp(*e, name, nl) && (*e)[nl] == '=')
                        return *e + nl + 1;
        return NULL;
}

/* rkt's env file: one KEY=VALUE per line; values with a newline cannot be
 * represented and are left out of the file (the app still gets them). */
static int write_env_file(const struct app *a)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        char path[512];

        if (!f)
                return -errno;
        for (char **e = a->plan.envp; *e; e++)
                if (!strchr(*e, '\n'))
                        fprintf(f, "%s\n", *e);
        fclose(f);
        snprintf(path, sizeof(path), "%s/%s", S1_RKT_ENV, a->spec->name);
        return write_file_atomic(AT_FDCWD, path, buf, len, 0644, 0);
}

int app_prepare(struct app *a, struct pod_err *err)
{
        const struct app_spec *s = &a->spec->app;
        struct exec_plan *p = &a->plan;
        _cleanup_close_ int root_fd = -1;
        _cleanup_free_ char *uname = NULL, *home = NULL;
        int r;

        p->stdin_fd = a->pod->devnull_fd;
        p->stdout_fd = p->stderr_fd = -1;
        p->rootfs = xasprintf("%s/%s/rootfs", S1_STAGE2, a->spec->name);
        root_fd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return pod_err_set(err, -errno, "app \"%s\": rootfs %s: %s", a->spec->name, p->rootfs,
                                   strerror(errno));
        if ((r = userdb_resolve_user(root_fd, s->user, &p->uid, err)) < 0 ||
            (r = userdb_resolve_group(root_fd, s->group, &p->gid, err)) < 0)
                return pod_err_prefix(err, "app \"%s\"", a->spec->name);
        if (s->n_supp_gids) {
                p->groups = xcalloc(s->n_supp_gids, sizeof(gid_t));
                memcpy(p->groups, s->supp_gids, s->n_supp_gids * sizeof(gid_t));
                p->n_groups = s->n_supp_gids;
        }
        p->argv = strv_copy(s->exec);
        p->workdir = xstrdup(s->workdir ? s->workdir : "/");

        /* Defaults first (only where the manifest sets nothing), then the
         * manifest's environment in order, then AC_APP_NAME, as rkt does.
         * USER/LOGNAME/HOME follow the app's real user where its passwd
         * knows it (rkt always says root; see docs/manifest.md). */
        if (userdb_lookup_uid(root_fd, p->uid, &uname, &home) < 0) {
                uname = xstrdup(p->uid == 0 ? "root" : "");
                home = xstrdup(p->uid == 0 ? "/root" : "/");
        }
        for (size_t i = 0; i < s->n_env; i++)
                env_set(&p->envp, s->env[i].name, s->env[i].value, true);
        env_set(&p->envp, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", false);
        env_set(&p->envp, "SHELL", "/bin/sh", false);
        if (*uname) {
                env_set(&p->envp, "USER", uname, false);
                env_set(&p->envp, "LOGNAME", uname, false);
        }
        env_set(&p->envp, "HOME", home, false);
        env_set(&p->envp, "AC_APP_NAME", a->spec->name, true);
        if (!p->envp)
                p->envp = xcalloc(1, sizeof(char *));
        p->path_env = xstrdup(env_get(p->envp, "PATH"));

        if ((r = write_env_file(a)) < 0)
                return pod_err_set(err, r, "app \"%s\": writing %s/%s: %s", a->spec->name, S1_RKT_ENV,
                                   a->spec->name, strerror(-r));
        if ((r = mounts_setup_app(p->rootfs, err)) < 0)
                return pod_err_prefix(err, "app \"%s\"", a->spec->name);
        a->rkt_code = -1;
        return 0;
}

static void write_json_status(const struct app *a)
{
        char path[512];
        json_t *j = app_status_json(a);
        char *s = json_dumps(j, JSON_COMPACT);
        int r;

        json_decref(j);
        snprintf(path, sizeof(path), "%s/apps/%s.json", S1_PODINIT_DIR, a->spec->name);
        r = write_file_atomic(AT_FDCWD, path, s, strlen(s), 0644,
                              a->state == APP_EXITED ? WRITE_SYNC : 0);
        if (r < 0)
                log_warn("app %s: writing %s: %s", a->spec->name, path, strerror(-r));
        free(s);
}

static void report_consume(struct app *a)
{
        struct spawn_report rep;
        int r;

        if (a->report_fd < 0)
                return;
        r = spawn_read_report(a->report_fd, &rep);
        if (r == -EAGAIN)
                return;
        if (r == 1) {
                snprintf(a->error, sizeof(a->error), "%s%s%s: %s", rep.what, rep.path[0] ? " " : "",
                         rep.path, strerror(rep.err));
                if (rep.code == SETUP_EXEC)
                        log_error("app %s: cannot run %s: %s", a->spec->name, rep.path, strerror(rep.err));
                else
                        log_error("app %s: %s", a->spec->name, a->error);
        } else if (r == 0 && a->state == APP_STARTING) {
                a->state = APP_RUNNING;
                a->exec_ns = now_real_ns();
                write_json_status(a);
                pod_app_running(a->pod, a);
        } else if (r == 0 && !a->exec_ns) {
                a->exec_ns = now_real_ns();     /* exec'd, but a stop came first */
        }
        if (a->report_poll_active) {
                uv_poll_stop(&a->report_poll);
                uv_close((uv_handle_t *)&a->report_poll, NULL);
                a->report_poll_active = false;
        }
        close(a->report_fd);
        a->report_fd = -1;
}

static void on_report(uv_poll_t *h, int status, int events)
{
        report_consume(container_of(h, struct app, report_poll));
}

int app_start(struct app *a)
{
        int r, fd;

        a->started_ns = now_real_ns();
        r = spawn_app(&a->plan, &a->pid, &fd);
        if (r < 0) {
                snprintf(a->error, sizeof(a->error), "fork: %s", strerror(-r));
                return r;
        }
        pidtab_put(&a->pod->pids, a->pid, a);
        a->report_fd = fd;
        a->state = APP_STARTING;
        if (uv_poll_init(&a->pod->loop, &a->report_poll, fd) == 0) {
                a->report_poll_active = true;
                uv_poll_start(&a->report_poll, UV_READABLE | UV_DISCONNECT, on_report);
        }
        return 0;
}

void app_on_exit(struct app *a, int wstatus)
{
        char path[512];
        int r;

        report_consume(a);
        a->wstatus = wstatus;
        a->exited_ns = now_real_ns();
        if (a->error[0] && WIFEXITED(wstatus))
                a->rkt_code = WEXITSTATUS(wstatus);     /* the setup code */
        else if (a->exited_by_pod)
                a->rkt_code = 0;                        /* rkt: killed by pod shutdown */
        else if (WIFSIGNALED(wstatus))
                a->rkt_code = WTERMSIG(wstatus);
        else
                a->rkt_code = WEXITSTATUS(wstatus);
        a->state = APP_EXITED;

        snprintf(path, sizeof(path), "%s/%s", S1_RKT_STATUS, a->spec->name);
        r = rkt_status_write(AT_FDCWD, path, a->rkt_code);
        if (r < 0)
                log_warn("app %s: writing %s: %s", a->spec->name, path, strerror(-r));
        write_json_status(a);
        pod_app_exited(a->pod, a);
}

void app_signal(struct app *a, int sig)
{
        if (a->state != APP_STARTING && a->state != APP_RUNNING && a->state != APP_STOPPING)
                return;
        /* The app is a session and process-group leader (setsid in the child);
         * signal the group so its helpers go too, and the pid itself in case
         * the child has not reached setsid yet. */
        kill(-a->pid, sig);
        kill(a->pid, sig);
        if (sig == SIGTERM) {
                kill(-a->pid, SIGCONT);
                kill(a->pid, SIGCONT);
        }
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
        if (a->state == APP_EXITED) {
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
                json_object_set_new(j, "rktStatus", json_integer(a->rkt_code));
                json_object_set_new(j, "stoppedByPod", json_boolean(a->exited_by_pod));
        }
        if (a->error[0])
                json_object_set_new(j, "error", json_string(a->error));
        json_object_set_new(j, "restarts", json_integer(0));
        return j;
}

void app_close_handles(struct app *a)
{
        if (a->report_poll_active) {
                uv_poll_stop(&a->report_poll);
                uv_close((uv_handle_t *)&a->report_poll, NULL);
                a->report_poll_active = false;
        }
        if (a->report_fd >= 0) {
                close(a->report_fd);
                a->report_fd = -1;
        }
}
