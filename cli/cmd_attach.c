/*
 * podctl attach: connect a terminal (or pipes) to an app's tty or streams.
 *
 * The attach stream is framed (docs/protocol.md).  In tty mode with a local
 * terminal, the terminal is put in raw mode so every key reaches the app's
 * line discipline; it is restored on every way out (normal exit, detach,
 * signals, errors).  The detach key sequence (default ctrl-p,ctrl-q) leaves
 * the app running.  Window size is sent on attach and on every SIGWINCH.
 * podctl attach exits with the app's exit code when the app ends.
 */
#include "cli/cli.h"
#include "cli/cmd_attach.h"
#include "cli/poddir.h"
#include "cli/verbs.h"
#include "common/args.h"
#include "common/client.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/proto.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>

static struct termios saved_tio;
static bool tio_saved;

static void restore_terminal(void)
{
        if (tio_saved) {
                tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
                tio_saved = false;
        }
}

static int make_raw(void)
{
        struct termios t;

        if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
                return -errno;
        t = saved_tio;
        cfmakeraw(&t);
        t.c_oflag |= OPOST | ONLCR;     /* keep our own messages readable */
        tio_saved = true;
        atexit(restore_terminal);
        if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) < 0)
                return -errno;
        return 0;
}

/*
 * The terminal went away (SIGHUP, or stdin or stdout is a tty that hung up):
 * detach, leaving the app running as the detach keys do (an exec's command
 * is killed when the connection closes), and die of SIGHUP as a terminal
 * program without a handler would.  Never return to an ordinary exit(): when
 * the session leader of a hung-up terminal exits, the kernel sends SIGHUP and
 * SIGCONT to the terminal's last foreground process group, which is ours, at
 * a moment we cannot know.  Exit-time code that stops this process meanwhile
 * is then stuck: LeakSanitizer's leak check (sanitizer builds) ptrace-attaches
 * with a SIGSTOP, the SIGCONT cancels that SIGSTOP, and its tracer waits
 * forever while this process spins at 100% CPU waiting for the tracer.
 */
static _Noreturn void die_of_hangup(const char *app, bool is_exec)
{
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t m;

        restore_terminal();
        if (is_exec)
                fprintf(stderr, "\npodctl: exec: the terminal went away; the command is killed\n");
        else
                fprintf(stderr, "\npodctl: detached (the terminal went away); app %s keeps running\n", app);
        sigaction(SIGHUP, &sa, NULL);           /* even if started with SIGHUP ignored (nohup) */
        sigemptyset(&m);
        sigaddset(&m, SIGHUP);
        raise(SIGHUP);                          /* pending while blocked ... */
        sigprocmask(SIG_UNBLOCK, &m, NULL);     /* ... and fatal here */
        _exit(128 + SIGHUP);
}

/* "ctrl-p,ctrl-q" -> bytes; "" disables detaching. */
static int parse_detach_keys(const char *spec, unsigned char *keys, size_t *n)
{
        const char *p = spec;

        *n = 0;
        while (*p) {
                const char *e = strchr(p, ',');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                unsigned char k;

                if (*n >= 8)
                        return -E2BIG;
                if (len == 6 && !strncmp(p, "ctrl-", 5)) {
                        char ch = p[5];
                        if (ch >= 'a' && ch <= 'z')
                                k = (unsigned char)(ch - 'a' + 1);
                        else if (ch == '@' || (ch >= '[' && ch <= '_'))
                                k = (unsigned char)(ch - '@');
                        else
                                return -EINVAL;
                } else if (len == 1) {
                        k = (unsigned char)p[0];
                } else {
                        return -EINVAL;
                }
                keys[(*n)++] = k;
                p = e ? e + 1 : p + len;
        }
        return 0;
}

/* Can a client attach to this stream of an app (from its status "io" object)? */
static bool stream_attachable(json_t *io, enum io_stream_id k)
{
        const char *m = json_string_value(json_object_get(io, io_stream_name(k)));
        return m && (!strcmp(m, io_mode_name(IO_TTY)) || !strcmp(m, io_mode_name(IO_STREAM)));
}

static int pick_app(json_t *status, const char *want, const char **ret, struct pod_err *err)
{
        json_t *apps = json_object_get(status, "apps"), *a;
        size_t i, n_attachable = 0;
        const char *only = NULL;
        char names[512] = "";

        json_array_foreach(apps, i, a) {
                const char *name = json_string_value(json_object_get(a, "name"));
                json_t *io = json_object_get(a, "io");
                bool att = false;
                for (int k = 0; k < IO_STREAMS; k++)
                        att |= stream_attachable(io, k);
                if (want && name && !strcmp(want, name)) {
                        *ret = name;
                        return 0;
                }
                if (att) {
                        n_attachable++;
                        only = name;
                        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                                 names[0] ? ", " : "", name);
                }
        }
        if (want)
                return pod_err_set(err, -ENOENT, "no app \"%s\" in this pod", want);
        if (json_array_size(apps) == 1) {
                *ret = json_string_value(json_object_get(json_array_get(apps, 0), "name"));
                return 0;
        }
        if (n_attachable == 1) {
                *ret = only;
                return 0;
        }
        if (n_attachable == 0)
                return pod_err_set(err, -ENOENT, "no app in this pod has a tty or stream to attach to (run apps with --stdout=stream or --stdin=tty ...)");
        return pod_err_set(err, -EINVAL, "several apps can be attached (%s); choose one with --app=NAME", names);
}

static void send_winsize(struct ctl_conn *c)
{
        struct winsize ws;
        uint8_t p[4];

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
                return;
        if (!ws.ws_row || !ws.ws_col)
                return;
        p[0] = (uint8_t)(ws.ws_row >> 8);
        p[1] = (uint8_t)ws.ws_row;
        p[2] = (uint8_t)(ws.ws_col >> 8);
        p[3] = (uint8_t)ws.ws_col;
        ctl_send_frame(c, FRAME_RESIZE, p, 4);
}

static void print_list(json_t *status)
{
        json_t *out = json_array(), *a;
        size_t i;
        char *s;

        json_array_foreach(json_object_get(status, "apps"), i, a) {
                json_t *io = json_object_get(a, "io");
                json_t *att = json_array();
                for (int k = 0; k < IO_STREAMS; k++)
                        if (stream_attachable(io, k))
                                json_array_append_new(att, json_string(io_stream_name(k)));
                json_array_append_new(out, json_pack("{s:O,s:O,s:O,s:o}", "name", json_object_get(a, "name"),
                                                     "state", json_object_get(a, "state"), "io", io,
                                                     "attachable", att));
        }
        s = json_dumps(out, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
        json_decref(out);
}

/*
 * The attach stream (docs/protocol.md), after a successful attach or exec
 * response: output to stdout/stderr, stdin (with the detach keys, if any)
 * to the pod, window size on SIGWINCH.  Returns the exit code to use: the
 * app's or command's shell code from its EXIT frame, 0 after a detach,
 * 128+SIGPIPE once the reader of stdout or stderr is gone.  When the terminal
 * goes away it does not return (die_of_hangup()).
 */
int attach_stream(struct ctl_conn *c, bool tty_mode, bool in_on, const unsigned char *keys, size_t n_keys,
                  const char *app, bool is_exec)
{
        bool stdin_eof = false, have_exit = false;
        /* Noted now: once a terminal hangs up, isatty() on it fails (EIO). */
        bool in_tty = in_on && isatty(STDIN_FILENO), out_tty = isatty(STDOUT_FILENO),
             err_tty = isatty(STDERR_FILENO);
        size_t matched = 0;
        int code = 1, sfd = -1;
        sigset_t mask, old_mask;

        ctl_no_timeout(c);

        sigemptyset(&mask);
        sigaddset(&mask, SIGWINCH);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGPIPE);
        sigprocmask(SIG_BLOCK, &mask, &old_mask);
        /* Non-blocking: a readiness that is gone by the time we read must not block the relay. */
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0) {
                /* With these signals blocked and nothing reading them, neither
                 * ^C, SIGTERM nor a hangup could end this process. */
                log_error("%s: signalfd: %s", is_exec ? "exec" : "attach", strerror(errno));
                sigprocmask(SIG_SETMASK, &old_mask, NULL);
                return 1;
        }
        if (tty_mode && in_tty && make_raw() < 0)
                log_warn("attach: cannot put the terminal in raw mode: %s", strerror(errno));

        for (;;) {
                struct pollfd pf[4];
                uint8_t type;
                const uint8_t *pl;
                size_t len;
                int r, np = 0, in_i = -1, out_i = -1;

                /* Everything already buffered first. */
                while ((r = ctl_buffered_frame(c, &type, &pl, &len)) == 1) {
                        switch (type) {
                        case FRAME_STDOUT:
                        case FRAME_STDERR: {
                                bool to_err = type == FRAME_STDERR;
                                r = write_all(to_err ? STDERR_FILENO : STDOUT_FILENO, pl, len);
                                /* Nobody can read the output any more: staying
                                 * attached would relay it to nowhere for as long
                                 * as the app runs. */
                                if (r == -EIO && (to_err ? err_tty : out_tty))
                                        die_of_hangup(app, is_exec);
                                if (r == -EPIPE) {
                                        code = 128 + SIGPIPE;
                                        goto out;
                                }
                                break;
                        }
                        case FRAME_DROPPED: {
                                json_t *d = json_loadb((const char *)pl, len, 0, NULL);
                                fprintf(stderr, "\r\npodctl: %lld bytes of %s were dropped: this client fell behind\r\n",
                                        (long long)json_integer_value(json_object_get(d, "bytes")),
                                        json_string_value(json_object_get(d, "stream")) ?: "output");
                                json_decref(d);
                                break;
                        }
                        case FRAME_EXIT: {
                                json_t *d = json_loadb((const char *)pl, len, 0, NULL);
                                code = (int)json_integer_value(json_object_get(d, "shellCode"));
                                have_exit = true;
                                if (is_exec && json_is_string(json_object_get(d, "error")))
                                        fprintf(stderr, "\r\npodctl: exec: %s\r\n", json_string_value(json_object_get(d, "error")));
                                json_decref(d);
                                break;
                        }
                        case FRAME_EVENT: {
                                /* A restart marker: the app's process ended and another run follows. */
                                json_t *d = json_loadb((const char *)pl, len, 0, NULL);
                                const char *ev = json_string_value(json_object_get(d, "event")) ?: "";
                                if (!strcmp(ev, "backoff"))
                                        fprintf(stderr, "\r\npodctl: app %s exited (code %lld); restart %lld in %lld ms\r\n",
                                                json_string_value(json_object_get(d, "app")) ?: "?",
                                                (long long)json_integer_value(json_object_get(d, "code")),
                                                (long long)json_integer_value(json_object_get(d, "restarts")),
                                                (long long)json_integer_value(json_object_get(d, "backoffMs")));
                                else if (!strcmp(ev, "restart"))
                                        fprintf(stderr, "podctl: app %s restarted\r\n",
                                                json_string_value(json_object_get(d, "app")) ?: "?");
                                json_decref(d);
                                break;
                        }
                        case FRAME_RESPONSE: {
                                json_t *d = json_loadb((const char *)pl, len, 0, NULL);
                                const char *msg = json_string_value(json_object_get(json_object_get(d, "error"), "message"));
                                if (msg)
                                        fprintf(stderr, "\r\npodctl: %s\r\n", msg);
                                json_decref(d);
                                break;
                        }
                        default:
                                break;
                        }
                }
                if (r < 0) {
                        restore_terminal();
                        log_error("attach: bad frame from the pod");
                        code = 1;
                        goto out;
                }
                pf[np++] = (struct pollfd){ .fd = ctl_fd(c), .events = POLLIN };
                pf[np++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
                if (in_on && !stdin_eof) {
                        in_i = np;
                        pf[np++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
                }
                /* No events: a terminal on stdout reports only its hangup
                 * (POLLHUP), so a watch-only client notices it too. */
                if (out_tty) {
                        out_i = np;
                        pf[np++] = (struct pollfd){ .fd = STDOUT_FILENO, .events = 0 };
                }
                if (poll(pf, (nfds_t)np, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (pf[0].revents) {
                        ssize_t n = ctl_read_some(c);
                        if (n <= 0) {
                                /* Drain what is buffered, then leave. */
                                while (ctl_buffered_frame(c, &type, &pl, &len) == 1)
                                        if (type == FRAME_STDOUT)
                                                write_all(STDOUT_FILENO, pl, len);
                                        else if (type == FRAME_STDERR)
                                                write_all(STDERR_FILENO, pl, len);
                                restore_terminal();
                                if (!have_exit) {
                                        log_error("%s: the pod closed the connection", is_exec ? "exec" : "attach");
                                        code = 1;
                                }
                                goto out;
                        }
                }
                if (pf[1].revents) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                                if (si.ssi_signo == SIGWINCH) {
                                        send_winsize(c);
                                } else if (si.ssi_signo == SIGHUP) {
                                        die_of_hangup(app, is_exec);
                                } else if (si.ssi_signo != SIGPIPE) {
                                        restore_terminal();
                                        if (is_exec)
                                                fprintf(stderr, "\npodctl: exec: signal %d; the command is killed\n",
                                                        si.ssi_signo);
                                        else
                                                fprintf(stderr, "\npodctl: detached (signal %d); app %s keeps running\n",
                                                        si.ssi_signo, app);
                                        code = 128 + (int)si.ssi_signo;
                                        goto out;
                                }
                        }
                }
                if (out_i >= 0 && (pf[out_i].revents & (POLLHUP | POLLERR | POLLNVAL)))
                        die_of_hangup(app, is_exec);
                if (in_i >= 0 && pf[in_i].revents) {
                        unsigned char buf[32768], outb[32768 + 8];
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                        size_t o = 0;

                        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;       /* nothing after all: poll again */
                        /*
                         * A terminal that hung up reads as EIO (its other side
                         * closed) or as end-of-file with POLLHUP.  That is not
                         * the user ending the input (^D reads as 0 without
                         * POLLHUP): closing the app's stdin would end a shell
                         * whose user merely lost their terminal.
                         */
                        if (in_tty && ((n < 0 && errno == EIO) ||
                                       (n == 0 && (pf[in_i].revents & (POLLHUP | POLLERR)))))
                                die_of_hangup(app, is_exec);
                        if (n <= 0) {
                                stdin_eof = true;
                                ctl_send_frame(c, FRAME_CLOSE_STDIN, NULL, 0);
                                continue;
                        }
                        /* Detach keys: hold a matching prefix; send it if the sequence breaks. */
                        for (ssize_t i = 0; i < n; i++) {
                                if (n_keys && buf[i] == keys[matched]) {
                                        if (++matched == n_keys) {
                                                if (o)
                                                        ctl_send_frame(c, FRAME_STDIN, outb, o);
                                                restore_terminal();
                                                fprintf(stderr, "\npodctl: detached; app %s keeps running\n", app);
                                                code = 0;
                                                goto out;
                                        }
                                        continue;
                                }
                                if (matched) {
                                        memcpy(outb + o, keys, matched);
                                        o += matched;
                                        matched = 0;
                                        if (n_keys && buf[i] == keys[0]) {
                                                matched = 1;
                                                continue;
                                        }
                                }
                                outb[o++] = buf[i];
                        }
                        if (o && ctl_send_frame(c, FRAME_STDIN, outb, o) < 0) {
                                restore_terminal();
                                log_error("attach: writing to the pod: %s", strerror(errno));
                                goto out;
                        }
                }
        }
out:
        restore_terminal();
        if (sfd >= 0)
                close(sfd);
        return code;
}

int cmd_attach(int argc, char **argv)
{
        struct pod_err err = { 0 };
        struct pod_ref p = { 0 };
        struct ctl_conn *c = NULL;
        const char *app = NULL, *mode = "auto", *detach = "ctrl-p,ctrl-q", *replay_s = NULL;
        const char *queue_s = NULL, *overflow = NULL;
        long queue = -1;
        bool no_stdin = false, tty_mode = false, in_on;
        unsigned char keys[8];
        size_t n_keys = 0;
        int idx = 1, code = 1;
        long replay = -1;
        json_t *status = NULL, *req, *resp = NULL, *res;
        const struct opt opts[] = {
                { "app", OPT_STR, &app },
                { "mode", OPT_STR, &mode },
                { "detach-keys", OPT_STR, &detach },
                { "no-stdin", OPT_BOOL, &no_stdin },
                { "replay", OPT_STR, &replay_s },
                { "queue", OPT_STR, &queue_s },
                { "overflow", OPT_STR, &overflow },
        };

        struct args_rest rest;
        if ((code = cli_parse("attach", argc, argv, opts, ARRAY_SIZE(opts), &rest)) != 0)
                return code > 0 ? 0 : 2;
        code = 1;
        if (rest.n_pos != 1 || rest.dashdash) {
                cli_usage_error("attach", rest.n_pos ? "give one POD" : "no POD given (a UUID or a unique prefix)");
                return 2;
        }
        idx = rest.first;
        if (parse_detach_keys(detach, keys, &n_keys) < 0) {
                log_error("attach: --detach-keys=%s: expected a comma-separated list like ctrl-p,ctrl-q", detach);
                return 2;
        }
        if (replay_s && parse_long(replay_s, 0, 1L << 30, &replay) < 0) {
                log_error("attach: --replay=%s: expected a byte count", replay_s);
                return 2;
        }
        if (queue_s && parse_long(queue_s, 4096, ATTACH_MAX_QUEUE, &queue) < 0) {
                log_error("attach: --queue=%s: expected a byte count from 4096 to %u", queue_s, ATTACH_MAX_QUEUE);
                return 2;
        }
        if (overflow && strcmp(overflow, "drop") && strcmp(overflow, "disconnect")) {
                log_error("attach: --overflow=%s: expected drop or disconnect", overflow);
                return 2;
        }
        if (pod_find(argv[idx], &p, &err) < 0) {
                log_error("attach: %s", err.msg);
                return 1;
        }
        if (p.state != PODDIR_RUNNING) {
                log_error("attach: pod %s is not running (it is %s)", p.uuid, pod_dir_state_name(p.state));
                goto out;
        }
        if (ctl_connect(p.path, &c, &err) < 0 ||
            ctl_call(c, json_pack("{s:s}", "op", "status"), &resp, &err) < 0) {
                log_error("attach: pod %s: %s", p.uuid, err.msg);
                goto out;
        }
        status = json_incref(json_object_get(resp, "result"));
        json_decref(resp);
        resp = NULL;
        if (!strcmp(mode, "list")) {
                print_list(status);
                code = 0;
                goto out;
        }
        if (pick_app(status, app, &app, &err) < 0) {
                log_error("attach: %s", err.msg);
                goto out;
        }

        req = json_pack("{s:s,s:s}", "op", "attach", "app", app);
        if (replay >= 0)
                json_object_set_new(req, "replay", json_integer(replay));
        if (queue >= 0)
                json_object_set_new(req, "queue", json_integer(queue));
        if (overflow)
                json_object_set_new(req, "overflow", json_string(overflow));
        if (!strcmp(mode, "tty")) {
                tty_mode = true;
        } else if (strcmp(mode, "auto")) {
                bool sel[3] = { false, false, false };
                char *m = xstrdup(mode), *save = NULL;
                for (char *t = strtok_r(m, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                        int k = -1;
                        for (int i = 0; i < IO_STREAMS; i++)
                                if (!strcmp(t, io_stream_name(i)))
                                        k = i;
                        if (k < 0) {
                                log_error("attach: --mode=%s: expected auto, list, tty or a list of stdin,stdout,stderr", mode);
                                free(m);
                                json_decref(req);
                                code = 2;
                                goto out;
                        }
                        sel[k] = true;
                }
                free(m);
                json_object_set_new(req, "stdin", json_boolean(sel[0] && !no_stdin));
                json_object_set_new(req, "stdout", json_boolean(sel[1]));
                json_object_set_new(req, "stderr", json_boolean(sel[2]));
        }
        if (no_stdin)
                json_object_set_new(req, "stdin", json_false());
        {
                struct winsize ws;
                if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
                        json_object_set_new(req, "rows", json_integer(ws.ws_row));
                        json_object_set_new(req, "cols", json_integer(ws.ws_col));
                }
        }
        if (ctl_call(c, req, &resp, &err) < 0) {
                log_error("attach: %s", err.msg);
                goto out;
        }
        res = json_object_get(resp, "result");
        if (tty_mode && !json_is_true(json_object_get(res, "tty"))) {
                log_error("attach: app %s has no tty (--mode=tty); try --mode=auto", app);
                goto out;
        }
        tty_mode = json_is_true(json_object_get(res, "tty"));
        in_on = json_is_true(json_object_get(res, "stdin"));
        code = attach_stream(c, tty_mode, in_on, keys, n_keys, app, false);
out:
        restore_terminal();
        json_decref(resp);
        json_decref(status);
        ctl_close(c);
        pod_ref_done(&p);
        return code;
}
