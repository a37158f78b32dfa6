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
                [APP_STOPPING] = "stopping",
                [APP_EXITED] = "exited",
        };
        return (unsigned)s < APP_STATE_COUNT ? names[s] : "unknown";
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
