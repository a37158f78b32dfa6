/*
 * The pod behind a task (shim/pod.h): prepared with stage0 like `podctl app
 * sandbox`, launched like `podctl run -d` (podinit's launcher in its own
 * session, holding the pod's lock, reporting readiness on a pipe), the
 * container added as an app whose root is the bundle's rootfs.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "common/cgroup.h"
#include "common/client.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/podstate.h"
#include "shim/pod_int.h"
#include "stage0/layout.h"
#include "stage0/prepare.h"
#include "stage0/rootfs.h"

#define LAUNCH_READY_TIMEOUT_MS 30000
#define POD_STOP_TIMEOUT_MS 15000

/* Start podinit in the pod directory; return once it is ready (or why it is not). */
static int launch(struct shim_pod *p, int lock_fd, const struct stage0_oci_spec *spec, bool debug,
                  struct pod_err *err)
{
        const char *podinit = stage0_find_podinit();
        const struct stage0_oci_ns *net = &spec->ns[OCI_NS_NETWORK];
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *hostname = NULL, *netns = NULL;
        int ready[2];
        char c, rfd[32], lockenv[32];
        struct pollfd pfd;
        pid_t pid;
        int r;

        if (!podinit)
                return pod_err_set(err, -ENOENT, "cannot find the podinit binary next to the shim; set PODINIT=/path/to/podinit");
        strv_push(&argv, podinit);
        if (debug)
                strv_push(&argv, "--debug");
        /*
         * runc's rule: a network namespace listed without a path is a new,
         * empty one; with a path (CRI's sandbox netns, made and set up by
         * containerd with CNI) the pod joins it and leaves it to its owner.
         */
        if (net->listed && net->path) {
                netns = xasprintf("--netns=%s", net->path);
                strv_push(&argv, netns);
        } else {
                strv_push(&argv, net->listed ? "--net=none" : "--net=host");
        }
        if (spec->hostname) {
                hostname = xasprintf("--hostname=%s", spec->hostname);
                strv_push(&argv, hostname);
        }
        strv_push(&argv, "--console-format=none");
        strv_push(&argv, "--mutable");
        strv_push(&argv, "--ready-fd=X");
        strv_push(&argv, p->uuid);

        if (pipe2(ready, O_CLOEXEC) < 0)
                return pod_err_set(err, -errno, "pipe: %s", strerror(errno));
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(ready[0]);
                close(ready[1]);
                return pod_err_set(err, r, "fork: %s", strerror(-r));
        }
        if (pid == 0) {
                int out, in, fd;

                if (chdir(p->path) < 0)
                        _exit(254);
                out = open(POD_CONSOLE_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
                in = open("/dev/null", O_RDONLY | O_CLOEXEC);
                setsid();
                if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(254);
                fd = fcntl(ready[1], F_DUPFD, 3);       /* without CLOEXEC: podinit inherits it */
                snprintf(rfd, sizeof(rfd), "--ready-fd=%d", fd);
                for (char **a = argv; *a; a++)
                        if (!strcmp(*a, "--ready-fd=X"))
                                *a = rfd;
                snprintf(lockenv, sizeof(lockenv), "%d", lock_fd);
                setenv("RKT_LOCK_FD", lockenv, 1);
                fd_set_cloexec(lock_fd, 0);
                signal(SIGPIPE, SIG_DFL);
                execv(podinit, argv);
                _exit(254);
        }
        close(ready[1]);
        p->launcher = pid;
        pfd = (struct pollfd){ .fd = ready[0], .events = POLLIN };
        do
                r = poll(&pfd, 1, LAUNCH_READY_TIMEOUT_MS);
        while (r < 0 && errno == EINTR);
        r = r == 1 ? (int)read(ready[0], &c, 1) : -1;
        close(ready[0]);
        if (r == 1) {
                /* PID 1 reports readiness itself; the launcher may write the pid file a moment later. */
                uint64_t end = now_mono_ns() + 2000000000ull;
                while (pod_pid1(p->path, &p->pid1, NULL) < 0 && now_mono_ns() < end)
                        poll(NULL, 0, 2);
                return 0;
        }
        {
                _cleanup_free_ char *log = NULL;
                _cleanup_free_ char *path = xasprintf("%s/%s", p->path, POD_CONSOLE_LOG);
                int st = 0;

                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                p->launcher = 0;
                read_file_at(AT_FDCWD, path, 4096, &log, NULL);
                return pod_err_set(err, -EIO, "podinit did not start the pod (%s): %s",
                                   WIFEXITED(st) ? "it exited" : "killed", log && *log ? log : "no message");
        }
}

int shim_pod_create(const char *state_dir, const char *bundle, const char *app, struct stage0_oci_spec *spec,
                    const struct shim_pod_io *io, bool debug, struct shim_pod *ret, struct pod_err *err)
{
        struct stage0_pod pod = { .mutable_pod = true };
        struct stage0_dir d = { .fd = -1 };
        struct shim_pod p = { 0 };
        _cleanup_close_ int podfd = -1;
        int r;

        snprintf(p.app, sizeof(p.app), "%s", app);
        if ((r = mkdir_p_at(AT_FDCWD, state_dir, 0711)) < 0)
                return pod_err_set(err, r, "creating the shim's state directory %s: %s", state_dir, strerror(-r));
        if ((r = stage0_dir_create(state_dir, &d, err)) < 0)
                return r;
        if ((r = stage0_prepare(d.fd, d.prepare_path, &pod, err)) < 0 || (r = stage0_dir_commit(&d, NULL, err)) < 0)
                goto fail;
        p.path = xstrdup(d.run_path);
        snprintf(p.uuid, sizeof(p.uuid), "%s", d.uuid);
        if ((r = shim_pod_record(bundle, &p, err)) < 0 || (r = stage0_rootfs_share(p.path, err)) < 0)
                goto fail;
        podfd = open(p.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (podfd < 0) {
                r = pod_err_set(err, -errno, "%s: %s", p.path, strerror(errno));
                goto fail;
        }
        if ((r = launch(&p, d.fd, spec, debug, err)) < 0)
                goto fail;
        close(TAKE_FD(d.fd));           /* podinit's launcher holds the lock now */
        if ((r = shim_app_add(&p, podfd, spec, io, err)) < 0) {
                struct pod_err ignored = { 0 };
                shim_pod_destroy(&p, &ignored);
                shim_pod_done(&p);
                stage0_dir_done(&d);
                return r;
        }
        stage0_dir_done(&d);
        *ret = p;
        return 0;
fail:
        if (p.path)
                stage0_rootfs_unshare(p.path, NULL);
        stage0_dir_discard(&d);
        stage0_dir_done(&d);
        shim_pod_done(&p);
        return r;
}

int shim_pod_start(struct shim_pod *p, const struct shim_pod_io *io, int *ret_fd, struct frame_decoder *dec,
                   pid_t *ret_ns_pid, struct pod_err *err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = shim_control_connect(p->path, err);
        bool attach = io->terminal || io->in || io->out || io->err;
        json_t *res = NULL;
        size_t len = 0;
        int r;

        if (fd < 0)
                return fd;
        /*
         * Both requests in one write: podinit handles them in one go, before
         * its loop can reap the app, so even an app that exits at once is
         * attached and its output comes from the scrollback.
         */
        shim_append_request(&buf, &len, json_pack("{s:s,s:s}", "op", "app-start", "app", p->app));
        if (!attach)
                shim_append_request(&buf, &len, json_pack("{s:s}", "op", "status"));    /* for the app's pid */
        else
                shim_append_request(&buf, &len, json_pack("{s:s,s:s,s:b,s:b,s:b,s:s,s:i}", "op", "attach", "app", p->app,
                                                     "stdin", io->terminal || io->in, "stdout", io->terminal || io->out,
                                                     "stderr", !io->terminal && io->err, "overflow", "disconnect",
                                                     "queue", 64 << 20));
        if ((r = send_all(fd, buf, len)) < 0)
                return pod_err_set(err, r, "starting the app: %s", strerror(-r));
        frame_decoder_init(dec, 16u << 20);
        if ((r = shim_read_response(fd, dec, "starting the app", &res, err)) < 0)
                goto fail;
        json_decref(res);
        res = NULL;
        if (attach) {
                if ((r = shim_read_response(fd, dec, "attaching to the app", &res, err)) < 0)
                        goto fail;
                *ret_ns_pid = (pid_t)json_integer_value(json_object_get(res, "pid"));
                json_decref(res);
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        *ret_ns_pid = 0;
        if (shim_read_response(fd, dec, "the pod's status", &res, err) == 0) {
                size_t i;
                json_t *a;
                json_array_foreach(json_object_get(res, "apps"), i, a)
                        if (!strcmp(json_string_value(json_object_get(a, "name")) ?: "", p->app))
                                *ret_ns_pid = (pid_t)json_integer_value(json_object_get(a, "pid"));
                json_decref(res);
        }
        frame_decoder_done(dec);
        *ret_fd = -1;
        return 0;
fail:
        frame_decoder_done(dec);
        return r;
}

int shim_pod_events(const struct shim_pod *p, int *ret_fd, struct frame_decoder *dec, struct pod_err *err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = shim_control_connect(p->path, err);
        json_t *res = NULL;
        size_t len = 0;
        int r;

        if (fd < 0)
                return fd;
        shim_append_request(&buf, &len, json_pack("{s:s,s:i}", "op", "events", "since", 0));
        if ((r = send_all(fd, buf, len)) < 0)
                return pod_err_set(err, r, "watching the pod's events: %s", strerror(-r));
        frame_decoder_init(dec, 16u << 20);
        if ((r = shim_read_response(fd, dec, "watching the pod's events", &res, err)) < 0) {
                frame_decoder_done(dec);
                return r;
        }
        json_decref(res);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

int shim_pod_exec(const struct shim_pod *p, json_t *argv, json_t *env, bool tty, bool in, int *ret_fd,
                  struct frame_decoder *dec, pid_t *ret_ns_pid, struct pod_err *err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = shim_control_connect(p->path, err);
        json_t *res = NULL;
        size_t len = 0;
        int r;

        if (fd < 0)
                return fd;
        shim_append_request(&buf, &len, json_pack("{s:s,s:s,s:O,s:O,s:b,s:b}", "op", "exec", "app", p->app, "argv", argv,
                                             "env", env, "tty", tty, "stdin", in));
        if ((r = send_all(fd, buf, len)) < 0)
                return pod_err_set(err, r, "exec: %s", strerror(-r));
        frame_decoder_init(dec, 16u << 20);
        if ((r = shim_read_response(fd, dec, "exec", &res, err)) < 0) {
                frame_decoder_done(dec);
                return r;
        }
        *ret_ns_pid = (pid_t)json_integer_value(json_object_get(res, "pid"));
        json_decref(res);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The last number of the NSpid line of /proc/<pid>/status, and the first (the host's). */
static bool nspid_of(pid_t pid, pid_t *ret_host, pid_t *ret_inner)
{
        char path[64], line[256];
        _cleanup_fclose_ FILE *f = NULL;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        if (!(f = fopen(path, "re")))
                return false;
        while (fgets(line, sizeof(line), f))
                if (!strncmp(line, "NSpid:", 6)) {
                        char *s = line + 6, *end;
                        long v, first = -1, last = -1;
                        while ((v = strtol(s, &end, 10)), end != s) {
                                if (first < 0)
                                        first = v;
                                last = v;
                                s = end;
                        }
                        *ret_host = (pid_t)first;
                        *ret_inner = (pid_t)last;
                        return first > 0;
                }
        return false;
}

pid_t shim_pod_host_pid(const struct shim_pod *p, pid_t ns_pid)
{
        _cleanup_(closedirp) DIR *d = NULL;
        char want[64], have[64], path[64];
        struct dirent *de;
        ssize_t n;

        if (p->pid1 <= 0 || ns_pid <= 0)
                return 0;
        if (ns_pid == 1)
                return p->pid1;
        /* Apps and exec sessions are PID 1's children: its children list is the short way. */
        {
                _cleanup_free_ char *kids = NULL;
                char *save = NULL;
                snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)p->pid1, (int)p->pid1);
                if (read_file_at(AT_FDCWD, path, 1 << 20, &kids, NULL) >= 0)
                        for (char *w = strtok_r(kids, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
                                pid_t host, inner;
                                if (nspid_of((pid_t)atoi(w), &host, &inner) && inner == ns_pid)
                                        return host;
                        }
        }
        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)p->pid1);
        if ((n = readlink(path, want, sizeof(want) - 1)) <= 0)
                return 0;
        want[n] = 0;
        if (!(d = opendir("/proc")))
                return 0;
        while ((de = readdir(d))) {
                pid_t pid = (pid_t)atoi(de->d_name), host, inner;
                if (pid <= 0 || !nspid_of(pid, &host, &inner) || inner != ns_pid)
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
                if ((n = readlink(path, have, sizeof(have) - 1)) <= 0)
                        continue;
                have[n] = 0;
                if (!strcmp(have, want))
                        return host;
        }
        return 0;
}

/*
 * Wait for the launcher (our child, or not: a `shim delete` after the shim
 * was killed) and PID 1.  The launcher exits last (it reaps PID 1): a pidfd
 * of it (of PID 1 if it is not ours) wakes us when it ends instead of a
 * polling interval, which CRI's StopPodSandbox would wait out; once that has
 * fired (or without pidfds) the rest is polled in 1 ms steps.
 */
static bool wait_pod_gone(struct shim_pod *p, unsigned timeout_ms)
{
        uint64_t end = now_mono_ns() + (uint64_t)timeout_ms * 1000000u;
        pid_t watch = p->launcher > 0 ? p->launcher : p->pid1;
        _cleanup_close_ int pfd = watch > 0 ? (int)syscall(SYS_pidfd_open, watch, 0) : -1;

        for (;;) {
                bool gone;
                uint64_t now;
                if (p->launcher > 0 && waitpid(p->launcher, NULL, WNOHANG) == p->launcher)
                        p->launcher = 0;
                gone = p->pid1 <= 0 || (kill(p->pid1, 0) < 0 && errno == ESRCH);
                if (p->launcher <= 0 && gone)
                        return true;
                if (p->launcher > 0 && gone && kill(p->launcher, 0) < 0)
                        return true;
                if ((now = now_mono_ns()) > end)
                        return false;
                if (pfd >= 0) {
                        struct pollfd x = { .fd = pfd, .events = POLLIN };
                        if (poll(&x, 1, (int)((end - now) / 1000000u) + 1) == 1) {
                                close(TAKE_FD(pfd));
                                /*
                                 * The launcher has exited.  It is our child only in the shim that
                                 * started it; after a shim's death (`shim delete`) it is an orphan
                                 * whose reaper (a subreaper, or the host's init, which may reap
                                 * late) is not us, and kill(pid, 0) still finds its zombie.
                                 */
                                if (watch == p->launcher) {
                                        waitpid(p->launcher, NULL, WNOHANG);
                                        p->launcher = 0;
                                }
                        }
                } else {
                        poll(NULL, 0, 1);
                }
        }
}

int shim_pod_destroy(struct shim_pod *p, struct pod_err *err)
{
        _cleanup_close_ int podfd = -1, lockfd = -1;
        struct pod_err ignored = { 0 };
        int r;

        if (!p->path)
                return 0;
        if (p->pid1 <= 0)
                pod_pid1(p->path, &p->pid1, NULL);
        /* Forced: containerd has already had the task killed, or is tearing a dead shim down. */
        shim_control_call(p->path, json_pack("{s:s,s:b}", "op", "stop", "force", true), "stopping the pod", &ignored);
        if (!wait_pod_gone(p, POD_STOP_TIMEOUT_MS)) {
                if (p->pid1 > 0)
                        kill(p->pid1, SIGKILL);
                if (!wait_pod_gone(p, 2000))
                        return pod_err_set(err, -EBUSY, "pod %s did not stop; it is left in %s", p->uuid, p->path);
        }
        podfd = open(p->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (podfd < 0)
                return errno == ENOENT ? 0 : pod_err_set(err, -errno, "%s: %s", p->path, strerror(errno));
        /* Every app's rootfs: the sandbox's containers may still be there (a dead shim's, or a sandbox deleted first). */
        lockfd = openat(podfd, "app.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lockfd >= 0)
                flock(lockfd, LOCK_EX);
        shim_pod_detach_all(podfd);
        stage0_rootfs_unshare(p->path, NULL);
        /* The container's rootfs must not be under the pod any more: rm would empty it. */
        {
                _cleanup_free_ char *rootfs = xasprintf("stage1/rootfs/opt/stage2/%s/rootfs", p->app);
                if (stage0_is_mount_point(podfd, rootfs) > 0 || stage0_is_mount_point(podfd, "stage1/rootfs/opt/stage2") > 0)
                        return pod_err_set(err, -EBUSY, "pod %s still has mounts under %s; it is left there", p->uuid, p->path);
        }
        /* The pod's cgroups (what `podctl gc` removes): their last processes may still be leaving. */
        for (uint64_t end = now_mono_ns() + 2000000000ull;;) {
                struct pod_err cgerr = { 0 };
                if (cg_pod_remove_recorded(p->path, p->uuid, &cgerr) == 0)
                        break;
                if (now_mono_ns() > end) {
                        log_warn("pod %s: %s", p->uuid, cgerr.msg);
                        break;
                }
                poll(NULL, 0, 2);
        }
        r = rm_rf_at(AT_FDCWD, p->path);
        if (r < 0 && r != -ENOENT)
                return pod_err_set(err, r, "removing %s: %s", p->path, strerror(-r));
        return 0;
}

int shim_pod_load(const char *bundle, struct shim_pod *ret)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", bundle, SHIM_POD_FILE), *data = NULL;
        char *nl, *app, *role = NULL;
        struct shim_pod p = { 0 };
        int r;

        if ((r = read_file_at(AT_FDCWD, path, 8192, &data, NULL)) < 0)
                return r;
        nl = strchr(data, '\n');
        if (!nl)
                return -EINVAL;
        *nl = 0;
        app = nl + 1;
        if ((nl = strchr(app, '\n'))) {
                *nl = 0;
                role = nl + 1;
                if ((nl = strchr(role, '\n')))
                        *nl = 0;
        }
        p.member = role && !strcmp(role, "app");
        p.path = xstrdup(data);
        snprintf(p.app, sizeof(p.app), "%s", app);
        {
                const char *slash = strrchr(p.path, '/');
                snprintf(p.uuid, sizeof(p.uuid), "%s", slash ? slash + 1 : p.path);
        }
        pod_pid1(p.path, &p.pid1, NULL);
        *ret = p;
        return 0;
}
