/*
 * podstage0img (stage0/images.h): an app's image placed in the pod, from a
 * path or the image store, and the table through which the rest of stage0
 * calls this (stage0/source.h).
 */
#include "stage0/images.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/overlay.h"
#include "image/image.h"
#include "image/import.h"
#include "image/oci.h"              /* its ANN_ENTRYPOINT_WORDS must be stage0/source.h's */
#include "image/tree.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>


static int open_store(struct stage0_images *im, struct pod_err *err)
{
        int r;

        if (im->opened)
                return 0;
        if ((r = image_store_open(im->store_path, &im->store, err)) < 0)
                return r;
        im->opened = true;
        return 0;
}

/*
 * Can this machine stack these trees under an upper dir in the pod?  The
 * mount PID 1 will make (mount(2), lowerdirs relative to the store's
 * trees/), tried in a child in a private mount namespace of its own, which
 * goes with it: nothing is ever mounted on the host.  A kernel without
 * overlayfs, or a pod directory on a file system it cannot use as an upper
 * layer, gets copies.
 */
static bool overlay_works(struct stage0_images *im, char *const *lowers_top, const char *appdir, char *why, size_t why_len)
{
        _cleanup_free_ char *opts = NULL, *trees = xasprintf("%s/trees", im->store.path), *rootfs = xasprintf("%s/rootfs", appdir);
        struct pod_err e = { 0 };
        pid_t pid;
        int st;

        if (pod_overlay_options(appdir, lowers_top, &opts, &e) < 0) {
                snprintf(why, why_len, "%s", e.msg);
                return false;
        }
        pid = fork();
        if (pid < 0) {
                snprintf(why, why_len, "fork: %s", strerror(errno));
                return false;
        }
        if (pid == 0) {
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    chdir(trees) < 0 || mount("overlay", rootfs, "overlay", 0, opts) < 0)
                        _exit(errno & 0xff);
                _exit(0);
        }
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR) {
                        snprintf(why, why_len, "waitpid: %s", strerror(errno));
                        return false;
                }
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return true;
        snprintf(why, why_len, "%s", WIFEXITED(st) ? strerror(WEXITSTATUS(st)) : "the test mount crashed");
        return false;
}

static int write_manifest(const char *dest, json_t *manifest, struct image_manifest **ret_im, struct pod_err *err)
{
        _cleanup_free_ char *text = json_dumps(manifest, JSON_INDENT(2)), *p = xasprintf("%s/manifest", dest);
        int r;

        if (!text)
                return pod_err_set(err, -EINVAL, "the image's manifest cannot be serialised");
        if ((r = image_manifest_parse(text, strlen(text), ret_im, err)) < 0)
                return r;
        if ((r = write_file_atomic(AT_FDCWD, p, text, strlen(text), 0644, 0)) < 0) {
                image_manifest_free(*ret_im);
                *ret_im = NULL;
                return pod_err_set(err, r, "writing %s: %s", p, strerror(-r));
        }
        return 0;
}

static int copy_trees(struct stage0_images *im, char *const *lowers_bottom, const char *rootfs, struct pod_err *err)
{
        _cleanup_close_ int dfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r;

        if (dfd < 0)
                return pod_err_set(err, -errno, "opening %s: %s", rootfs, strerror(errno));
        for (char *const *l = lowers_bottom; *l; l++) {
                _cleanup_free_ char *src = image_store_tree_path(&im->store, *l);
                _cleanup_close_ int sfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sfd < 0)
                        return pod_err_set(err, -errno, "opening %s: %s (podctl image import the image again)", src,
                                           strerror(errno));
                if ((r = tree_merge(sfd, dfd, err)) < 0)
                        return pod_err_prefix(err, "copying the image into %s", rootfs);
        }
        return 0;
}

static int place_from_store(struct stage0_images *im, const char *image, bool is_path, const char *dest,
                            struct image_manifest **ret_im, struct pod_err *err)
{
        char hex[DIGEST_HEX_LEN + 1];
        struct image_record rec = { 0 };
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dest), *upper = xasprintf("%s/upper", dest),
                            *work = xasprintf("%s/work", dest);
        _cleanup_strv_ char **top = NULL;
        int r, lock = -1;

        if ((r = open_store(im, err)) < 0)
                return r;
        if (is_path) {
                struct image_import_opts o = { .progress = !im->quiet && isatty(STDERR_FILENO) };
                if ((r = image_import(&im->store, image, &o, hex, err)) < 0)
                        return r;
        }
        /* Resolve and lock under the store lock, so `image rm` cannot slip in between. */
        if ((r = image_store_lock(&im->store, LOCK_SH, err)) < 0)
                return r;
        if (!is_path && (r = image_resolve(&im->store, image, hex, err)) < 0)
                goto out;
        if (!strv_contains(im->locked, hex)) {
                if ((r = image_lock_shared(&im->store, hex, false, &lock, err)) < 0)
                        goto out;
                im->locks = xrealloc(im->locks, (im->n_locks + 1) * sizeof(int));
                im->locks[im->n_locks++] = lock;
                strv_push(&im->locked, hex);
        }
        if ((r = image_record_load(&im->store, hex, &rec, err)) < 0)
                goto out;
        if (mkdir(dest, 0755) < 0 || mkdir(rootfs, 0755) < 0) {
                r = pod_err_set(err, -errno, "creating %s: %s", rootfs, strerror(errno));
                goto out;
        }
        if ((r = write_manifest(dest, rec.manifest, ret_im, err)) < 0)
                goto out;
        for (size_t i = strv_length(rec.lowers); i-- > 0;)
                strv_push(&top, rec.lowers[i]);
        if (!im->no_overlay) {
                if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0) {
                        r = pod_err_set(err, -errno, "creating %s: %s", upper, strerror(errno));
                        goto out;
                }
                if (im->overlay < 0) {
                        char why[128];
                        im->overlay = overlay_works(im, top, dest, why, sizeof(why));
                        if (!im->overlay)
                                log_info("overlayfs cannot stack the image here (%s): each app's root is a copy", why);
                }
                if (!im->overlay) {
                        rmdir(upper);
                        rmdir(work);
                }
        }
        if (!im->no_overlay && im->overlay) {
                _cleanup_free_ char *text = pod_overlay_format(hex, top), *p = xasprintf("%s/%s", dest, OVERLAY_LAYERS_FILE);
                if ((r = write_file_atomic(AT_FDCWD, p, text, strlen(text), 0644, 0)) < 0)
                        r = pod_err_set(err, r, "writing %s: %s", p, strerror(-r));
        } else {
                r = copy_trees(im, rec.lowers, rootfs, err);
        }
out:
        if (r < 0 && *ret_im) {
                image_manifest_free(*ret_im);
                *ret_im = NULL;
        }
        image_record_done(&rec);
        flock(im->store.lock_fd, LOCK_UN);
        return r;
}

int stage0_images_place(struct stage0_images *im, const char *podpath, const char *image, const char *dest,
                        struct image_manifest **ret_im, struct pod_err *err)
{
        struct stat st;
        bool is_path = stat(image, &st) == 0;

        *ret_im = NULL;
        /* A path is imported (an unpacked ACI directory is copied as it is); anything else is a store name. */
        if (!im || !im->store_path || (is_path && !image_path_importable(image)))
                return image_unpack(image, dest, ret_im, err);
        if (!is_path && strchr(image, '/') && (image[0] == '/' || image[0] == '.'))
                return pod_err_set(err, -ENOENT, "no such image %s", image);
        return place_from_store(im, image, is_path, dest, ret_im, err);
}

int stage0_images_note_store(struct stage0_images *im, int podfd, bool always, struct pod_err *err)
{
        _cleanup_free_ char *text = NULL;
        int r;

        if (!im || !im->store_path || (!always && im->n_locks == 0))
                return 0;
        if ((r = open_store(im, err)) < 0)
                return r;
        text = xasprintf("%s\n", im->store.path);
        if ((r = write_file_atomic(podfd, OVERLAY_STORE_FILE, text, strlen(text), 0644, 0)) < 0)
                return pod_err_set(err, r, "writing the pod's %s: %s", OVERLAY_STORE_FILE, strerror(-r));
        return 0;
}

int stage0_images_app_layers(struct stage0_images *im, int podfd, const char *app, int **ret_fds, size_t *ret_n,
                             struct pod_err *err)
{
        _cleanup_free_ char *p = xasprintf("stage1/rootfs/opt/stage2/%s/%s", app, OVERLAY_LAYERS_FILE), *text = NULL,
                            *store = NULL;
        struct pod_overlay o;
        size_t len, n = 0;
        int r, *fds;

        if ((r = read_file_at(podfd, p, OVERLAY_MAX_FILE, &text, &len)) < 0)
                return r == -ENOENT ? -ENOENT : pod_err_set(err, r, "reading %s: %s", p, strerror(-r));
        if ((r = pod_overlay_parse(text, &o, err)) < 0)
                return r;
        /* While podctl prepares the pod, the note is not written yet: the store is ours. */
        if (im && im->opened) {
                store = xstrdup(im->store.path);
        } else if ((r = read_file_at(podfd, OVERLAY_STORE_FILE, 4096, &store, &len)) < 0) {
                pod_overlay_done(&o);
                /* Not -ENOENT: that would say "a copied root" and send the lookup to an empty directory. */
                return pod_err_set(err, r == -ENOENT ? -EIO : r, "reading the pod's %s: %s", OVERLAY_STORE_FILE,
                                   strerror(-r));
        }
        store[strcspn(store, "\n")] = '\0';
        fds = xcalloc(strv_length(o.lowers) + 1, sizeof(int));
        for (char **l = o.lowers; *l; l++) {
                _cleanup_free_ char *t = xasprintf("%s/trees/%s", store, *l);
                if ((fds[n] = open(t, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
                        r = pod_err_set(err, -errno, "opening %s: %s", t, strerror(errno));
                        while (n-- > 0)
                                close(fds[n]);
                        free(fds);
                        pod_overlay_done(&o);
                        return r;
                }
                n++;
        }
        pod_overlay_done(&o);
        *ret_fds = fds;
        *ret_n = n;
        return 0;
}

int stage0_images_id_dirs(struct stage0_images *im, int podfd, const char *app, int *ret_passwd_dir, int *ret_group_dir,
                          struct pod_err *err)
{
        int *layers = NULL, pw, gr;
        size_t n = 0, pi = 0, gi = 0;
        int r = stage0_images_app_layers(im, podfd, app, &layers, &n, err);

        if (r < 0)
                return r;
        /* An overlay is not mounted on the host: the files are in the topmost tree that has them. */
        pw = fcntl(layers[tree_lookup(layers, n, "etc/passwd", &pi) == 0 ? pi : 0], F_DUPFD_CLOEXEC, 3);
        gr = fcntl(layers[tree_lookup(layers, n, "etc/group", &gi) == 0 ? gi : 0], F_DUPFD_CLOEXEC, 3);
        r = pw < 0 || gr < 0 ? -errno : 0;
        for (size_t i = 0; i < n; i++)
                close(layers[i]);
        free(layers);
        if (r < 0) {
                if (pw >= 0)
                        close(pw);
                if (gr >= 0)
                        close(gr);
                return pod_err_set(err, r, "app \"%s\": %s", app, strerror(-r));
        }
        *ret_passwd_dir = pw;
        *ret_group_dir = gr;
        return 0;
}

static int peek_manifest(struct stage0_images *im, const char *image, struct image_manifest **ret_im, struct pod_err *err)
{
        (void)im;
        return image_peek_manifest(image, ret_im, err);
}

const struct stage0_image_ops stage0_images_ops = {
        .place = stage0_images_place,
        .peek_manifest = peek_manifest,
        .note_store = stage0_images_note_store,
        .id_dirs = stage0_images_id_dirs,
};

void stage0_images_done(struct stage0_images *im)
{
        if (!im)
                return;
        for (size_t i = 0; i < im->n_locks; i++)
                close(im->locks[i]);
        free(im->locks);
        im->locks = NULL;
        strv_free(im->locked);
        im->locked = NULL;
        im->n_locks = 0;
        if (im->opened)
                image_store_close(&im->store);
        im->opened = false;
}
