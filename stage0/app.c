/*
 * An app's image unpacked into the pod and its apps[] entry built from the
 * image's app section and the caller's overrides.  The image is unpacked
 * under a temporary name first and renamed into place, so a name already
 * taken is found before anything of the new app is visible under it.  The
 * entry is JSON because the pod manifest is: podinit's parser
 * (common/manifest.c) checks it with the rest of the pod.
 */
#include "stage0/app.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/names.h"
#include "common/overlay.h"
#include "common/userdb.h"
#include "stage0/rootfs.h"
#include "stage0/source.h"

#include <fcntl.h>

void stage0_app_done(struct stage0_app *a)
{
        free(a->image);
        free(a->rootfs);
        free(a->name);
        free(a->exec);
        strv_free(a->args);
        free(a->user);
        free(a->group);
        free(a->workdir);
        free(a->supp_gids);
        strv_free(a->env);
        for (size_t i = 0; i < a->n_annotations; i++) {
                free(a->annotations[i].name);
                free(a->annotations[i].value);
        }
        free(a->annotations);
        for (size_t i = 0; i < a->n_isolators; i++) {
                free(a->isolators[i].name);
                json_decref(a->isolators[i].value);
        }
        free(a->isolators);
        for (size_t i = 0; i < a->n_mounts; i++) {
                free(a->mounts[i].volume);
                free(a->mounts[i].path);
                json_decref(a->mounts[i].app_volume);
        }
        free(a->mounts);
        *a = (struct stage0_app){ 0 };
}

/* The other form of an isolator that comes as a retain or a remove set; name itself otherwise. */
static const char *isolator_counterpart(const char *name)
{
        static const char *const pairs[][2] = {
                { ISO_CAPS_RETAIN, ISO_CAPS_REMOVE },
                { ISO_SECCOMP_RETAIN, ISO_SECCOMP_REMOVE },
        };

        for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
                for (size_t k = 0; k < 2; k++)
                        if (!strcmp(name, pairs[i][k]))
                                return pairs[i][1 - k];
        return name;
}

/* iso replaces the app's isolators of its kind (a copy of its value is added). */
static void replace_isolator(json_t *app, const struct stage0_isolator *iso)
{
        const char *other = isolator_counterpart(iso->name);
        json_t *isos = json_object_get(app, "isolators");

        if (!json_is_array(isos)) {
                isos = json_array();
                json_object_set_new(app, "isolators", isos);
        }
        for (size_t i = json_array_size(isos); i-- > 0;) {
                const char *n = json_string_value(json_object_get(json_array_get(isos, i), "name"));
                if (n && (!strcmp(n, iso->name) || !strcmp(n, other)))
                        json_array_remove(isos, i);
        }
        if (iso->value)
                json_array_append_new(isos, json_pack("{s:s,s:O}", "name", iso->name, "value", iso->value));
}

/* The image's raw "app" object with the overrides applied. */
static int build_app_json(const struct stage0_app *a, const char *manifest_path, json_t **ret,
                          struct pod_err *err)
{
        json_t *im = json_load_file(manifest_path, JSON_REJECT_DUPLICATES, NULL);
        json_t *app = im ? json_deep_copy(json_object_get(im, "app")) : NULL;
        json_t *exec, *env, *it;
        size_t keep = 1, i;

        /* An OCI image's Entrypoint stays under -- ARGS, which replace its Cmd (docker's rule). */
        json_array_foreach(json_object_get(im, "annotations"), i, it)
                if (!strcmp(json_string_value(json_object_get(it, "name")) ?: "", ANN_ENTRYPOINT_WORDS)) {
                        long n;
                        if (parse_long(json_string_value(json_object_get(it, "value")) ?: "", 1, POD_MAX_ARGS, &n) == 0)
                                keep = (size_t)n;
                }
        json_decref(im);
        if (!json_is_object(app)) {
                json_decref(app);
                app = json_object();
        }
        exec = json_object_get(app, "exec");
        if (a->exec) {
                exec = json_array();
                json_array_append_new(exec, json_string(a->exec));
                json_object_set_new(app, "exec", exec);
        }
        if (a->args) {
                if (!json_is_array(exec) || json_array_size(exec) == 0) {
                        json_decref(app);
                        return pod_err_set(err, -EINVAL, "image %s has no exec to pass arguments to (try --exec=BINARY)",
                                           a->image);
                }
                if (a->exec)
                        keep = 1;
                while (json_array_size(exec) > keep)
                        json_array_remove(exec, json_array_size(exec) - 1);
                for (char **p = a->args; *p; p++)
                        json_array_append_new(exec, json_string(*p));
        }
        if (!json_object_get(app, "exec")) {
                json_decref(app);
                return pod_err_set(err, -EINVAL, "image %s has an empty \"exec\" (try --exec=BINARY)", a->image);
        }
        if (a->user)
                json_object_set_new(app, "user", json_string(a->user));
        if (a->group)
                json_object_set_new(app, "group", json_string(a->group));
        if (a->workdir)
                json_object_set_new(app, "workingDirectory", json_string(a->workdir));
        if (a->has_supp_gids) {
                json_t *g = json_array();
                for (size_t k = 0; k < a->n_supp_gids; k++)
                        json_array_append_new(g, json_integer((json_int_t)a->supp_gids[k]));
                json_object_set_new(app, "supplementaryGIDs", g);
        }
        if (!json_object_get(app, "user"))
                json_object_set_new(app, "user", json_string("0"));
        if (!json_object_get(app, "group"))
                json_object_set_new(app, "group", json_string("0"));
        env = json_object_get(app, "environment");
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(app, "environment", env);
        }
        for (char **kv = a->env; kv && *kv; kv++) {
                const char *eq = strchr(*kv, '=');
                _cleanup_free_ char *name = NULL;
                bool replaced = false;

                if (!eq || eq == *kv) {
                        json_decref(app);
                        return pod_err_set(err, -EINVAL, "--set-env=%s: expected NAME=VALUE", *kv);
                }
                name = strndup(*kv, (size_t)(eq - *kv));
                json_array_foreach(env, i, it)
                        if (!strcmp(json_string_value(json_object_get(it, "name")) ?: "", name)) {
                                json_object_set_new(it, "value", json_string(eq + 1));
                                replaced = true;
                        }
                if (!replaced)
                        json_array_append_new(env, json_pack("{s:s,s:s}", "name", name, "value", eq + 1));
        }
        *ret = app;
        return 0;
}

int stage0_app_check_ids(int podfd, struct stage0_images *imgs, const struct pod_app *a, struct pod_err *err)
{
        const struct stage0_image_ops *ops = stage0_image_ops_of(imgs);
        _cleanup_free_ char *root = xasprintf("stage1/rootfs/opt/stage2/%s/rootfs", a->name);
        _cleanup_close_ int rfd = -1, pw_fd = -1, gr_fd = -1;
        uid_t u;
        gid_t gid;
        int r;

        if (ops) {
                r = ops->id_dirs(imgs, podfd, a->name, &pw_fd, &gr_fd, err);
        } else {
                /* No image code here: an overlay app (podctl's) cannot be looked into. */
                _cleanup_free_ char *layers = xasprintf("stage1/rootfs/opt/stage2/%s/" OVERLAY_LAYERS_FILE, a->name);
                r = faccessat(podfd, layers, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ?
                        pod_err_set(err, -EOPNOTSUPP, "its root is an overlay of image store trees, which this "
                                    "program cannot read") : -ENOENT;
        }
        if (r < 0 && r != -ENOENT)
                return pod_err_prefix(err, "app \"%s\"", a->name);
        if (r == -ENOENT) {
                _cleanup_free_ char *src_file = xasprintf("stage1/rootfs/opt/stage2/%s/" STAGE0_ROOTFS_SOURCE_FILE, a->name);
                _cleanup_free_ char *src = NULL;
                size_t len;

                /* A root the caller provides (stage0/rootfs.h), perhaps not bound yet: look in the source. */
                if (read_file_at(podfd, src_file, 4096, &src, &len) == 0) {
                        free(root);
                        root = TAKE_PTR(src);
                }
                /* A copied root: look in it. */
                if ((rfd = openat(podfd, root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                        return pod_err_set(err, -errno, "app \"%s\": %s: %s", a->name, root, strerror(errno));
        }
        if (userdb_resolve_user(pw_fd >= 0 ? pw_fd : rfd, a->app.user, &u, err) < 0 ||
            userdb_resolve_group(gr_fd >= 0 ? gr_fd : rfd, a->app.group, &gid, err) < 0)
                return pod_err_prefix(err, "app \"%s\"", a->name);
        return 0;
}

int stage0_image_unpack(struct stage0_images *imgs, const char *podpath, const char *image, const char *want_name,
                        char **ret_name, struct image_manifest **ret_im, struct pod_err *err)
{
        static unsigned seq;
        /* Our pid in the name: one a killed podctl left behind never blocks the next (gc removes it with the pod). */
        _cleanup_free_ char *tmp = xasprintf("%s/stage1/rootfs/opt/stage2/.unpack-%d-%u", podpath, (int)getpid(), seq++);
        _cleanup_free_ char *name = NULL, *dst = NULL;
        const struct stage0_image_ops *ops = stage0_image_ops_of(imgs);
        struct image_manifest *im;
        int r;

        if (!ops)
                return pod_err_set(err, -EOPNOTSUPP, "image %s: this program prepares apps whose root is a directory "
                                   "(--rootfs) only, not images", image);
        if ((r = ops->place(imgs, podpath, image, tmp, &im, err)) < 0) {
                rm_rf_at(AT_FDCWD, tmp);
                return r;
        }
        name = want_name ? xstrdup(want_name) : acname_from_image_name(im->name);
        if (!acname_valid(name)) {
                r = pod_err_set(err, -EINVAL, "--name=%s: not a valid app name (lower-case letters, digits and single dashes)", name);
                goto fail;
        }
        dst = xasprintf("%s/stage1/rootfs/opt/stage2/%s", podpath, name);
        if (access(dst, F_OK) == 0) {
                r = pod_err_set(err, -EEXIST, "two apps are named \"%s\"; give one of them --name=OTHER", name);
                goto fail;
        }
        if (rename(tmp, dst) < 0) {
                r = pod_err_set(err, -errno, "moving the image into place: %s", strerror(errno));
                goto fail;
        }
        *ret_name = TAKE_PTR(name);
        *ret_im = im;
        return 0;
fail:
        image_manifest_free(im);
        rm_rf_at(AT_FDCWD, tmp);
        return r;
}

/*
 * An app with no image (a->rootfs): its directory with a synthesised image
 * manifest (the name shown in status, and the caller's exec), an empty
 * rootfs directory (the mount point) and rootfs-source naming a->rootfs,
 * made under a temporary name and renamed into place like an image.  The
 * pod's launcher binds it for the apps a pod starts with; for one added to
 * a running pod the caller does, on the host (stage0/rootfs.h).
 */
static int rootfs_unpack(const char *podpath, const struct stage0_app *a, char **ret_name, char **ret_image,
                         struct pod_err *err)
{
        static unsigned seq;
        _cleanup_free_ char *tmp = xasprintf("%s/stage1/rootfs/opt/stage2/.unpack-%d-r%u", podpath, (int)getpid(), seq++);
        _cleanup_free_ char *dst = NULL, *p = NULL, *text = NULL, *image = NULL;
        json_t *im;
        int r;

        if (!a->name || !acname_valid(a->name))
                return pod_err_set(err, -EINVAL, "an app with --rootfs needs a valid --name (lower-case letters, digits "
                                   "and single dashes), not \"%s\"", a->name ?: "");
        if (!a->exec)
                return pod_err_set(err, -EINVAL, "app \"%s\": an app with --rootfs has no image to take a program "
                                   "from: give --exec=BINARY", a->name);
        image = a->image ? xstrdup(a->image) : xasprintf("rootfs/%s", a->name);
        im = json_pack("{s:s,s:s,s:s,s:{s:[s],s:s,s:s}}", "acKind", "ImageManifest", "acVersion", "0.8.11", "name",
                       image, "app", "exec", a->exec, "user", "0", "group", "0");
        text = json_dumps(im, JSON_INDENT(2));
        json_decref(im);
        p = xasprintf("%s/rootfs", tmp);
        if ((r = mkdir_p_at(AT_FDCWD, p, 0755)) < 0) {
                r = pod_err_set(err, r, "creating %s: %s", p, strerror(-r));
                goto fail;
        }
        free(p);
        p = xasprintf("%s/" STAGE0_ROOTFS_SOURCE_FILE, tmp);
        if ((r = write_file_atomic(AT_FDCWD, p, a->rootfs, strlen(a->rootfs), 0644, 0)) < 0) {
                r = pod_err_set(err, r, "writing %s: %s", p, strerror(-r));
                goto fail;
        }
        free(p);
        p = xasprintf("%s/manifest", tmp);
        if (!text || (r = write_file_atomic(AT_FDCWD, p, text, strlen(text), 0644, 0)) < 0) {
                r = pod_err_set(err, text ? r : -ENOMEM, "writing %s: %s", p, text ? strerror(-r) : "out of memory");
                goto fail;
        }
        dst = xasprintf("%s/stage1/rootfs/opt/stage2/%s", podpath, a->name);
        if (access(dst, F_OK) == 0) {
                r = pod_err_set(err, -EEXIST, "two apps are named \"%s\"; give one of them --name=OTHER", a->name);
                goto fail;
        }
        if (rename(tmp, dst) < 0) {
                r = pod_err_set(err, -errno, "moving the app's directory into place: %s", strerror(errno));
                goto fail;
        }
        *ret_name = xstrdup(a->name);
        *ret_image = TAKE_PTR(image);
        return 0;
fail:
        rm_rf_at(AT_FDCWD, tmp);
        return r;
}

/*
 * The entry's annotations, in the caller's order, after those the image
 * sets for its app (an OCI image's StopSignal: podinit.io/stop-signal) that
 * the caller does not.
 */
static json_t *annotations_json(const struct stage0_app *a, const char *manifest_path)
{
        static const char *const from_image[] = { "podinit.io/stop-signal" };
        json_t *ann = json_array(), *im = json_load_file(manifest_path, JSON_REJECT_DUPLICATES, NULL), *it;
        size_t i;

        json_array_foreach(json_object_get(im, "annotations"), i, it) {
                const char *n = json_string_value(json_object_get(it, "name"));
                const char *v = json_string_value(json_object_get(it, "value"));
                bool wanted = false;
                for (size_t k = 0; n && k < ARRAY_SIZE(from_image); k++)
                        wanted |= !strcmp(n, from_image[k]);
                if (wanted && v && !kv_get(a->annotations, a->n_annotations, n))
                        json_array_append_new(ann, json_pack("{s:s,s:s}", "name", n, "value", v));
        }
        json_decref(im);
        for (size_t k = 0; k < a->n_annotations; k++)
                json_array_append_new(ann, json_pack("{s:s,s:s}", "name", a->annotations[k].name,
                                                     "value", a->annotations[k].value));
        return ann;
}

int stage0_app_unpack(struct stage0_images *imgs, const char *podpath, const struct stage0_app *a, json_t **ret,
                      struct pod_err *err)
{
        struct image_manifest *im = NULL;
        _cleanup_free_ char *name = NULL, *mpath = NULL, *image = NULL;
        json_t *app = NULL, *mounts;
        int r;

        if (a->rootfs)
                r = rootfs_unpack(podpath, a, &name, &image, err);
        else if ((r = stage0_image_unpack(imgs, podpath, a->image, a->name, &name, &im, err)) == 0)
                image = xstrdup(im->name);
        if (r < 0)
                return r;
        mpath = xasprintf("%s/stage1/rootfs/opt/stage2/%s/manifest", podpath, name);
        r = build_app_json(a, mpath, &app, err);
        if (r == 0) {
                for (size_t k = 0; k < a->n_isolators; k++)
                        replace_isolator(app, &a->isolators[k]);
                mounts = json_array();
                for (size_t k = 0; k < a->n_mounts; k++) {
                        json_t *m = json_pack("{s:s,s:s}", "volume", a->mounts[k].volume, "path", a->mounts[k].path);
                        if (a->mounts[k].app_volume)
                                json_object_set(m, "appVolume", a->mounts[k].app_volume);
                        json_array_append_new(mounts, m);
                }
                *ret = json_pack("{s:s,s:{s:s},s:o,s:o,s:o,s:b}", "name", name, "image", "name", image, "app", app,
                                 "annotations", annotations_json(a, mpath), "mounts", mounts, "readOnlyRootFS",
                                 a->readonly_rootfs);
        } else {
                /* Nothing half-added stays in a running pod: the name is free for a retry. */
                _cleanup_free_ char *stage2 = xasprintf("%s/stage1/rootfs/opt/stage2/%s", podpath, name);
                int k = 0;
                if (a->rootfs) {
                        _cleanup_close_ int podfd = open(podpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        k = podfd < 0 ? -errno : stage0_rootfs_detach(podfd, name);
                }
                /* Never remove through a rootfs still bound there: those are the caller's files. */
                if (k == 0)
                        k = rm_rf_at(AT_FDCWD, stage2);
                if (k < 0)
                        log_warn("removing %s: %s", stage2, strerror(-k));
        }
        image_manifest_free(im);
        return r;
}

int stage0_app_discard(int podfd, const char *name)
{
        _cleanup_free_ char *stage2 = xasprintf("stage1/rootfs/opt/stage2/%s", name);
        /* A rootfs the caller provided is unmounted first: rm_rf would otherwise go into it. */
        int r = stage0_rootfs_detach(podfd, name);

        if (r < 0)
                return r;
        return rm_rf_at(podfd, stage2);
}
