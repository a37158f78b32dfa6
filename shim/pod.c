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
#include <sys/wait.h>

#include "common/client.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/podstate.h"
#include "shim/pod.h"
#include "stage0/layout.h"
#include "stage0/prepare.h"
#include "stage0/rootfs.h"

#define LAUNCH_READY_TIMEOUT_MS 30000
#define POD_STOP_TIMEOUT_MS 15000
#define SCROLLBACK_BYTES "4194304"         /* output the app makes before the shim attaches is kept */

void shim_pod_done(struct shim_pod *p)
{
        free(p->path);
        *p = (struct shim_pod){ 0 };
}

/* containerd's ids allow [A-Za-z0-9_.-]; an app name is an ACName: lower-case, dash-separated. */
static void app_name_from_id(const char *id, char *out, size_t size)
{
        size_t n = 0;

        for (const char *s = id; *s && n + 1 < size; s++) {
                char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                        out[n++] = c;
                else if (n > 0 && out[n - 1] != '-')
                        out[n++] = '-';
        }
        while (n > 0 && out[n - 1] == '-')
                n--;
        out[n] = 0;
        if (n == 0)
                snprintf(out, size, "app");
}

/* Set annotation name to value in an apps[] entry's annotations list. */
static void entry_annotate(json_t *entry, const char *name, const char *value)
{
        json_t *anns = json_object_get(entry, "annotations"), *a;
        size_t i;

        if (!json_is_array(anns)) {
                anns = json_array();
                json_object_set_new(entry, "annotations", anns);
        }
        json_array_foreach(anns, i, a)
                if (!strcmp(json_string_value(json_object_get(a, "name")) ?: "", name)) {
                        json_object_set_new(a, "value", json_string(value));
                        return;
                }
        json_array_append_new(anns, json_pack("{s:s,s:s}", "name", name, "value", value));
}

/* Start podinit in the pod directory; return once it is ready (or why it is not). */
static int launch(struct shim_pod *p, int lock_fd, const struct stage0_oci_spec *spec, bool debug,
                  struct pod_err *err)
{
        const char *podinit = stage0_find_podinit();
        const struct stage0_oci_ns *net = &spec->ns[OCI_NS_NETWORK];
        _cleanup_strv_ char **argv = NULL;
        _cleanup_free_ char *hostname = NULL;
        int ready[2];
        char c, rfd[32], lockenv[32];
        struct pollfd pfd;
        pid_t pid;
        int r;

        if (!podinit)
                return pod_err_set(err, -ENOENT, "cannot find the podinit binary next to the shim; set PODINIT=/path/to/podinit");
        if (net->listed && net->path)
                return pod_err_set(err, -EOPNOTSUPP, "linux.namespaces: joining the network namespace %s is not "
                                   "supported yet (podinit makes its own or uses the host's)", net->path);
        strv_push(&argv, podinit);
        if (debug)
                strv_push(&argv, "--debug");
        /* runc's rule: a network namespace listed without a path is a new, empty one. */
        strv_push(&argv, net->listed ? "--net=none" : "--net=host");
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

/* A blocking connection to the pod's control socket, with the client's timeout. */
static int control_connect(const char *pod_path, struct pod_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", pod_path, POD_PODINIT_DIR);
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct timeval tv = { .tv_sec = CTL_TIMEOUT_MS / 1000 };
        char path[64];
        int fd;

        if (dfd < 0)
                return pod_err_set(err, -errno, "pod control directory %s: %s", dir, strerror(errno));
        snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, PROTO_SOCKET_NAME);
        fd = unix_connect(path);
        if (fd < 0)
                return pod_err_set(err, fd, "connecting to %s/%s: %s", dir, PROTO_SOCKET_NAME, strerror(-fd));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        return fd;
}

static void append_request(char **buf, size_t *len, json_t *req)
{
        char *body;
        uint8_t hdr[PROTO_HEADER_SIZE];
        size_t n;

        json_object_set_new(req, "v", json_integer(PROTO_VERSION));
        body = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        n = strlen(body);
        frame_header(hdr, FRAME_REQUEST, n);
        *buf = xrealloc(*buf, *len + sizeof(hdr) + n);
        memcpy(*buf + *len, hdr, sizeof(hdr));
        memcpy(*buf + *len + sizeof(hdr), body, n);
        *len += sizeof(hdr) + n;
        free(body);
}

/* Read the next RESPONSE frame; *ret its result (NULL for a result-less ok) or an error in err. */
static int read_response(int fd, struct frame_decoder *dec, const char *what, json_t **ret, struct pod_err *err)
{
        for (;;) {
                uint8_t type;
                const uint8_t *payload;
                size_t len;
                char buf[16384];
                ssize_t n;
                int r = frame_decoder_next(dec, &type, &payload, &len);

                if (r < 0)
                        return pod_err_set(err, r, "%s: a bad frame from the pod", what);
                if (r > 0 && type == FRAME_RESPONSE) {
                        json_t *resp = json_loadb((const char *)payload, len, 0, NULL);
                        json_t *e = json_object_get(resp, "error");
                        if (!json_is_true(json_object_get(resp, "ok"))) {
                                r = pod_err_set(err, -EIO, "%s: %s", what,
                                                json_string_value(json_object_get(e, "message")) ?: "refused by the pod");
                                json_decref(resp);
                                return r;
                        }
                        *ret = json_incref(json_object_get(resp, "result"));
                        json_decref(resp);
                        return 0;
                }
                if (r > 0)
                        continue;       /* not ours before the response */
                n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return pod_err_set(err, n == 0 ? -ECONNRESET : -errno, "%s: %s", what,
                                           n == 0 ? "the pod closed the connection" : strerror(errno));
                frame_decoder_feed(dec, buf, (size_t)n);
        }
}

static int control_call(const char *pod_path, json_t *req, const char *what, struct pod_err *err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = control_connect(pod_path, err);
        struct frame_decoder dec;
        json_t *res = NULL;
        size_t len = 0;
        int r;

        if (fd < 0) {
                json_decref(req);
                return fd;
        }
        append_request(&buf, &len, req);
        if ((r = send_all(fd, buf, len)) < 0)
                return pod_err_set(err, r, "%s: %s", what, strerror(-r));
        frame_decoder_init(&dec, 16u << 20);
        r = read_response(fd, &dec, what, &res, err);
        json_decref(res);
        frame_decoder_done(&dec);
        return r;
}

/* Unpack the app (its root: the bundle's rootfs), check it in the manifest, hand it to podinit. */
static int add_app(struct shim_pod *p, int podfd, struct stage0_oci_spec *spec, const struct shim_pod_io *io,
                   struct pod_err *err)
{
        _cleanup_close_ int lockfd = openat(podfd, "app.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        _cleanup_free_ char *data = NULL, *out = NULL;
        struct pod_manifest *m = NULL;
        json_t *pod = NULL, *entry = NULL;
        const char *in_mode = io->terminal ? "tty" : io->in ? "stream" : "null";
        int r;

        if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0)
                return pod_err_set(err, -errno, "locking %s/app.lock: %s", p->path, strerror(errno));
        spec->app.name = xstrdup(p->app);
        if ((r = stage0_app_unpack(NULL, p->path, &spec->app, &entry, err)) < 0)
                return r;
        /* The bundle's rootfs, bound on the host at the app's place; propagation carries it into the pod. */
        if (spec->app.rootfs && (r = stage0_rootfs_attach(p->path, p->app, spec->app.rootfs, err)) < 0)
                goto undo;
        /* containerd's fifos are fed from an attach stream; the CRI log file gets a copy too. */
        entry_annotate(entry, "coreos.com/rkt/stage2/stdin", in_mode);
        entry_annotate(entry, "coreos.com/rkt/stage2/stdout", io->terminal ? "tty" : io->out ? "stream" : "log");
        entry_annotate(entry, "coreos.com/rkt/stage2/stderr", io->terminal ? "tty" : io->err ? "stream" : "log");
        entry_annotate(entry, "podinit.io/scrollback-bytes", SCROLLBACK_BYTES);
        if (io->terminal || io->out || io->err)
                entry_annotate(entry, "podinit.io/log-attached", "true");
        if ((r = read_file_at(podfd, "pod", POD_MANIFEST_MAX_BYTES, &data, NULL)) < 0) {
                pod_err_set(err, r, "reading the pod manifest: %s", strerror(-r));
                goto undo;
        }
        pod = json_loads(data, 0, NULL);
        if (!json_is_array(json_object_get(pod, "apps"))) {
                r = pod_err_set(err, -EINVAL, "reading the pod manifest: not a pod manifest");
                goto undo;
        }
        json_array_append(json_object_get(pod, "apps"), entry);
        out = json_dumps(pod, JSON_INDENT(2));
        if (!out || (r = pod_manifest_parse(out, strlen(out), &m, err)) < 0 ||
            (r = stage0_app_check_ids(podfd, NULL, &m->apps[m->n_apps - 1], err)) < 0) {
                if (!out)
                        r = pod_err_set(err, -ENOMEM, "the pod manifest cannot be serialised");
                goto undo;
        }
        if ((r = control_call(p->path, json_pack("{s:s,s:O}", "op", "app-add", "app", entry), "adding the app", err)) < 0)
                goto undo;
        if ((r = write_file_atomic(podfd, "pod", out, strlen(out), 0640, WRITE_SYNC)) < 0) {
                pod_err_set(err, r, "writing the pod manifest: %s", strerror(-r));
                goto undo;
        }
        pod_manifest_free(m);
        json_decref(pod);
        json_decref(entry);
        return 0;
undo:
        pod_manifest_free(m);
        json_decref(pod);
        json_decref(entry);
        stage0_app_discard(podfd, p->app);
        return r;
}

static int record_pod(const char *bundle, const struct shim_pod *p, struct pod_err *err)
{
        _cleanup_free_ char *text = xasprintf("%s\n%s\n", p->path, p->app);
        _cleanup_close_ int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = dfd < 0 ? -errno : write_file_atomic(dfd, SHIM_POD_FILE, text, strlen(text), 0600, WRITE_SYNC);

        if (r < 0)
                return pod_err_set(err, r, "recording the pod in %s/%s: %s", bundle, SHIM_POD_FILE, strerror(-r));
        return 0;
}

int shim_pod_create(const char *state_dir, const char *bundle, const char *id, struct stage0_oci_spec *spec,
                    const struct shim_pod_io *io, bool debug, struct shim_pod *ret, struct pod_err *err)
{
        struct stage0_pod pod = { .mutable_pod = true };
        struct stage0_dir d = { .fd = -1 };
        struct shim_pod p = { 0 };
        _cleanup_close_ int podfd = -1;
        int r;

        app_name_from_id(id, p.app, sizeof(p.app));
        if ((r = mkdir_p_at(AT_FDCWD, state_dir, 0711)) < 0)
                return pod_err_set(err, r, "creating the shim's state directory %s: %s", state_dir, strerror(-r));
        if ((r = stage0_dir_create(state_dir, &d, err)) < 0)
                return r;
        if ((r = stage0_prepare(d.fd, d.prepare_path, &pod, err)) < 0 || (r = stage0_dir_commit(&d, NULL, err)) < 0)
                goto fail;
        p.path = xstrdup(d.run_path);
        snprintf(p.uuid, sizeof(p.uuid), "%s", d.uuid);
        if ((r = record_pod(bundle, &p, err)) < 0 || (r = stage0_rootfs_share(p.path, err)) < 0)
                goto fail;
        podfd = open(p.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (podfd < 0) {
                r = pod_err_set(err, -errno, "%s: %s", p.path, strerror(errno));
                goto fail;
        }
        if ((r = launch(&p, d.fd, spec, debug, err)) < 0)
                goto fail;
        close(TAKE_FD(d.fd));           /* podinit's launcher holds the lock now */
        if ((r = add_app(&p, podfd, spec, io, err)) < 0) {
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
        _cleanup_close_ int fd = control_connect(p->path, err);
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
        append_request(&buf, &len, json_pack("{s:s,s:s}", "op", "app-start", "app", p->app));
        if (!attach)
                append_request(&buf, &len, json_pack("{s:s}", "op", "status"));    /* for the app's pid */
        else
                append_request(&buf, &len, json_pack("{s:s,s:s,s:b,s:b,s:b,s:s,s:i}", "op", "attach", "app", p->app,
                                                     "stdin", io->terminal || io->in, "stdout", io->terminal || io->out,
                                                     "stderr", !io->terminal && io->err, "overflow", "disconnect",
                                                     "queue", 64 << 20));
        if ((r = send_all(fd, buf, len)) < 0)
                return pod_err_set(err, r, "starting the app: %s", strerror(-r));
        frame_decoder_init(dec, 16u << 20);
        if ((r = read_response(fd, dec, "starting the app", &res, err)) < 0)
                goto fail;
        json_decref(res);
        res = NULL;
        if (attach) {
                if ((r = read_response(fd, dec, "attaching to the app", &res, err)) < 0)
                        goto fail;
                *ret_ns_pid = (pid_t)json_integer_value(json_object_get(res, "pid"));
                json_decref(res);
                *ret_fd = TAKE_FD(fd);
                return 0;
        }
        *ret_ns_pid = 0;
        if (read_response(fd, dec, "the pod's status", &res, err) == 0) {
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
        _cleanup_close_ int fd = control_connect(p->path, err);
        json_t *res = NULL;
        size_t len = 0;
        int r;

        if (fd < 0)
                return fd;
        append_request(&buf, &len, json_pack("{s:s,s:i}", "op", "events", "since", 0));
        if ((r = send_all(fd, buf, len)) < 0)
                return pod_err_set(err, r, "watching the pod's events: %s", strerror(-r));
        frame_decoder_init(dec, 16u << 20);
        if ((r = read_response(fd, dec, "watching the pod's events", &res, err)) < 0) {
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
        _cleanup_close_ int fd = control_connect(p->path, err);
        json_t *res = NULL;
        size_t len = 0;
        int r;

        if (fd < 0)
                return fd;
        append_request(&buf, &len, json_pack("{s:s,s:s,s:O,s:O,s:b,s:b}", "op", "exec", "app", p->app, "argv", argv,
                                             "env", env, "tty", tty, "stdin", in));
        if ((r = send_all(fd, buf, len)) < 0)
                return pod_err_set(err, r, "exec: %s", strerror(-r));
        frame_decoder_init(dec, 16u << 20);
        if ((r = read_response(fd, dec, "exec", &res, err)) < 0) {
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

/* Wait for the launcher (our child, or not: a `shim delete` after the shim was killed). */
static bool wait_pod_gone(struct shim_pod *p, unsigned timeout_ms)
{
        uint64_t end = now_mono_ns() + (uint64_t)timeout_ms * 1000000u;

        for (;;) {
                bool gone;
                if (p->launcher > 0 && waitpid(p->launcher, NULL, WNOHANG) == p->launcher)
                        p->launcher = 0;
                gone = p->pid1 <= 0 || (kill(p->pid1, 0) < 0 && errno == ESRCH);
                if (p->launcher <= 0 && gone)
                        return true;
                if (p->launcher > 0 && gone && kill(p->launcher, 0) < 0)
                        return true;
                if (now_mono_ns() > end)
                        return false;
                poll(NULL, 0, 10);
        }
}

int shim_pod_destroy(struct shim_pod *p, struct pod_err *err)
{
        _cleanup_close_ int podfd = -1;
        struct pod_err ignored = { 0 };
        int r;

        if (!p->path)
                return 0;
        if (p->pid1 <= 0)
                pod_pid1(p->path, &p->pid1, NULL);
        /* Forced: containerd has already had the task killed, or is tearing a dead shim down. */
        control_call(p->path, json_pack("{s:s,s:b}", "op", "stop", "force", true), "stopping the pod", &ignored);
        if (!wait_pod_gone(p, POD_STOP_TIMEOUT_MS)) {
                if (p->pid1 > 0)
                        kill(p->pid1, SIGKILL);
                if (!wait_pod_gone(p, 2000))
                        return pod_err_set(err, -EBUSY, "pod %s did not stop; it is left in %s", p->uuid, p->path);
        }
        podfd = open(p->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (podfd < 0)
                return errno == ENOENT ? 0 : pod_err_set(err, -errno, "%s: %s", p->path, strerror(errno));
        stage0_rootfs_detach(podfd, p->app);
        stage0_rootfs_unshare(p->path, NULL);
        /* The container's rootfs must not be under the pod any more: rm would empty it. */
        {
                _cleanup_free_ char *rootfs = xasprintf("stage1/rootfs/opt/stage2/%s/rootfs", p->app);
                if (stage0_is_mount_point(podfd, rootfs) > 0 || stage0_is_mount_point(podfd, "stage1/rootfs/opt/stage2") > 0)
                        return pod_err_set(err, -EBUSY, "pod %s still has mounts under %s; it is left there", p->uuid, p->path);
        }
        r = rm_rf_at(AT_FDCWD, p->path);
        if (r < 0 && r != -ENOENT)
                return pod_err_set(err, r, "removing %s: %s", p->path, strerror(-r));
        return 0;
}

int shim_pod_load(const char *bundle, struct shim_pod *ret)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", bundle, SHIM_POD_FILE), *data = NULL;
        char *nl, *app;
        struct shim_pod p = { 0 };
        int r;

        if ((r = read_file_at(AT_FDCWD, path, 8192, &data, NULL)) < 0)
                return r;
        nl = strchr(data, '\n');
        if (!nl)
                return -EINVAL;
        *nl = 0;
        app = nl + 1;
        if ((nl = strchr(app, '\n')))
                *nl = 0;
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
