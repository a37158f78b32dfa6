#include "common/podstate.h"
#include "common/manifest.h"
#include "common/util.h"
#include "common/fdutil.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

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

static int read_pid_file(const char *pod_dir, const char *name, pid_t *ret, struct pod_err *err)
{
        _cleanup_free_ char *data = NULL, *path = xasprintf("%s/%s", pod_dir, name);
        long v;
        int r = read_file_at(AT_FDCWD, path, 64, &data, NULL);

        if (r < 0)
                return r == -ENOENT ? r : pod_err_set(err, r, "reading %s: %s", path, strerror(-r));
        data[strcspn(data, "\n")] = 0;
        if (parse_long(data, 1, 1L << 30, &v) < 0)
                return pod_err_set(err, -EINVAL, "%s holds \"%s\", not a process id", path, data);
        *ret = (pid_t)v;
        return 0;
}

int pod_pid1(const char *pod_dir, pid_t *ret, struct pod_err *err)
{
        _cleanup_free_ char *children = NULL, *path = NULL;
        pid_t ppid;
        long v;
        int r;

        if ((r = read_pid_file(pod_dir, "pid", ret, err)) != -ENOENT)
                return r;
        if ((r = read_pid_file(pod_dir, "ppid", &ppid, err)) == -ENOENT)
                return pod_err_set(err, r, "the pod has no pid file yet (is it running?)");
        if (r < 0)
                return r;
        path = xasprintf("/proc/%d/task/%d/children", (int)ppid, (int)ppid);
        if ((r = read_file_at(AT_FDCWD, path, 4096, &children, NULL)) < 0)
                return pod_err_set(err, r, "reading %s: %s", path, strerror(-r));
        if (strchr(children, ' ') && strchr(children, ' ')[1])
                return pod_err_set(err, -E2BIG, "too many children of pid %d", (int)ppid);
        children[strcspn(children, " \n")] = 0;
        if (parse_long(children, 1, 1L << 30, &v) < 0)
                return pod_err_set(err, -ESRCH, "pid %d (ppid) has no child", (int)ppid);
        *ret = (pid_t)v;
        return 0;
}

pid_t pod_launcher_of(pid_t pid1, const char *pod_dir)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid1), *data = NULL, *cwd = NULL;
        struct stat a, b;
        long ppid;
        char *p;

        if (read_file_at(AT_FDCWD, path, 4096, &data, NULL) < 0 || !(p = strrchr(data, ')')))
                return 0;
        if (sscanf(p + 1, " %*c %ld", &ppid) != 1 || ppid <= 1)
                return 0;
        cwd = xasprintf("/proc/%ld/cwd", ppid);
        if (stat(cwd, &a) < 0 || stat(pod_dir, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return 0;
        return (pid_t)ppid;
}
