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
#include "init/iottymux.h"
#include "init/mounts.h"
#include "init/seccomp.h"
#include "common/userdb.h"
#include "common/isolators.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <sys/wait.h>

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

/*
 * The app's log file (docs/logging.md), opened before the pod runs so that a
 * bad path is a setup error: podinit.io/log-path's directory was opened by
 * the launcher before pivot_root (it is on the host); the default is
 * LOG_DIR/<app>.log in stage1's root.
 */
static int log_prepare(struct app *a, struct pod_err *err)
{
        struct pod *pod = a->pod;
        struct log_file *file = NULL;
        _cleanup_free_ char *label = xasprintf("app %s", a->spec->name);
        const char *name;
        int dirfd = -1, r;

        if (pod_app_logs(a->spec)) {
                size_t idx = a->serial;
                if (a->spec->log.path) {
                        if (!pod->opt.log_dirfds || a->spec_owned || pod->opt.log_dirfds[idx] < 0)
                                return pod_err_set(err, -EINVAL, "app \"%s\": the directory of %s was not opened", a->spec->name,
                                                   a->spec->log.path);
                        dirfd = pod->opt.log_dirfds[idx];
                        pod->opt.log_dirfds[idx] = -1;
                        name = strrchr(a->spec->log.path, '/') + 1;
                } else {
                        if ((r = mkdir_p_at(AT_FDCWD, LOG_DIR, 0755)) < 0)
                                return pod_err_set(err, r, "app \"%s\": creating %s: %s", a->spec->name, LOG_DIR,
                                                   strerror(-r));
                        dirfd = open(LOG_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (dirfd < 0)
                                return pod_err_set(err, -errno, "app \"%s\": opening %s: %s", a->spec->name, LOG_DIR,
                                                   strerror(errno));
                        name = NULL;
                }
                {
                        _cleanup_free_ char *def = xasprintf("%s.log", a->spec->name);
                        r = log_file_open(&pod->loop, dirfd, name ? name : def, &a->spec->log, label, &file, err);
                }
                if (r < 0)
                        return pod_err_prefix(err, "app \"%s\"", a->spec->name);
        }
        app_log_init(&a->log, &pod->loop, a->spec->name, &a->pid, &a->spec->log, file, pod->console);
        a->log_ready = true;
        return 0;
}

/*
 * The app's isolators, turned into what the child applies between fork and
 * exec (DESIGN rule 2: the libcap sets are built here, not in the child).
 */
/* Whether PID 1 holds CAP_SYS_ADMIN, which a root app borrows to install its
 * seccomp filter without no_new_privs (init/spawn.c, child_seccomp). */
static bool pid1_has_sys_admin(void)
{
        static int has = -1;
        if (has < 0) {
                cap_t c = cap_get_proc();
                cap_flag_value_t v = CAP_CLEAR;
                has = c && cap_get_flag(c, CAP_SYS_ADMIN, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET;
                if (c)
                        cap_free(c);
        }
        return has;
}

static int isolation_prepare(struct app *a, struct pod_err *err)
{
        const struct isolators *iso = &a->spec->app.iso;
        struct exec_plan *p = &a->plan;
        bool sys_admin_for_seccomp = false;
        char warn[512];
        int r;

        p->caps_restrict = !a->pod->opt.caps_unrestricted;
        p->caps_bounding = isolators_bounding_host(iso, a->spec->name);
        p->cap_last = caps_last();
        p->nnp = iso->nnp;
        p->has_oom = iso->has_oom;
        p->oom_score_adj = iso->oom_score_adj;
        p->rlimits = a->spec->rlimits;

        /* Seccomp (docs/manifest.md "Isolators"): compiled once per profile. */
        p->seccomp = NULL;
        if (!a->pod->opt.seccomp_disabled) {
                if ((r = app_seccomp_prog(iso, &p->seccomp, warn, sizeof(warn), err)) < 0)
                        return pod_err_prefix(err, "app \"%s\"", a->spec->name);
                if (warn[0])
                        log_warn("app %s: seccomp: ignored: %s", a->spec->name, warn);
        }
        /* rkt: no_new_privs is forced for a non-root app with a filter; a root
         * app installs it with CAP_SYS_ADMIN instead, unless PID 1 lacks it. */
        if (p->seccomp && !p->nnp) {
                if (p->uid != 0 || !pid1_has_sys_admin())
                        p->nnp = true;
                else
                        sys_admin_for_seccomp = p->caps_restrict && !(p->caps_bounding & (1ull << CAP_SYS_ADMIN));
        }

        if (!p->caps_restrict)
                return 0;
        p->caps = cap_init();
        if (!p->caps)
                return pod_err_set(err, -ENOMEM, "app \"%s\": preparing its capabilities: %s", a->spec->name,
                                   strerror(errno));
        if (p->uid == 0) {
                /* Root: permitted, effective and inheritable = the bounding set
                 * (plus CAP_SYS_ADMIN in the first two until execve, see above). */
                cap_value_t v[65];
                int n = 0;
                for (int c = 0; c <= p->cap_last && c < 64; c++)
                        if (p->caps_bounding & (1ull << c))
                                v[n++] = c;
                if (n && cap_set_flag(p->caps, CAP_INHERITABLE, n, v, CAP_SET) < 0)
                        goto fail;
                if (sys_admin_for_seccomp)
                        v[n++] = CAP_SYS_ADMIN;
                if (n && (cap_set_flag(p->caps, CAP_PERMITTED, n, v, CAP_SET) < 0 ||
                          cap_set_flag(p->caps, CAP_EFFECTIVE, n, v, CAP_SET) < 0))
                        goto fail;
        }
        return 0;
fail:
        return pod_err_set(err, -EINVAL, "app \"%s\": preparing its capabilities: %s", a->spec->name, strerror(errno));
}

/*
 * The app's cgroup: system.slice/<app>.service under the pod's, with its
 * limits and device policy, created before fork so the child only has to
 * join it (common/cgroup.h).  Devices are closed (rkt's DevicePolicy=closed)
 * unless --disable-paths; the app's device volumes are added to the list.
 */
static int cgroup_prepare(struct app *a, struct pod_err *err)
{
        const struct isolators *iso = &a->spec->app.iso;
        struct cg_limits lim = { 0 };
        _cleanup_free_ struct cg_device *devs = NULL;
        size_t n;
        int r;

        a->plan.cg = NULL;
        if (a->pod->opt.cg.layout == CG_NONE)
                return 0;
        if (iso->has_memory)
                lim.memory_max = iso->memory_limit;
        if (iso->has_cpu)
                lim.cpu_quota_us = iso->cpu_millis * 100;
        if (iso->has_cpu_shares)
                lim.cpu_shares = iso->cpu_shares;
        lim.pids_max = a->spec->pids_max;
        /* The default list, then the app's device volumes (read-only ones read only). */
        devs = xcalloc(cg_n_default_devices + a->spec->n_mounts + 1, sizeof(*devs));
        memcpy(devs, cg_default_devices, cg_n_default_devices * sizeof(*devs));
        n = cg_n_default_devices;
        for (size_t k = 0; k < a->spec->n_mounts; k++) {
                const struct app_mount *m = &a->spec->mounts[k];
                if (!m->dev_type)
                        continue;
                devs[n] = (struct cg_device){ m->dev_type, m->dev_major, m->dev_minor, "rw" };
                if (m->read_only)
                        snprintf(devs[n].access, sizeof(devs[n].access), "r");
                n++;
        }
        r = cg_app_create(&a->pod->opt.cg, a->spec->name, &lim, !a->pod->opt.paths_unrestricted, devs, n, &a->cg, err);
        if (r < 0)
                return pod_err_prefix(err, "app \"%s\"", a->spec->name);
        a->cg_ready = true;
        a->plan.cg = &a->cg;
        return 0;
}

int app_prepare(struct app *a, struct pod_err *err)
{
        const struct app_spec *s = &a->spec->app;
        struct exec_plan *p = &a->plan;
        _cleanup_close_ int root_fd = -1;
        _cleanup_free_ char *uname = NULL, *home = NULL;
        int r;

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
        p->pre_start = s->pre_start;
        if (s->post_stop)
                log_warn("app \"%s\": its post-stop event handler is not run (podinit does not support post-stop handlers yet)",
                         a->spec->name);
        p->workdir = xstrdup(s->workdir ? s->workdir : "/");
        if ((r = isolation_prepare(a, err)) < 0 || (r = cgroup_prepare(a, err)) < 0)
                return r;

        /* Defaults first (only where the manifest sets nothing), then the
         * manifest's environment in order, then AC_APP_NAME, as rkt does.
         * USER/LOGNAME/HOME follow the app's real user where its passwd
         * knows it (rkt always says root; see docs/manifest.md). */
        r = userdb_lookup_uid(root_fd, p->uid, &uname, &home);
        if (r < 0 && r != -ENOENT) {
                char why[64];
                return pod_err_set(err, r, "app \"%s\": the image's /etc/passwd is %s", a->spec->name,
                                   read_file_strerror(r, why, sizeof(why), USERDB_MAX_FILE));
        }
        if (r < 0) {
                uname = xstrdup(p->uid == 0 ? "root" : "");
                home = xstrdup(p->uid == 0 ? "/root" : "/");
        }
        for (size_t i = 0; i < s->n_env; i++)
                strv_env_set(&p->envp, s->env[i].name, s->env[i].value, true);
        strv_env_set(&p->envp, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", false);
        strv_env_set(&p->envp, "SHELL", "/bin/sh", false);
        if (*uname) {
                strv_env_set(&p->envp, "USER", uname, false);
                strv_env_set(&p->envp, "LOGNAME", uname, false);
        }
        strv_env_set(&p->envp, "HOME", home, false);
        if (pod_app_uses(a->spec, IO_TTY) || pod_app_uses(a->spec, IO_INTERACTIVE))
                strv_env_set(&p->envp, "TERM", getenv("TERM") && *getenv("TERM") ? getenv("TERM") : "xterm", false);
        strv_env_set(&p->envp, "AC_APP_NAME", a->spec->name, true);
        if (!p->envp)
                p->envp = xcalloc(1, sizeof(char *));
        p->path_env = xstrdup(strv_env_get(p->envp, "PATH"));

        if ((r = ready_prepare(a, err)) < 0)
                return r;
        if ((r = write_env_file(a)) < 0)
                return pod_err_set(err, r, "app \"%s\": writing %s/%s: %s", a->spec->name, S1_RKT_ENV,
                                   a->spec->name, strerror(-r));
        /* The spec is the pod's own copy of the manifest: attaching a volume consumes its prepared tree fd. */
        if ((r = mounts_setup_app(p->rootfs, (struct pod_app *)a->spec, !a->pod->opt.paths_unrestricted, err)) < 0)
                return pod_err_prefix(err, "app \"%s\"", a->spec->name);
        if ((r = log_prepare(a, err)) < 0)
                return r;
        a->rkt_code = -1;
        return 0;
}

int app_command_plan(const struct app *a, char **argv, int stdin_fd, int stdout_fd, int stderr_fd,
                     struct exec_plan *ret)
{
        char path[64];
        int mnt;

        /* The app's own mount namespace, whose root is the app's rootfs. */
        if (a->pid <= 0)
                return -ESRCH;
        snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)a->pid);
        if ((mnt = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                return -errno;
        *ret = a->plan;
        ret->argv = argv;
        ret->stdin_fd = stdin_fd;
        ret->stdout_fd = stdout_fd;
        ret->stderr_fd = stderr_fd;
        ret->ctty_fd = -1;
        ret->interactive = false;
        ret->join_mnt_ns_fd = mnt;
        ret->ready_fd_src = -1;
        ret->pre_start = NULL;
        return 0;
}

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

/* The app is ready (docs/lifecycle.md "Readiness"); status is the text it sent, if any. */
void app_set_ready(struct app *a, const char *status)
{
        json_t *extra = status ? json_pack("{s:s}", "status", status) : NULL;

        if (app_fire(a, EV_READY, extra) < 0)
                return;
        app_write_status(a);
        pod_app_ready(a->pod, a);
}

void app_report_consume(struct app *a)
{
        struct spawn_report rep;
        int r;

        if (a->report_fd < 0)
                return;
        r = spawn_read_report(a->report_fd, &rep);
        if (r == -EAGAIN)
                return;
        if (r == 1) {
                char prog[256], interp[256];
                snprintf(a->error, sizeof(a->error), "%s%s%s%s%s", rep.what, rep.path[0] ? " " : "", rep.path,
                         rep.err ? ": " : "", rep.err ? strerror(rep.err) : "");
                /* ENOENT for a program that is there: what it names as its
                 * interpreter is not (rkt said which file it could not open). */
                if (rep.code == SETUP_EXEC && rep.err == ENOENT && rep.path[0] &&
                    mounts_missing_interpreter(a->plan.rootfs, a->plan.workdir, a->plan.path_env, rep.path, prog,
                                               sizeof(prog), interp, sizeof(interp)) == 0) {
                        snprintf(a->error, sizeof(a->error), "%s %s: its interpreter %s is missing", rep.what, prog, interp);
                        log_error("app %s: cannot run %s: its interpreter %s is missing (%s)", a->spec->name, prog, interp,
                                  strerror(rep.err));
                } else if (rep.code == SETUP_EXEC)
                        log_error("app %s: cannot run %s: %s", a->spec->name, rep.path, strerror(rep.err));
                else
                        log_error("app %s: %s", a->spec->name, a->error);
        } else if (r == 0 && a->state == APP_STARTING) {
                a->exec_ns = now_real_ns();
                app_fire(a, EV_EXEC, NULL);
                ready_on_exec(a);
                pod_app_running(a->pod, a);
                if (a->pol->ready == READY_EXEC && a->state == APP_RUNNING)
                        app_set_ready(a, NULL);         /* writes the status */
                else
                        app_write_status(a);
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
        app_report_consume(container_of(h, struct app, report_poll));
}

/*
 * Streams, before fork.  Each mode gives the child an fd and PID 1 the other
 * end (docs/io.md):
 *   null         /dev/null
 *   log          a pipe; PID 1 reads it into the app's logger (file and console)
 *   stream       a pipe; PID 1 reads (stdout/stderr) or writes (stdin) it for attach clients
 *   tty          the slave of a pty opened in the pod's devpts; PID 1 keeps the master
 *   interactive  PID 1's own fd 0/1/2: the terminal `podctl run` was started from
 */
static int open_pty(struct app *a, int *ret_master, int *ret_slave)
{
        int r = pty_open(a->spec->tty_rows, a->spec->tty_cols, ret_master, ret_slave);

        if (r == 0) {
                a->io.rows = a->spec->tty_rows ? a->spec->tty_rows : 24;
                a->io.cols = a->spec->tty_cols ? a->spec->tty_cols : 80;
        }
        return r;
}

static void on_out_eof(struct io_out *o);

/* One drain callback for every writer of the app's stdin, framed or raw. */
static void on_stdin_drained(struct io_in *in)
{
        struct app_io *io = container_of(in, struct app_io, in);
        struct app *a = container_of(io, struct app, io);

        control_stdin_drained(a);
        iottymux_stdin_drained(a);
}

/* Close the child's ends that io_setup created: pipe ends and the pty slave,
 * never the pod's shared /dev/null or PID 1's own terminal fds. */
static void close_child_fds(struct app_io *io)
{
        for (int i = 0; i < IO_STREAMS; i++) {
                if (io->child_fd_owned[i] && io->child_fd[i] >= 0)
                        close(io->child_fd[i]);
                io->child_fd[i] = -1;
                io->child_fd_owned[i] = false;
        }
        if (io->ctty_fd >= 0)
                close(io->ctty_fd);
        io->ctty_fd = -1;
}

static int io_setup(struct app *a)
{
        struct app_io *io = &a->io;
        struct pod *pod = a->pod;
        int master = -1, slave = -1, r, pfd[2];

        if (io->persistent)
                return 0;       /* a restart: the same pipes, pty and clients (docs/lifecycle.md) */
        for (int i = 0; i < IO_STREAMS; i++)
                io->child_fd[i] = -1;
        io->ctty_fd = -1;
        io->tty = pod_app_uses(a->spec, IO_TTY);
        io->outs_open = 0;
        if (io->tty) {
                if ((r = open_pty(a, &master, &slave)) < 0) {
                        snprintf(a->error, sizeof(a->error), "allocating a pty: %s", strerror(-r));
                        return r;
                }
                io->ctty_fd = slave;
                /* The app's terminal is its user's, like a login's (tty group kept). */
                if (fchown(slave, a->plan.uid, (gid_t)-1) < 0)
                        log_warn("app %s: handing its pty to uid %u: %s", a->spec->name, (unsigned)a->plan.uid,
                                 strerror(errno));
                /* The master is read even if only stdin is a tty: echo must not fill it. */
                if ((r = io_out_start(&pod->loop, &io->out[0], master, IO_STDOUT, a->spec->scrollback, true,
                                      a->spec->log_attached ? app_log_sink(&a->log, IO_STDOUT) : NULL,
                                      on_out_eof)) < 0) {
                        close(slave);
                        io->ctty_fd = -1;
                        snprintf(a->error, sizeof(a->error), "watching the pty: %s", uv_strerror(r));
                        return r;
                }
                io->out_used[0] = true;
                io->outs_open++;
                if (a->spec->io[IO_STDIN] == IO_TTY) {
                        io_in_share(&io->in, &io->out[0], APP_STDIN_QUEUE, on_stdin_drained);
                        io->in_used = true;
                }
        }
        for (int i = 0; i < IO_STREAMS; i++) {
                switch (a->spec->io[i]) {
                case IO_NULL:
                        io->child_fd[i] = pod->devnull_fd;
                        break;
                case IO_INTERACTIVE:
                        io->child_fd[i] = i;    /* PID 1's own terminal fds */
                        break;
                case IO_TTY:
                        io->child_fd[i] = slave;
                        break;
                case IO_LOG:
                case IO_STREAM:
                        if (pipe2(pfd, O_CLOEXEC) < 0) {
                                r = -errno;
                                snprintf(a->error, sizeof(a->error), "pipe for %s: %s", io_stream_name(i), strerror(errno));
                                return r;
                        }
                        /* The pipe belongs to the app's user, as crun hands it over: a
                         * non-root app may then reopen it through /dev/stdout (nginx
                         * as www-data does).  One inode serves both ends. */
                        if (fchown(pfd[0], a->plan.uid, a->plan.gid) < 0) {
                                r = -errno;
                                snprintf(a->error, sizeof(a->error), "handing the %s pipe to uid %u: %s",
                                         io_stream_name(i), (unsigned)a->plan.uid, strerror(errno));
                                close(pfd[0]);
                                close(pfd[1]);
                                return r;
                        }
                        if (i == IO_STDIN) {
                                io->child_fd[i] = pfd[0];
                                io->child_fd_owned[i] = true;
                                if ((r = io_in_start(&pod->loop, &io->in, pfd[1], APP_STDIN_QUEUE, on_stdin_drained)) < 0) {
                                        close(pfd[1]);
                                        snprintf(a->error, sizeof(a->error), "watching stdin: %s", uv_strerror(r));
                                        return r;
                                }
                                io->in_used = true;
                                break;
                        }
                        io->child_fd[i] = pfd[1];
                        io->child_fd_owned[i] = true;
                        {
                                int k = i - 1;
                                struct io_sink *sink = NULL;
                                if (a->spec->io[i] == IO_LOG || a->spec->log_attached)
                                        sink = app_log_sink(&a->log, i);
                                /* Scrollback only where a client can attach to replay it. */
                                if ((r = io_out_start(&pod->loop, &io->out[k], pfd[0], i,
                                                      a->spec->io[i] == IO_STREAM ? a->spec->scrollback : 0, false,
                                                      sink, on_out_eof)) < 0) {
                                        snprintf(a->error, sizeof(a->error), "watching %s: %s", io_stream_name(i),
                                                 uv_strerror(r));
                                        return r;
                                }
                                io->out_used[k] = true;
                                io->outs_open++;
                        }
                        break;
                default:
                        break;
                }
        }
        a->plan.stdin_fd = io->child_fd[IO_STDIN];
        a->plan.stdout_fd = io->child_fd[IO_STDOUT];
        a->plan.stderr_fd = io->child_fd[IO_STDERR];
        a->plan.ctty_fd = io->ctty_fd;
        a->plan.interactive = pod_app_uses(a->spec, IO_INTERACTIVE);
        io->persistent = a->keep_child_fds;
        return 0;
}


static void app_proc_exit(struct pod_child *c, int wstatus)
{
        app_on_exit(container_of(c, struct app, proc), wstatus);
}

/*
 * Start (or restart) the app.  A failure before the program runs (no fork,
 * no pipe) is an exit with code 203, handled like any other exit: the
 * restart policy applies and the status is recorded.
 */
void app_start(struct app *a)
{
        int r, fd;

        if (app_fire(a, a->state == APP_BACKOFF ? EV_RESTART : EV_START, NULL) < 0)
                return;
        a->pid = 0;
        a->stop_requested = false;
        a->started_ns = now_real_ns();
        a->exec_ns = 0;
        a->wstatus = 0;
        a->reaped = false;
        a->give_up = false;
        a->exited_by_pod = false;
        a->error[0] = '\0';
        a->oom_kills = 0;
        a->oom_killed = false;
        if (a->cg_ready && cg_app_oom_kills(&a->cg, &a->cg.oom_kills_at_start) < 0)
                a->cg.oom_kills_at_start = 0;
        r = io_setup(a);
        if (r < 0) {
                close_child_fds(&a->io);
                goto failed;
        }
        if ((r = ready_before_fork(a)) < 0) {
                snprintf(a->error, sizeof(a->error), "readiness pipe: %s", strerror(-r));
                if (!a->keep_child_fds)
                        close_child_fds(&a->io);
                goto failed;
        }
        r = spawn_app(&a->plan, &a->pid, &fd);
        ready_after_fork(a);
        if (!a->keep_child_fds)
                close_child_fds(&a->io);        /* the child has its copies */
        if (r < 0) {
                snprintf(a->error, sizeof(a->error), "fork: %s", strerror(-r));
                a->pid = 0;
                goto failed;
        }
        a->proc.on_exit = app_proc_exit;
        pidtab_put(&a->pod->pids, a->pid, &a->proc);
        a->report_fd = fd;
        if (!a->iottymux && (r = iottymux_open(a)) < 0)
                log_warn("app %s: rkt attach endpoints unavailable: %s", a->spec->name, strerror(-r));
        if (uv_poll_init(&a->pod->loop, &a->report_poll, fd) == 0) {
                a->report_poll_active = true;
                uv_poll_start(&a->report_poll, UV_READABLE | UV_DISCONNECT, on_report);
        }
        return;
failed:
        log_error("app %s: %s", a->spec->name, a->error);
        app_on_exit(a, SETUP_EXEC << 8);
}

/*
 * Rule 4: an app's exit is recorded only once its output is drained to EOF
 * (grandchildren may still hold the pipes: they get APP_DRAIN_TIMEOUT_MS),
 * every partial line is flushed, the log file is synced (log_finished), and
 * then the status is written and synced.
 */
static void cgroup_app_kill_rest(struct app *a);

static void log_finished(void *arg)
{
        struct app *a = arg;
        json_t *extra;

        if (app_state_final(a->state))
                return;
        if (a->io.in_used && a->io.in.own)
                io_in_close(&a->io.in);
        a->io.in_used = false;
        if (a->error[0] && WIFEXITED(a->wstatus))
                a->rkt_code = WEXITSTATUS(a->wstatus);  /* the setup code */
        else if (a->exited_by_pod)
                a->rkt_code = 0;                        /* rkt: killed by pod shutdown */
        else if (WIFSIGNALED(a->wstatus))
                a->rkt_code = WTERMSIG(a->wstatus);
        else
                a->rkt_code = WEXITSTATUS(a->wstatus);
        uv_timer_stop(&a->stop_timer);
        extra = app_exit_json(a);
        if (a->give_up)
                json_object_set_new(extra, "restarts", json_integer(a->restarts));
        if (app_fire(a, a->give_up ? EV_GIVE_UP : EV_EXIT, extra) < 0) {
                /* Not reachable from the table's states that own a process; be safe. */
                a->state = a->give_up ? APP_FAILED : APP_EXITED;
        }

        app_write_rkt_status(a);
        control_app_exited(a->pod, a);
        app_write_status(a);
        pod_app_exited(a->pod, a);
}

static void app_finalize(struct app *a)
{
        if (app_state_final(a->state) || a->log_finishing)
                return;
        a->log_finishing = true;
        cgroup_app_kill_rest(a);
        if (a->drain_timer_init)
                uv_timer_stop(&a->drain_timer);
        if (a->log_ready)
                app_log_finish(&a->log, log_finished, a);
        else
                log_finished(a);
}

static void on_out_eof(struct io_out *o)
{
        struct app_io *io = o->stream == IO_STDERR ? container_of(o, struct app_io, out[1])
                                                   : container_of(o, struct app_io, out[0]);
        struct app *a = container_of(io, struct app, io);

        if (io->outs_open > 0)
                io->outs_open--;
        if (io->outs_open == 0 && a->reaped)
                app_finalize(a);
}

static void on_drain_timeout(uv_timer_t *t)
{
        struct app *a = container_of(t, struct app, drain_timer);
        uint64_t now = now_mono_ns(), give_up = a->reaped_mono_ns + (uint64_t)LOG_FINISH_DEADLINE_MS * 1000000ull;

        /* Bytes already in a pipe are read before anything else: the
         * deadline is for writers that keep it open, not for the time PID 1
         * itself was busy (reaping a thousand apps, say). */
        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k])
                        io_out_read_now(&a->io.out[k]);
        if (app_state_final(a->state) || a->log_finishing)
                return;                 /* that reached the end of every stream */

        /* A stream paused by the log's backpressure still has data to give:
         * the deadline is for children holding the pipe, not for a slow log.
         * But a log file that cannot be written at all (a full disk) gets
         * LOG_FINISH_DEADLINE_MS from the app's end; then the rest of the
         * output is dropped and counted, so the pod can finish. */
        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k] && a->io.out[k].open && a->io.out[k].paused && !a->io.out[k].eof) {
                        uint64_t next = APP_DRAIN_TIMEOUT_MS;
                        if (a->log.file && log_file_failing(a->log.file)) {
                                if (now >= give_up)
                                        log_file_give_up(a->log.file);
                                else if ((give_up - now) / 1000000ull + 1 < next)
                                        next = (give_up - now) / 1000000ull + 1;
                        }
                        uv_timer_start(&a->drain_timer, on_drain_timeout, next, 0);
                        return;
                }

        log_debug("app %s: output still open %d ms after exit (a child keeps it); closing it",
                  a->spec->name, APP_DRAIN_TIMEOUT_MS);
        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k])
                        io_out_close(&a->io.out[k]);    /* eof -> on_out_eof -> finalize */
        app_finalize(a);
}

/*
 * The main process is gone: what the memory cgroup says about OOM kills.
 * The processes it left behind keep running while the app's output is
 * drained (DESIGN rule 4: a grandchild may still write, up to the drain
 * deadline); app_finalize then kills what is left in the cgroup, so nothing
 * an app started outlives it, whatever session or process group it moved to.
 */
static void cgroup_app_ended(struct app *a)
{
        uint64_t n;

        if (!a->cg_ready)
                return;
        if (cg_app_oom_kills(&a->cg, &n) == 0 && n > a->cg.oom_kills_at_start)
                a->oom_kills = n - a->cg.oom_kills_at_start;
        a->oom_killed = a->oom_kills > 0 && WIFSIGNALED(a->wstatus) && WTERMSIG(a->wstatus) == SIGKILL;
        if (a->oom_killed && a->spec->app.iso.has_memory)
                log_warn("app %s: killed by the kernel's OOM killer: its memory limit (%llu bytes) was reached",
                         a->spec->name, (unsigned long long)a->spec->app.iso.memory_limit);
        else if (a->oom_killed)
                log_warn("app %s: killed by the kernel's OOM killer (it has no memory limit of its own: the host ran out)",
                         a->spec->name);
        else if (a->oom_kills)
                log_warn("app %s: %llu of its processes were killed by the OOM killer", a->spec->name,
                         (unsigned long long)a->oom_kills);
}

static void cgroup_app_kill_rest(struct app *a)
{
        unsigned count = 0;

        if (a->cg_ready && cg_app_kill(&a->cg, SIGKILL, &count) == 0 && count)
                log_debug("app %s: SIGKILL to %u processes it left behind", a->spec->name, count);
}

/* Wait for the app's output to end (or the drain deadline), then finalize. */
static void app_drain(struct app *a)
{
        if (a->keep_child_fds) {
                close_child_fds(&a->io);        /* no next run: EOF once the last writer is gone */
                a->io.persistent = false;
        }
        if (a->log_ready && a->log.file)
                log_file_finish_by(a->log.file, a->reaped_mono_ns + (uint64_t)LOG_FINISH_DEADLINE_MS * 1000000ull);
        if (a->io.outs_open == 0) {
                app_finalize(a);
                return;
        }
        if (!a->drain_timer_init) {
                uv_timer_init(&a->pod->loop, &a->drain_timer);
                a->drain_timer_init = true;
        }
        /* The loop's clock is from before this callback, which may have
         * reaped many apps: the deadline counts from now. */
        uv_update_time(&a->pod->loop);
        uv_timer_start(&a->drain_timer, on_drain_timeout, APP_DRAIN_TIMEOUT_MS, 0);
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

/*
 * The restart policy (docs/lifecycle.md "Restarts"): whether this exit is
 * followed by another run.  A run of at least reset_ms ends a crash loop:
 * the backoff starts again from its first delay.
 */
static bool restart_wanted(struct app *a)
{
        const struct app_policy *p = a->pol;
        uint64_t ran_ms = a->exec_ns && a->exited_ns > a->exec_ns ? (a->exited_ns - a->exec_ns) / 1000000ull : 0;

        if (a->stop_requested || a->state == APP_STOPPING ||
            (a->pod->state != POD_STARTING && a->pod->state != POD_RUNNING))
                return false;
        if (p->restart == RESTART_NEVER || (p->restart == RESTART_ON_FAILURE && !app_failed(a)))
                return false;
        if (ran_ms >= p->reset_ms)
                a->crash_streak = 0;
        if (p->restart_max && a->crash_streak >= p->restart_max) {
                a->give_up = true;
                log_warn("app %s: exited (code %d) after %u restarts in a row; giving up (%s=%u)", a->spec->name,
                         a->final_code, a->crash_streak, ANN_RESTART_MAX, p->restart_max);
                return false;
        }
        return true;
}

static void on_restart_timer(uv_timer_t *t)
{
        struct app *a = container_of(t, struct app, restart_timer);

        if (a->state == APP_BACKOFF)
                app_start(a);
}

/*
 * The process ended and another run follows.  What it wrote and is still
 * in the pipe is read first, its last partial line ends, anything it left
 * in its cgroup is killed; its streams stay open for the next run, and
 * attached clients get the event as a restart marker.
 */
static void app_schedule_restart(struct app *a)
{
        json_t *extra = app_exit_json(a);
        uint64_t delay;

        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k])
                        io_out_read_now(&a->io.out[k]);
        if (a->log_ready)
                app_log_break(&a->log);
        cgroup_app_kill_rest(a);
        a->crash_streak++;
        a->restarts++;
        delay = policy_backoff_ms(a->pol, a->crash_streak);
        a->last_backoff_ms = delay;
        json_object_set_new(extra, "restarts", json_integer(a->restarts));
        json_object_set_new(extra, "backoffMs", json_integer((json_int_t)delay));
        log_info("app %s: exited (code %d); restart %u in %llu ms", a->spec->name, a->final_code, a->restarts,
                 (unsigned long long)delay);
        app_fire(a, EV_CRASH, extra);
        /* +1: the loop's clock counts whole milliseconds, and the delay is a minimum. */
        uv_update_time(&a->pod->loop);
        uv_timer_start(&a->restart_timer, on_restart_timer, delay + 1, 0);
        app_write_status(a);
}

void app_on_exit(struct app *a, int wstatus)
{
        app_report_consume(a);
        a->wstatus = wstatus;
        a->exited_ns = now_real_ns();
        a->reaped = true;
        a->reaped_mono_ns = now_mono_ns();
        ready_on_exit(a);
        cgroup_app_ended(a);
        a->final_code = app_policy_map_code(a->pol, a->error[0] && WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
                                                                                  : shell_code_from_wait(wstatus));
        if (restart_wanted(a)) {
                app_schedule_restart(a);
                return;
        }
        app_drain(a);
}

/*
 * Run a finished app again (docs/lifecycle.md "Mutable pods"; rkt's
 * app/start after app/stop).  Its streams ended with its last run: they are
 * closed now and made anew on the next loop iteration, when libuv has run
 * their close callbacks, since the handles' memory is reused.  Clients that
 * were still subscribed (rkt's raw attach sockets) are ended as at EOF.
 * The log file carries on; the last run's rkt status file is removed, as
 * rkt's stage0 does before app start.
 */
static void on_rerun_timer(uv_timer_t *t)
{
        struct app *a = container_of(t, struct app, restart_timer);
        char path[512];

        a->rerun_pending = false;
        if (!app_state_final(a->state) || (a->pod->state != POD_STARTING && a->pod->state != POD_RUNNING))
                return;
        for (int k = 0; k < 2; k++) {
                if (a->io.out_used[k])
                        io_out_done(&a->io.out[k]);
                memset(&a->io.out[k], 0, sizeof(a->io.out[k]));
                a->io.out_used[k] = false;
        }
        memset(&a->io.in, 0, sizeof(a->io.in));
        a->io.in_used = false;
        a->io.outs_open = 0;
        a->io.persistent = false;
        if (a->log_ready)
                app_log_rearm(&a->log);
        a->log_finishing = false;
        if (a->drain_timer_init)
                uv_timer_stop(&a->drain_timer);
        a->crash_streak = 0;
        a->final_seq = 0;
        a->final_code = 0;
        a->rkt_code = -1;
        snprintf(path, sizeof(path), "%s/%s", S1_RKT_STATUS, a->spec->name);
        unlink(path);
        app_start(a);
}

void app_rerun(struct app *a)
{
        if (a->rerun_pending || !app_state_final(a->state))
                return;
        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k]) {
                        io_out_drop_subscribers(&a->io.out[k]);
                        io_out_close(&a->io.out[k]);
                }
        io_in_close_now(&a->io.in);
        a->rerun_pending = true;
        uv_timer_start(&a->restart_timer, on_rerun_timer, 0, 0);
}

/*
 * Stop one app (docs/lifecycle.md "Stopping"): its stop signal to its
 * process group, SIGKILL to it and whatever it left in its cgroup after its
 * stop timeout.  The stop ends as soon as the process is reaped.  An app
 * waiting to restart is finished at once; one never started just exits.
 */
static void on_app_stop_timeout(uv_timer_t *t)
{
        struct app *a = container_of(t, struct app, stop_timer);

        if (a->state == APP_STOPPING && !a->reaped) {
                log_warn("app %s did not stop within %llu ms of %s; killing it", a->spec->name,
                         (unsigned long long)(a->pol->stop_timeout_ms ?: a->pod->opt.stop_timeout_ms),
                         sigabbrev_np(a->pol->stop_signal) ?: "its stop signal");
                app_signal(a, SIGKILL);
        }
}

void app_stop(struct app *a, bool force)
{
        a->stop_requested = true;
        switch (a->state) {
        case APP_CREATED:
                app_fire(a, EV_STOP, NULL);
                app_write_status(a);
                return;
        case APP_BACKOFF:
                uv_timer_stop(&a->restart_timer);
                app_fire(a, EV_STOP, NULL);
                app_drain(a);
                return;
        case APP_STARTING:
        case APP_RUNNING:
        case APP_READY:
                app_fire(a, EV_STOP, json_pack("{s:b}", "force", force));
                app_write_status(a);
                break;
        case APP_STOPPING:
                if (!force)
                        return;
                break;
        default:
                return;
        }
        if (a->reaped)
                return;
        app_signal(a, force ? SIGKILL : a->pol->stop_signal);
        if (!force) {
                uv_update_time(&a->pod->loop);
                uv_timer_start(&a->stop_timer, on_app_stop_timeout, a->pol->stop_timeout_ms ?: a->pod->opt.stop_timeout_ms, 0);
        }
}

int app_tty_resize(struct app *a, unsigned short rows, unsigned short cols)
{
        struct winsize ws = { .ws_row = rows, .ws_col = cols };
        uv_os_fd_t fd;
        pid_t fg;

        if (!a->io.tty || !a->io.out_used[0] || !a->io.out[0].open ||
            uv_fileno((uv_handle_t *)&a->io.out[0].pipe, &fd) < 0)
                return -ENOTTY;
        if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
                return -errno;
        a->io.rows = rows;
        a->io.cols = cols;
        /* The kernel signals only a change; a client that attaches with the
         * same size still needs the app to redraw. */
        fg = tcgetpgrp(fd);
        if (fg > 0)
                kill(-fg, SIGWINCH);
        return 0;
}

int app_send_signal(struct app *a, int sig)
{
        uv_os_fd_t fd;
        pid_t fg = -1;

        if (a->reaped || (a->state != APP_RUNNING && a->state != APP_READY && a->state != APP_STARTING &&
                          a->state != APP_STOPPING))
                return -ESRCH;
        if (a->io.tty && a->io.out_used[0] && a->io.out[0].open &&
            uv_fileno((uv_handle_t *)&a->io.out[0].pipe, &fd) == 0)
                fg = tcgetpgrp(fd);
        if (fg > 0)
                return kill(-fg, sig) < 0 ? -errno : 0;
        kill(-a->pid, sig);
        return kill(a->pid, sig) < 0 ? -errno : 0;
}

void app_signal(struct app *a, int sig)
{
        if (a->reaped || a->pid <= 0)
                return;
        if (a->state != APP_STARTING && a->state != APP_RUNNING && a->state != APP_READY && a->state != APP_STOPPING)
                return;
        /* The app is a session and process-group leader (setsid in the child);
         * signal the group so its helpers go too, and the pid itself in case
         * the child has not reached setsid yet. */
        kill(-a->pid, sig);
        kill(a->pid, sig);
        if (sig == SIGKILL)
                cgroup_app_kill_rest(a);        /* whatever left the process group */
        if (sig != SIGKILL && sig != SIGCONT) {
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

void app_close_handles(struct app *a)
{
        ready_close_handles(a);
        iottymux_close(a);
        for (int k = 0; k < 2; k++)
                if (a->io.out_used[k])
                        io_out_close(&a->io.out[k]);
        io_in_close_now(&a->io.in);
        a->io.in_used = false;
        if (a->drain_timer_init && !uv_is_closing((uv_handle_t *)&a->drain_timer))
                uv_close((uv_handle_t *)&a->drain_timer, NULL);
        if (a->timers_init) {
                uv_close((uv_handle_t *)&a->restart_timer, NULL);
                uv_close((uv_handle_t *)&a->stop_timer, NULL);
                uv_close((uv_handle_t *)&a->probe_timer, NULL);
                uv_close((uv_handle_t *)&a->watchdog_timer, NULL);
                a->timers_init = false;
        }
        if (a->log_ready)
                app_log_close(&a->log);
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
