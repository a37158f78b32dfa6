/*
 * The task's rootfs (shim/shim.h): containerd hands the snapshot over as
 * mounts (for `ctr run`, one overlay: lowerdir/upperdir/workdir options; for
 * the native snapshotter, a bind) and the shim mounts them at
 * <bundle>/rootfs, where config.json's root.path points, as runc's shim
 * does.  stage0 then binds that directory at the app's place in the pod.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/util.h"
#include "shim/shim.h"

static const struct {
        const char *name;
        bool clear;
        unsigned long flag;
} mount_flags[] = {
        { "ro", false, MS_RDONLY },       { "rw", true, MS_RDONLY },
        { "bind", false, MS_BIND },       { "rbind", false, MS_BIND | MS_REC },
        { "nosuid", false, MS_NOSUID },   { "suid", true, MS_NOSUID },
        { "nodev", false, MS_NODEV },     { "dev", true, MS_NODEV },
        { "noexec", false, MS_NOEXEC },   { "exec", true, MS_NOEXEC },
        { "sync", false, MS_SYNCHRONOUS }, { "async", true, MS_SYNCHRONOUS },
        { "noatime", false, MS_NOATIME }, { "atime", true, MS_NOATIME },
        { "relatime", false, MS_RELATIME }, { "norelatime", true, MS_RELATIME },
        { "strictatime", false, MS_STRICTATIME }, { "defaults", false, 0 },
};

/* Split options into mount(2) flags and the filesystem's data string. */
static void parse_options(char **opts, size_t n, unsigned long *ret_flags, char **ret_data)
{
        unsigned long flags = 0;
        char *data = NULL;

        for (size_t i = 0; i < n; i++) {
                size_t k;
                for (k = 0; k < ARRAY_SIZE(mount_flags); k++)
                        if (!strcmp(opts[i], mount_flags[k].name))
                                break;
                if (k < ARRAY_SIZE(mount_flags)) {
                        if (mount_flags[k].clear)
                                flags &= ~mount_flags[k].flag;
                        else
                                flags |= mount_flags[k].flag;
                        continue;
                }
                if (data) {
                        char *d = xasprintf("%s,%s", data, opts[i]);
                        free(data);
                        data = d;
                } else {
                        data = xstrdup(opts[i]);
                }
        }
        *ret_flags = flags;
        *ret_data = data;
}

int shim_mount_rootfs(const char *bundle, Containerd__Types__Mount **mounts, size_t n, struct pod_err *err)
{
        _cleanup_free_ char *target = xasprintf("%s/rootfs", bundle);

        if (n == 0)
                return 0;       /* the bundle brought its own rootfs */
        if (mkdir(target, 0711) < 0 && errno != EEXIST)
                return pod_err_set(err, -errno, "creating %s: %s", target, strerror(errno));
        for (size_t i = 0; i < n; i++) {
                const Containerd__Types__Mount *m = mounts[i];
                unsigned long flags;
                _cleanup_free_ char *data = NULL;
                const char *type = m->type && *m->type ? m->type : "none";

                parse_options(m->options, m->n_options, &flags, &data);
                if (data && strlen(data) >= 4096) {
                        shim_unmount_rootfs(bundle);
                        return pod_err_set(err, -E2BIG, "rootfs mount %zu (%s): its options are %zu bytes, over a page; "
                                           "the shim does not shorten them", i, type, strlen(data));
                }
                if (mount(m->source, target, (flags & MS_BIND) ? NULL : type, flags & ~MS_RDONLY, data) < 0 ||
                    ((flags & MS_RDONLY) && mount(NULL, target, NULL, (flags & MS_BIND ? MS_BIND : 0) | MS_REMOUNT | MS_RDONLY, NULL) < 0)) {
                        int r = -errno;
                        shim_unmount_rootfs(bundle);
                        return pod_err_set(err, r, "mounting the rootfs (%s %s on %s): %s", type, m->source ?: "",
                                           target, strerror(-r));
                }
        }
        return 0;
}

int shim_unmount_rootfs(const char *bundle)
{
        _cleanup_free_ char *target = xasprintf("%s/rootfs", bundle);
        int r = 0;

        /* Everything stacked there (several mounts, or what a dead shim left). */
        for (int i = 0; i < 16; i++)
                if (umount2(target, MNT_DETACH) < 0) {
                        r = errno == EINVAL || errno == ENOENT ? 0 : -errno;
                        break;
                }
        return r;
}
