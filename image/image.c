#include "image/image.h"
#include "image/paths.h"
#include "common/fdutil.h"
#include "common/log.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

static void archive_freep(struct archive **a)
{
        if (*a)
                archive_read_free(*a);
}

static void archive_write_freep(struct archive **a)
{
        if (*a)
                archive_write_free(*a);
}

/* ARCHIVE_OK, a read error, or ARCHIVE_FATAL with *ret_write_failed for a write error. */
static int copy_data(struct archive *in, struct archive *out, bool *ret_write_failed)
{
        const void *buf;
        size_t size;
        la_int64_t off;
        int r;

        while ((r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
                if (archive_write_data_block(out, buf, size, off) < ARCHIVE_OK) {
                        *ret_write_failed = true;
                        return ARCHIVE_FATAL;
                }
        return r == ARCHIVE_EOF ? ARCHIVE_OK : r;
}

/*
 * A failed write into the pod, with its errno and the file's path: libarchive
 * says only "Write failed", and a full disk must say so, and where.
 */
static int write_error(struct archive *out, const char *image, const char *dest, const char *name, const char *what,
                       struct pod_err *err)
{
        int e = archive_errno(out);

        if (e == ENOSPC || e == EDQUOT)
                return pod_err_set(err, -e, "image %s: %s %s/%s: %s (free space on that file system, or give podctl another --dir)",
                                   image, what, dest, name, strerror(e));
        if (e > 0)
                return pod_err_set(err, -e, "image %s: %s %s/%s: %s (%s)", image, what, dest, name, strerror(e),
                                   archive_error_string(out) ?: "");
        return pod_err_set(err, -EIO, "image %s: %s %s/%s: %s", image, what, dest, name,
                           archive_error_string(out) ?: "I/O error");
}

static int read_manifest_entry(struct archive *in, const char *image, struct archive_entry *e,
                               char **ret, size_t *ret_len, struct pod_err *err)
{
        la_int64_t size = archive_entry_size(e);
        char *buf;
        ssize_t n;

        if (archive_entry_filetype(e) != AE_IFREG)
                return pod_err_set(err, -EINVAL, "image %s: manifest is not a regular file", image);
        if (size < 0 || size > (la_int64_t)POD_MANIFEST_MAX_BYTES)
                return pod_err_set(err, -EFBIG, "image %s: manifest is larger than the %u-byte limit", image,
                                   POD_MANIFEST_MAX_BYTES);
        buf = xmalloc((size_t)size + 1);
        n = archive_read_data(in, buf, (size_t)size);
        if (n != (ssize_t)size) {
                free(buf);
                return pod_err_set(err, -EIO, "image %s: reading manifest: %s", image,
                                   n < 0 ? archive_error_string(in) : "short read");
        }
        buf[size] = '\0';
        *ret = buf;
        *ret_len = (size_t)size;
        return 0;
}

/*
 * The shared copy loop.  `strip` is a prefix to remove from each entry's
 * pathname (for directory sources, whose names are host paths).  Output
 * paths are relative to the current directory, which is dest_dir.
 */
static int copy_entries(struct archive *in, bool from_disk, const char *strip, const char *image, const char *dest,
                        char **ret_manifest, size_t *ret_len, bool *ret_foreign, struct pod_err *err)
{
        _cleanup_(archive_write_freep) struct archive *out = archive_write_disk_new();
        _cleanup_free_ char *archive = xasprintf("image %s", image);
        struct archive_entry *e;
        bool have_rootfs = false;
        int r;

        archive_write_disk_set_options(out, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                                                    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
        /* No user/group name lookup: ids in an image are numeric and belong to
         * the image, not to the host's passwd. */
        for (;;) {
                _cleanup_free_ char *name = NULL;
                const char *raw, *hl;
                mode_t type;

                r = archive_read_next_header(in, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return pod_err_set(err, -EINVAL, "image %s: %s", image,
                                           archive_error_string(in) ?: "not a readable archive");
                raw = archive_entry_pathname(e);
                if (!raw)
                        return pod_err_set(err, -EINVAL, "image %s: entry without a name", image);
                if (strip) {
                        size_t sl = strlen(strip);
                        if (strncmp(raw, strip, sl) || (raw[sl] && raw[sl] != '/'))
                                return pod_err_set(err, -EINVAL, "image %s: unexpected path %s", image, raw);
                        raw += sl;
                        while (*raw == '/')
                                raw++;
                        name = xasprintf("rootfs%s%s", *raw ? "/" : "", raw);
                } else if (!(name = image_clean_name(archive, raw, "entry", err))) {
                        return err->code;
                }
                if (!*name)
                        continue;       /* "./" itself */
                type = archive_entry_filetype(e);
                if (!strcmp(name, "manifest") && !from_disk) {
                        if (*ret_manifest)
                                return pod_err_set(err, -EINVAL, "image %s: manifest appears twice; refusing the image", image);
                        if ((r = read_manifest_entry(in, image, e, ret_manifest, ret_len, err)) < 0)
                                return r;
                        continue;
                }
                if (strcmp(name, "rootfs") && !str_startswith(name, "rootfs/") && ret_foreign)
                        *ret_foreign = true;    /* the caller looks for an OCI or docker image */
                if (strcmp(name, "rootfs") && !str_startswith(name, "rootfs/"))
                        return pod_err_set(err, -EINVAL, "image %s: unexpected entry \"%s\" (an ACI holds only manifest and rootfs/)",
                                           image, name);
                if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) {
                        log_debug("image %s: skipping device or socket %s (the pod provides /dev)", image, name);
                        continue;
                }
                if (type == AE_IFLNK && image_symlink_escapes(name, archive_entry_symlink(e) ?: ""))
                        return pod_err_set(err, -EPERM, "image %s: symlink \"%s\" -> \"%s\" points outside the rootfs; refusing the image",
                                           image, name, archive_entry_symlink(e));
                hl = archive_entry_hardlink(e);
                if (hl && !from_disk) {
                        _cleanup_free_ char *h = image_clean_name(archive, hl, "hard link target", err);
                        if (!h)
                                return err->code;
                        if (!str_startswith(h, "rootfs/"))
                                return pod_err_set(err, -EPERM, "image %s: hard link \"%s\" -> \"%s\" points outside the rootfs; refusing the image",
                                                   image, name, hl);
                        archive_entry_set_hardlink(e, h);
                }
                if (!strcmp(name, "rootfs")) {
                        /* Anything but a directory here would redirect the whole rootfs. */
                        if (type != AE_IFDIR || hl)
                                return pod_err_set(err, -EPERM, "image %s: rootfs is not a directory; refusing the image", image);
                        have_rootfs = true;
                }
                else if (!have_rootfs) {
                        mkdir("rootfs", 0755);
                        have_rootfs = true;
                }
                archive_entry_set_pathname(e, name);
                r = archive_write_header(out, e);
                if (r < ARCHIVE_WARN)
                        return write_error(out, image, dest, name, "writing", err);
                if (archive_entry_size(e) > 0 && type == AE_IFREG) {
                        bool wfail = false;
                        if (copy_data(in, out, &wfail) != ARCHIVE_OK)
                                return wfail ? write_error(out, image, dest, name, "writing", err)
                                             : pod_err_set(err, -EIO, "image %s: reading %s: %s", image, name,
                                                           archive_error_string(in) ?: "I/O error");
                }
                if (from_disk && type == AE_IFDIR)
                        archive_read_disk_descend(in);
        }
        if (archive_write_close(out) < ARCHIVE_WARN)
                return write_error(out, image, dest, "rootfs", "finishing the copy into", err);
        if (!have_rootfs)
                return pod_err_set(err, -EINVAL, "image %s: no rootfs/ in the image", image);
        return 0;
}

/* An ACI file opened for reading: a tar archive, compressed or not. */
static struct archive *open_aci(const char *src, struct pod_err *err)
{
        struct archive *in = archive_read_new();

        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        /* libarchive opens the file O_CLOEXEC and owns it until archive_read_free(). */
        if (archive_read_open_filename(in, src, 64 * 1024) != ARCHIVE_OK) {
                if (archive_errno(in) == ENOENT || archive_errno(in) == EACCES)
                        pod_err_set(err, -archive_errno(in), "image %s: %s", src, strerror(archive_errno(in)));
                else
                        pod_err_set(err, -EINVAL, "image %s: not an ACI (tar) archive: %s", src,
                                    archive_error_string(in) ?: "unknown format");
                archive_read_free(in);
                return NULL;
        }
        return in;
}

/*
 * OCI and docker images are not ACIs; without this they get a confusing
 * "unexpected entry" or a missing manifest.  A tar: scan its names (only
 * after the copy found a stranger, so an ACI is read once).
 */
static const char *foreign_archive_kind(const char *src)
{
        _cleanup_(archive_freep) struct archive *in = archive_read_new();
        struct archive_entry *e;
        bool oci = false, docker = false;

        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        if (archive_read_open_filename(in, src, 64 * 1024) != ARCHIVE_OK)
                return NULL;
        while (archive_read_next_header(in, &e) >= ARCHIVE_WARN) {
                const char *n = archive_entry_pathname(e) ?: "";
                while (n[0] == '.' && n[1] == '/')
                        n += 2;
                oci |= !strcmp(n, "oci-layout") || !strcmp(n, "index.json");
                docker |= !strcmp(n, "manifest.json") || !strcmp(n, "repositories");
        }
        return oci ? "an OCI image layout archive" : docker ? "a docker image archive (docker save)" : NULL;
}

static const char *foreign_dir_kind(const char *src)
{
        _cleanup_free_ char *layout = xasprintf("%s/oci-layout", src), *index = xasprintf("%s/index.json", src);
        _cleanup_free_ char *dm = xasprintf("%s/manifest.json", src), *m = xasprintf("%s/manifest", src);

        if (access(m, F_OK) == 0)
                return NULL;
        if (access(layout, F_OK) == 0 || access(index, F_OK) == 0)
                return "an OCI image layout";
        if (access(dm, F_OK) == 0)
                return "an unpacked docker image archive";
        return NULL;
}

static int foreign_error(const char *src, const char *kind, struct pod_err *err)
{
        return pod_err_set(err, -EMEDIUMTYPE, "image %s: %s; only ACI images are supported yet (see README, \"Images\")",
                           src, kind);
}

static int unpack_aci(const char *src, const char *dest, char **ret_manifest, size_t *ret_len, struct pod_err *err)
{
        _cleanup_(archive_freep) struct archive *in = open_aci(src, err);
        const char *kind;
        bool foreign = false;
        int r;

        if (!in)
                return err ? err->code : -EINVAL;
        r = copy_entries(in, false, NULL, src, dest, ret_manifest, ret_len, &foreign, err);
        if (r < 0 && foreign && (kind = foreign_archive_kind(src)))
                return foreign_error(src, kind, err);
        return r;
}

/* The manifest of an unpacked image directory. */
static int read_dir_manifest(const char *src, char **ret, size_t *ret_len, struct pod_err *err)
{
        _cleanup_free_ char *mpath = xasprintf("%s/manifest", src);
        int r = read_file_at(AT_FDCWD, mpath, POD_MANIFEST_MAX_BYTES, ret, ret_len);

        if (r < 0)
                return pod_err_set(err, r, "image %s: reading %s: %s", src, mpath,
                                   r == -EFBIG ? "larger than the 1 MiB limit" : strerror(-r));
        return 0;
}

static int unpack_dir(const char *src, const char *dest, char **ret_manifest, size_t *ret_len, struct pod_err *err)
{
        _cleanup_(archive_freep) struct archive *in = archive_read_disk_new();
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", src);
        const char *kind = foreign_dir_kind(src);
        struct stat st;
        int r;

        if (kind)
                return foreign_error(src, kind, err);
        if ((r = read_dir_manifest(src, ret_manifest, ret_len, err)) < 0)
                return r;
        if (lstat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
                return pod_err_set(err, -ENOENT, "image %s: no rootfs/ directory in it", src);
        archive_read_disk_set_symlink_physical(in);
        archive_read_disk_set_behavior(in, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS | ARCHIVE_READDISK_NO_XATTR);
        if (archive_read_disk_open(in, rootfs) != ARCHIVE_OK)
                return pod_err_set(err, -EIO, "image %s: %s", src, archive_error_string(in));
        return copy_entries(in, true, rootfs, src, dest, NULL, NULL, NULL, err);
}

int image_unpack(const char *src, const char *dest_dir, struct image_manifest **ret, struct pod_err *err)
{
        _cleanup_free_ char *manifest = NULL, *abs_src = NULL;
        _cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        size_t len = 0;
        int r;

        if (stat(src, &st) < 0) {
                if (errno == ENOENT)
                        return pod_err_set(err, -ENOENT, "no such image %s", src);
                return pod_err_set(err, -errno, "image %s: %s", src, strerror(errno));
        }
        abs_src = realpath(src, NULL);
        if (!abs_src)
                return pod_err_set(err, -errno, "image %s: %s", src, strerror(errno));
        if (mkdir(dest_dir, 0755) < 0)
                return pod_err_set(err, -errno, "creating %s: %s%s", dest_dir, strerror(errno),
                                   errno == ENOSPC || errno == EDQUOT ? " (free space on that file system, or give podctl another --dir)" : "");
        if (chdir(dest_dir) < 0) {
                r = pod_err_set(err, -errno, "entering %s: %s", dest_dir, strerror(errno));
                goto fail;
        }
        if (S_ISDIR(st.st_mode))
                r = unpack_dir(abs_src, dest_dir, &manifest, &len, err);
        else if (S_ISREG(st.st_mode))
                r = unpack_aci(abs_src, dest_dir, &manifest, &len, err);
        else
                r = pod_err_set(err, -EINVAL, "image %s: neither an .aci file nor an image directory", src);
        if (fchdir(cwd) < 0 && r >= 0)
                r = pod_err_set(err, -errno, "returning to the working directory: %s", strerror(errno));
        if (r < 0)
                goto fail;
        if (!manifest) {
                r = pod_err_set(err, -EINVAL, "image %s: no manifest in the image", src);
                goto fail;
        }
        if ((r = image_manifest_parse(manifest, len, ret, err)) < 0) {
                pod_err_prefix(err, "image %s", src);
                goto fail;
        }
        {
                _cleanup_free_ char *mpath = xasprintf("%s/manifest", dest_dir);
                if ((r = write_file_atomic(AT_FDCWD, mpath, manifest, len, 0644, 0)) < 0) {
                        image_manifest_free(*ret);
                        *ret = NULL;
                        pod_err_set(err, r, "writing %s: %s", mpath, strerror(-r));
                        goto fail;
                }
        }
        return 0;
fail:
        if (fchdir(cwd) < 0)
                log_debug("fchdir: %s", strerror(errno));
        rm_rf_at(AT_FDCWD, dest_dir);
        return r;
}

int image_peek_manifest(const char *src, struct image_manifest **ret, struct pod_err *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        struct stat st;
        int r;

        if (stat(src, &st) < 0) {
                if (errno == ENOENT)
                        return pod_err_set(err, -ENOENT, "no such image %s", src);
                return pod_err_set(err, -errno, "image %s: %s", src, strerror(errno));
        }
        if (S_ISDIR(st.st_mode)) {
                const char *kind = foreign_dir_kind(src);
                if (kind)
                        return foreign_error(src, kind, err);
                if ((r = read_dir_manifest(src, &data, &len, err)) < 0)
                        return r;
        } else {
                _cleanup_(archive_freep) struct archive *in = open_aci(src, err);
                struct archive_entry *e;

                if (!in)
                        return err ? err->code : -EINVAL;
                while ((r = archive_read_next_header(in, &e)) >= ARCHIVE_WARN) {
                        const char *n = archive_entry_pathname(e);
                        if (n && (!strcmp(n, "manifest") || !strcmp(n, "./manifest"))) {
                                if ((r = read_manifest_entry(in, src, e, &data, &len, err)) < 0)
                                        return r;
                                break;
                        }
                }
                if (!data && r != ARCHIVE_EOF)
                        return pod_err_set(err, -EINVAL, "image %s: %s", src,
                                           archive_error_string(in) ?: "not a readable archive");
                if (!data) {
                        const char *kind = foreign_archive_kind(src);
                        if (kind)
                                return foreign_error(src, kind, err);
                        return pod_err_set(err, -EINVAL, "image %s: no manifest in the image", src);
                }
        }
        if ((r = image_manifest_parse(data, len, ret, err)) < 0)
                return pod_err_prefix(err, "image %s", src);
        return 0;
}
