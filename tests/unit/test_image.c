/* Unit tests for image/image.c: unpacking ACI archives and image directories,
 * and refusing hostile ones.  The archives are built here with libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "test.h"
#include "common/fdutil.h"
#include "common/manifest.h"
#include "common/util.h"
#include "image/image.h"
#include "tartest.h"

#define MANIFEST "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/unit-test\"," \
                 "\"app\":{\"exec\":[\"/bin/x\"],\"user\":\"0\",\"group\":\"0\"}}"

static char *dest_path(void)
{
        return xasprintf("%s/dest", test_tmpdir());
}

static bool exists(const char *dir, const char *rel)
{
        struct stat st;
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        return lstat(p, &st) == 0;
}

static char *read_rel(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, rel);
        char *data = NULL;
        int r = read_file_at(AT_FDCWD, p, 1 << 21, &data, NULL);

        if (r < 0)
                FAIL_AT("reading %s: %s", p, strerror(-r));
        return data;
}

/* image_unpack must fail with a message containing want, remove dest and
 * leave the working directory alone. */
static void expect_unpack_error(const char *src, const char *want)
{
        _cleanup_free_ char *dest = dest_path();
        char before[PATH_MAX], after[PATH_MAX];
        struct image_manifest *im = NULL;
        struct pod_err err = { 0 };
        struct stat st;
        int r;

        ASSERT(getcwd(before, sizeof(before)));
        r = image_unpack(src, dest, &im, &err);
        if (r >= 0)
                FAIL_AT("image %s was accepted", src);
        ASSERT_EQ(r, err.code);
        ASSERT_CONTAINS(err.msg, want);
        ASSERT(im == NULL);
        if (lstat(dest, &st) == 0)
                FAIL_AT("%s still exists after the failure (%s)", dest, err.msg);
        ASSERT(getcwd(after, sizeof(after)));
        ASSERT_STREQ(before, after);
}

static const struct ent valid_aci[] = {
        { F, "manifest", MANIFEST, 0 },
        { D, "rootfs", NULL, 0 },
        { D, "rootfs/bin", NULL, 0 },
        { F, "rootfs/bin/x", "#!payload\n", 0 },
        { L, "rootfs/bin/sh", "/bin/x", 0 },
        { D, "rootfs/a", NULL, 0 },
        { L, "rootfs/a/b", "../bin/x", 0 },
        { H, "rootfs/bin/hard", "rootfs/bin/x", 0 },
        { D, "rootfs/empty", NULL, 0 },
};

static void check_valid_unpack(const char *dest, struct image_manifest *im)
{
        _cleanup_free_ char *x = read_rel(dest, "rootfs/bin/x");
        _cleanup_free_ char *m = read_rel(dest, "manifest");
        _cleanup_free_ char *sh = xasprintf("%s/rootfs/bin/sh", dest);
        _cleanup_free_ char *ab = xasprintf("%s/rootfs/a/b", dest);
        _cleanup_free_ char *px = xasprintf("%s/rootfs/bin/x", dest);
        _cleanup_free_ char *ph = xasprintf("%s/rootfs/bin/hard", dest);
        char link[64];
        ssize_t n;
        struct stat sx, sh_st;

        ASSERT(im);
        ASSERT_STREQ("example.com/unit-test", im->name);
        ASSERT(im->has_app);
        ASSERT_STREQ("/bin/x", im->app.exec[0]);
        ASSERT_STREQ(MANIFEST, m);
        ASSERT_STREQ("#!payload\n", x);
        ASSERT_EQ(0, stat(px, &sx));
        ASSERT_EQ(0755, sx.st_mode & 07777);

        n = readlink(sh, link, sizeof(link) - 1);
        ASSERT(n > 0);
        link[n] = '\0';
        ASSERT_STREQ("/bin/x", link);
        n = readlink(ab, link, sizeof(link) - 1);
        ASSERT(n > 0);
        link[n] = '\0';
        ASSERT_STREQ("../bin/x", link);

        if (exists(dest, "rootfs/bin/hard")) {
                ASSERT_EQ(0, stat(ph, &sh_st));
                ASSERT_EQ(sx.st_ino, sh_st.st_ino);
        }
        ASSERT(exists(dest, "rootfs/empty"));
        ASSERT(!exists(dest, "rootfs/manifest"));
}

TEST(image_unpack_valid_tar)
{
        _cleanup_free_ char *src = make_tar("img.aci", false, valid_aci, ARRAY_SIZE(valid_aci));
        _cleanup_free_ char *dest = dest_path();
        struct image_manifest *im = NULL;
        struct pod_err err = { 0 };
        char before[PATH_MAX], after[PATH_MAX];

        ASSERT(getcwd(before, sizeof(before)));
        if (image_unpack(src, dest, &im, &err) < 0)
                FAIL_AT("image_unpack: %s", err.msg);
        ASSERT(getcwd(after, sizeof(after)));
        ASSERT_STREQ(before, after);
        check_valid_unpack(dest, im);
        ASSERT(exists(dest, "rootfs/bin/hard"));
        image_manifest_free(im);
}

/* Compressed, with "./" prefixes as `tar -C dir .` writes them, rootfs/ implied. */
TEST(image_unpack_valid_tar_gz_dot_prefix)
{
        static const struct ent e[] = {
                { D, "./", NULL, 0 },
                { F, "./manifest", MANIFEST, 0 },
                { D, "./rootfs/bin/", NULL, 0 },
                { F, "./rootfs/bin/x", "#!payload\n", 0 },
                { L, "./rootfs/bin/sh", "/bin/x", 0 },
                { D, "./rootfs/a/", NULL, 0 },
                { L, "./rootfs/a/b", "../bin/x", 0 },
                { H, "./rootfs/bin/hard", "./rootfs/bin/x", 0 },
                { D, "./rootfs/empty/", NULL, 0 },
        };
        _cleanup_free_ char *src = make_tar("img.aci.gz", true, e, ARRAY_SIZE(e));
        _cleanup_free_ char *dest = dest_path();
        struct image_manifest *im = NULL;
        struct pod_err err = { 0 };
        unsigned char magic[2];
        int fd = open(src, O_RDONLY | O_CLOEXEC);

        ASSERT(fd >= 0);
        ASSERT_EQ(2, read_full(fd, magic, 2));
        close(fd);
        ASSERT(magic[0] == 0x1f && magic[1] == 0x8b); /* really gzip */
        if (image_unpack(src, dest, &im, &err) < 0)
                FAIL_AT("image_unpack: %s", err.msg);
        check_valid_unpack(dest, im);
        ASSERT(exists(dest, "rootfs/bin/hard"));
        image_manifest_free(im);
}

TEST(image_unpack_keeps_numeric_owner_and_mode)
{
        _cleanup_free_ char *path = xasprintf("%s/own.aci", test_tmpdir());
        _cleanup_free_ char *dest = dest_path();
        _cleanup_free_ char *f = NULL;
        struct image_manifest *im = NULL;
        struct pod_err err = { 0 };
        struct archive *a = archive_write_new();
        struct archive_entry *ae;
        struct stat st;

        archive_write_set_format_pax_restricted(a);
        ASSERT_EQ(ARCHIVE_OK, archive_write_open_filename(a, path));
        ae = archive_entry_new();
        archive_entry_set_pathname(ae, "manifest");
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_size(ae, (la_int64_t)strlen(MANIFEST));
        ASSERT_EQ(ARCHIVE_OK, archive_write_header(a, ae));
        ASSERT_EQ(strlen(MANIFEST), archive_write_data(a, MANIFEST, strlen(MANIFEST)));
        archive_entry_clear(ae);
        archive_entry_set_pathname(ae, "rootfs/owned");
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0654);
        archive_entry_set_uid(ae, 4242);
        archive_entry_set_gid(ae, 4343);
        archive_entry_set_size(ae, 0);
        ASSERT_EQ(ARCHIVE_OK, archive_write_header(a, ae));
        archive_entry_free(ae);
        ASSERT_EQ(ARCHIVE_OK, archive_write_close(a));
        archive_write_free(a);

        /* Modes come from the archive, whatever the umask. */
        umask(0077);
        if (image_unpack(path, dest, &im, &err) < 0)
                FAIL_AT("image_unpack: %s", err.msg);
        f = xasprintf("%s/rootfs/owned", dest);
        ASSERT_EQ(0, lstat(f, &st));
        ASSERT_EQ(4242, st.st_uid);
        ASSERT_EQ(4343, st.st_gid);
        ASSERT_EQ(0654, st.st_mode & 07777);
        /* rootfs/ itself was implied by the entry and created. */
        ASSERT(exists(dest, "rootfs"));
        image_manifest_free(im);
}

TEST(image_device_nodes_skipped)
{
        static const struct ent e[] = {
                { F, "manifest", MANIFEST, 0 },
                { D, "rootfs", NULL, 0 },
                { D, "rootfs/dev", NULL, 0 },
                { C, "rootfs/dev/null", NULL, 0 },
                { C, "rootfs/dev/mem", NULL, 0 },
                { F, "rootfs/dev/keep", "k", 0 },
        };
        _cleanup_free_ char *src = make_tar("dev.aci", false, e, ARRAY_SIZE(e));
        _cleanup_free_ char *dest = dest_path();
        struct image_manifest *im = NULL;
        struct pod_err err = { 0 };

        if (image_unpack(src, dest, &im, &err) < 0)
                FAIL_AT("image_unpack: %s", err.msg);
        ASSERT(!exists(dest, "rootfs/dev/null"));
        ASSERT(!exists(dest, "rootfs/dev/mem"));
        ASSERT(exists(dest, "rootfs/dev/keep"));
        image_manifest_free(im);
}

TEST(image_refuses_dotdot_entry)
{
        static const struct ent e[] = {
                { F, "manifest", MANIFEST, 0 },
                { D, "rootfs", NULL, 0 },
                { F, "../evil", "x", 0 },
        };
        _cleanup_free_ char *src = make_tar("dotdot.aci", false, e, ARRAY_SIZE(e));
        static const struct ent e2[] = {
                { F, "manifest", MANIFEST, 0 },
                { F, "rootfs/a/../../evil", "x", 0 },
        };
        _cleanup_free_ char *src2 = make_tar("dotdot2.aci", false, e2, ARRAY_SIZE(e2));

        expect_unpack_error(src, "\"..\"");
        expect_unpack_error(src2, "\"..\"");
        /* Nothing landed next to dest either. */
        ASSERT(!exists(test_tmpdir(), "evil"));
}

TEST(image_refuses_absolute_entry)
{
        static const struct ent e[] = {
                { F, "manifest", MANIFEST, 0 },
                { D, "rootfs", NULL, 0 },
                { F, "/abs", "x", 0 },
        };
        _cleanup_free_ char *src = make_tar("abs.aci", false, e, ARRAY_SIZE(e));
        struct stat st;

        expect_unpack_error(src, "absolute");
        ASSERT(lstat("/abs", &st) < 0);
}

TEST(image_refuses_escaping_symlink)
{
        static const struct ent e[] = {
                { F, "manifest", MANIFEST, 0 },
                { D, "rootfs", NULL, 0 },
                { L, "rootfs/esc", "../../..", 0 },
        };
        static const struct ent e2[] = {
                { F, "manifest", MANIFEST, 0 },
                { D, "rootfs/a/b", NULL, 0 },
                { L, "rootfs/a/b/esc", "../x/../../../etc", 0 },
        };
        static const struct ent e3[] = {
                { F, "manifest", MANIFEST, 0 },
                { L, "rootfs/up", "..", 0 },
        };
        _cleanup_free_ char *src = make_tar("esc.aci", false, e, ARRAY_SIZE(e));
        _cleanup_free_ char *src2 = make_tar("esc2.aci", false, e2, ARRAY_SIZE(e2));
        _cleanup_free_ char *src3 = make_tar("esc3.aci", false, e3, ARRAY_SIZE(e3));

        expect_unpack_error(src, "points outside the rootfs");
        expect_unpack_error(src2, "points outside the rootfs");
        expect_unpack_error(src3, "points outside the rootfs");
}

TEST(image_refuses_hardlink_outside)
{
        static const struct ent e[] = {
                { F, "manifest", MANIFEST, 0 },
                { D, "rootfs", NULL, 0 },
                { H, "rootfs/passwd", "../../etc/passwd", 0 },
        };
        static const struct ent e2[] = {
                { F, "manifest", MANIFEST, 0 },
                { D, "rootfs", NULL, 0 },
                { H, "rootfs/pw", "/etc/passwd", 0 },
        };
        static const struct ent e3[] = {
                { F, "manifest", MANIFEST, 0 },
                { D, "rootfs", NULL, 0 },
                { H, "rootfs/m", "manifest", 0 },
        };
        _cleanup_free_ char *src = make_tar("hl.aci", false, e, ARRAY_SIZE(e));
        _cleanup_free_ char *src2 = make_tar("hl2.aci", false, e2, ARRAY_SIZE(e2));
        _cleanup_free_ char *src3 = make_tar("hl3.aci", false, e3, ARRAY_SIZE(e3));

        expect_unpack_error(src, "\"..\"");
        expect_unpack_error(src2, "absolute");
        expect_unpack_error(src3, "points outside the rootfs");
}

TEST(image_refuses_unexpected_entry)
{
        static const struct ent e[] = {
                { F, "manifest", MANIFEST, 0 },
                { D, "rootfs", NULL, 0 },
                { F, "foo", "x", 0 },
        };
        static const struct ent e2[] = {
                { F, "manifest", MANIFEST, 0 },
                { F, "rootfsx/y", "x", 0 },
        };
        _cleanup_free_ char *src = make_tar("foo.aci", false, e, ARRAY_SIZE(e));
        _cleanup_free_ char *src2 = make_tar("foo2.aci", false, e2, ARRAY_SIZE(e2));

        expect_unpack_error(src, "unexpected entry \"foo\"");
        expect_unpack_error(src2, "unexpected entry \"rootfsx/y\"");
}

TEST(image_refuses_missing_manifest_or_rootfs)
{
        static const struct ent no_manifest[] = {
                { D, "rootfs", NULL, 0 },
                { F, "rootfs/x", "x", 0 },
        };
        static const struct ent no_rootfs[] = {
                { F, "manifest", MANIFEST, 0 },
        };
        static const struct ent dir_manifest[] = {
                { D, "manifest", NULL, 0 },
                { D, "rootfs", NULL, 0 },
        };
        _cleanup_free_ char *src = make_tar("nom.aci", false, no_manifest, ARRAY_SIZE(no_manifest));
        _cleanup_free_ char *src2 = make_tar("nor.aci", false, no_rootfs, ARRAY_SIZE(no_rootfs));
        _cleanup_free_ char *src3 = make_tar("dirm.aci", false, dir_manifest, ARRAY_SIZE(dir_manifest));
        _cleanup_free_ char *src4 = make_tar("empty.aci", false, NULL, 0);

        expect_unpack_error(src, "no manifest");
        expect_unpack_error(src2, "no rootfs/");
        expect_unpack_error(src3, "manifest is not a regular file");
        expect_unpack_error(src4, src4);
}

TEST(image_refuses_invalid_manifest)
{
        static const struct ent e[] = {
                { F, "manifest", "{\"acKind\": \"ImageManifest\",", 0 },
                { D, "rootfs", NULL, 0 },
        };
        static const struct ent e2[] = {
                { F, "manifest", "{\"acKind\":\"PodManifest\",\"name\":\"x\"}", 0 },
                { D, "rootfs", NULL, 0 },
        };
        _cleanup_free_ char *src = make_tar("badjson.aci", false, e, ARRAY_SIZE(e));
        _cleanup_free_ char *src2 = make_tar("badkind.aci", false, e2, ARRAY_SIZE(e2));
        _cleanup_free_ char *prefix = xasprintf("image %s: image manifest: invalid JSON", src);

        expect_unpack_error(src, "invalid JSON");
        expect_unpack_error(src, prefix);
        expect_unpack_error(src2, "expected \"ImageManifest\"");
}

TEST(image_refuses_huge_manifest)
{
        size_t n = POD_MANIFEST_MAX_BYTES + 1;
        char *big = xmalloc(n);
        _cleanup_free_ char *src = NULL;
        char limit[32];

        memset(big, ' ', n);
        memcpy(big, MANIFEST, strlen(MANIFEST));
        {
                const struct ent e[] = {
                        { D, "rootfs", NULL, 0 },
                        { F, "manifest", big, n },
                };
                src = make_tar("huge.aci", false, e, ARRAY_SIZE(e));
        }
        free(big);
        /* Refused while reading the archive, before the JSON parser sees it. */
        snprintf(limit, sizeof(limit), "%u-byte limit", POD_MANIFEST_MAX_BYTES);
        expect_unpack_error(src, limit);
        expect_unpack_error(src, "manifest is larger than the");
}

TEST(image_refuses_non_archive)
{
        _cleanup_free_ char *src = xasprintf("%s/random.aci", test_tmpdir());
        _cleanup_free_ char *src2 = xasprintf("%s/text.aci", test_tmpdir());
        _cleanup_close_ int dfd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        unsigned char junk[4096];
        unsigned x = 12345;

        for (size_t i = 0; i < sizeof(junk); i++) {
                x = x * 1103515245u + 12345u;
                junk[i] = (unsigned char)(x >> 16);
        }
        ASSERT_EQ(0, write_file_atomic(dfd, "random.aci", junk, sizeof(junk), 0644, 0));
        ASSERT_EQ(0, write_file_atomic(dfd, "text.aci", "hello, world\n", 13, 0644, 0));
        expect_unpack_error(src, src);
        expect_unpack_error(src2, src2);
        /* A truncated archive. */
        {
                _cleanup_free_ char *good = make_tar("good.aci", false, valid_aci, ARRAY_SIZE(valid_aci));
                _cleanup_free_ char *data = NULL;
                size_t len;
                ASSERT_EQ(0, read_file_at(AT_FDCWD, good, 1 << 20, &data, &len));
                ASSERT(len > 1024);
                ASSERT_EQ(0, write_file_atomic(dfd, "trunc.aci", data, 1024 + 100, 0644, 0));
        }
        {
                _cleanup_free_ char *trunc = xasprintf("%s/trunc.aci", test_tmpdir());
                expect_unpack_error(trunc, trunc);
        }
}

TEST(image_nonexistent_and_special_sources)
{
        _cleanup_free_ char *src = xasprintf("%s/nope.aci", test_tmpdir());
        _cleanup_free_ char *fifo = xasprintf("%s/fifo", test_tmpdir());

        expect_unpack_error(src, "no such image");
        expect_unpack_error(src, src);
        ASSERT_EQ(0, mkfifo(fifo, 0600));
        expect_unpack_error(fifo, "neither an .aci file nor an image directory");
}

TEST(image_dest_must_not_exist)
{
        _cleanup_free_ char *src = make_tar("img.aci", false, valid_aci, ARRAY_SIZE(valid_aci));
        _cleanup_free_ char *dest = dest_path();
        _cleanup_free_ char *keep = NULL;
        _cleanup_close_ int dfd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct image_manifest *im = NULL;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, mkdirat(dfd, "dest", 0755));
        ASSERT_EQ(0, write_file_atomic(dfd, "dest/keep", "mine", 4, 0644, 0));
        ASSERT_EQ(-EEXIST, image_unpack(src, dest, &im, &err));
        ASSERT_CONTAINS(err.msg, dest);
        ASSERT(im == NULL);
        /* An existing directory is never removed by a failed unpack. */
        keep = read_rel(dest, "keep");
        ASSERT_STREQ("mine", keep);
        ASSERT(!exists(dest, "rootfs"));
}

/* test_tmpdir()/img: an unpacked image directory. */
static char *make_image_dir(bool with_rootfs, bool with_manifest)
{
        _cleanup_close_ int dfd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        ASSERT(dfd >= 0);
        ASSERT_EQ(0, mkdirat(dfd, "img", 0755));
        if (with_manifest)
                ASSERT_EQ(0, write_file_atomic(dfd, "img/manifest", MANIFEST, strlen(MANIFEST), 0644, 0));
        if (with_rootfs) {
                ASSERT_EQ(0, mkdir_p_at(dfd, "img/rootfs/bin", 0755));
                ASSERT_EQ(0, mkdir_p_at(dfd, "img/rootfs/etc/empty", 0700));
                ASSERT_EQ(0, write_file_atomic(dfd, "img/rootfs/bin/x", "#!payload\n", 10, 0755, 0));
                ASSERT_EQ(0, symlinkat("/bin/x", dfd, "img/rootfs/bin/sh"));
                ASSERT_EQ(0, symlinkat("../bin", dfd, "img/rootfs/etc/bin"));
        }
        return xasprintf("%s/img", test_tmpdir());
}

TEST(image_unpack_directory_source)
{
        _cleanup_free_ char *src = make_image_dir(true, true);
        _cleanup_free_ char *dest = dest_path();
        _cleanup_free_ char *x = NULL, *m = NULL;
        _cleanup_free_ char *sh = NULL, *etcbin = NULL, *empty = NULL;
        struct image_manifest *im = NULL;
        struct pod_err err = { 0 };
        char link[64];
        ssize_t n;
        struct stat st;

        if (image_unpack(src, dest, &im, &err) < 0)
                FAIL_AT("image_unpack: %s", err.msg);
        ASSERT_STREQ("example.com/unit-test", im->name);
        m = read_rel(dest, "manifest");
        ASSERT_STREQ(MANIFEST, m);
        x = read_rel(dest, "rootfs/bin/x");
        ASSERT_STREQ("#!payload\n", x);
        sh = xasprintf("%s/rootfs/bin/sh", dest);
        n = readlink(sh, link, sizeof(link) - 1);
        ASSERT(n > 0);
        link[n] = '\0';
        ASSERT_STREQ("/bin/x", link);
        /* A symlink to a directory is copied as a symlink, not descended into. */
        etcbin = xasprintf("%s/rootfs/etc/bin", dest);
        ASSERT_EQ(0, lstat(etcbin, &st));
        ASSERT(S_ISLNK(st.st_mode));
        empty = xasprintf("%s/rootfs/etc/empty", dest);
        ASSERT_EQ(0, lstat(empty, &st));
        ASSERT(S_ISDIR(st.st_mode));
        ASSERT_EQ(0700, st.st_mode & 07777);
        /* The source is untouched. */
        ASSERT(exists(src, "rootfs/bin/x"));
        ASSERT(exists(src, "manifest"));
        image_manifest_free(im);
}

TEST(image_directory_source_errors)
{
        _cleanup_free_ char *src = make_image_dir(false, true);

        expect_unpack_error(src, "no rootfs/ directory");
}

TEST(image_directory_source_without_manifest)
{
        _cleanup_free_ char *src = make_image_dir(true, false);

        expect_unpack_error(src, "manifest");
        expect_unpack_error(src, "No such file or directory");
}

TEST(image_directory_source_escaping_symlink)
{
        _cleanup_free_ char *src = make_image_dir(true, true);
        _cleanup_close_ int dfd = open(test_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        ASSERT_EQ(0, symlinkat("../../../../..", dfd, "img/rootfs/etc/esc"));
        expect_unpack_error(src, "points outside the rootfs");
}

/* Regression: a second manifest entry used to leak the first and silently win. */
TEST(image_refuses_duplicate_manifest)
{
        static const struct ent e[] = {
                { F, "manifest", MANIFEST, 0 },
                { D, "rootfs", NULL, 0 },
                { F, "manifest", MANIFEST, 0 },
        };
        _cleanup_free_ char *p = make_tar("dup.aci", false, e, ARRAY_SIZE(e));
        expect_unpack_error(p, "manifest appears twice");
}

/* Regression: "rootfs" as a symlink to / (or a file) used to be accepted. */
TEST(image_refuses_rootfs_not_a_directory)
{
        static const struct ent link[] = {
                { F, "manifest", MANIFEST, 0 },
                { L, "rootfs", "/", 0 },
        };
        static const struct ent file[] = {
                { F, "manifest", MANIFEST, 0 },
                { F, "rootfs", "not a dir", 0 },
        };
        _cleanup_free_ char *p1 = make_tar("rootlink.aci", false, link, ARRAY_SIZE(link));
        _cleanup_free_ char *p2 = make_tar("rootfile.aci", false, file, ARRAY_SIZE(file));
        expect_unpack_error(p1, "rootfs is not a directory");
        expect_unpack_error(p2, "rootfs is not a directory");
}

/* Regression: owner names in the archive used to be mapped through the host's passwd. */
TEST(image_owner_names_do_not_override_numeric_ids)
{
        _cleanup_free_ char *path = xasprintf("%s/named.aci", test_tmpdir());
        _cleanup_free_ char *dest = dest_path();
        _cleanup_free_ char *f = NULL;
        struct image_manifest *im = NULL;
        struct pod_err err = { 0 };
        struct archive *a = archive_write_new();
        struct archive_entry *ae = archive_entry_new();
        struct stat st;

        archive_write_set_format_pax_restricted(a);
        ASSERT_EQ(ARCHIVE_OK, archive_write_open_filename(a, path));
        archive_entry_set_pathname(ae, "manifest");
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_size(ae, (la_int64_t)strlen(MANIFEST));
        ASSERT_EQ(ARCHIVE_OK, archive_write_header(a, ae));
        ASSERT_EQ(strlen(MANIFEST), archive_write_data(a, MANIFEST, strlen(MANIFEST)));
        archive_entry_clear(ae);
        archive_entry_set_pathname(ae, "rootfs/named");
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_uid(ae, 4242);
        archive_entry_set_gid(ae, 4343);
        archive_entry_set_uname(ae, "root");
        archive_entry_set_gname(ae, "root");
        archive_entry_set_size(ae, 0);
        ASSERT_EQ(ARCHIVE_OK, archive_write_header(a, ae));
        archive_entry_free(ae);
        ASSERT_EQ(ARCHIVE_OK, archive_write_close(a));
        archive_write_free(a);

        ASSERT_EQ(0, image_unpack(path, dest, &im, &err));
        f = xasprintf("%s/rootfs/named", dest);
        ASSERT_EQ(0, lstat(f, &st));
        ASSERT_EQ(4242, st.st_uid);
        ASSERT_EQ(4343, st.st_gid);
        image_manifest_free(im);
}
