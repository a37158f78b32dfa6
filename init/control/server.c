/*
 * Control socket server.  Requests are handled synchronously in the loop
 * (each is a few microseconds of work); what can be slow is the client, so
 * every client has:
 *  - an input limit: a frame header announcing more than max_frame bytes is
 *    answered with a "too-large" error and the client is disconnected;
 *  - an output limit: if responses pile up unread past CLIENT_MAX_QUEUED
 *    bytes, the client is disconnected instead of growing PID 1's memory;
 *  - a peer check on every connection, whatever it is for (requests, attach,
 *    events, exec): only root, PID 1's own user or the pod's owner, and only
 *    from outside the pod (SO_PEERCRED: a peer inside the pod's pid namespace
 *    is refused).  A refused peer gets one permission-denied error and is
 *    disconnected; PID 1 logs the refusal once (docs/security.md).
 * Past max_clients, a new connection gets a "too-many-clients" error and is
 * closed.  A client that disconnects mid-request costs nothing.
 */
#include "init/control/control.h"
#include "init/control/internal.h"
#include "init/control/exec.h"
#include "init/core/pod.h"
#include "init/core/app.h"
#include "init/core/appproc.h"
#include "init/core/events.h"
#include "init/core/mutable.h"
#include "init/core/persist.h"
#include "init/core/supervise.h"
#include "common/log.h"
#include "common/owner.h"

#include <fcntl.h>
#include <sys/wait.h>

#include <jansson.h>
#include <sys/socket.h>
#include <sys/stat.h>

static const struct {
        const char *name;
        json_t *(*fn)(struct control *, json_t *, json_t *);
} ops[] = {
        { "app-add", op_app_add },
        { "app-start", op_app_start },
        { "app-stop", op_app_stop },
        { "app-rm", op_app_rm },
        { "hello", op_hello },
        { "status", op_status },
        { "list", op_list },
        { "stop", op_stop },
        { "reopen-log", op_reopen_log },
};

/* Operations after which the connection carries a stream (docs/protocol.md). */
static const struct {
        const char *name;
        json_t *(*fn)(struct control *, json_t *, json_t *, struct client *);
} stream_ops[] = {
        { "attach", op_attach },
        { "events", op_events },
        { "exec", op_exec },
};

static void handle_request(struct client *c, const uint8_t *data, size_t len)
{
        json_error_t je;
        json_t *req = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
        json_t *id = NULL, *v, *op, *resp = NULL;

        if (!req || !json_is_object(req)) {
                resp = error_response(NULL, "bad-request", "request is not a JSON object%s%s",
                                      req ? "" : ": ", req ? "" : je.text);
                goto out;
        }
        id = json_object_get(req, "id");
        v = json_object_get(req, "v");
        if (v && (!json_is_integer(v) || json_integer_value(v) != PROTO_VERSION)) {
                resp = error_response(id, "unsupported-version",
                                      "protocol version %s is not supported; this podinit speaks version %d",
                                      json_is_integer(v) ? "given" : "(not an integer)", PROTO_VERSION);
                goto out;
        }
        op = json_object_get(req, "op");
        if (!json_is_string(op)) {
                resp = error_response(id, "bad-request", "request has no \"op\" string");
                goto out;
        }
        for (size_t i = 0; i < ARRAY_SIZE(stream_ops); i++)
                if (!strcmp(stream_ops[i].name, json_string_value(op))) {
                        /* NULL: answered, and the connection now carries the stream. */
                        if (!(resp = stream_ops[i].fn(c->ctl, id, req, c))) {
                                json_decref(req);
                                return;
                        }
                        goto out;
                }
        for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
                if (!strcmp(ops[i].name, json_string_value(op))) {
                        resp = ops[i].fn(c->ctl, id, req);
                        break;
                }
        if (!resp)
                resp = error_response(id, "unknown-op", "unknown op \"%s\" (known: hello, status, list, stop, attach, events, exec, reopen-log, app-add, app-start, app-stop, app-rm)",
                                      json_string_value(op));
out:
        send_json_frame(c, FRAME_RESPONSE, resp);
        json_decref(req);
        /* Act on a stop only after its answer is queued: the pod may finish
         * (and close every client) inside pod_request_stop. */
        if (c->ctl->pending_stop) {
                bool force = c->ctl->pending_stop == 2;
                c->ctl->pending_stop = 0;
                pod_request_stop(c->ctl->pod, force, force ? "forced stop requested" : "stop requested");
        }
}

static void client_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        struct client *c = container_of((uv_pipe_t *)h, struct client, pipe);
        *buf = uv_buf_init(c->ctl->readbuf, sizeof(c->ctl->readbuf));
}

/* Handle every complete frame buffered for c (also called when input resumes). */
static void process_frames(struct client *c)
{
        uv_stream_t *s = (uv_stream_t *)&c->pipe;
        uint8_t type;
        const uint8_t *payload;
        size_t len;
        int r;

        while (!c->closing && !c->shutting_down && !(c->attached && c->at.input_paused) && !c->exec_input_paused &&
               (r = frame_decoder_next(&c->dec, &type, &payload, &len)) != 0) {
                if (r < 0) {
                        if (r == -EMSGSIZE)
                                client_reject(c, error_response(NULL, "too-large",
                                                                "frame larger than the %zu-byte limit; closing",
                                                                c->ctl->pod->opt.max_frame));
                        else
                                client_reject(c, error_response(NULL, "bad-frame", "zero-length frame; closing"));
                        return;
                }
                if (c->attached && type != FRAME_REQUEST) {
                        attach_frame(c, type, payload, len);
                        continue;
                }
                if (c->exec && type != FRAME_REQUEST) {
                        exec_frame(c, type, payload, len);
                        continue;
                }
                if (type != FRAME_REQUEST) {
                        send_json_frame(c, FRAME_RESPONSE, error_response(NULL, "bad-frame", "frame type 0x%02x is not a request", type));
                        continue;
                }
                handle_request(c, payload, len);
                if (c->ctl->pod->closing)
                        return;         /* the pod finished while handling; c is being closed */
        }
        if (!c->closing && !c->attached && !c->exec && uv_stream_get_write_queue_size(s) > CLIENT_MAX_QUEUED) {
                log_warn("control client does not read its responses; disconnecting it");
                client_close(c);
        }
}

static void client_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
        struct client *c = container_of((uv_pipe_t *)s, struct client, pipe);

        if (nread < 0) {
                client_close(c);
                return;
        }
        if (nread == 0)
                return;
        frame_decoder_feed(&c->dec, buf->base, (size_t)nread);
        process_frames(c);
}

/*
 * Who may drive the pod (docs/security.md): root, PID 1's own user (root
 * too, as podinit runs) or the pod's owner (--owner-uid), and only from
 * outside the pod.  The kernel reports the peer's uid in PID 1's user
 * namespace (the host's) and its pid as seen from PID 1's pid namespace,
 * 0 for a process it cannot see: every client on the host (podctl, rkt's
 * stage0, the stage1 entrypoints) is 0, while any process inside the pod --
 * an app, its children, an exec session -- has a pid here.  An app that
 * somehow reached the socket (a volume, a leaked fd) is still refused:
 * app-add would otherwise hand it any capability.
 * Returns true if the peer is admitted; else why not in why, and the
 * refusal is logged, once for the connection.
 */
static bool peer_admitted(const struct control *ctl, uv_pipe_t *p, char *why, size_t size)
{
        struct ucred cr;
        socklen_t len = sizeof(cr);
        uv_os_fd_t fd;

        if (uv_fileno((uv_handle_t *)p, &fd) < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
                snprintf(why, size, "permission denied: the peer's credentials are unknown");
                log_warn("control: refused a connection whose credentials are unknown");
                return false;
        }
        if (!owner_admits(cr.uid, geteuid(), ctl->owner)) {
                owner_refusal(why, size, cr.uid, ctl->owner);
                log_warn("control: refused a connection from uid %u gid %u pid %d (%s the pod): not root or the pod's owner",
                         (unsigned)cr.uid, (unsigned)cr.gid, (int)cr.pid, cr.pid ? "inside" : "outside");
                return false;
        }
        if (cr.pid != 0) {
                snprintf(why, size, "permission denied: processes inside the pod may not use this socket; use podctl from the host");
                log_warn("control: refused a connection from pid %d inside the pod (uid %u)", (int)cr.pid, (unsigned)cr.uid);
                return false;
        }
        return true;
}

static void on_connection(uv_stream_t *server, int status)
{
        struct control *ctl = container_of((uv_pipe_t *)server, struct control, server);
        char why[256];
        struct client *c;

        if (status < 0)
                return;
        c = xcalloc(1, sizeof(*c));
        c->ctl = ctl;
        ctl->live++;
        frame_decoder_init(&c->dec, ctl->pod->opt.max_frame);
        uv_pipe_init(&ctl->pod->loop, &c->pipe, 0);
        c->next = ctl->clients;
        if (c->next)
                c->next->prev = c;
        ctl->clients = c;
        ctl->n_clients++;
        ctl->pod->clients = ctl->n_clients;
        if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
                client_close(c);
                return;
        }
        if (!peer_admitted(ctl, &c->pipe, why, sizeof(why))) {
                client_reject(c, error_response(NULL, "permission-denied", "%s", why));
                return;
        }
        if (ctl->n_clients > ctl->pod->opt.max_clients) {
                client_reject(c, error_response(NULL, "too-many-clients",
                                                "%u clients are connected, the limit; try again later",
                                                ctl->pod->opt.max_clients));
                return;
        }
        uv_read_start((uv_stream_t *)&c->pipe, client_on_alloc, client_on_read);
}

static void resume_input(struct client *c)
{
        uv_read_start((uv_stream_t *)&c->pipe, client_on_alloc, client_on_read);
        process_frames(c);
}

static void control_notify(struct pod_observer *o, const struct pod_event *ev)
{
        struct control *ctl = container_of(o, struct control, obs);

        switch (ev->kind) {
        case POD_EV_RECORD:
                events_publish(ctl, ev->record);
                break;
        case POD_EV_APP_EXITED:
                attach_app_exited(ctl, ev->app);
                break;
        case POD_EV_APP_STDIN_DRAINED:
                attach_stdin_drained(ctl, ev->app);
                break;
        default:
                break;
        }
}

/*
 * The socket's directory: PID 1's (root's), mode 0700, whoever made it.
 * With an owner, one ACL entry lets the owner alone search it: a mode such
 * as 0711 would let every user through to whatever they can name in it
 * (docs/security.md).  The mode is set before the entry is added: a chmod
 * afterwards would narrow the ACL's mask and shut the owner out again.
 */
static int socket_dir_prepare(const char *path, uid_t owner, struct pod_err *err)
{
        _cleanup_free_ char *dir = strndup(path, (size_t)(strrchr(path, '/') - path));
        _cleanup_close_ int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        struct stat st;
        int r;

        if (fd < 0 || fstat(fd, &st) < 0)
                return pod_err_set(err, -errno, "the control socket's directory %s: %s", dir, strerror(errno));
        if ((st.st_uid != geteuid() || st.st_gid != getegid()) && fchown(fd, geteuid(), getegid()) < 0)
                return pod_err_set(err, -errno, "making %s PID 1's: %s", dir, strerror(errno));
        if ((r = owner_dir_reset(fd, 0700)) < 0)
                return pod_err_set(err, r, "setting the mode of %s: %s", dir, strerror(-r));
        if (owner != POD_NO_OWNER && (r = owner_grant_dir(fd, owner, OWNER_PERM_X)) < 0)
                return pod_err_set(err, r, "--owner-uid=%u: letting the owner through %s: %s%s", (unsigned)owner, dir,
                                   strerror(-r), r == -EOPNOTSUPP ? " (the filesystem has no POSIX ACLs)" : "");
        return 0;
}

int control_start(struct pod *pod, const char *path, const struct control_options *o, struct control **ret,
                  struct pod_err *err)
{
        struct control *ctl = xcalloc(1, sizeof(*ctl));
        mode_t old;
        int r;

        ctl->pod = pod;
        /* Root needs no entry: an owner of 0 is no owner. */
        ctl->owner = o && o->owner != 0 ? o->owner : POD_NO_OWNER;
        *ret = ctl;     /* closed by control_close, even when starting fails */
        ctl->resume_input = resume_input;
        ctl->obs.phase = POD_PHASE_PUBLISH;
        ctl->obs.notify = control_notify;
        pod_observe(pod, &ctl->obs);
        ctl->attach_budget = ATTACH_DEFAULT_BUDGET;
        if (pod->manifest) {
                const char *v = kv_get(pod->manifest->annotations, pod->manifest->n_annotations, ANN_ATTACH_QUEUE_TOTAL);
                uint64_t b;
                if (v && (parse_size(v, ATTACH_MAX_BUDGET, &b) < 0 || b < ATTACH_MIN_BUDGET))
                        return pod_err_set(err, -EINVAL, "pod manifest: annotations: %s: \"%s\" is not a byte count from %llu to %llu (64Ki to 16Gi)",
                                           ANN_ATTACH_QUEUE_TOTAL, v, ATTACH_MIN_BUDGET, ATTACH_MAX_BUDGET);
                if (v)
                        ctl->attach_budget = (size_t)b;
        }
        uv_timer_init(&pod->loop, &ctl->linger);
        uv_pipe_init(&pod->loop, &ctl->server, 0);
        if ((r = socket_dir_prepare(path, ctl->owner, err)) < 0)
                return r;
        unlink(path);
        /* 0600 from birth: no moment in which another user could connect. */
        old = umask(0177);
        r = uv_pipe_bind(&ctl->server, path);
        umask(old);
        if (r < 0)
                return pod_err_set(err, r, "binding the control socket %s: %s", path, uv_strerror(r));
        /* connect() needs write permission on the socket: the owner's, then. */
        if (ctl->owner != POD_NO_OWNER && lchown(path, ctl->owner, (gid_t)-1) < 0)
                return pod_err_set(err, -errno, "--owner-uid=%u: giving the owner %s: %s", (unsigned)ctl->owner, path,
                                   strerror(errno));
        chmod(path, 0600);
        if ((r = uv_listen((uv_stream_t *)&ctl->server, 64, on_connection)) < 0)
                return pod_err_set(err, r, "listening on %s: %s", path, uv_strerror(r));
        return 0;
}

static void on_linger_expired(uv_timer_t *t)
{
        struct control *ctl = container_of(t, struct control, linger);
        while (ctl->clients)
                client_close(ctl->clients);
        if (!uv_is_closing((uv_handle_t *)&ctl->linger))
                uv_close((uv_handle_t *)&ctl->linger, control_linger_closed);
}

/*
 * The pod is finishing.  Clients that were sent an app's EXIT are already
 * shutting down (their last output queued before it); they get
 * CONTROL_LINGER_MS to receive it, so a slow reader still sees how its app
 * ended.  Everyone else is closed at once.
 */
void control_close(struct control *ctl)
{
        struct client *c, *next;
        bool lingering = false;

        if (!ctl)
                return;
        ctl->closing = true;
        ctl->pod->clients = 0;
        pod_unobserve(ctl->pod, &ctl->obs);
        for (c = ctl->clients; c; c = next) {
                next = c->next;
                if (c->events && !c->closing && !c->shutting_down) {
                        /* The "exited" event is queued: end the stream after it. */
                        uv_read_stop((uv_stream_t *)&c->pipe);
                        c->shutting_down = true;
                        if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->pipe, client_on_shutdown) < 0) {
                                client_close(c);
                                continue;
                        }
                }
                if (c->shutting_down && !c->closing)
                        lingering = true;
                else
                        client_close(c);
        }
        uv_close((uv_handle_t *)&ctl->server, control_server_closed);
        if (lingering)
                uv_timer_start(&ctl->linger, on_linger_expired, CONTROL_LINGER_MS, 0);
        else if (!uv_is_closing((uv_handle_t *)&ctl->linger))
                uv_close((uv_handle_t *)&ctl->linger, control_linger_closed);
}
