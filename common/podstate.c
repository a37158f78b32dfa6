#include "common/podstate.h"
#include "common/util.h"

#include <fcntl.h>
#include <sys/file.h>

int pod_lock_held(int podfd)
{
        /* A second open file description: flock on podfd itself would succeed
         * if podfd happened to be the holder's own description. */
        int fd = openat(podfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_SH | LOCK_NB) == 0)
                r = 0;
        else
                r = errno == EWOULDBLOCK ? 1 : -errno;
        close(fd);
        return r;
}
