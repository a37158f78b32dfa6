#include "init/launcher.h"
#include "init/launch_wait.h"
#include "init/isolate/appns.h"
#include "init/isolate/mounts.h"
#include "init/isolate/overlay.h"
#include "init/isolate/volumes.h"
#include "init/pid1.h"
#include "init/control/control.h"
#include "init/core/pod.h"
#include "common/resolve.h"
#include "common/args.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/owner.h"
#include "common/podstate.h"
#include "net/loopback.h"
#include "net/cni.h"
#include "net/podnet.h"
#include "common/ports.h"

#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <jansson.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <linux/nsfs.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define EXIT_SETUP 254

struct launch {
        bool debug, interactive, mutable_pod, interactive_all;
        bool disable_caps, disable_paths, disable_seccomp;
        const char *net, *hostname, *ipc, *private_users, *mds_token, *local_config, *dns_mode;
        enum hosts_mode hosts_mode;
        enum resolv_mode resolv_mode;
        const char *ready_fd, *max_clients, *max_message, *console_format, *cgroup_parent;
        const char *net_config_dir, *net_plugin_dir, *net_timeout;
        const char *netns;              /* --netns: a network namespace to join (CRI's sandbox netns) */
        const char *uuid;
        const char *owner_uid;          /* --owner-uid: who besides root may use the control socket */
        uid_t owner;                    /* its value, or POD_NO_OWNER */
        int clone_flags;
        bool new_net;
        struct net_list nets;
        struct net_pod netp;            /* a CNI pod's namespace and what its networks said */
        bool net_up;                    /* CNI networks were set up: torn down at exit */
        bool net_joined;                /* --netns: someone else's namespace, never torn down by us */
        char host_name[HOST_NAME_MAX + 1];
};

static void usage(void)
{
        fprintf(stderr,
                "usage: podinit [--debug] [--net=none|host|all|NAME[:ARGS][,...] | --netns=PATH] [--hostname=NAME] [--mutable]\n"
                "               [--ipc=auto|private|parent] [--net-config-dir=DIR] [--net-plugin-dir=DIR[:DIR...]]\n"
                "               [--net-timeout=DURATION] [--max-clients=N] [--max-message=BYTES] [--ready-fd=FD]\n"
                "               [--cgroup-parent=PATH] [--owner-uid=UID] UUID\n"
                "Runs the pod whose directory is the current directory (rkt's stage1 `run` convention).\n"
                "Normally started by `podctl run` or by rkt; see podinit(8).\n");
}

/*
 * --netns=PATH: join a network namespace made by someone else (a CRI
 * runtime makes the sandbox's and passes its path, /var/run/netns/NAME).
 * The pod neither makes nor configures it, and leaves it when it ends;
 * only lo is brought up, as CNI's loopback plugin would.
 */
static int open_netns(struct launch *l, struct pod_err *err)
{
        int fd, type;

        if (l->net && *l->net)
                return pod_err_set(err, -EINVAL, "--netns=%s and --net=%s: give one of them (--netns joins an existing "
                                   "network namespace; --net makes one, or uses the host's)", l->netns, l->net);
        if ((fd = open(l->netns, O_RDONLY | O_CLOEXEC)) < 0)
                return pod_err_set(err, -errno, "failed to setup network: --netns=%s: %s", l->netns, strerror(errno));
        if ((type = ioctl(fd, NS_GET_NSTYPE)) != CLONE_NEWNET) {
                close(fd);
                return pod_err_set(err, -EINVAL, "failed to setup network: --netns=%s: %s", l->netns,
                                   type < 0 ? "not a namespace file (expected /var/run/netns/NAME or /proc/PID/ns/net)"
                                            : "a namespace, but not a network namespace");
        }
        l->netp.netns_fd = fd;
        l->net_joined = true;
        l->nets.kind = NET_NONE;        /* no CNI networks of ours, no ports */
        return 0;
}

/* --net: none and CNI networks get a new namespace (for CNI, made before PID 1: net/podnet.h). */
static int parse_net(struct launch *l, struct pod_err *err)
{
        int r;

        if (l->netns)
                return open_netns(l, err);
        if ((r = net_list_parse(l->net, &l->nets, err)) < 0)
                return pod_err_prefix(err, "failed to setup network");
        l->new_net = l->nets.kind == NET_NONE;
        return 0;
}

/*
 * The pod's CNI networks, joined before PID 1 exists.  Config directories:
 * --net-config-dir (podctl passes one), else rkt's <local-config>/net.d.
 * Ports are forwarded only here: a pod on none or host has no address of
 * its own to forward to.
 */
static int setup_networks(struct launch *l, struct pod_err *err)
{
        _cleanup_free_ char *data = NULL, *dir = NULL;
        _cleanup_free_ struct pod_port *ports = NULL;
        _cleanup_free_ char *pod_path = NULL;
        char *dirs[2] = { NULL, NULL };
        json_t *pod;
        size_t n_ports = 0, len;
        uint64_t timeout = CNI_DEFAULT_TIMEOUT_MS;
        int r;

        r = read_file_at(AT_FDCWD, "pod", POD_MANIFEST_MAX_BYTES, &data, &len);
        pod = r == 0 ? json_loadb(data, len, 0, NULL) : NULL;
        r = pod ? pod_ports_resolve(AT_FDCWD, pod, &ports, &n_ports, err) : 0;
        json_decref(pod);
        if (r < 0)
                return r;
        if (n_ports && l->nets.kind != NET_CNI)
                return pod_err_set(err, -EINVAL, "ports are forwarded only on a CNI network, not with --net=%s",
                                   l->nets.kind == NET_HOST ? "host" : "none");
        if (l->nets.kind != NET_CNI)
                return 0;
        if (l->net_timeout && (parse_duration_ms(l->net_timeout, &timeout) < 0 || timeout == 0 || timeout > 3600000))
                return pod_err_set(err, -EINVAL, "--net-timeout=%s: expected a duration from 1ms to 1h such as 30s", l->net_timeout);
        dir = l->net_config_dir ? xstrdup(l->net_config_dir)
                                : xasprintf("%s/net.d", l->local_config && *l->local_config ? l->local_config : "/etc/rkt");
        dirs[0] = dir;
        pod_path = getcwd(NULL, 0);
        if (!pod_path)
                return pod_err_set(err, -errno, "getcwd: %s", strerror(errno));
        struct net_options o = {
                .uuid = l->uuid, .list = &l->nets, .conf_dirs = dirs, .plugin_path = l->net_plugin_dir,
                .timeout_ms = timeout, .ports = ports, .n_ports = n_ports,
        };
        if ((r = net_pod_setup(pod_path, &o, &l->netp, err)) < 0)
                return r;
        l->net_up = true;
        /* rkt: with resolv=default, the first network that has DNS servers writes the pod's resolv.conf. */
        if (l->resolv_mode == RESOLV_DEFAULT && l->netp.resolv_conf &&
            (r = write_file_atomic(AT_FDCWD, POD_S1 "/etc/rkt-resolv.conf", l->netp.resolv_conf,
                                   strlen(l->netp.resolv_conf), 0644, 0)) < 0)
                return pod_err_set(err, r, "writing %s/etc/rkt-resolv.conf: %s", POD_S1, strerror(-r));
        return 0;
}

/* DEL of the pod's networks once PID 1 is gone; what fails is left to gc. */
static void teardown_networks(struct launch *l)
{
        struct pod_err err = { 0 };
        _cleanup_free_ char *pod_path = getcwd(NULL, 0);

        if (!l->net_up)
                return;
        net_pod_done(&l->netp);
        if (net_pod_teardown(pod_path ? pod_path : ".", 0, &err) < 0)
                log_warn("tearing down the pod's networks: %s (`podctl gc` tries again)", err.msg);
        l->net_up = false;
}

static int get_lock(int *ret_fd, const char *uuid, struct pod_err *err)
{
        const char *env = getenv("RKT_LOCK_FD");
        struct stat st;
        long fd;
        int r;

        if (env) {
                if (parse_long(env, 0, 65535, &fd) < 0 || fstat((int)fd, &st) < 0 || !S_ISDIR(st.st_mode))
                        return pod_err_set(err, -EBADF, "RKT_LOCK_FD=%s is not an open directory fd", env);
                /* Apps and helpers must not inherit the lock. */
                fd_set_cloexec((int)fd, 1);
                *ret_fd = (int)fd;
                return 0;
        }
        fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return pod_err_set(err, -errno, "opening the pod directory: %s", strerror(errno));
        if (flock((int)fd, LOCK_EX | LOCK_NB) < 0) {
                r = -errno;
                close((int)fd);
                if (r == -EWOULDBLOCK)
                        return pod_err_set(err, -EBUSY, "pod %s is already running", uuid);
                return pod_err_set(err, r, "locking the pod directory: %s", strerror(-r));
        }
        *ret_fd = (int)fd;
        return 0;
}

static int load_manifest(struct pod_manifest **ret, struct pod_err *err)
{
        _cleanup_free_ char *data = NULL;
        struct pod_manifest *m;
        size_t len;
        int r;

        r = read_file_at(AT_FDCWD, "pod", POD_MANIFEST_MAX_BYTES, &data, &len);
        if (r < 0)
                return pod_err_set(err, r, "reading the pod manifest %s: %s", "pod",
                                   r == -EFBIG ? "larger than the 1 MiB limit" : strerror(-r));
        if ((r = pod_manifest_parse(data, len, &m, err)) < 0)
                return r;
        for (size_t i = 0; i < m->n_apps; i++) {
                struct pod_app *a = &m->apps[i];
                _cleanup_free_ char *path = NULL, *idata = NULL;
                struct image_manifest *im = NULL;
                size_t ilen;

                path = xasprintf("%s%s/%s/manifest", POD_S1, S1_STAGE2, a->name);
                r = read_file_at(AT_FDCWD, path, POD_MANIFEST_MAX_BYTES, &idata, &ilen);
                if (r == -ENOENT && a->has_app)
                        continue;
                if (r < 0) {
                        pod_err_set(err, r, "app \"%s\": no \"app\" section in the pod manifest and its image manifest %s cannot be read: %s",
                                    a->name, path, strerror(-r));
                        goto fail;
                }
                if ((r = image_manifest_parse(idata, ilen, &im, err)) < 0) {
                        if (a->has_app) {       /* only its readiness hint is lost */
                                log_warn("app \"%s\": %s: %s (ignored: the pod manifest has the app)", a->name, path, err->msg);
                                continue;
                        }
                        pod_err_prefix(err, "app \"%s\": %s", a->name, path);
                        goto fail;
                }
                r = pod_app_take_image_app(a, im, err);
                image_manifest_free(im);
                if (r < 0)
                        goto fail;
        }
        if ((r = volumes_resolve(m, err)) < 0)
                goto fail;
        *ret = m;
        return 0;
fail:
        pod_manifest_free(m);
        return r;
}

static void write_runtime_config(const struct launch *l)
{
        static const char *const hosts_names[] = { "default", "stage0", "host" };
        static const char *const resolv_names[] = { "default", "stage0", "host", "none" };
        json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:s,s:s,s:[s],s:b,s:{s:b,s:b,s:b},s:s}",
                              "MetadataServiceURL", "", "PrivateUsers", l->private_users ?: "",
                              "MDSToken", l->mds_token ?: "", "Hostname", l->hostname ?: "",
                              "Debug", l->debug, "Mutable", l->mutable_pod,
                              "ResolvConfMode", resolv_names[l->resolv_mode], "EtcHostsMode", hosts_names[l->hosts_mode],
                              "NetList", l->net ?: "default", "Interactive", l->interactive,
                              "InsecureOptions", "DisablePaths", l->disable_paths,
                              "DisableCapabilities", l->disable_caps, "DisableSeccomp", l->disable_seccomp,
                              "IPCMode", l->ipc ?: "");
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (s) {
                int r = write_file_atomic(AT_FDCWD, "runtime-config", s, strlen(s), 0644, 0);
                if (r < 0)
                        log_warn("writing runtime-config: %s", strerror(-r));
        }
        free(s);
        json_decref(j);
}

static bool pod_has_interactive(const struct pod_manifest *m)
{
        for (size_t i = 0; i < m->n_apps; i++)
                if (pod_app_uses(&m->apps[i], IO_INTERACTIVE))
                        return true;
        return false;
}

/*
 * The directories of the apps' podinit.io/log-path files are on the host:
 * opened here, before the pod's root is pivoted away, and handed to PID 1,
 * which creates, rotates and reopens the files in them (docs/logging.md).
 */
static int open_log_dirs(const struct pod_manifest *m, struct pod_options *opt, struct pod_err *err)
{
        char cwd[PATH_MAX];

        opt->pod_dir = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
        opt->log_dirfds = xcalloc(m->n_apps + 1, sizeof(int));
        for (size_t i = 0; i < m->n_apps; i++) {
                const char *path = m->apps[i].log.path;
                _cleanup_free_ char *dir = NULL;
                const char *slash;

                opt->log_dirfds[i] = -1;
                if (!path || !pod_app_logs(&m->apps[i]))
                        continue;
                slash = strrchr(path, '/');
                dir = slash == path ? xstrdup("/") : strndup(path, (size_t)(slash - path));
                opt->log_dirfds[i] = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (opt->log_dirfds[i] < 0)
                        return pod_err_set(err, -errno, "app \"%s\": the directory of its log file %s: %s (create it, or change %s)",
                                           m->apps[i].name, path, strerror(errno), ANN_LOG_PATH);
        }
        return 0;
}

/* Does some app ask for a limit only a cgroup can enforce? */
static const char *app_needing_cgroup(const struct pod_manifest *m)
{
        for (size_t i = 0; i < m->n_apps; i++) {
                const struct pod_app *a = &m->apps[i];
                if (a->app.iso.has_memory || a->app.iso.has_cpu || a->app.iso.has_cpu_shares || a->pids_max)
                        return a->name;
        }
        return NULL;
}

/*
 * The pod's cgroup (common/cgroup.h), created before the pod's namespaces so
 * that PID 1 and everything it starts is in it from the start: the
 * launcher joins <pod>/init.scope itself and clone() inherits it.  Its path
 * goes to $pod/subcgroup before the pid file, as rkt's stage1 does.
 *
 * A host without usable cgroups (no /sys/fs/cgroup, read-only, a
 * container that was not delegated one) still runs pods, with a warning
 * that the device policy is not enforced -- unless an app asks for a
 * limit, which is an error: a limit must not be silently dropped.
 */
static int setup_cgroup(const struct launch *l, const struct pod_manifest *m, struct cg_pod *ret,
                        struct pod_err *err)
{
        const char *needs = app_needing_cgroup(m), *parent = l->cgroup_parent ? l->cgroup_parent : CG_DEFAULT_PARENT;
        _cleanup_free_ char *path = NULL;
        struct pod_err why = { 0 };
        enum cg_layout layout;
        int r;

        while (*parent == '/')
                parent++;
        if (strstr(parent, "..") || strchr(parent, '\n'))
                return pod_err_set(err, -EINVAL, "--cgroup-parent=%s: expected a cgroup path without \"..\"", l->cgroup_parent);
        path = cg_pod_path(parent, l->uuid);
        /* Named before it exists: a launcher killed between the mkdir and
         * here would leave a cgroup no gc knows of (a missing one is nothing
         * to remove).  Unnamed again if it could not be made. */
        if ((r = write_file_atomic(AT_FDCWD, "subcgroup", path, strlen(path), 0644, 0)) < 0)
                return pod_err_set(err, r, "writing subcgroup: %s", strerror(-r));
        r = cg_detect(CG_DEFAULT_MOUNT, &layout, &why);
        if (r == 0 && layout != CG_NONE) {
                r = cg_pod_create(CG_DEFAULT_MOUNT, layout, path, ret, &why);
                if (r == 0 && (r = cg_pod_enter(ret, getpid(), &why)) < 0) {
                        struct pod_err ignored = { 0 };
                        cg_pod_close(ret);
                        (void)cg_pod_remove(CG_DEFAULT_MOUNT, layout, path, &ignored);
                }
        } else if (r == 0) {
                r = pod_err_set(&why, -ENOENT, "no cgroup hierarchy is mounted at %s", CG_DEFAULT_MOUNT);
        }
        if (r < 0) {
                ret->layout = CG_NONE;
                unlink("subcgroup");
                if (needs)
                        return pod_err_set(err, r, "app \"%s\" has a resource limit, but the pod's cgroup cannot be created: %s",
                                           needs, why.msg);
                log_warn("running without a pod cgroup (%s): the device policy is not enforced and "
                         "processes apps leave behind are not tracked", why.msg);
                return 0;
        }
        if (*cg_pod_missing(ret))
                log_warn("cgroup controllers not available: %s; limits that need them fail", cg_pod_missing(ret));
        return 0;
}

static void net_list_donep(struct net_list **l)
{
        net_list_done(*l);
}

static void cg_pod_closep(struct cg_pod **p)
{
        cg_pod_close(*p);
}

static void pod_manifest_freep(struct pod_manifest **m)
{
        pod_manifest_free(*m);
}

/* The child side of clone(): becomes the pod's PID 1.  Never returns. */
static __attribute__((noreturn)) void pod_child(const struct launch *l, struct pod_manifest *m,
                                                struct pod_options *opt, int sync_fd, const char *console)
{
        const char *hostname = l->host_name;
        struct pod_err err = { 0 };
        int r;

        /* If the launcher dies (SIGKILL from `stop --force`), the pod dies. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* Up to 1,000 apps with their streams, logs and clients: PID 1 takes
         * the hard limit of open files.  Each app gets the limits podinit was
         * started with back (init/core/prepare.c): programs that use select()
         * break on fds above 1023. */
        if (getrlimit(RLIMIT_NOFILE, &opt->nofile) == 0 && opt->nofile.rlim_cur < opt->nofile.rlim_max) {
                struct rlimit raised = { opt->nofile.rlim_max, opt->nofile.rlim_max };
                if (setrlimit(RLIMIT_NOFILE, &raised) < 0)
                        log_warn("raising the open-files limit to %llu: %s", (unsigned long long)raised.rlim_max,
                                 strerror(errno));
        }
        /* PID 1 leaves the terminal's session, so ^C and hangups reach only
         * the launcher, unless an app is interactive: that app must share
         * the terminal's session to take its foreground. */
        if (!pod_has_interactive(m))
                setsid();
        /* The launcher's blocked signals (TERM, INT, HUP, CHLD) stay blocked
         * until PID 1's handlers are in place (pid1.c, pod_init): a PID 1 in
         * a new pid namespace drops a signal it has no handler for, so a
         * SIGTERM forwarded now, unblocked, would be lost.  Blocked, it waits. */

        if (l->netp.netns_fd >= 0 && setns(l->netp.netns_fd, CLONE_NEWNET) < 0) {
                log_error("failed to setup network: joining the pod's network namespace: %s", strerror(errno));
                _exit(EXIT_SETUP);
        }
        if (l->netp.netns_fd >= 0)
                close(l->netp.netns_fd);
        if (sethostname(hostname, strlen(hostname)) < 0) {
                log_error("setting the hostname to %s: %s", hostname, strerror(errno));
                _exit(EXIT_SETUP);
        }
        if ((l->new_net || l->net_up || l->net_joined) && (r = net_loopback_up()) < 0) {
                log_error("failed to setup network: bringing up lo: %s", strerror(-r));
                _exit(EXIT_SETUP);
        }
        write_file_atomic(AT_FDCWD, POD_S1 "/etc/hostname", hostname, strlen(hostname), 0644, 0);
        if (mounts_etc_files(POD_S1, hostname, l->netp.addrs, l->hosts_mode, l->resolv_mode, &err) < 0) {
                log_error("preparing /etc/hosts and /etc/resolv.conf: %s", err.msg);
                _exit(EXIT_SETUP);
        }
        if (overlay_open_store(POD_S1, &err) < 0) {
                log_error("preparing the apps' overlays: %s", err.msg);
                _exit(EXIT_SETUP);
        }
        if (mounts_setup_pod(POD_S1, console, &opt->cg, &err) < 0) {
                log_error("preparing the pod filesystem: %s", err.msg);
                _exit(EXIT_SETUP);
        }
        if ((opt->base_mnt_ns_fd = appns_base_create(&err)) < 0) {
                log_error("preparing the pod filesystem: %s", err.msg);
                _exit(EXIT_SETUP);
        }
        /* Namespaces and root are final: the launcher may publish our pid. */
        (void)!write(sync_fd, "S", 1);
        close(sync_fd);
        r = pid1_main(m, opt, &(struct control_options){ .owner = l->owner });
        pod_manifest_free(m);
        exit(r);
}

int launcher_main(int argc, char **argv)
{
        struct launch l = { .netp = { .netns_fd = -1 } };
        _cleanup_(net_list_donep) struct net_list *nets_owned = &l.nets;      /* freed on every return */
        struct pod_err err = { 0 };
        _cleanup_(pod_manifest_freep) struct pod_manifest *m = NULL;  /* freed on every return */
        struct pod_options opt = { 0 };
        _cleanup_free_ char *pod_dir = NULL;
        _cleanup_free_ int *log_dirfds = NULL;
        const char *console = NULL;
        int lock_fd = -1, sync[2], ready[2] = { -1, -1 }, user_ready = -1, idx = 1, r;
        long v;
        char buf;
        sigset_t set;
        pid_t child;
        const struct opt opts[] = {
                { "debug", OPT_BOOL, &l.debug },
                { "interactive", OPT_BOOL, &l.interactive },
                { "mutable", OPT_BOOL, &l.mutable_pod },
                { "disable-capabilities-restriction", OPT_BOOL, &l.disable_caps },
                { "disable-paths", OPT_BOOL, &l.disable_paths },
                { "disable-seccomp", OPT_BOOL, &l.disable_seccomp },
                { "net", OPT_STR, &l.net },
                { "netns", OPT_STR, &l.netns },
                { "hostname", OPT_STR, &l.hostname },
                { "ipc", OPT_STR, &l.ipc },
                { "private-users", OPT_STR, &l.private_users },
                { "mds-token", OPT_STR, &l.mds_token },
                { "local-config", OPT_STR, &l.local_config },
                { "dns-conf-mode", OPT_STR, &l.dns_mode },
                { "ready-fd", OPT_STR, &l.ready_fd },
                { "max-clients", OPT_STR, &l.max_clients },
                { "max-message", OPT_STR, &l.max_message },
                { "console-format", OPT_STR, &l.console_format },
                { "cgroup-parent", OPT_STR, &l.cgroup_parent },
                { "net-config-dir", OPT_STR, &l.net_config_dir },
                { "net-plugin-dir", OPT_STR, &l.net_plugin_dir },
                { "net-timeout", OPT_STR, &l.net_timeout },
                { "owner-uid", OPT_STR, &l.owner_uid },
        };

        /* Started by rkt's stage0 (which always sets RKT_SELINUX_CONTEXT, if only empty), speak as
         * its stage1 did ("stage1: ..."; rkt's tests grep it). */
        const char *prefix = getenv("RKT_SELINUX_CONTEXT") ? "stage1" : "podinit";

        log_init(prefix, false);
        if (args_parse(argc, argv, &idx, opts, ARRAY_SIZE(opts), &err) < 0) {
                log_error("%s", err.msg);
                usage();
                return 2;
        }
        log_init(prefix, l.debug);
        if (idx != argc - 1 || !uuid_valid(argv[idx])) {
                log_error(idx < argc ? "\"%s\" is not a pod UUID" : "missing the pod UUID%s",
                          idx < argc ? argv[idx] : "");
                usage();
                return 2;
        }
        l.uuid = argv[idx];

        opt.uuid = l.uuid;
        opt.ready_fd = -1;
        opt.base_mnt_ns_fd = -1;
        opt.max_clients = 64;
        opt.max_frame = PROTO_DEFAULT_MAX_FRAME;
        if (l.ready_fd) {
                if (parse_long(l.ready_fd, 3, 65535, &v) < 0 || fcntl((int)v, F_GETFD) < 0) {
                        log_error("--ready-fd=%s is not an open file descriptor", l.ready_fd);
                        return EXIT_SETUP;
                }
                opt.ready_fd = (int)v;
                fd_set_cloexec(opt.ready_fd, 1);
        }
        if (l.max_clients) {
                if (parse_long(l.max_clients, 1, 100000, &v) < 0) {
                        log_error("--max-clients=%s: expected a number from 1 to 100000", l.max_clients);
                        return EXIT_SETUP;
                }
                opt.max_clients = (unsigned)v;
        }
        if (l.max_message) {
                if (parse_long(l.max_message, 256, 64L << 20, &v) < 0) {
                        log_error("--max-message=%s: expected a byte count from 256 to 67108864", l.max_message);
                        return EXIT_SETUP;
                }
                opt.max_frame = (size_t)v;
        }
        l.owner = POD_NO_OWNER;
        if (l.owner_uid && owner_uid_parse(l.owner_uid, &l.owner) < 0) {
                log_error("--owner-uid=%s: expected a numeric uid from 0 to 4294967294", l.owner_uid);
                return EXIT_SETUP;
        }

        opt.console_format = CONSOLE_RKT;
        if (l.console_format) {
                if (!strcmp(l.console_format, "raw"))
                        opt.console_format = CONSOLE_RAW;
                else if (!strcmp(l.console_format, "none"))
                        opt.console_format = CONSOLE_NONE;
                else if (strcmp(l.console_format, "rkt")) {
                        log_error("--console-format=%s: expected raw, rkt or none", l.console_format);
                        return EXIT_SETUP;
                }
        }
        l.clone_flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
        if (l.ipc && *l.ipc && strcmp(l.ipc, "auto") && strcmp(l.ipc, "private")) {
                if (strcmp(l.ipc, "parent")) {
                        log_error("--ipc=%s: expected auto, private or parent", l.ipc);
                        return EXIT_SETUP;
                }
                l.clone_flags &= ~CLONE_NEWIPC;
        }
        if (l.hostname && strlen(l.hostname) > HOST_NAME_MAX) {
                log_error("--hostname: \"%.20s...\" is %zu characters long; the limit is %d", l.hostname,
                          strlen(l.hostname), HOST_NAME_MAX);
                return EXIT_SETUP;
        }
        if (l.hostname && *l.hostname)
                snprintf(l.host_name, sizeof(l.host_name), "%s", l.hostname);
        else
                snprintf(l.host_name, sizeof(l.host_name), "rkt-%s", l.uuid);
        if (dns_conf_mode_parse(l.dns_mode, &l.hosts_mode, &l.resolv_mode, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_SETUP;
        }
        if (parse_net(&l, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_SETUP;
        }
        if (l.new_net)
                l.clone_flags |= CLONE_NEWNET;
        if (l.interactive)
                l.interactive_all = true;
        if (l.private_users && *l.private_users) {
                /* Running without the user namespace that was asked for would
                 * be quietly less isolated than requested: refuse instead. */
                log_error("--private-users=%s: user namespaces are not supported by podinit yet; run the pod without --private-users",
                          l.private_users);
                return EXIT_SETUP;
        }

        if (get_lock(&lock_fd, l.uuid, &err) < 0 || load_manifest(&m, &err) < 0) {
                log_error("%s", err.msg);
                return EXIT_SETUP;
        }
        if (l.interactive_all) {
                /* rkt's --interactive: every stream of the (single) app. */
                if (m->n_apps != 1) {
                        log_error("--interactive needs a pod with exactly one app (this one has %zu)", m->n_apps);
                        return EXIT_SETUP;
                }
                for (int k = 0; k < IO_STREAMS; k++)
                        m->apps[0].io[k] = IO_INTERACTIVE;
        }
        if (pod_has_interactive(m) && !isatty(STDIN_FILENO)) {
                log_error("an app is interactive but podinit's stdin is not a terminal; run it from a terminal, in the foreground");
                return EXIT_SETUP;
        }
        r = open_log_dirs(m, &opt, &err);
        /* Owned here, freed on every return (PID 1 has its own copy). */
        pod_dir = (char *)opt.pod_dir;
        log_dirfds = opt.log_dirfds;
        if (r < 0) {
                log_error("%s", err.msg);
                return EXIT_SETUP;
        }
        /* Block the signals we wait for before the networks and the child
         * exist, so none is lost: a SIGTERM during the CNI setup stops the
         * pod as soon as it runs, and the networks are torn down after it.
         * The networks come before the pod's cgroup: the plugins must run in
         * ours, not be counted against (or left in) the pod's. */
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, NULL);
        if (setup_networks(&l, &err) < 0) {
                log_error("failed to setup network: %s", err.msg);
                teardown_networks(&l);
                return EXIT_SETUP;
        }
        for (int h = 0; h < CG_NHIER; h++)
                opt.cg.dirfd[h] = -1;
        _cleanup_(cg_pod_closep) struct cg_pod *cg_owned = &opt.cg;     /* PID 1 has its own copy */
        if (setup_cgroup(&l, m, &opt.cg, &err) < 0) {
                log_error("%s", err.msg);
                teardown_networks(&l);
                return EXIT_SETUP;
        }
        /* Volumes are cloned now, while host paths are visible and a bad
         * source is still a clean setup error (init/isolate/volumes.h).  A host
         * source that cannot be found exits 1, as rkt's stage1 did. */
        if ((r = volumes_prepare(m, &err)) < 0) {
                log_error("%s", err.msg);
                teardown_networks(&l);
                return r == -ENOENT ? 1 : EXIT_SETUP;
        }
        opt.caps_unrestricted = l.disable_caps;
        opt.paths_unrestricted = l.disable_paths;
        opt.seccomp_disabled = l.disable_seccomp;
        opt.stop_timeout_ms = m->stop_timeout_ms;
        opt.mutable_pod = l.mutable_pod || m->mutable_pod;
        write_runtime_config(&l);
        if (isatty(STDIN_FILENO))
                console = ttyname(STDIN_FILENO);

        r = EXIT_SETUP;
        if (pipe2(sync, O_CLOEXEC) < 0) {
                log_error("pipe: %s", strerror(errno));
                goto out;
        }
        if (getenv("NOTIFY_SOCKET")) {
                /* PID 1 reports readiness to us; we tell the service manager (and --ready-fd). */
                if (pipe2(ready, O_CLOEXEC) < 0) {
                        log_error("pipe: %s", strerror(errno));
                        goto out;
                }
                user_ready = opt.ready_fd;
                opt.ready_fd = ready[1];
        }
        fflush(NULL);
        /* Reading the manifest, the images' manifests and the network configs
         * freed far more than stays live; give it back before PID 1 inherits
         * the heap: the launcher then idles at a few pages (bench/mem.sh). */
        malloc_trim(0);
        child = (pid_t)syscall(SYS_clone, (unsigned long)l.clone_flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (child < 0) {
                log_error("creating the pod's namespaces (clone): %s", strerror(errno));
                goto out;
        }
        if (child == 0) {
                close(sync[0]);
                pod_child(&l, m, &opt, sync[1], console);
        }
        close(sync[1]);
        if (opt.ready_fd >= 0)
                close(opt.ready_fd);    /* PID 1 holds the only copy now */
        if (read(sync[0], &buf, 1) == 1) {
                char pid[32];
                int n = snprintf(pid, sizeof(pid), "%d\n", (int)child);
                if ((r = write_file_atomic(AT_FDCWD, "pid", pid, (size_t)n, 0644, 0)) < 0)
                        log_warn("writing the pid file: %s", strerror(-r));
        }
        close(sync[0]);
        r = launcher_wait_pod(child, ready[0], user_ready);
out:
        teardown_networks(&l);
        (void)lock_fd;          /* held until we exit, after every status file is on disk */
        return r;
}
