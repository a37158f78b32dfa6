/* Entrypoint dispatch and what the entrypoints share. */
#include "stage1/entry.h"
#include "common/fdutil.h"
#include "common/podstate.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const struct {
        const char *name;       /* the file name in the stage1 image */
        s1_entry_fn fn;
} entries[] = {
        { "enter", s1_enter },         { "gc", s1_gc },
        { "stop", s1_stop },           { "app_add", s1_app_add },
        { "app_start", s1_app_start }, { "app_stop", s1_app_stop },
        { "app_rm", s1_app_rm },       { "attach", s1_attach },
};

s1_entry_fn stage1_entrypoint(const char *argv0)
{
        const char *base = argv0 ? strrchr(argv0, '/') : NULL;

        base = base ? base + 1 : argv0;
        for (size_t i = 0; base && i < ARRAY_SIZE(entries); i++)
                if (!strcmp(base, entries[i].name))
                        return entries[i].fn;
        return NULL;
}

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

static int read_pid_file(const char *name, pid_t *ret, struct pod_err *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        long v;
        int r = read_file_at(AT_FDCWD, name, 64, &data, &len);

        if (r < 0)
                return r == -ENOENT ? r : pod_err_set(err, r, "reading %s: %s", name, strerror(-r));
        data[strcspn(data, "\n")] = 0;
        if (parse_long(data, 1, 1L << 30, &v) < 0)
                return pod_err_set(err, -EINVAL, "%s holds \"%s\", not a process id", name, data);
        *ret = (pid_t)v;
        return 0;
}

int s1_pod_pid(pid_t *ret, struct pod_err *err)
{
        _cleanup_free_ char *children = NULL, *path = NULL;
        pid_t ppid;
        size_t len;
        long v;
        int r;

        if ((r = read_pid_file("pid", ret, err)) != -ENOENT)
                return r;
        if ((r = read_pid_file("ppid", &ppid, err)) == -ENOENT)
                return pod_err_set(err, r, "the pod has no pid file yet (is it running?)");
        if (r < 0)
                return r;
        path = xasprintf("/proc/%d/task/%d/children", (int)ppid, (int)ppid);
        if ((r = read_file_at(AT_FDCWD, path, 4096, &children, &len)) < 0)
                return pod_err_set(err, r, "reading %s: %s", path, strerror(-r));
        if (strchr(children, ' ') && strchr(children, ' ')[1])
                return pod_err_set(err, -E2BIG, "too many children of pid %d", (int)ppid);
        children[strcspn(children, " \n")] = 0;
        if (parse_long(children, 1, 1L << 30, &v) < 0)
                return pod_err_set(err, -ESRCH, "pid %d (ppid) has no child", (int)ppid);
        *ret = (pid_t)v;
        return 0;
}

int s1_pod_running(void)
{
        _cleanup_close_ int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? 0 : pod_lock_held(fd) == 1;
}
