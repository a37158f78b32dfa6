/*
 * The pod directory's life before podinit runs in it: created and locked in
 * pods/prepare (a pod there is one being prepared, which gc and list treat
 * as such), filled, then renamed into pods/run in one step, so a pod is
 * never seen half-prepared as a running one.  The lock is taken before
 * anything is written and handed to podinit (RKT_LOCK_FD), as rkt does.
 */
#include "stage0/layout.h"
#include "common/fdutil.h"

#include <fcntl.h>
#include <libgen.h>
#include <sys/file.h>
#include <sys/stat.h>

int stage0_write_text(int dirfd, const char *path, const char *text, mode_t mode, struct pod_err *err)
{
        int r = write_file_atomic(dirfd, path, text, strlen(text), mode, 0);
        if (r < 0)
                return pod_err_set(err, r, "writing %s: %s", path, strerror(-r));
        return 0;
}

int stage0_dir_create(const char *dir, struct stage0_dir *ret, struct pod_err *err)
{
        _cleanup_free_ char *preps = xasprintf("%s/pods/prepare", dir), *runs = xasprintf("%s/pods/run", dir);
        _cleanup_free_ char *prep = NULL;
        _cleanup_close_ int fd = -1;
        char uuid[UUID_STR_LEN];
        int r;

        if ((r = mkdir_p_at(AT_FDCWD, preps, 0700)) < 0 || (r = mkdir_p_at(AT_FDCWD, runs, 0700)) < 0)
                return pod_err_set(err, r, "creating %s/pods: %s", dir, strerror(-r));
        uuid_generate_v4(uuid);
        prep = xasprintf("%s/%s", preps, uuid);
        if (mkdir(prep, 0700) < 0)
                return pod_err_set(err, -errno, "creating %s: %s", prep, strerror(errno));
        if ((fd = open(prep, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
                r = pod_err_set(err, -errno, "creating %s: %s", prep, strerror(errno));
                rmdir(prep);    /* still empty: a failed run leaves nothing behind */
                return r;
        }
        memcpy(ret->uuid, uuid, sizeof(uuid));
        ret->prepare_path = TAKE_PTR(prep);
        ret->run_path = xasprintf("%s/%s", runs, uuid);
        ret->fd = TAKE_FD(fd);
        ret->committed = false;
        return 0;
}

int stage0_dir_layout(int podfd, struct pod_err *err)
{
        static const char *const dirs[] = {
                "stage1/rootfs/etc", "stage1/rootfs/opt/stage2", "stage1/rootfs/rkt/status",
                "stage1/rootfs/rkt/env", "stage1/rootfs/rkt/iottymux",
        };
        static const char stage1_manifest[] =
                "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"podinit.io/stage1\","
                "\"labels\":[{\"name\":\"version\",\"value\":\"" POD_VERSION "\"},{\"name\":\"arch\",\"value\":\"amd64\"},"
                "{\"name\":\"os\",\"value\":\"linux\"}],\"annotations\":["
                "{\"name\":\"coreos.com/rkt/stage1/run\",\"value\":\"/init\"},"
                "{\"name\":\"coreos.com/rkt/stage1/interface-version\",\"value\":\"6\"}]}\n";
        static const char hosts[] =
                "127.0.0.1 localhost localhost.domain localhost4 localhost4.localdomain4\n"
                "::1 ip6-localhost ip6-loopback localhost6 localhost6.localdomain6\n";
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
                if ((r = mkdir_p_at(podfd, dirs[i], 0755)) < 0)
                        return pod_err_set(err, r, "creating %s: %s", dirs[i], strerror(-r));
        if ((r = stage0_write_text(podfd, "pod-created", "", 0644, err)) < 0 ||
            (r = stage0_write_text(podfd, "pod.lck", "", 0600, err)) < 0 ||
            (r = stage0_write_text(podfd, "stage1/manifest", stage1_manifest, 0644, err)) < 0 ||
            (r = stage0_write_text(podfd, "stage1/rootfs/etc/hosts-fallback", hosts, 0644, err)) < 0)
                return r;
        return 0;
}

int stage0_dir_commit(struct stage0_dir *d, const char *uuid_file, struct pod_err *err)
{
        int r;

        if (rename(d->prepare_path, d->run_path) < 0)
                return pod_err_set(err, -errno, "moving the pod to %s: %s", d->run_path, strerror(errno));
        d->committed = true;
        /* Whoever reads the UUID file may act on the pod at once: it is written only for a pod in run/. */
        if (uuid_file && (r = stage0_write_text(AT_FDCWD, uuid_file, d->uuid, 0644, err)) < 0) {
                if (rename(d->run_path, d->prepare_path) == 0)
                        d->committed = false;
                return r;
        }
        return 0;
}

int stage0_dir_discard(struct stage0_dir *d)
{
        if (d->fd >= 0)
                close(TAKE_FD(d->fd));
        return rm_rf_at(AT_FDCWD, d->committed ? d->run_path : d->prepare_path);
}

void stage0_dir_done(struct stage0_dir *d)
{
        if (d->fd >= 0)
                close(TAKE_FD(d->fd));
        free(TAKE_PTR(d->prepare_path));
        free(TAKE_PTR(d->run_path));
}

const char *stage0_find_podinit(void)
{
        static char path[4096];
        const char *env = getenv("PODINIT");
        char self[4096];
        ssize_t n;

        if (env && *env)
                return env;
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = '\0';
                snprintf(path, sizeof(path), "%s/podinit", dirname(self));
                if (access(path, X_OK) == 0)
                        return path;
                /* dirname() cut self to the directory. */
                snprintf(path, sizeof(path), "%s/../lib/podinit/podinit", self);
                if (access(path, X_OK) == 0)
                        return path;
        }
        return NULL;
}
