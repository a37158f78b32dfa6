#include "common/podstate.h"
#include "common/manifest.h"
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

char *pod_app_log_path(const char *pod_dir, const struct pod_app *a)
{
        if (a->log.path)
                return xstrdup(a->log.path);
        return xasprintf("%s/%s%s/%s.log", pod_dir && *pod_dir ? pod_dir : ".", POD_S1, LOG_DIR, a->name);
}
