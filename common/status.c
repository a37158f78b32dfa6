#include "common/status.h"
#include "common/fdutil.h"
#include "common/util.h"

#include <sys/wait.h>

const char *app_state_name(enum app_state s)
{
        static const char *const names[APP_STATE_COUNT] = {
                [APP_CREATED] = "created",
                [APP_STARTING] = "starting",
                [APP_RUNNING] = "running",
                [APP_READY] = "ready",
                [APP_STOPPING] = "stopping",
                [APP_EXITED] = "exited",
                [APP_BACKOFF] = "backoff",
                [APP_FAILED] = "failed",
        };
        return (unsigned)s < APP_STATE_COUNT ? names[s] : "unknown";
}

/*
 * The app lifecycle table: the single place that says which transitions
 * exist.  docs/lifecycle.md draws it; test_status.c checks every cell.
 */
#define _ -1
#define S(x) APP_##x
/* next[state][event]; _ = not valid in that state (ignored). */
static const signed char next[APP_STATE_COUNT][APP_EVENT_COUNT] = {
        /*               START        EXEC        READY     STOP          EXIT        CRASH         GIVE_UP      RESTART      DEP_FAILED */
        [APP_CREATED]  = { S(STARTING), _,          _,        S(EXITED),    S(EXITED),  _,            _,           _,           S(FAILED) },
        [APP_STARTING] = { _,           S(RUNNING), _,        S(STOPPING),  S(EXITED),  S(BACKOFF),   S(FAILED),   _,           _ },
        [APP_RUNNING]  = { _,           _,          S(READY), S(STOPPING),  S(EXITED),  S(BACKOFF),   S(FAILED),   _,           _ },
        [APP_READY]    = { _,           _,          _,        S(STOPPING),  S(EXITED),  S(BACKOFF),   S(FAILED),   _,           _ },
        [APP_STOPPING] = { _,           _,          _,        _,            S(EXITED),  _,            S(EXITED),   _,           _ },
        [APP_EXITED]   = { S(STARTING), _,          _,        _,            _,          _,            _,           _,           _ },
        [APP_BACKOFF]  = { _,           _,          _,        S(STOPPING),  _,          _,            _,           S(STARTING), _ },
        [APP_FAILED]   = { S(STARTING), _,          _,        _,            _,          _,            _,           _,           _ },
};
#undef _
#undef S

const char *app_event_name(enum app_event ev)
{
        static const char *const names[APP_EVENT_COUNT] = {
                [EV_START] = "start", [EV_EXEC] = "exec", [EV_READY] = "ready", [EV_STOP] = "stop",
                [EV_EXIT] = "exit", [EV_CRASH] = "backoff", [EV_GIVE_UP] = "give-up",
                [EV_RESTART] = "restart", [EV_DEP_FAILED] = "dependency-failed",
        };
        return (unsigned)ev < APP_EVENT_COUNT ? names[ev] : "unknown";
}

bool app_state_final(enum app_state s)
{
        return s == APP_EXITED || s == APP_FAILED;
}

int app_next_state(enum app_state s, enum app_event ev)
{
        if ((unsigned)s >= APP_STATE_COUNT || (unsigned)ev >= APP_EVENT_COUNT)
                return -1;
        return next[s][ev];
}

int shell_code_from_wait(int wstatus)
{
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return 255;
}

int rkt_status_write(int dirfd, const char *name, int code)
{
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d\n", code);
        return write_file_atomic(dirfd, name, buf, (size_t)n, 0644, WRITE_SYNC);
}

int rkt_status_read(int dirfd, const char *name, int *ret)
{
        _cleanup_free_ char *data = NULL;
        long v;
        int r = read_file_at(dirfd, name, 64, &data, NULL);
        if (r < 0)
                return r;
        data[strcspn(data, "\n")] = '\0';
        if (parse_long(data, -2147483647L, 2147483647L, &v) < 0)
                return -EBADMSG;
        *ret = (int)v;
        return 0;
}

void format_bytes_iec(uint64_t n, char *buf, size_t size)
{
        static const char *const unit[] = { "GiB", "MiB", "KiB" };
        static const unsigned shift[] = { 30, 20, 10 };

        for (size_t i = 0; i < 3; i++)
                if (n && n % (1ull << shift[i]) == 0) {
                        snprintf(buf, size, "%llu %s", (unsigned long long)(n >> shift[i]), unit[i]);
                        return;
                }
        snprintf(buf, size, "%llu bytes", (unsigned long long)n);
}

void oom_describe(bool has_limit, uint64_t limit, char *buf, size_t size)
{
        char b[48];

        if (!has_limit) {
                snprintf(buf, size, "killed by the OOM killer (no memory limit of its own)");
                return;
        }
        format_bytes_iec(limit, b, sizeof(b));
        snprintf(buf, size, "killed by the OOM killer (memory limit %s)", b);
}
