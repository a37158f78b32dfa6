#include "net/netns.h"
#include "common/util.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int netns_is_bound(const char *path)
{
        struct statfs sf;

        if (statfs(path, &sf) < 0)
                return errno == ENOENT ? 0 : -errno;
        return sf.f_type == NSFS_MAGIC;
}

int netns_remove(const char *path)
{
        int r = netns_is_bound(path);

        if (r < 0)
                return r;
        /* Lazily: a plugin still in the namespace must not make this fail. */
        while (r > 0 && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                r = netns_is_bound(path);
        if (r < 0)
                return r;
        if (r > 0)
                return -errno;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/*
 * unshare() moves the caller into the new namespace, and the caller must
 * stay in the host's (it runs the plugins): it returns at once with setns().
 * The launcher is single-threaded, as unshare(CLONE_NEWNET) needs.
 */
int netns_create(const char *path, int *ret_fd)
{
        _cleanup_close_ int host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int fd = -1;
        int r;

        if (host < 0)
                return -errno;
        if ((r = netns_remove(path)) < 0)
                return r;
        fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
        if (fd < 0)
                return -errno;
        closep(&fd);
        if (unshare(CLONE_NEWNET) < 0) {
                r = -errno;
                unlink(path);
                return r;
        }
        r = mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
        if (r == 0)
                fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (setns(host, CLONE_NEWNET) < 0)
                abort();        /* we would run the host's plugins in the pod's namespace */
        if (r == 0 && fd < 0)
                r = -errno;
        if (r < 0) {
                (void)netns_remove(path);
                unlink(path);
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}
