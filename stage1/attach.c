/*
 * coreos.com/rkt/stage1/attach: `attach --action=list|auto-attach|custom-attach
 * [--tty-in=B --tty-out=B --stdin=B --stdout=B --stderr=B] --app=NAME
 * --debug=B`, cwd = the pod, stdio = the user's.  rkt's raw attach: PID 1
 * serves the app's tty or streams on the unix sockets listed in
 * stage1/rootfs/rkt/iottymux/APP/endpoints (init/control/iottymux.c); this
 * entrypoint connects to the selected ones and copies bytes, no framing:
 * local stdin to the tty or stdin socket, the tty or stdout socket to
 * stdout, stderr to stderr.  It exits 0 when an output connection ends (the
 * app or its streams are gone); the app keeps running when it is killed.
 */
#include "stage1/entry.h"
#include "stage1/shared.h"
#include "common/args.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/podstate.h"

#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>

enum { T_TTY, T_STDIN, T_STDOUT, T_STDERR, T_COUNT };
static const char *const t_names[T_COUNT] = { "tty", "stdin", "stdout", "stderr" };

struct attach_flags {
        const char *action, *app;
        bool debug, tty_in, tty_out, in, out, err;
};

static int dial(const char *address, struct pod_err *err)
{
        _cleanup_free_ char *path = xasprintf("%s%s", POD_S1, address);
        int fd;

        if (!str_startswith(address, "/rkt/iottymux/") || strstr(address, "/../"))
                return pod_err_set(err, -EINVAL, "endpoint address \"%s\" is not an iottymux socket", address);
        if ((fd = unix_connect(path)) < 0)
                return pod_err_set(err, fd, "connecting to %s: %s", path, strerror(-fd));
        return fd;
}

/* Copy until an output connection ends.  fds[t]: -1 if not used. */
static int relay(int fds[T_COUNT], bool in_on, bool tty_out)
{
        int in_conn = fds[T_TTY] >= 0 ? fds[T_TTY] : fds[T_STDIN];
        char buf[65536];

        for (;;) {
                struct pollfd p[T_COUNT + 1];
                int map[T_COUNT + 1], n = 0;

                if (in_on && in_conn >= 0) {
                        p[n] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
                        map[n++] = -1;
                }
                for (int t = 0; t < T_COUNT; t++)
                        if (fds[t] >= 0 && t != T_STDIN) {
                                p[n] = (struct pollfd){ .fd = fds[t], .events = POLLIN };
                                map[n++] = t;
                        }
                if (n == 0)
                        return 0;
                if (poll(p, (nfds_t)n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_error("poll: %s", strerror(errno));
                        return S1_EXIT_ERROR;
                }
                for (int i = 0; i < n; i++) {
                        ssize_t got;
                        int out;
                        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        got = read(p[i].fd, buf, sizeof(buf));
                        if (got < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (map[i] == -1) {
                                if (got <= 0) {
                                        in_on = false;  /* the app keeps its stdin; only we are done */
                                        continue;
                                }
                                if (write_all(in_conn, buf, (size_t)got) < 0)
                                        in_on = false;
                                continue;
                        }
                        if (got <= 0)
                                return 0;       /* an output stream ended */
                        out = map[i] == T_STDERR ? STDERR_FILENO : STDOUT_FILENO;
                        if (map[i] == T_TTY && !tty_out)
                                continue;       /* tty-in only: drained, not shown */
                        if (write_all(out, buf, (size_t)got) < 0)
                                return 0;       /* our reader went away: detach */
                }
        }
}

int s1_attach(int argc, char **argv)
{
        struct attach_flags f = { 0 };
        struct pod_err err = { 0 };
        _cleanup_free_ char *path = NULL, *data = NULL;
        bool want[T_COUNT] = { false }, any = false, custom;
        int fds[T_COUNT] = { -1, -1, -1, -1 }, idx = 1, rc;
        json_t *doc, *target;
        size_t len, i;
        const struct opt opts[] = {
                { "action", OPT_STR, &f.action }, { "app", OPT_STR, &f.app },
                { "debug", OPT_BOOL, &f.debug },  { "tty-in", OPT_BOOL, &f.tty_in },
                { "tty-out", OPT_BOOL, &f.tty_out }, { "stdin", OPT_BOOL, &f.in },
                { "stdout", OPT_BOOL, &f.out },   { "stderr", OPT_BOOL, &f.err },
        };

        log_init("attach", false);
        if (args_parse(argc, argv, &idx, opts, ARRAY_SIZE(opts), &err) < 0 || idx != argc) {
                log_error("%s", err.msg[0] ? err.msg : "unexpected arguments");
                fprintf(stderr, "usage: attach --action=list|auto-attach|custom-attach [--tty-in=B --tty-out=B --stdin=B --stdout=B --stderr=B] --app=NAME\n");
                return S1_EXIT_USAGE;
        }
        log_init("attach", f.debug);
        if (!f.app || !acname_valid(f.app)) {
                log_error(f.app ? "--app=%s is not a valid app name" : "--app is required%s", f.app ? f.app : "");
                return S1_EXIT_ERROR;
        }
        if (!f.action || (strcmp(f.action, "list") && strcmp(f.action, "auto-attach") && strcmp(f.action, "custom-attach"))) {
                log_error("--action=%s: expected list, auto-attach or custom-attach", f.action ?: "");
                return S1_EXIT_ERROR;
        }
        custom = !strcmp(f.action, "custom-attach");
        if (custom && !f.tty_in && !f.tty_out && !f.in && !f.out && !f.err) {
                log_error("custom-attach: no endpoint selected (--tty-in, --tty-out, --stdin, --stdout or --stderr)");
                return S1_EXIT_ERROR;
        }
        if (custom && (f.tty_in || f.tty_out) && (f.in || f.out || f.err)) {
                log_error("custom-attach: a tty and streams cannot be attached together");
                return S1_EXIT_ERROR;
        }
        s1_cloexec_inherited();
        path = xasprintf(POD_S1 "/rkt/iottymux/%s/endpoints", f.app);
        if ((rc = read_file_at(AT_FDCWD, path, 65536, &data, &len)) < 0) {
                log_error(rc == -ENOENT ? "app %s has no attachable endpoints (%s is missing: its streams are not tty or stream, or it has not started)"
                                        : "app %s: reading %s: %s",
                          f.app, path, strerror(-rc));
                return S1_EXIT_ERROR;
        }
        doc = json_loadb(data, len, 0, NULL);
        if (!json_is_array(json_object_get(doc, "targets"))) {
                log_error("%s is not an endpoints document", path);
                json_decref(doc);
                return S1_EXIT_ERROR;
        }
        if (!strcmp(f.action, "list")) {
                char *s = json_dumps(doc, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
                fputs(s, stdout);
                free(s);
                json_decref(doc);
                return fflush(stdout) == 0 ? 0 : S1_EXIT_ERROR;
        }
        want[T_TTY] = !custom || f.tty_in || f.tty_out;
        want[T_STDIN] = !custom || f.in;
        want[T_STDOUT] = !custom || f.out;
        want[T_STDERR] = !custom || f.err;
        rc = 0;
        json_array_foreach(json_object_get(doc, "targets"), i, target) {
                const char *name = json_string_value(json_object_get(target, "name")) ?: "";
                const char *addr = json_string_value(json_object_get(target, "address")) ?: "";
                for (int t = 0; t < T_COUNT; t++)
                        if (!strcmp(name, t_names[t]) && want[t] && fds[t] < 0) {
                                if ((fds[t] = dial(addr, &err)) < 0) {
                                        log_error("app %s: %s", f.app, err.msg);
                                        rc = S1_EXIT_ERROR;
                                }
                                any = true;
                        }
        }
        json_decref(doc);
        if (!rc && !any) {
                log_error("app %s has none of the selected endpoints", f.app);
                rc = S1_EXIT_ERROR;
        }
        if (!rc) {
                signal(SIGPIPE, SIG_IGN);
                rc = relay(fds, !custom || f.tty_in || f.in, !custom || f.tty_out);
        }
        for (int t = 0; t < T_COUNT; t++)
                if (fds[t] >= 0)
                        close(fds[t]);
        return rc;
}
