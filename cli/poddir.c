/* Pods on disk: listing, lookup by UUID prefix, and the status document. */
#include "cli/cli.h"
#include "cli/poddir.h"
#include "net/netns.h"
#include "net/podnet.h"
#include "common/client.h"
#include "common/fdutil.h"
#include "common/manifest.h"
#include "common/owner.h"
#include "common/podstate.h"
#include "common/uuid.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

static const struct {
        const char *dir;
        enum pod_dir_state locked, unlocked;
} state_dirs[] = {
        { "prepare", PODDIR_PREPARING, PODDIR_GARBAGE },
        { "run", PODDIR_RUNNING, PODDIR_EXITED },
        { "exited-garbage", PODDIR_GARBAGE, PODDIR_GARBAGE },
};

const char *pod_dir_state_name(enum pod_dir_state s)
{
        switch (s) {
        case PODDIR_PREPARING: return "preparing";
        case PODDIR_RUNNING: return "running";
        case PODDIR_EXITED: return "exited";
        case PODDIR_GARBAGE: return "garbage";
        }
        return "unknown";
}

void pod_ref_done(struct pod_ref *p)
{
        free(p->path);
        p->path = NULL;
}

void pods_free(struct pod_ref *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                pod_ref_done(&p[i]);
        free(p);
}

static int64_t created_ns(const char *path)
{
        _cleanup_free_ char *f = xasprintf("%s/pod-created", path);
        struct stat st;
        if (stat(f, &st) < 0 && stat(path, &st) < 0)
                return 0;
        return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

static int cmp_created(const void *a, const void *b)
{
        int64_t x = created_ns(((const struct pod_ref *)a)->path);
        int64_t y = created_ns(((const struct pod_ref *)b)->path);
        return x < y ? -1 : x > y;
}

int pods_list(struct pod_ref **ret, size_t *ret_n, struct pod_err *err)
{
        struct pod_ref *v = NULL;
        size_t n = 0;

        for (size_t i = 0; i < ARRAY_SIZE(state_dirs); i++) {
                _cleanup_free_ char *sd = xasprintf("%s/pods/%s", g.dir, state_dirs[i].dir);
                DIR *d = opendir(sd);
                struct dirent *de;

                if (!d) {
                        if (errno == ENOENT)
                                continue;
                        pods_free(v, n);
                        if (errno == EACCES)
                                return pod_err_set(err, -EACCES, "cannot list the pods in %s: permission denied (run as root; "
                                                   "a pod's owner names the pod by its full UUID)", g.dir);
                        return pod_err_set(err, -errno, "reading %s: %s", sd, strerror(errno));
                }
                while ((de = readdir(d))) {
                        _cleanup_close_ int fd = -1;
                        int held;

                        if (!uuid_valid(de->d_name))
                                continue;
                        v = xrealloc(v, (n + 1) * sizeof(*v));
                        memset(&v[n], 0, sizeof(v[n]));
                        snprintf(v[n].uuid, sizeof(v[n].uuid), "%s", de->d_name);
                        v[n].path = xasprintf("%s/%s", sd, de->d_name);
                        fd = open(v[n].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        held = fd >= 0 ? pod_lock_held(fd) : 0;
                        v[n].state = held > 0 ? state_dirs[i].locked : state_dirs[i].unlocked;
                        n++;
                }
                closedir(d);
        }
        if (n > 1)
                qsort(v, n, sizeof(*v), cmp_created);
        *ret = v;
        *ret_n = n;
        return 0;
}

/*
 * A pod named by its full UUID, where the pods cannot be listed: a pod's
 * owner may search pods/run/ but not read it (docs/security.md).
 */
static int pod_find_uuid(const char *uuid, struct pod_ref *ret, struct pod_err *err)
{
        bool denied = false;

        for (size_t i = 0; i < ARRAY_SIZE(state_dirs); i++) {
                _cleanup_free_ char *path = xasprintf("%s/pods/%s/%s", g.dir, state_dirs[i].dir, uuid);
                _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                int held;

                if (fd < 0) {
                        denied |= errno == EACCES || errno == EPERM;
                        continue;
                }
                held = pod_lock_held(fd);
                memset(ret, 0, sizeof(*ret));
                snprintf(ret->uuid, sizeof(ret->uuid), "%s", uuid);
                ret->path = TAKE_PTR(path);
                ret->state = held > 0 ? state_dirs[i].locked : state_dirs[i].unlocked;
                return 0;
        }
        if (denied)
                return pod_err_set(err, -EACCES, "pod %s in %s: permission denied (" OWNER_HINT ")", uuid, g.dir);
        return pod_err_set(err, -ENOENT, "no pod %s in %s (see `podctl list`)", uuid, g.dir);
}

int pod_find(const char *arg, struct pod_ref *ret, struct pod_err *err)
{
        struct pod_err lerr = { 0 };
        struct pod_ref *v;
        size_t n, found = 0, idx = 0;
        int r;

        if (!arg || !*arg)
                return pod_err_set(err, -EINVAL, "no pod given (a UUID or a unique prefix of one)");
        if ((r = pods_list(&v, &n, &lerr)) == -EACCES && uuid_valid(arg))
                return pod_find_uuid(arg, ret, err);
        if (r < 0) {
                *err = lerr;
                return r;
        }
        for (size_t i = 0; i < n; i++)
                if (str_startswith(v[i].uuid, arg)) {
                        found++;
                        idx = i;
                        if (!strcmp(v[i].uuid, arg)) {
                                found = 1;
                                break;
                        }
                }
        if (found == 1) {
                *ret = v[idx];
                v[idx].path = NULL;
                r = 0;
        } else if (found == 0) {
                r = pod_err_set(err, -ENOENT, "no pod %s in %s (see `podctl list`)", arg, g.dir);
        } else {
                r = pod_err_set(err, -EEXIST, "pod prefix %s matches %zu pods; give more of the UUID", arg, found);
        }
        pods_free(v, n);
        return r;
}

/* Status from files for a pod whose podinit is gone. */
static int status_from_disk(const struct pod_ref *p, json_t **ret, struct pod_err *err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s/%s", p->path, POD_PODINIT_DIR, POD_STATUS_JSON);
        _cleanup_free_ char *data = NULL;
        json_t *j;
        int r;

        r = read_file_at(AT_FDCWD, path, 16u << 20, &data, NULL);
        if (r == -ENOENT) {
                j = json_pack("{s:i,s:s,s:s,s:[]}", "version", 1, "uuid", p->uuid, "state",
                              pod_dir_state_name(p->state), "apps");
                if (p->state == PODDIR_EXITED)
                        json_object_set_new(j, "exitReason", json_string("podinit recorded no status (the pod never started)"));
                *ret = j;
                return 0;
        }
        if (r < 0)
                return pod_err_set(err, r, "reading %s: %s", path, strerror(-r));
        j = json_loads(data, 0, NULL);
        if (!json_is_object(j)) {
                json_decref(j);
                return pod_err_set(err, -EBADMSG, "%s is not a JSON object", path);
        }
        /* "running" on disk with no lock holder: podinit died without finishing,
         * and every app it had running died with it (the pid namespace went). */
        if (p->state != PODDIR_RUNNING && p->state != PODDIR_PREPARING &&
            strcmp(json_string_value(json_object_get(j, "state")) ?: "", "exited")) {
                json_t *a;
                size_t i;
                json_object_set_new(j, "state", json_string("exited"));
                json_object_set_new(j, "exitReason", json_string("podinit was killed before it could record the pod's exit"));
                json_array_foreach(json_object_get(j, "apps"), i, a) {
                        const char *s = json_string_value(json_object_get(a, "state")) ?: "";
                        if (!strcmp(s, "exited") || !strcmp(s, "failed") || !strcmp(s, "created"))
                                continue;
                        json_object_set_new(a, "state", json_string("exited"));
                        json_object_set_new(a, "ready", json_false());
                        json_object_set_new(a, "error", json_string("killed with the pod: podinit was killed"));
                }
        }
        /* A pod a gc was moving away: its directory says so. */
        if (p->state == PODDIR_GARBAGE)
                json_object_set_new(j, "state", json_string("garbage"));
        *ret = j;
        return 0;
}

int pod_status_load(const struct pod_ref *p, json_t **ret, struct pod_err *err)
{
        return pod_status_load_timeout(p, POD_STATUS_TIMEOUT_MS, ret, err);
}

/*
 * A running pod whose podinit does not answer (stopped, hung, its socket
 * gone) is shown from disk, marked "unresponsive" with the reason, so one
 * stuck pod costs `podctl list` a second, not the 10 s of a request.
 */
/*
 * The pod's networks, from net-info.json (rkt's file: kept after the pod
 * exits, when its addresses may already be another pod's), and the path of
 * its network namespace while that is bound (nsenter --net=PATH).
 */
static int status_load(const struct pod_ref *p, unsigned timeout_ms, json_t **ret, struct pod_err *err);

static void add_networks(const char *pod_path, json_t *st)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", pod_path, NET_INFO_FILE), *data = NULL;
        _cleanup_free_ char *ns = xasprintf("%s/%s", pod_path, NET_NETNS_FILE);
        json_t *info, *nets, *e;
        size_t len, i;

        if (read_file_at(AT_FDCWD, path, 1u << 20, &data, &len) < 0 || !(info = json_loadb(data, len, 0, NULL)))
                return;
        nets = json_array();
        json_array_foreach(info, i, e)
                json_array_append_new(nets, json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?,s:O?}", "name", json_object_get(e, "netName"),
                                                      "ifName", json_object_get(e, "ifName"), "ip", json_object_get(e, "ip"),
                                                      "mask", json_object_get(e, "mask"), "gateway",
                                                      json_object_get(e, "gateway"), "ips", json_object_get(e, "ips")));
        json_object_set_new(st, "networks", nets);
        if (netns_is_bound(ns) > 0)
                json_object_set_new(st, "netns", json_string(ns));
        json_decref(info);
}

int pod_status_load_timeout(const struct pod_ref *p, unsigned timeout_ms, json_t **ret, struct pod_err *err)
{
        int r = status_load(p, timeout_ms, ret, err);

        if (r == 0)
                add_networks(p->path, *ret);
        return r;
}

static int status_load(const struct pod_ref *p, unsigned timeout_ms, json_t **ret, struct pod_err *err)
{
        struct pod_err cerr = { 0 };
        struct ctl_conn *c;
        json_t *resp, *j;
        int r;

        if (p->state != PODDIR_RUNNING)
                return status_from_disk(p, ret, err);
        r = ctl_connect_timeout(p->path, timeout_ms, &c, &cerr);
        if (r == 0) {
                r = ctl_call(c, json_pack("{s:s}", "op", "status"), &resp, &cerr);
                ctl_close(c);
                if (r == 0) {
                        *ret = json_incref(json_object_get(resp, "result"));
                        json_decref(resp);
                        return 0;
                }
        }
        /* Refused, not unresponsive: the files would be no answer either. */
        if (r == -EACCES)
                return pod_err_set(err, r, "%s", cerr.msg);
        if ((r = status_from_disk(p, &j, err)) < 0)
                return r;
        json_object_set_new(j, "unresponsive", json_true());
        json_object_set_new(j, "unresponsiveReason", json_string(cerr.msg));
        *ret = j;
        return 0;
}

int pod_manifest_lock(const struct pod_ref *p, int *ret_podfd, int *ret_lockfd, struct pod_err *err)
{
        _cleanup_close_ int podfd = open(p->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int lockfd = podfd < 0 ? -1 : openat(podfd, "app.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);

        if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0)
                return pod_err_set(err, -errno, "locking %s/app.lock: %s", p->path, strerror(errno));
        *ret_podfd = TAKE_FD(podfd);
        *ret_lockfd = TAKE_FD(lockfd);
        return 0;
}

int pod_manifest_load(int podfd, json_t **ret, struct pod_err *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        json_t *pod;
        int r;

        if ((r = read_file_at(podfd, "pod", POD_MANIFEST_MAX_BYTES, &data, &len)) < 0)
                return pod_err_set(err, r, "reading the pod manifest: %s", strerror(-r));
        pod = json_loadb(data, len, 0, NULL);
        if (!json_is_array(json_object_get(pod, "apps"))) {
                json_decref(pod);
                return pod_err_set(err, -EINVAL, "reading the pod manifest: not a pod manifest");
        }
        *ret = pod;
        return 0;
}

int pod_manifest_store(int podfd, const char *text, struct pod_err *err)
{
        int r = write_file_atomic(podfd, "pod", text, strlen(text), 0640, WRITE_SYNC);

        if (r < 0)
                return pod_err_set(err, r, "writing the pod manifest: %s", strerror(-r));
        return 0;
}
