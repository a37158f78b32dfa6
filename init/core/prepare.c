/*
 * An app's preparation before its first fork (init/core/prepare.h): its
 * exec plan (ids from its own /etc/passwd and /etc/group, environment,
 * capabilities, seccomp, rlimits), its mounts, cgroup, log file and
 * readiness socket.  A failure here fails the app (or, at pod start, the
 * pod) before anything runs.
 */
#include "init/core/prepare.h"
#include "init/core/pod.h"
#include "init/core/ready.h"
#include "init/isolate/mounts.h"
#include "init/isolate/seccomp.h"
#include "common/userdb.h"
#include "common/isolators.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <sys/capability.h>
#include <sys/stat.h>

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
                        /* By path from PID 1's root, which never changes: no fd per app. */
                        dirfd = AT_FDCWD;
                        name = NULL;
                }
                {
                        _cleanup_free_ char *def = xasprintf("%s/%s.log", LOG_DIR, a->spec->name);
                        r = log_file_open(&pod->loop, dirfd, name ? name : def, &a->spec->log, label, &file, err);
                }
                if (r < 0)
                        return pod_err_prefix(err, "app \"%s\"", a->spec->name);
        }
        app_log_init(&a->log, &pod->loop, a->spec->name, &a->pid, &a->spec->log, file, pod->console);
        a->log_ready = true;
        return 0;
}

/* Whether PID 1 holds CAP_SYS_ADMIN, which a root app borrows to install its
 * seccomp filter without no_new_privs (init/core/spawn.c, child_seccomp). */
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

/*
 * The app's isolators, turned into what the child applies between fork and
 * exec (DESIGN rule 2: the libcap sets are built here, not in the child).
 */
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
        /* PID 1 raised its own open-files limit (init/launcher.c); the app gets the one podinit was started with. */
        if (!(p->rlimits.set & (1u << RLIMIT_NOFILE)) && a->pod->opt.nofile.rlim_cur) {
                p->rlimits.set |= 1u << RLIMIT_NOFILE;
                p->rlimits.lim[RLIMIT_NOFILE] = a->pod->opt.nofile;
        }

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
        p->base_mnt_ns_fd = a->pod->opt.base_mnt_ns_fd;
        /* Mounted first: an overlay app's files (its /etc/passwd) exist only
         * once its root is mounted.  The spec is the pod's own copy of the
         * manifest: attaching a volume consumes its prepared tree fd. */
        if ((r = mounts_setup_app(p->rootfs, (struct pod_app *)a->spec, !a->pod->opt.paths_unrestricted, err)) < 0)
                return pod_err_prefix(err, "app \"%s\"", a->spec->name);
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
        if ((r = log_prepare(a, err)) < 0)
                return r;
        a->rkt_code = -1;
        return 0;
}
