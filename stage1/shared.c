/* What the stage1 entrypoints share (stage1/shared.h). */
#include "stage1/shared.h"
#include "common/fdutil.h"
#include "common/podstate.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

void s1_cloexec_inherited(void)
{
        DIR *d;
        struct dirent *de;

        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
                return;
        d = opendir("/proc/self/fd");
        if (!d)
                return;
        while ((de = readdir(d))) {
                long fd;
                if (parse_long(de->d_name, 3, 1L << 30, &fd) == 0 && fd != dirfd(d))
                        fd_set_cloexec((int)fd, 1);
        }
        closedir(d);
}

int s1_pod_pid(pid_t *ret, struct pod_err *err)
{
        return pod_pid1(".", ret, err);
}

int s1_pod_running(void)
{
        _cleanup_close_ int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? 0 : pod_lock_held(fd) == 1;
}
