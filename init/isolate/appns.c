#include "init/isolate/appns.h"
#include "common/fdutil.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>

/*
 * No child (it would take pid 2 in the pod, which rkt's apps expect to
 * have): we keep our namespace as it is now, and move ourselves into a copy
 * of it, where the apps' mounts will go.  The copy's mounts are slaves of
 * the same masters as the originals', never peers of them, so nothing PID 1
 * mounts from now on reaches the base.
 */
int appns_base_create(struct pod_err *err)
{
        int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC), e;

        if (fd < 0)
                return pod_err_set(err, -errno, "opening /proc/self/ns/mnt: %s", strerror(errno));
        if (unshare(CLONE_NEWNS) < 0) {
                e = errno;
                close(fd);
                return pod_err_set(err, -e, "making the apps' base mount namespace (unshare): %s", strerror(e));
        }
        return fd;
}

int appns_enter(int base_fd, const char *rootfs, const char **ret_what)
{
        int tree, e;

        tree = open_tree(AT_FDCWD, rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0) {
                *ret_what = "cloning the app's mounts";
                return -errno;
        }
        if (setns(base_fd, CLONE_NEWNS) < 0) {
                *ret_what = "entering the pod's base mount namespace";
                goto fail;
        }
        /* A copy of the base, and slave: what happens in it never reaches the base, and so no other app. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                *ret_what = "creating the app's mount namespace";
                goto fail;
        }
        if (move_mount(tree, "", AT_FDCWD, rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
                *ret_what = "attaching the app's mounts";
                goto fail;
        }
        close(tree);
        return 0;
fail:
        e = errno;
        close(tree);
        return -e;
}
