#include "net/cni.h"
#include "common/fdutil.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int cni_find_plugin(const char *path, const char *type, char **ret_path, struct pod_err *err)
{
        _cleanup_free_ char *copy = xstrdup(path && *path ? path : CNI_DEFAULT_PATH);
        char *save = NULL;

        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, type);
                struct stat st;

                if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0) {
                        *ret_path = TAKE_PTR(p);
                        return 0;
                }
        }
        return pod_err_set(err, -ENOENT, "plugin \"%s\" not found in %s (install containernetworking-plugins, "
                           "or name its directory with --net-plugin-dir)", type, path && *path ? path : CNI_DEFAULT_PATH);
}

/* The environment of a plugin: ours, with the CNI variables set and a PATH
 * that has the sbin directories (plugins run iptables and ip). */
static char **plugin_env(const struct cni_call *c)
{
        char **env = strv_copy(environ);
        const char *path = strv_env_get(env, "PATH");

        strv_env_set(&env, "CNI_COMMAND", c->command, true);
        strv_env_set(&env, "CNI_CONTAINERID", c->container_id ? c->container_id : "", true);
        strv_env_set(&env, "CNI_NETNS", c->netns ? c->netns : "", true);
        strv_env_set(&env, "CNI_IFNAME", c->ifname ? c->ifname : "", true);
        strv_env_set(&env, "CNI_PATH", c->path && *c->path ? c->path : CNI_DEFAULT_PATH, true);
        if (c->args)
                strv_env_set(&env, "CNI_ARGS", c->args, true);
        else
                strv_env_set(&env, "CNI_ARGS", "", true);
        if (!path || !strstr(path, "sbin")) {
                _cleanup_free_ char *p = xasprintf("%s%s/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin", path ? path : "",
                                                   path ? ":" : "");
                strv_env_set(&env, "PATH", p, true);
        }
        return env;
}

/* What the plugin said on failure: its CNI error object, or its raw output. */
static void describe_failure(const char *out, size_t n, const char *errout, int status, struct pod_err *err)
{
        json_t *j = n ? json_loadb(out, n, 0, NULL) : NULL;
        const char *msg = j ? json_string_value(json_object_get(j, "msg")) : NULL;
        const char *details = j ? json_string_value(json_object_get(j, "details")) : NULL;
        json_int_t code = j ? json_integer_value(json_object_get(j, "code")) : 0;
        char how[64];

        if (WIFEXITED(status))
                snprintf(how, sizeof(how), "exited with code %d", WEXITSTATUS(status));
        else
                snprintf(how, sizeof(how), "killed by %s", sigabbrev_np(WTERMSIG(status)) ?: "a signal");
        if (msg)
                pod_err_set(err, -EPROTO, "%s%s%s (CNI error %lld)", msg, details && *details ? ": " : "",
                            details ? details : "", (long long)code);
        else if (n)
                pod_err_set(err, -EPROTO, "%s and printed %.200s%s", how, out, n > 200 ? "..." : "");
        else if (errout && *errout)
                pod_err_set(err, -EPROTO, "%s: %.300s", how, errout);
        else
                pod_err_set(err, -EPROTO, "%s and printed nothing", how);
        json_decref(j);
}

static uint64_t ms_left(uint64_t deadline_ns)
{
        uint64_t now = now_mono_ns();
        return now >= deadline_ns ? 0 : (deadline_ns - now) / 1000000 + 1;
}

/* Feed stdin, collect stdout (and a tail of stderr) until both close or the deadline. */
static int pump(int *inp, int out, int errfd, const char *conf, size_t conf_len, char **obuf, size_t *olen,
                char *ebuf, size_t ebuf_size, uint64_t deadline_ns)
{
        size_t off = 0, elen = 0;
        int in = *inp;

        while (out >= 0 || errfd >= 0) {
                struct pollfd p[3] = { { .fd = out, .events = POLLIN }, { .fd = errfd, .events = POLLIN },
                                       { .fd = in, .events = POLLOUT } };
                uint64_t left = ms_left(deadline_ns);
                char buf[16384];
                int n;

                if (left == 0)
                        return -ETIMEDOUT;
                n = poll(p, 3, (int)(left > 1000000 ? 1000000 : left));
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n <= 0)
                        continue;
                if (in >= 0 && p[2].revents) {
                        ssize_t w = write(in, conf + off, conf_len - off);
                        if (w > 0)
                                off += (size_t)w;
                        if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == conf_len) {
                                close(in);      /* EPIPE: the plugin does not read its config; its result says why */
                                in = *inp = -1;
                        }
                }
                if (out >= 0 && p[0].revents) {
                        ssize_t rd = read(out, buf, sizeof(buf));
                        if (rd > 0) {
                                if (*olen + (size_t)rd > CNI_OUTPUT_MAX)
                                        return -EFBIG;
                                *obuf = xrealloc(*obuf, *olen + (size_t)rd + 1);
                                memcpy(*obuf + *olen, buf, (size_t)rd);
                                *olen += (size_t)rd;
                                (*obuf)[*olen] = 0;
                        } else if (rd == 0 || (errno != EAGAIN && errno != EINTR)) {
                                out = -1;
                        }
                }
                if (errfd >= 0 && p[1].revents) {
                        ssize_t rd = read(errfd, buf, sizeof(buf));
                        if (rd > 0) {
                                /* Keep the last bytes: a plugin's last words are its reason. */
                                size_t k = (size_t)rd >= ebuf_size - 1 ? ebuf_size - 1 : (size_t)rd;
                                if (elen + k > ebuf_size - 1) {
                                        size_t drop = elen + k - (ebuf_size - 1);
                                        memmove(ebuf, ebuf + drop, elen - drop);
                                        elen -= drop;
                                }
                                memcpy(ebuf + elen, buf + (size_t)rd - k, k);
                                elen += k;
                                ebuf[elen] = 0;
                        } else if (rd == 0 || (errno != EAGAIN && errno != EINTR)) {
                                errfd = -1;
                        }
                }
        }
        return 0;
}

int cni_exec(const char *type, const struct cni_call *c, const json_t *conf, json_t **ret_result,
             struct pod_err *err)
{
        _cleanup_free_ char *bin = NULL, *out = NULL, *conf_s = NULL;
        _cleanup_strv_ char **env = NULL;
        int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, st = 0, r;
        char errtail[512] = "";
        struct sigaction old_pipe;
        pid_t parent;
        size_t olen = 0;
        pid_t pid;

        if ((r = cni_find_plugin(c->path, type, &bin, err)) < 0)
                return r;
        conf_s = json_dumps(conf, JSON_COMPACT);
        if (!conf_s)
                return pod_err_set(err, -ENOMEM, "encoding the config of plugin \"%s\"", type);
        env = plugin_env(c);
        if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
                r = pod_err_set(err, -errno, "pipe: %s", strerror(errno));
                goto out;
        }
        /* A plugin that exits before reading its config must not kill us with SIGPIPE. */
        sigaction(SIGPIPE, &(struct sigaction){ .sa_handler = SIG_IGN }, &old_pipe);
        parent = getpid();
        pid = fork();
        if (pid < 0) {
                r = pod_err_set(err, -errno, "fork: %s", strerror(errno));
                sigaction(SIGPIPE, &old_pipe, NULL);
                goto out;
        }
        if (pid == 0) {
                sigset_t all;
                char *argv[] = { bin, NULL };

                setpgid(0, 0);
                /* Dies with its caller: a launcher killed during ADD leaves the
                 * undoing to gc, which must not race a plugin still adding. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(127);
                signal(SIGPIPE, SIG_DFL);
                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
                if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0 || dup2(perr[1], 2) < 0)
                        _exit(127);
                execve(bin, argv, env);
                dprintf(2, "executing %s: %s", bin, strerror(errno));
                _exit(127);
        }
        setpgid(pid, pid);      /* also here: the deadline may come before the child runs */
        close(pin[0]);
        close(pout[1]);
        close(perr[1]);
        pin[0] = pout[1] = perr[1] = -1;
        fd_set_nonblock(pin[1], 1);
        r = pump(&pin[1], pout[0], perr[0], conf_s, strlen(conf_s), &out, &olen, errtail, sizeof(errtail),
                 now_mono_ns() + c->timeout_ms * 1000000ull);
        if (r < 0)
                kill(-pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        sigaction(SIGPIPE, &old_pipe, NULL);
        if (r == -ETIMEDOUT) {
                r = pod_err_set(err, r, "plugin \"%s\" (%s) did not finish %s within %llu ms and was killed "
                                "(--net-timeout sets the limit)", type, bin, c->command, (unsigned long long)c->timeout_ms);
                goto out;
        }
        if (r == -EFBIG) {
                r = pod_err_set(err, r, "plugin \"%s\" (%s) printed more than %d bytes on %s", type, bin, CNI_OUTPUT_MAX,
                                c->command);
                goto out;
        }
        if (r < 0) {
                r = pod_err_set(err, r, "plugin \"%s\": %s", type, strerror(-r));
                goto out;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                describe_failure(out, olen, errtail, st, err);
                r = pod_err_prefix(err, "plugin \"%s\" %s", type, c->command);
                goto out;
        }
        *ret_result = NULL;
        if (olen && strspn(out, " \t\r\n") != olen) {
                json_error_t je;
                json_t *j = json_loadb(out, olen, 0, &je);
                if (!j || !json_is_object(j)) {
                        json_decref(j);
                        r = pod_err_set(err, -EPROTO, "plugin \"%s\" %s printed something that is not a CNI result: %.120s%s",
                                        type, c->command, out, olen > 120 ? "..." : "");
                        goto out;
                }
                *ret_result = j;
        }
        r = 0;
out:
        for (int k = 0; k < 2; k++) {
                if (pin[k] >= 0)
                        close(pin[k]);
                if (pout[k] >= 0)
                        close(pout[k]);
                if (perr[k] >= 0)
                        close(perr[k]);
        }
        return r;
}
