/*
 * One import, start to end: what PATH is (a directory or a tar, and which
 * format), a temporary directory in the store's tmp/ for everything it
 * unpacks, the format's reader (ACIs here, OCI layouts and docker archives
 * in image/import_oci.c), then publish: trees synced and renamed into
 * trees/, blobs, the record, the names -- the record last, so an image
 * is in the store only once all it needs is.
 */
#include "image/import_internal.h"
#include "image/image.h"
#include "image/oci.h"
#include "image/tree.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>

static void import_done(struct import *im)
{
        if (im->tmp) {
                int r = rm_rf_at(AT_FDCWD, im->tmp);
                if (r < 0)
                        log_warn("removing %s: %s", im->tmp, strerror(-r));
                free(im->tmp);
        }
        for (size_t i = 0; i < im->n_trees; i++)
                free(im->trees[i].tmp);
        free(im->trees);
        for (size_t i = 0; i < im->n_blobs; i++) {
                free(im->blob_hex[i]);
                free(im->blob_data[i]);
        }
        free(im->blob_hex);
        free(im->blob_data);
        free(im->blob_len);
        strv_free(im->names);
        json_decref(im->manifest);
        free(im->platform);
        free(im->created);
}






/* An ACI: one tree (its rootfs) and its manifest as the image's. */
static int finish_aci(struct import *im, const char *tree, const char *manifest, size_t len, struct pod_err *err)
{
        struct image_manifest *am = NULL;
        _cleanup_close_ int fd = open(tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        char tree_hex[DIGEST_HEX_LEN + 1];
        struct tree_ref t = { 0 };
        struct digest d;
        int r;

        if ((r = image_manifest_parse(manifest, len, &am, err)) < 0)
                return pod_err_prefix(err, "image %s", im->path);
        if (!im->o->name && image_ref_valid(am->name))
                strv_push(&im->names, am->name);
        image_manifest_free(am);
        if (fd < 0)
                return pod_err_set(err, -errno, "opening %s: %s", tree, strerror(errno));
        if ((r = tree_digest(fd, tree_hex, NULL, err)) < 0)
                return r;
        digest_init(&d);
        digest_update(&d, tree_hex, DIGEST_HEX_LEN);
        digest_update(&d, manifest, len);
        digest_final(&d, im->id);
        if (!(im->manifest = json_loadb(manifest, len, 0, NULL)))
                return pod_err_set(err, -EINVAL, "image %s: its manifest is not JSON", im->path);
        snprintf(t.name, sizeof(t.name), "%s", tree_hex);
        t.tmp = xstrdup(tree);
        im->trees = xrealloc(im->trees, (im->n_trees + 1) * sizeof(*im->trees));
        im->trees[im->n_trees++] = t;
        im->kind = "aci";
        return 0;
}

static int import_aci_file(struct import *im, const char *path, struct pod_err *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *dest = import_tmp_path(im, "tree"), *what = xasprintf("image %s", im->path);
        struct layer_result lr;
        int r;

        if (fd < 0)
                return pod_err_set(err, -errno, "image %s: %s", im->path, strerror(errno));
        if ((r = layer_unpack(fd, what, dest, LAYER_ACI, &im->lim, &lr, err)) < 0)
                return r;
        r = finish_aci(im, dest, lr.manifest, lr.manifest_len, err);
        layer_result_done(&lr);
        return r;
}

static int import_aci_dir(struct import *im, const char *path, struct pod_err *err)
{
        _cleanup_free_ char *dest = import_tmp_path(im, "aci"), *tree = NULL, *mpath = NULL, *data = NULL;
        struct image_manifest *am = NULL;
        uint64_t bytes, entries;
        size_t len;
        int r;

        if ((r = image_unpack(path, dest, &am, err)) < 0)
                return r;
        image_manifest_free(am);
        tree = xasprintf("%s/rootfs", dest);
        mpath = xasprintf("%s/manifest", dest);
        if ((r = read_file_at(AT_FDCWD, mpath, POD_MANIFEST_MAX_BYTES, &data, &len)) < 0)
                return pod_err_set(err, r, "reading %s: %s", mpath, strerror(-r));
        {
                _cleanup_close_ int fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0 && tree_usage(fd, &bytes, &entries) == 0 &&
                    (entries > im->lim.max_entries || bytes > im->lim.max_bytes))
                        return pod_err_set(err, -EFBIG, "image %s: %llu entries and %llu bytes, more than the limits (%llu, %llu); --max-entries and --max-size raise them",
                                           im->path, (unsigned long long)entries, (unsigned long long)bytes,
                                           (unsigned long long)im->lim.max_entries, (unsigned long long)im->lim.max_bytes);
        }
        return finish_aci(im, tree, data, len, err);
}

/* Unpack an outer tar (an OCI layout or docker archive) into dest: files, directories and links only. */
static int extract_outer(struct import *im, const char *path, const char *dest, struct pod_err *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct layer_limits lim = { .max_entries = im->lim.max_entries, .max_bytes = UINT64_MAX };
        struct layer_result lr;
        _cleanup_free_ char *what = xasprintf("image %s", im->path);
        int r;

        if (fd < 0)
                return pod_err_set(err, -errno, "image %s: %s", im->path, strerror(errno));
        /* The same checks as a layer's: nothing lands outside dest.  Whiteouts mean nothing here, and an
         * archive with such names is not an image layout anyway. */
        r = layer_unpack(fd, what, dest, LAYER_OCI, &lim, &lr, err);
        layer_result_done(&lr);
        return r;
}

enum format { FMT_NONE, FMT_OCI, FMT_DOCKER, FMT_ACI };

static enum format dir_format(int fd)
{
        if (faccessat(fd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0 || faccessat(fd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return FMT_OCI;
        if (faccessat(fd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return FMT_DOCKER;
        if (faccessat(fd, "manifest", F_OK, AT_SYMLINK_NOFOLLOW) == 0 && faccessat(fd, "rootfs", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
                return FMT_ACI;
        return FMT_NONE;
}

/* A tar file: an ACI starts with manifest or rootfs/; anything else is unpacked and looked at as a directory. */
static int file_format(const char *path, enum format *ret, struct pod_err *err, const char *shown)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        int r;

        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK || archive_read_next_header(a, &e) < ARCHIVE_WARN) {
                r = pod_err_set(err, -EMEDIUMTYPE, "image %s is not an image: neither a tar archive (an ACI, OCI layout or docker archive) nor a directory (%s)",
                                shown, archive_error_string(a) ?: "empty");
                archive_read_free(a);
                return r;
        }
        {
                const char *n = archive_entry_pathname(e) ?: "";
                while (n[0] == '.' && n[1] == '/')
                        n += 2;
                *ret = !strcmp(n, "manifest") || !strcmp(n, "rootfs") || str_startswith(n, "rootfs/") ? FMT_ACI : FMT_NONE;
        }
        archive_read_free(a);
        return 0;
}

bool image_path_importable(const char *path)
{
        struct stat st;
        _cleanup_close_ int fd = -1;

        if (stat(path, &st) < 0)
                return false;
        if (!S_ISDIR(st.st_mode))
                return true;
        fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd >= 0 && dir_format(fd) != FMT_ACI;
}


/* Publish everything: trees first (synced), then the blobs, the record and the names. */
static int publish(struct import *im, struct pod_err *err)
{
        struct image_record rec = { 0 };
        char now[64];
        int r;

        if (syncfs(im->s->fd) < 0)
                return pod_err_set(err, -errno, "syncing the image store %s: %s", im->s->path, strerror(errno));
        for (size_t i = 0; i < im->n_trees; i++)
                if (im->trees[i].tmp) {
                        if ((r = image_store_publish_tree(im->s, im->trees[i].tmp, im->trees[i].name, err)) < 0)
                                return r;
                        free(im->trees[i].tmp);
                        im->trees[i].tmp = NULL;
                }
        for (size_t i = 0; i < im->n_blobs; i++)
                if ((r = image_store_put_blob(im->s, im->blob_hex[i], im->blob_data[i], im->blob_len[i], err)) < 0)
                        return r;
        snprintf(rec.id, sizeof(rec.id), "%s", im->id);
        rec.kind = (char *)im->kind;
        for (size_t i = 0; i < im->n_trees; i++)
                strv_push(&rec.layers, im->trees[i].name);
        if (!rec.layers)
                rec.layers = xcalloc(1, sizeof(char *));
        /* overlayfs takes one page of mount options: past IMAGE_MAX_LOWERS, the lowest layers are merged once into one tree. */
        if (im->n_trees > IMAGE_MAX_LOWERS) {
                size_t merge = im->n_trees - IMAGE_MAX_LOWERS + 1;
                struct digest d;
                char flat[DIGEST_HEX_LEN + 1];

                digest_init(&d);
                digest_update(&d, "podinit-flat-v1", 15);
                for (size_t i = 0; i < merge; i++)
                        digest_update(&d, im->trees[i].name, DIGEST_HEX_LEN);
                digest_final(&d, flat);
                if (!image_store_has_tree(im->s, flat)) {
                        _cleanup_free_ char *dest = import_tmp_path(im, "flat");
                        _cleanup_close_ int dfd = -1;
                        import_progress(im, "%s: merging its lowest %zu layers into one tree (overlay stacks at most %d)", im->path,
                                 merge, IMAGE_MAX_LOWERS);
                        if (mkdir(dest, 0755) < 0 || (dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                                r = pod_err_set(err, -errno, "creating %s: %s", dest, strerror(errno));
                                goto out;
                        }
                        for (size_t i = 0; i < merge; i++) {
                                _cleanup_free_ char *src = image_store_tree_path(im->s, im->trees[i].name);
                                _cleanup_close_ int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                                if (sfd < 0) {
                                        r = pod_err_set(err, -errno, "opening %s: %s", src, strerror(errno));
                                        goto out;
                                }
                                if ((r = tree_merge(sfd, dfd, err)) < 0)
                                        goto out;
                        }
                        if (syncfs(dfd) < 0 || (r = image_store_publish_tree(im->s, dest, flat, err)) < 0) {
                                r = r < 0 ? r : pod_err_set(err, -errno, "syncing %s: %s", dest, strerror(errno));
                                goto out;
                        }
                }
                strv_push(&rec.lowers, flat);
                for (size_t i = merge; i < im->n_trees; i++)
                        strv_push(&rec.lowers, im->trees[i].name);
        } else {
                rec.lowers = strv_copy(rec.layers);
        }
        for (size_t i = 0; i < im->n_blobs; i++)
                strv_push(&rec.blobs, im->blob_hex[i]);
        if (!rec.blobs)
                rec.blobs = xcalloc(1, sizeof(char *));
        rec.manifest = im->manifest;
        rec.platform = im->platform;
        rec.created = im->created;
        format_rfc3339(now_real_ns(), now, sizeof(now));
        rec.imported = now;
        rec.source = realpath(im->path, NULL);
        for (size_t i = 0; i < im->n_trees; i++) {
                _cleanup_free_ char *p = image_store_tree_path(im->s, im->trees[i].name);
                _cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                uint64_t b = 0, e = 0;
                if (fd >= 0 && tree_usage(fd, &b, &e) == 0)
                        rec.size += b;
        }
        if ((r = image_record_write(im->s, &rec, err)) < 0)
                goto out;
        if (im->o->name)
                r = image_ref_set(im->s, im->o->name, im->id, err);
        for (char **n = im->names; r >= 0 && n && *n; n++)
                r = image_ref_set(im->s, *n, im->id, err);
out:
        strv_free(rec.layers);
        strv_free(rec.lowers);
        strv_free(rec.blobs);
        free(rec.source);
        return r;
}

/* "PATH:REF" when PATH exists and the whole does not. */
static void split_ref(const char *arg, char **ret_path, char **ret_ref)
{
        const char *colon = strrchr(arg, ':');
        struct stat st;

        *ret_path = xstrdup(arg);
        *ret_ref = NULL;
        if (stat(arg, &st) == 0 || !colon || colon == arg)
                return;
        free(*ret_path);
        *ret_path = strndup(arg, (size_t)(colon - arg));
        if (stat(*ret_path, &st) < 0) {
                free(*ret_path);
                *ret_path = xstrdup(arg);
                return;
        }
        *ret_ref = xstrdup(colon + 1);
}

int image_import(struct image_store *s, const char *arg, const struct image_import_opts *o,
                 char ret_hex[DIGEST_HEX_LEN + 1], struct pod_err *err)
{
        struct import im = { .s = s, .o = o, .path = arg };
        _cleanup_free_ char *path = NULL, *ref = NULL, *base = NULL, *outer = NULL;
        _cleanup_close_ int root = -1;
        enum format fmt = FMT_NONE;
        struct stat st;
        int r;

        im.lim = (struct layer_limits){ .max_entries = o->max_entries ? o->max_entries : LAYER_DEFAULT_MAX_ENTRIES,
                                        .max_bytes = o->max_bytes ? o->max_bytes : LAYER_DEFAULT_MAX_BYTES };
        if (o->name && !image_ref_valid(o->name))
                return pod_err_set(err, -EINVAL, "--name=%s: not a valid image name (letters, digits and ._:/@+-, at most %d)",
                                   o->name, IMAGE_REF_MAX);
        split_ref(arg, &path, &ref);
        if (stat(path, &st) < 0)
                return pod_err_set(err, -errno, "image %s: %s", arg, strerror(errno));
        {
                _cleanup_free_ char *copy = xstrdup(path);
                size_t l = strlen(copy);
                while (l > 1 && copy[l - 1] == '/')
                        copy[--l] = '\0';
                base = import_appc_name(strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy);
                /* "busybox.tar" names the image "busybox". */
                l = strlen(base);
                if (l > 4 && !strcmp(base + l - 4, ".tar"))
                        base[l - 4] = '\0';
        }
        if ((r = image_store_lock(s, LOCK_SH, err)) < 0)
                return r;
        if ((r = image_store_mktemp(s, &im.tmp, err)) < 0)
                goto out;
        if (S_ISDIR(st.st_mode)) {
                root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                fmt = root < 0 ? FMT_NONE : dir_format(root);
        } else if (S_ISREG(st.st_mode)) {
                if ((r = file_format(path, &fmt, err, arg)) < 0)
                        goto out;
                if (fmt == FMT_NONE) {
                        outer = import_tmp_path(&im, "archive");
                        import_progress(&im, "%s: unpacking the archive", arg);
                        if ((r = extract_outer(&im, path, outer, err)) < 0)
                                goto out;
                        root = open(outer, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        fmt = root < 0 ? FMT_NONE : dir_format(root);
                        if (fmt == FMT_ACI)
                                fmt = FMT_NONE;
                }
        } else {
                r = pod_err_set(err, -EINVAL, "image %s: neither a file nor a directory", arg);
                goto out;
        }
        switch (fmt) {
        case FMT_OCI:
                r = import_oci(&im, root, ref, base, err);
                break;
        case FMT_DOCKER:
                r = import_docker(&im, root, ref, err);
                break;
        case FMT_ACI:
                r = S_ISDIR(st.st_mode) ? import_aci_dir(&im, path, err) : import_aci_file(&im, path, err);
                break;
        default:
                r = pod_err_set(err, -EMEDIUMTYPE, "image %s is not an image podctl knows: no index.json (OCI layout), manifest.json (docker archive) or manifest and rootfs/ (ACI) in it",
                                arg);
        }
        if (r >= 0)
                r = publish(&im, err);
        if (r >= 0)
                memcpy(ret_hex, im.id, DIGEST_HEX_LEN + 1);
out:
        import_done(&im);
        flock(s->lock_fd, LOCK_UN);
        return r;
}
