/*
 * An app of a shim's pod (shim/pod.h): its name, added to the running pod
 * with its root the bundle's rootfs (bound at the app's place on the host,
 * carried into the pod by propagation: stage0/rootfs.h), removed again, and
 * the record in the bundle that lets `shim delete` clean up after a shim
 * that was killed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"
#include "shim/pod_int.h"
#include "stage0/app.h"
#include "stage0/rootfs.h"

#define SCROLLBACK_BYTES "4194304"         /* output the app makes before the shim attaches is kept */
#define APP_STOP_TIMEOUT_MS 5000           /* a forced app-stop: SIGKILL, then the reap */

/* containerd's ids allow [A-Za-z0-9_.-]; an app name is an ACName: lower-case, dash-separated. */
static void acname(const char *id, char *out, size_t size)
{
        size_t n = 0;

        for (const char *s = id; *s && n + 1 < size; s++) {
                char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                        out[n++] = c;
                else if (n > 0 && out[n - 1] != '-')
                        out[n++] = '-';
        }
        while (n > 0 && out[n - 1] == '-')
                n--;
        out[n] = 0;
        if (n == 0)
                snprintf(out, size, "app");
}

/* Set annotation name to value in an apps[] entry's annotations list. */
static void entry_annotate(json_t *entry, const char *name, const char *value)
{
        json_t *anns = json_object_get(entry, "annotations"), *a;
        size_t i;

        if (!json_is_array(anns)) {
                anns = json_array();
                json_object_set_new(entry, "annotations", anns);
        }
        json_array_foreach(anns, i, a)
                if (!strcmp(json_string_value(json_object_get(a, "name")) ?: "", name)) {
                        json_object_set_new(a, "value", json_string(value));
                        return;
                }
        json_array_append_new(anns, json_pack("{s:s,s:s}", "name", name, "value", value));
}

/* Unpack the app (its root: the bundle's rootfs), check it in the manifest, hand it to podinit. */
int shim_app_add(struct shim_pod *p, int podfd, struct stage0_oci_spec *spec, const struct shim_pod_io *io,
                 struct pod_err *err)
{
        _cleanup_close_ int lockfd = openat(podfd, "app.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        _cleanup_free_ char *data = NULL, *out = NULL;
        struct pod_manifest *m = NULL;
        json_t *pod = NULL, *entry = NULL;
        const char *in_mode = io->terminal ? "tty" : io->in ? "stream" : "null";
        int r;

        if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0)
                return pod_err_set(err, -errno, "locking %s/app.lock: %s", p->path, strerror(errno));
        spec->app.name = xstrdup(p->app);
        if ((r = stage0_app_unpack(NULL, p->path, &spec->app, &entry, err)) < 0)
                return r;
        /* The bundle's rootfs, bound on the host at the app's place; propagation carries it into the pod. */
        if (spec->app.rootfs && (r = stage0_rootfs_attach(p->path, p->app, spec->app.rootfs, err)) < 0)
                goto undo;
        /* containerd's fifos are fed from an attach stream; the CRI log file gets a copy too. */
        entry_annotate(entry, "coreos.com/rkt/stage2/stdin", in_mode);
        entry_annotate(entry, "coreos.com/rkt/stage2/stdout", io->terminal ? "tty" : io->out ? "stream" : "log");
        entry_annotate(entry, "coreos.com/rkt/stage2/stderr", io->terminal ? "tty" : io->err ? "stream" : "log");
        entry_annotate(entry, "podinit.io/scrollback-bytes", SCROLLBACK_BYTES);
        if (io->terminal || io->out || io->err)
                entry_annotate(entry, "podinit.io/log-attached", "true");
        if ((r = read_file_at(podfd, "pod", POD_MANIFEST_MAX_BYTES, &data, NULL)) < 0) {
                pod_err_set(err, r, "reading the pod manifest: %s", strerror(-r));
                goto undo;
        }
        pod = json_loads(data, 0, NULL);
        if (!json_is_array(json_object_get(pod, "apps"))) {
                r = pod_err_set(err, -EINVAL, "reading the pod manifest: not a pod manifest");
                goto undo;
        }
        json_array_append(json_object_get(pod, "apps"), entry);
        out = json_dumps(pod, JSON_INDENT(2));
        if (!out || (r = pod_manifest_parse(out, strlen(out), &m, err)) < 0 ||
            (r = stage0_app_check_ids(podfd, NULL, &m->apps[m->n_apps - 1], err)) < 0) {
                if (!out)
                        r = pod_err_set(err, -ENOMEM, "the pod manifest cannot be serialised");
                goto undo;
        }
        if ((r = shim_control_call(p->path, json_pack("{s:s,s:O}", "op", "app-add", "app", entry), "adding the app", err)) < 0)
                goto undo;
        if ((r = write_file_atomic(podfd, "pod", out, strlen(out), 0640, WRITE_SYNC)) < 0) {
                pod_err_set(err, r, "writing the pod manifest: %s", strerror(-r));
                goto undo;
        }
        pod_manifest_free(m);
        json_decref(pod);
        json_decref(entry);
        return 0;
undo:
        pod_manifest_free(m);
        json_decref(pod);
        json_decref(entry);
        stage0_app_discard(podfd, p->app);
        return r;
}

void shim_pod_done(struct shim_pod *p)
{
        free(p->path);
        *p = (struct shim_pod){ 0 };
}

void shim_app_name(const char *id, const struct stage0_oci_spec *spec, char *out, size_t size)
{
        char name[SHIM_APP_NAME_MAX + 1], idpart[16];

        if (spec->kind == STAGE0_OCI_SANDBOX) {
                snprintf(out, size, "pause");
                return;
        }
        if (spec->kind != STAGE0_OCI_CONTAINER || !spec->container_name) {
                acname(id, out, size);
                return;
        }
        /* Kubernetes container names are DNS labels already; the id's start tells attempts apart. */
        acname(spec->container_name, name, 48);
        acname(id, idpart, 13);
        snprintf(out, size, "%s-%s", name, idpart);
}

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

void shim_pod_detach_all(int podfd)
{
        _cleanup_(closedirp) DIR *d = NULL;
        int fd = openat(podfd, "stage1/rootfs/opt/stage2", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;

        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        stage0_rootfs_detach(podfd, de->d_name);
}

int shim_pod_record(const char *bundle, const struct shim_pod *p, struct pod_err *err)
{
        _cleanup_free_ char *text = xasprintf("%s\n%s\n%s\n", p->path, p->app, p->member ? "app" : "pod");
        _cleanup_close_ int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = dfd < 0 ? -errno : write_file_atomic(dfd, SHIM_POD_FILE, text, strlen(text), 0600, WRITE_SYNC);

        if (r < 0)
                return pod_err_set(err, r, "recording the pod in %s/%s: %s", bundle, SHIM_POD_FILE, strerror(-r));
        return 0;
}

void shim_pod_forget(const char *bundle)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", bundle, SHIM_POD_FILE);

        unlink(path);
}

int shim_pod_join(const struct shim_pod *sandbox, const char *bundle, const char *app, struct stage0_oci_spec *spec,
                  const struct shim_pod_io *io, struct shim_pod *ret, struct pod_err *err)
{
        struct shim_pod p = { .pid1 = sandbox->pid1, .member = true };
        _cleanup_close_ int podfd = open(sandbox->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (podfd < 0)
                return pod_err_set(err, -errno, "the sandbox's pod %s: %s", sandbox->path, strerror(errno));
        /* Without propagation into the running pod the app would start on an empty root. */
        if ((r = stage0_rootfs_propagates(sandbox->path)) <= 0)
                return pod_err_set(err, r < 0 ? r : -EOPNOTSUPP, "the sandbox's pod %s is not on a shared mount: a "
                                   "container's rootfs cannot reach it", sandbox->path);
        p.path = xstrdup(sandbox->path);
        snprintf(p.uuid, sizeof(p.uuid), "%s", sandbox->uuid);
        snprintf(p.app, sizeof(p.app), "%s", app);
        if ((r = shim_pod_record(bundle, &p, err)) < 0 || (r = shim_app_add(&p, podfd, spec, io, err)) < 0) {
                shim_pod_forget(bundle);
                shim_pod_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

/* The pod manifest without app name (podinit's own list is already without it). */
static void manifest_drop(int podfd, const char *name)
{
        _cleanup_free_ char *data = NULL, *out = NULL;
        json_t *pod, *apps, *a;
        size_t i;

        if (read_file_at(podfd, "pod", POD_MANIFEST_MAX_BYTES, &data, NULL) < 0 || !(pod = json_loads(data, 0, NULL)))
                return;
        apps = json_object_get(pod, "apps");
        json_array_foreach(apps, i, a)
                if (!strcmp(json_string_value(json_object_get(a, "name")) ?: "", name)) {
                        json_array_remove(apps, i);
                        out = json_dumps(pod, JSON_INDENT(2));
                        if (out)
                                write_file_atomic(podfd, "pod", out, strlen(out), 0640, WRITE_SYNC);
                        break;
                }
        json_decref(pod);
}

/*
 * app-rm answers bad-state while the app runs: after a forced app-stop the
 * reap follows within a loop iteration or two, so retry until a deadline.
 * Called with the pod's app.lock held; the lock also orders this against a
 * `shim delete` of the sandbox removing the whole pod at the same time.
 */
int shim_pod_remove_app(struct shim_pod *p, struct pod_err *err)
{
        _cleanup_close_ int podfd = -1, lockfd = -1;
        struct pod_err ignored = { 0 };
        uint64_t end = now_mono_ns() + (uint64_t)APP_STOP_TIMEOUT_MS * 1000000u;
        int r;

        if (!p->path)
                return 0;
        podfd = open(p->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (podfd < 0)
                return errno == ENOENT ? 0 : pod_err_set(err, -errno, "%s: %s", p->path, strerror(errno));
        lockfd = openat(podfd, "app.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0)
                return pod_err_set(err, -errno, "locking %s/app.lock: %s", p->path, strerror(errno));
        if (faccessat(podfd, "pod", F_OK, 0) < 0)
                return 0;       /* removed with its pod meanwhile */
        /* -EIO: podinit answered (an app that is not running); anything else: no pod to talk to. */
        r = shim_control_call(p->path, json_pack("{s:s,s:s,s:b}", "op", "app-stop", "app", p->app, "force", true),
                              "stopping the app", &ignored);
        if (r == 0 || r == -EIO) {
                for (;;) {
                        ignored = (struct pod_err){ 0 };
                        r = shim_control_call(p->path, json_pack("{s:s,s:s}", "op", "app-rm", "app", p->app),
                                              "removing the app", &ignored);
                        if (r == 0 || !strstr(ignored.msg, "stop it first") || now_mono_ns() > end)
                                break;
                        poll(NULL, 0, 5);
                }
                if (r < 0 && !strstr(ignored.msg, "no app"))
                        log_debug("app %s: %s", p->app, ignored.msg);
        }
        manifest_drop(podfd, p->app);
        /* Unmounts the rootfs first: removing the app's directory never reaches into the bundle. */
        if ((r = stage0_app_discard(podfd, p->app)) < 0 && r != -ENOENT)
                return pod_err_set(err, r, "removing app %s from pod %s: %s", p->app, p->uuid, strerror(-r));
        return 0;
}
