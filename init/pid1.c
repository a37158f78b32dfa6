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
 * This file wires the layers together (docs/architecture.md): the core
 * (init/core: apps, policy, events) knows nothing of the services above it;
 * PID 1 starts them (the control server, iottymux) and registers them, and
 * itself, on the core's observer list.  The order of registration does not
 * matter: phases order the observers (init/core/events.h).
 */
#include "init/pid1.h"
#include "init/core/pod.h"
#include "init/core/persist.h"
#include "init/core/prepare.h"
#include "init/core/supervise.h"
#include "init/control/control.h"
#include "init/control/exec.h"
#include "init/control/iottymux.h"
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

/* What PID 1 adds to the core: the services it started, and its own handles. */
struct pid1 {
        struct pod pod;
        struct control_options control_opt;
        struct control *control;
        struct pod_observer wiring;
};

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
        return 0;
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
        uv_timer_init(&pod->loop, &pod->trim_timer);
        for (size_t i = 0; i < m->n_apps; i++)
                pod_app_init(pod, pod->apps[i] = xcalloc(1, sizeof(struct app)), &m->apps[i], i);
        for (size_t i = 0; i < m->n_apps; i++)
                if ((r = app_prepare(pod->apps[i], err)) < 0)
                        return r;
        if ((r = limit_own_caps(pod, err)) < 0)
                return r;
        return 0;
}

/* The pod finished: close what PID 1 and its services own (the core closes its own next). */
static void wiring_notify(struct pod_observer *o, const struct pod_event *ev)
{
        struct pid1 *p = container_of(o, struct pid1, wiring);
        struct pod *pod = &p->pod;

        if (ev->kind != POD_EV_POD_CLOSING)
                return;
        control_close(p->control);
        p->control = NULL;
        exec_close_all(pod);
        console_close(pod->console);
        uv_close((uv_handle_t *)&pod->sig_chld, NULL);
        uv_close((uv_handle_t *)&pod->sig_term, NULL);
        uv_close((uv_handle_t *)&pod->sig_int, NULL);
        uv_close((uv_handle_t *)&pod->sig_hup, NULL);
}

/* The core's own observers, then the services: each says which phase it is in. */
static int wire(struct pid1 *p, struct pod_err *err)
{
        struct pod *pod = &p->pod;

        persist_observe(pod);
        supervise_observe(pod);
        p->wiring.phase = POD_PHASE_PUBLISH;
        p->wiring.notify = wiring_notify;
        pod_observe(pod, &p->wiring);
        iottymux_observe(pod);
        return control_start(pod, S1_PODINIT_DIR "/" PROTO_SOCKET_NAME, &p->control_opt, &p->control, err);
}

int pid1_main(struct pod_manifest *m, const struct pod_options *opt, const struct control_options *ctl)
{
        struct pid1 *p = xcalloc(1, sizeof(*p));
        struct pod *pod = &p->pod;
        struct pod_err err = { 0 };
        int code;

        p->control_opt = *ctl;
        signal(SIGPIPE, SIG_IGN);
        if (pod_init(pod, m, opt, &err) < 0 || wire(p, &err) < 0) {
                log_error("%s", err.msg);
                return 254;
        }
        pod_start(pod);

        uv_run(&pod->loop, UV_RUN_DEFAULT);

        code = pod->exit_code;
        if (uv_loop_close(&pod->loop) != 0)
                log_debug("event loop closed with handles still open");
        pod_free_all(pod);
        exec_free_all(pod);
        cg_pod_close(&pod->opt.cg);
        if (pod->opt.base_mnt_ns_fd >= 0)
                close(pod->opt.base_mnt_ns_fd);
        event_log_done(&pod->events);
        console_free(pod->console);
        free(pod->apps);
        pidtab_done(&pod->pids);
        if (pod->devnull_fd >= 0)
                close(pod->devnull_fd);
        free(p);
        return code;
}
