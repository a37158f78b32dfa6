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

int s1_pod_pid(pid_t *ret, struct pod_err *err)
{
        return pod_pid1(".", ret, err);
}

int s1_pod_running(void)
{
        _cleanup_close_ int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? 0 : pod_lock_held(fd) == 1;
}
