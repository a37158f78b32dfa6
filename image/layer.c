#include "image/layer.h"
#include "image/paths.h"
#include "image/tree.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

static void archive_readp(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

static void archive_writep(struct archive **a)
{
        if (*a)
                archive_write_free(*a);
}

/* The raw stream: every byte libarchive reads is hashed on the way. */
struct reader {
        int fd;
        struct digest d;
        char buf[128 * 1024];
        int error;              /* errno of a failed read */
};

static la_ssize_t read_cb(struct archive *a, void *data, const void **ret)
{
        struct reader *rd = data;
        ssize_t n;

        do
                n = read(rd->fd, rd->buf, sizeof(rd->buf));
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                rd->error = errno;
                archive_set_error(a, errno, "reading: %s", strerror(errno));
                return -1;
        }
        digest_update(&rd->d, rd->buf, (size_t)n);
        *ret = rd->buf;
        return n;
}

/*
 * The tar stream, decompressed by a first libarchive reader ("raw" format,
 * every filter) and handed to the tar reader.  Its end gets 1 KiB of zeros:
 * some tools (umoci up to 0.4.7) write layers without tar's end-of-archive
 * blocks or the last member's padding, which Go's tar reader (docker's)
 * accepts and libarchive alone calls truncated.  Zeros after a complete
 * archive are never read.
 */
struct plain {
        struct archive *raw;
        char buf[128 * 1024];
        size_t pad;             /* zeros still to give after the end */
        bool ended;
};

static la_ssize_t plain_cb(struct archive *a, void *data, const void **ret)
{
        struct plain *p = data;
        la_ssize_t n;

        if (!p->ended) {
                n = archive_read_data(p->raw, p->buf, sizeof(p->buf));
                if (n < 0) {
                        archive_set_error(a, archive_errno(p->raw) > 0 ? archive_errno(p->raw) : EIO, "%s",
                                          archive_error_string(p->raw) ?: "corrupt compressed data");
                        return -1;
                }
                if (n > 0) {
                        *ret = p->buf;
                        return n;
                }
                p->ended = true;
                p->pad = 1024;
        }
        if (p->pad == 0)
                return 0;
        memset(p->buf, 0, p->pad);
        *ret = p->buf;
        n = (la_ssize_t)p->pad;
        p->pad = 0;
        return n;
}

/* The rest of the stream after the archive's end marker counts too: the digest is of the whole blob. */
static int drain(struct reader *rd)
{
        ssize_t n;

        while ((n = read(rd->fd, rd->buf, sizeof(rd->buf))) > 0)
                digest_update(&rd->d, rd->buf, (size_t)n);
        return n < 0 ? -errno : 0;
}

/* A directory below the tree's root, reached without following any symlink (created as needed). */
static int open_beneath(int root, const char *dir, bool create)
{
        struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
        int fd;

        if (!*dir)
                return fcntl(root, F_DUPFD_CLOEXEC, 3);
        fd = (int)syscall(SYS_openat2, root, dir, &how, sizeof(how));
        if (fd < 0 && errno == ENOENT && create) {
                int r = mkdir_p_at(root, dir, 0755);
                if (r < 0)
                        return r;
                fd = (int)syscall(SYS_openat2, root, dir, &how, sizeof(how));
        }
        return fd < 0 ? -errno : fd;
}

/* ".wh.NAME": NAME of the layers below is hidden; ".wh..wh..opq": all of the directory's lower content. */
static int apply_whiteout(int root, const char *what, const char *name, struct pod_err *err)
{
        _cleanup_free_ char *dir = xstrdup(name);
        char *slash = strrchr(dir, '/');
        const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
        _cleanup_close_ int dfd = -1;

        if (slash)
                *slash = '\0';
        else
                dir[0] = '\0';
        dfd = open_beneath(root, dir, true);
        if (dfd < 0)
                return pod_err_set(err, dfd, "%s: whiteout \"%s\": its directory is not a plain directory of the layer (%s); refusing the image",
                                   what, name, strerror(-dfd));
        if (!strcmp(base, WH_OPAQUE)) {
                _cleanup_close_ int d = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (d < 0 || fsetxattr(d, TREE_OPAQUE_XATTR, "y", 1, 0) < 0)
                        return pod_err_set(err, -errno, "%s: marking %s opaque: %s (overlay whiteouts need a file system with trusted xattrs)",
                                           what, *dir ? dir : "/", strerror(errno));
                return 0;
        }
        base += strlen(WH_PREFIX);
        if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
                return pod_err_set(err, -EINVAL, "%s: whiteout \"%s\" names nothing; refusing the image", what, name);
        if (mknodat(dfd, base, S_IFCHR, 0) < 0 && errno != EEXIST)
                return pod_err_set(err, -errno, "%s: whiteout for %s: %s", what, name, strerror(errno));
        return 0;
}

/* overlayfs's markers in an archive would hide or redirect lower layers behind our back. */
static void drop_overlay_xattrs(struct archive_entry *e)
{
        const char *k;
        const void *v;
        size_t len;
        struct kept { char *k; void *v; size_t len; } *keep = NULL;
        size_t n = 0;
        bool dropped = false;

        if (archive_entry_xattr_reset(e) == 0)
                return;
        while (archive_entry_xattr_next(e, &k, &v, &len) == ARCHIVE_OK) {
                if (str_startswith(k, "trusted.overlay.")) {
                        dropped = true;
                        continue;
                }
                keep = xrealloc(keep, (n + 1) * sizeof(*keep));
                keep[n].k = xstrdup(k);
                keep[n].v = xmalloc(len ? len : 1);
                memcpy(keep[n].v, v, len);
                keep[n++].len = len;
        }
        if (dropped) {
                archive_entry_xattr_clear(e);
                for (size_t i = 0; i < n; i++)
                        archive_entry_xattr_add_entry(e, keep[i].k, keep[i].v, keep[i].len);
        }
        for (size_t i = 0; i < n; i++) {
                free(keep[i].k);
                free(keep[i].v);
        }
        free(keep);
}

static int write_failed(struct archive *out, const char *what, const char *dest, const char *name, struct pod_err *err)
{
        int e = archive_errno(out);

        if (e == ENOSPC || e == EDQUOT)
                return pod_err_set(err, -e, "%s: writing %s/%s: %s (free space on that file system, or give podctl another --dir)",
                                   what, dest, name, strerror(e));
        return pod_err_set(err, e > 0 ? -e : -EPERM, "%s: entry \"%s\": %s; refusing the image", what, name,
                           archive_error_string(out) ?: "write failed");
}

static int read_manifest(struct archive *in, struct archive_entry *e, const char *what, struct layer_result *ret,
                         struct pod_err *err)
{
        la_int64_t size = archive_entry_size(e);
        ssize_t n;

        if (archive_entry_filetype(e) != AE_IFREG)
                return pod_err_set(err, -EINVAL, "%s: manifest is not a regular file", what);
        if (ret->manifest)
                return pod_err_set(err, -EINVAL, "%s: manifest appears twice; refusing the image", what);
        if (size < 0 || size > (la_int64_t)POD_MANIFEST_MAX_BYTES)
                return pod_err_set(err, -EFBIG, "%s: manifest is larger than the %u-byte limit", what, POD_MANIFEST_MAX_BYTES);
        ret->manifest = xmalloc((size_t)size + 1);
        n = archive_read_data(in, ret->manifest, (size_t)size);
        if (n != (ssize_t)size)
                return pod_err_set(err, -EIO, "%s: reading manifest: %s", what, n < 0 ? archive_error_string(in) : "short read");
        ret->manifest[size] = '\0';
        ret->manifest_len = (size_t)size;
        return 0;
}

/* The entry's name inside the tree, or NULL (err set) / "" (skip it). */
static char *tree_name(const char *raw, const char *what, const char *role, enum layer_kind kind, struct pod_err *err)
{
        char *n = image_clean_name(what, raw, role, err);

        if (!n || kind != LAYER_ACI || !*n)
                return n;
        if (!strcmp(n, "rootfs")) {
                n[0] = '\0';
                return n;
        }
        if (!str_startswith(n, "rootfs/")) {
                pod_err_set(err, -EINVAL, "%s: unexpected entry \"%s\" (an ACI holds only manifest and rootfs/)", what, n);
                free(n);
                return NULL;
        }
        memmove(n, n + 7, strlen(n + 7) + 1);
        return n;
}

static int unpack_entries(struct archive *in, int root, const char *what, const char *dest, enum layer_kind kind,
                          struct layer_limits *lim, struct layer_result *ret, struct pod_err *err)
{
        _cleanup_(archive_writep) struct archive *out = archive_write_disk_new();
        struct archive_entry *e;
        int r;

        archive_write_disk_set_options(out, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                                                    ARCHIVE_EXTRACT_XATTR |
                                                    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
        for (;;) {
                _cleanup_free_ char *name = NULL;
                const char *raw, *base, *hl;
                mode_t type;

                r = archive_read_next_header(in, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return pod_err_set(err, -EINVAL, "%s: %s", what, archive_error_string(in) ?: "not a readable archive");
                if (!(raw = archive_entry_pathname(e)))
                        return pod_err_set(err, -EINVAL, "%s: an entry without a name", what);
                if (kind == LAYER_ACI && (!strcmp(raw, "manifest") || !strcmp(raw, "./manifest"))) {
                        if ((r = read_manifest(in, e, what, ret, err)) < 0)
                                return r;
                        continue;
                }
                if (!(name = tree_name(raw, what, "entry", kind, err)))
                        return err->code;
                if (++lim->entries > lim->max_entries)
                        return pod_err_set(err, -EFBIG, "%s: more than %llu entries in the image; refusing it (podctl image import --max-entries=N raises the limit)",
                                           what, (unsigned long long)lim->max_entries);
                if (!*name)
                        continue;       /* the tree's top directory itself */
                type = archive_entry_filetype(e);
                base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
                if (kind == LAYER_OCI && str_startswith(base, WH_PREFIX)) {
                        if ((r = apply_whiteout(root, what, name, err)) < 0)
                                return r;
                        continue;
                }
                if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) {
                        log_debug("%s: skipping the device or socket %s (the pod provides /dev)", what, name);
                        continue;
                }
                if (type == AE_IFREG && archive_entry_size(e) > 0) {
                        lim->bytes += (uint64_t)archive_entry_size(e);
                        if (lim->bytes > lim->max_bytes)
                                return pod_err_set(err, -EFBIG, "%s: more than %llu bytes unpacked; refusing the image (podctl image import --max-size=BYTES raises the limit)",
                                                   what, (unsigned long long)lim->max_bytes);
                }
                if (kind == LAYER_ACI && type == AE_IFLNK) {
                        _cleanup_free_ char *rooted = xasprintf("rootfs/%s", name);
                        if (image_symlink_escapes(rooted, archive_entry_symlink(e) ?: ""))
                                return pod_err_set(err, -EPERM, "%s: symlink \"%s\" -> \"%s\" points outside the rootfs; refusing the image",
                                                   what, name, archive_entry_symlink(e));
                }
                if ((hl = archive_entry_hardlink(e))) {
                        _cleanup_free_ char *h = tree_name(hl, what, "hard link target", kind, err);
                        _cleanup_free_ char *hdir = NULL;
                        int dfd;
                        if (!h)
                                return err->code;
                        /* The target's directories must be the layer's own, not a symlink out of it. */
                        hdir = xstrdup(h);
                        *(strrchr(hdir, '/') ?: hdir) = '\0';
                        dfd = open_beneath(root, hdir, false);
                        if (dfd < 0)
                                return pod_err_set(err, -EPERM, "%s: hard link \"%s\" -> \"%s\" leaves the tree; refusing the image",
                                                   what, name, hl);
                        close(dfd);
                        archive_entry_set_hardlink(e, h);
                }
                drop_overlay_xattrs(e);
                archive_entry_set_pathname(e, name);
                if (archive_write_header(out, e) < ARCHIVE_WARN)
                        return write_failed(out, what, dest, name, err);
                if (type == AE_IFREG && archive_entry_size(e) > 0) {
                        const void *buf;
                        size_t size;
                        la_int64_t off;
                        while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
                                if (archive_write_data_block(out, buf, size, off) < ARCHIVE_OK)
                                        return write_failed(out, what, dest, name, err);
                        if (r != ARCHIVE_EOF)
                                return pod_err_set(err, -EIO, "%s: reading %s: %s (a truncated or corrupt layer?)", what,
                                                   name, archive_error_string(in) ?: "I/O error");
                }
        }
        if (archive_write_close(out) < ARCHIVE_WARN)
                return write_failed(out, what, dest, "", err);
        return 0;
}

int layer_unpack(int fd, const char *what, const char *dest, enum layer_kind kind, struct layer_limits *lim,
                 struct layer_result *ret, struct pod_err *err)
{
        _cleanup_(archive_readp) struct archive *in = archive_read_new(), *raw = archive_read_new();
        _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), root = -1;
        _cleanup_free_ struct reader *rd = xcalloc(1, sizeof(*rd));
        _cleanup_free_ struct plain *plain = xcalloc(1, sizeof(*plain));
        struct archive_entry *e;
        int r;

        *ret = (struct layer_result){ 0 };
        if (mkdir(dest, 0755) < 0)
                return pod_err_set(err, -errno, "creating %s: %s", dest, strerror(errno));
        if ((root = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fchdir(root) < 0)
                return pod_err_set(err, -errno, "entering %s: %s", dest, strerror(errno));
        rd->fd = fd;
        digest_init(&rd->d);
        plain->raw = raw;
        archive_read_support_filter_all(raw);
        archive_read_support_format_raw(raw);
        archive_read_support_format_empty(raw);         /* an empty layer may be an empty file */
        archive_read_support_format_tar(in);
        archive_read_support_format_empty(in);
        if (archive_read_open(raw, rd, NULL, read_cb, NULL) != ARCHIVE_OK ||
            (archive_read_next_header(raw, &e) != ARCHIVE_OK && archive_format(raw) != ARCHIVE_FORMAT_EMPTY))
                r = pod_err_set(err, -EINVAL, "%s: not readable: %s (a truncated or corrupt layer?)", what,
                                archive_error_string(raw) ?: "unknown format");
        else if (archive_format(raw) == ARCHIVE_FORMAT_EMPTY)
                r = 0;
        else if (archive_read_open(in, plain, NULL, plain_cb, NULL) != ARCHIVE_OK)
                r = pod_err_set(err, -EINVAL, "%s: not a tar archive: %s", what, archive_error_string(in) ?: "unknown format");
        else
                r = unpack_entries(in, root, what, dest, kind, lim, ret, err);
        /* Whatever the tar reader left of the decompressed stream, then of the file itself. */
        while (r == 0 && !plain->ended && archive_read_data(raw, plain->buf, sizeof(plain->buf)) > 0)
                ;
        if (r == 0 && (r = drain(rd)) < 0)
                pod_err_set(err, r, "%s: reading: %s", what, strerror(-r));
        if (r == 0 && kind == LAYER_ACI && !ret->manifest)
                r = pod_err_set(err, -EINVAL, "%s: no manifest in the image", what);
        ret->compressed = archive_filter_count(raw) > 1;
        if (fchdir(cwd) < 0 && r == 0)
                r = pod_err_set(err, -errno, "returning to the working directory: %s", strerror(errno));
        if (r < 0) {
                digest_done(&rd->d);
                layer_result_done(ret);
                return r;
        }
        ret->size = rd->d.bytes;
        digest_final(&rd->d, ret->hex);
        return 0;
}

void layer_result_done(struct layer_result *r)
{
        free(r->manifest);
        r->manifest = NULL;
}
