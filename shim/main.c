/*
 * containerd-shim-podinit-v2: the command line containerd 1.6 runs (shim/shim.h).
 *
 *   <shim> -namespace NS -address SOCK -publish-binary BIN -id ID [-debug] start
 *       (cwd: the bundle) binds the shim's ttrpc socket, forks the shim
 *       daemon, writes the socket's address to stdout and exits.  The
 *       socket is named after the task's grouping key: the CRI sandbox id
 *       of config.json's annotations (io.kubernetes.cri.sandbox-id, which
 *       the sandbox carries too), else the task id.  When a shim serves that
 *       socket already (the sandbox's), start prints its address and exits:
 *       containerd then sends the container's Create to the sandbox's shim,
 *       as with containerd's runc v2 shim;
 *   <shim> -namespace NS -address SOCK -publish-binary BIN -id ID -bundle DIR delete
 *       cleans up after a shim that died (containerd also runs it after
 *       every task's delete: then the record is gone and nothing is done):
 *       the pod recorded in the bundle, or for a container of a sandbox only
 *       its app, and the rootfs mount; writes a DeleteResponse (protobuf) to
 *       stdout.
 *
 * Flags are Go's: -name value, -name=value, --name value; the first word that
 * is not a flag is the action.  The environment gives TTRPC_ADDRESS (not used:
 * events go through the publish binary) and PODINIT_SHIM_STATE_DIR, the
 * podctl state directory for the shim's pods (default /run/podinit-shim: see
 * them with `podctl --dir=/run/podinit-shim list`).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <jansson.h>

#include "common/fdutil.h"
#include "common/log.h"
#include "containerd/task/v2/shim.pb-c.h"
#include "shim/shim.h"

struct flags {
        const char *ns, *address, *publish_binary, *id, *bundle, *socket;
        bool debug, version;
        const char *action;
};

static int parse_flags(int argc, char **argv, struct flags *f)
{
        static const struct {
                const char *name;
                size_t off;
        } strs[] = {
                { "namespace", offsetof(struct flags, ns) },
                { "address", offsetof(struct flags, address) },
                { "publish-binary", offsetof(struct flags, publish_binary) },
                { "id", offsetof(struct flags, id) },
                { "bundle", offsetof(struct flags, bundle) },
                { "socket", offsetof(struct flags, socket) },
        };
        int i;

        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
                const char *eq = strchr(a, '=');
                size_t len = eq ? (size_t)(eq - a) : strlen(a);
                size_t k;

                if (!*a)
                        return i + 1 < argc ? (f->action = argv[i + 1], 0) : 0;    /* "--" */
                if ((len == 5 && !strncmp(a, "debug", 5)) || (len == 1 && a[0] == 'v')) {
                        bool v = !eq || !strcmp(eq + 1, "true");
                        if (a[0] == 'd')
                                f->debug = v;
                        else
                                f->version = v;
                        continue;
                }
                for (k = 0; k < ARRAY_SIZE(strs); k++)
                        if (strlen(strs[k].name) == len && !strncmp(strs[k].name, a, len))
                                break;
                if (k == ARRAY_SIZE(strs)) {
                        fprintf(stderr, "%s: unknown flag -%.*s\n", SHIM_NAME, (int)len, a);
                        return -EINVAL;
                }
                if (!eq && i + 1 >= argc) {
                        fprintf(stderr, "%s: flag -%s needs a value\n", SHIM_NAME, a);
                        return -EINVAL;
                }
                *(const char **)((char *)f + strs[k].off) = eq ? eq + 1 : argv[++i];
        }
        f->action = i < argc ? argv[i] : NULL;
        return 0;
}

static const char *state_dir(void)
{
        const char *d = getenv("PODINIT_SHIM_STATE_DIR");

        return d && *d == '/' ? d : SHIM_DEFAULT_STATE_DIR;
}

/*
 * The task's grouping key: the CRI sandbox id in the bundle's config.json
 * (the sandbox's own id for the sandbox), else the task id.  A spec that
 * cannot be read groups by the task id: Create reports what is wrong with it.
 */
static char *group_of(const struct flags *f, const char *bundle)
{
        _cleanup_free_ char *path = xasprintf("%s/config.json", bundle ?: ".");
        json_t *spec = json_load_file(path, 0, NULL);
        const char *v = json_string_value(json_object_get(json_object_get(spec, "annotations"), OCI_ANN_SANDBOX_ID));
        char *r = xstrdup(v && *v ? v : f->id);

        json_decref(spec);
        return r;
}

/* <state>/s/<hash of address, namespace and group>: short enough for sun_path, one per sandbox or task. */
static char *socket_path(const struct flags *f, const char *group)
{
        uint64_t h = 1469598103934665603ull;
        const char *parts[] = { f->address ?: "", f->ns ?: "", group };

        for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
                for (const char *c = parts[i]; *c; c++)
                        h = (h ^ (uint8_t)*c) * 1099511628211ull;
                h = (h ^ 0xff) * 1099511628211ull;
        }
        return xasprintf("%s/s/%016llx", state_dir(), (unsigned long long)h);
}

static int bind_socket(const char *path, struct pod_err *err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_free_ char *dir = xasprintf("%s/s", state_dir());
        _cleanup_close_ int fd = -1;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return pod_err_set(err, -ENAMETOOLONG, "socket path %s is too long; set a shorter PODINIT_SHIM_STATE_DIR", path);
        if ((r = mkdir_p_at(AT_FDCWD, dir, 0711)) < 0)
                return pod_err_set(err, r, "creating %s: %s", dir, strerror(-r));
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return pod_err_set(err, -errno, "socket: %s", strerror(errno));
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int c;
                if (errno != EADDRINUSE)
                        return pod_err_set(err, -errno, "binding %s: %s", path, strerror(errno));
                /* A shim of this task is serving already, or one died and left its socket. */
                c = unix_connect(path);
                if (c >= 0) {
                        close(c);
                        return -EALREADY;
                }
                unlink(path);
                if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                        return pod_err_set(err, -errno, "binding %s: %s", path, strerror(errno));
        }
        chmod(path, 0600);
        if (listen(fd, 128) < 0)
                return pod_err_set(err, -errno, "listening on %s: %s", path, strerror(errno));
        return TAKE_FD(fd);
}

static struct shim the_shim;

static void on_closed(uv_handle_t *h)
{
}

static void finish_if_idle(struct shim_publisher *pub)
{
        struct shim *s = container_of(pub, struct shim, pub);

        if (!s->exiting || !shim_publisher_idle(pub))
                return;
        shim_publisher_close(pub);
        if (!uv_is_closing((uv_handle_t *)&s->sigchld)) {
                uv_close((uv_handle_t *)&s->sigchld, on_closed);
                uv_close((uv_handle_t *)&s->sigterm, on_closed);
        }
}

/* Begin the shim's exit: stop serving, wait for the events to go out. */
static void shim_exit(struct shim *s)
{
        if (s->exiting)
                return;
        s->exiting = true;
        log_debug("shutting down");
        ttrpc_server_close(s->srv);
        unlink(s->socket_path);
        finish_if_idle(&s->pub);        /* else once the last event is out */
}

static void on_sigchld(uv_signal_t *h, int sig)
{
        shim_task_reap(container_of(h, struct shim, sigchld));
}

static void on_sigterm(uv_signal_t *h, int sig)
{
        shim_exit(container_of(h, struct shim, sigterm));
}

/* The daemon: serve the task service until Shutdown. */
static int serve(const struct flags *f, int listen_fd, const char *sock)
{
        struct shim *s = &the_shim;
        const struct ttrpc_service svc = { SHIM_TASK_SERVICE, shim_task_methods, shim_task_n_methods, s };
        int r;

        s->ns = f->ns;
        s->id = f->id;
        s->address = f->address;
        s->publish_binary = f->publish_binary;
        s->debug = f->debug;
        s->state_dir = state_dir();
        s->socket_path = sock;
        s->bundle = f->bundle ? f->bundle : get_current_dir_name();
        signal(SIGPIPE, SIG_IGN);
        uv_loop_init(&s->loop);
        /* containerd gives its shims its ttrpc socket for events; the publish binary is the fallback. */
        shim_publisher_init(&s->pub, &s->loop, f->publish_binary, f->address, f->ns, getenv("TTRPC_ADDRESS"));
        s->pub.on_idle = finish_if_idle;
        s->shutdown = shim_exit;
        if ((r = ttrpc_server_new(&s->loop, &svc, 1, NULL, &s->srv)) < 0 ||
            (r = ttrpc_server_listen_fd(s->srv, listen_fd)) < 0) {
                log_error("serving %s: %s", sock, uv_strerror(r));
                return 1;
        }
        uv_signal_init(&s->loop, &s->sigchld);
        uv_signal_start(&s->sigchld, on_sigchld, SIGCHLD);
        uv_signal_init(&s->loop, &s->sigterm);
        uv_signal_start(&s->sigterm, on_sigterm, SIGTERM);
        log_info("serving task %s (namespace %s) on %s", f->id, f->ns, sock);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        r = uv_loop_close(&s->loop);
        if (r < 0)
                log_debug("loop closed with handles open: %s", uv_strerror(r));
        return 0;
}

static int action_start(const struct flags *f)
{
        _cleanup_free_ char *group = group_of(f, NULL), *sock = socket_path(f, group),
                            *addr = xasprintf("unix://%s", sock);
        struct pod_err err = { 0 };
        int fd = bind_socket(sock, &err);
        pid_t pid;

        if (fd == -EALREADY) {
                /* The sandbox's shim: this task is served by it. */
                write_file_atomic(AT_FDCWD, "address", addr, strlen(addr), 0644, 0);
                printf("%s", addr);
                return 0;
        }
        if (fd < 0) {
                fprintf(stderr, "%s: %s\n", SHIM_NAME, err.msg);
                return 1;
        }
        pid = fork();
        if (pid < 0) {
                fprintf(stderr, "%s: fork: %s\n", SHIM_NAME, strerror(errno));
                return 1;
        }
        if (pid == 0) {
                /* containerd waits for start's output to end: the daemon keeps none of it.  Its
                 * messages go to the bundle's "log" fifo, which containerd copies to its log. */
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                int log = open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);

                setsid();
                dup2(null, 0);
                dup2(null, 1);
                dup2(log >= 0 ? log : null, 2);
                if (log >= 0)
                        fd_set_nonblock(2, 0);
                log_init(SHIM_NAME, f->debug);
                _exit(serve(f, fd, sock));
        }
        close(fd);
        {
                _cleanup_free_ char *pidtext = xasprintf("%d", (int)pid);
                write_file_atomic(AT_FDCWD, "address", addr, strlen(addr), 0644, 0);
                write_file_atomic(AT_FDCWD, "shim.pid", pidtext, strlen(pidtext), 0644, 0);
        }
        printf("%s", addr);
        return 0;
}

static int action_delete(const struct flags *f)
{
        Containerd__Task__V2__DeleteResponse r = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
        Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
        _cleanup_free_ char *cwd = get_current_dir_name(), *group = NULL, *sock = NULL;
        const char *bundle = f->bundle ? f->bundle : cwd;
        struct shim_pod p = { 0 };
        struct pod_err err = { 0 };
        _cleanup_free_ uint8_t *out = NULL;
        size_t n;
        uint64_t now = now_real_ns();

        log_init(SHIM_NAME, f->debug);
        group = group_of(f, bundle);
        sock = socket_path(f, group);
        if (shim_pod_load(bundle, &p) == 0) {
                int k;
                r.pid = (uint32_t)(p.pid1 > 0 ? p.pid1 : 0);
                /* A container of a sandbox: its app only; the sandbox's own delete removes the pod. */
                k = p.member ? shim_pod_remove_app(&p, &err) : shim_pod_destroy(&p, &err);
                if (k < 0)
                        fprintf(stderr, "%s: delete: %s\n", SHIM_NAME, err.msg);
                else
                        shim_pod_forget(bundle);
                shim_pod_done(&p);
        }
        if (shim_unmount_rootfs(bundle) < 0)
                fprintf(stderr, "%s: delete: unmounting %s/rootfs: %s\n", SHIM_NAME, bundle, strerror(errno));
        /* The socket of a shim that died; never that of a live one (its sandbox's other tasks use it). */
        {
                int c = unix_connect(sock);
                if (c >= 0)
                        close(c);
                else
                        unlink(sock);
        }
        /* What runc's shim says of a task whose shim died: killed. */
        r.exit_status = 128 + SIGKILL;
        ts.seconds = (int64_t)(now / 1000000000u);
        ts.nanos = (int32_t)(now % 1000000000u);
        r.exited_at = &ts;
        n = protobuf_c_message_get_packed_size(&r.base);
        out = xmalloc(n ? n : 1);
        protobuf_c_message_pack(&r.base, out);
        return write_all(1, out, n) < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
        struct flags f = { .publish_binary = "containerd" };

        if (parse_flags(argc, argv, &f) < 0)
                return 2;
        if (f.version) {
                printf("%s:\n  Version: %s\n", SHIM_NAME, POD_VERSION);
                return 0;
        }
        if (!f.action || (strcmp(f.action, "start") && strcmp(f.action, "delete"))) {
                fprintf(stderr, "usage: %s -namespace NS -address ADDR -publish-binary BIN -id ID [-bundle DIR] [-debug] start|delete\n"
                                "(containerd runs it; see docs/kubernetes.md)\n", SHIM_NAME);
                return 2;
        }
        if (!f.id || !*f.id || !f.ns || !*f.ns) {
                fprintf(stderr, "%s: -id and -namespace are required\n", SHIM_NAME);
                return 2;
        }
        if (!strcmp(f.action, "start"))
                return action_start(&f);
        return action_delete(&f);
}
