/*
 * podctl exec: a command run in a running app's context (its mount
 * namespace, root, cgroup, user, groups, capabilities, seccomp filter and
 * environment, plus the variables the request adds), with its stdin,
 * stdout and stderr (or one pty) relayed to one control client as an
 * attach stream (docs/protocol.md "exec").
 *
 * The session belongs to PID 1, not to the client: the client is told
 * about output and the exit through ops, and may go away at any time
 * (exec_detach): the command is then killed (SIGKILL to its process group)
 * and the session frees itself once it is reaped and its output drained.
 * Output waits for the client (a full client pauses the command's pipe:
 * an exec has one reader, so backpressure is the right policy, unlike
 * attach where the app must never wait for a client).
 */
#ifndef POD_INIT_CONTROL_EXEC_H
#define POD_INIT_CONTROL_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct pod;
struct app;
struct exec_session;
struct pod_err;

struct exec_ops {
        /* Output for the client; false: it is full, call exec_resume() once it has room. */
        bool (*output)(void *ctx, int stream, const char *buf, size_t len);
        /* The command ended and its output was all delivered (then ctx is forgotten). */
        void (*exited)(void *ctx, int wstatus, const char *error);
        /* Its stdin queue drained: the client may send again. */
        void (*stdin_drained)(void *ctx);
};

struct exec_request {
        char **argv;            /* argv[0]: a path, or a name looked up in the app's PATH */
        char **env;             /* NAME=VALUE added to (or replacing in) the app's environment */
        bool tty, stdin_open;
        unsigned short rows, cols;
};

#define EXEC_MAX_PER_POD 32     /* exec sessions at once (each holds one of the 64 control connections) */

int exec_start(struct pod *pod, struct app *a, const struct exec_request *req, const struct exec_ops *ops,
               void *ctx, struct exec_session **ret, struct pod_err *err);
/* Queue stdin: 0, 1 (over its limit: pause until stdin_drained), -EPIPE if closed. */
int exec_write_stdin(struct exec_session *x, const char *buf, size_t len);
void exec_close_stdin(struct exec_session *x);
int exec_resize(struct exec_session *x, unsigned short rows, unsigned short cols);
int exec_signal(struct exec_session *x, int sig);
void exec_resume(struct exec_session *x);
pid_t exec_pid(const struct exec_session *x);
bool exec_tty(const struct exec_session *x);
/* The client is gone: kill the command; the session frees itself when it is done. */
void exec_detach(struct exec_session *x);
/* The pod is finishing: close every session's handles (freed by exec_free_all after the loop). */
void exec_close_all(struct pod *pod);
void exec_free_all(struct pod *pod);

#endif
