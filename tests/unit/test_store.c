/* Unit tests for the image store's parts: layer archives unpacked into
 * trees (whiteouts, hostile entries, limits, digests), merging trees as
 * overlayfs would, looking a file up in a stack, the store's names and
 * records, and the pod's layers file (common/overlay.c). */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "tartest.h"
#include "common/fdutil.h"
#include "common/overlay.h"
#include "image/digest.h"
#include "image/layer.h"
#include "image/paths.h"
#include "image/store.h"
#include "image/tree.h"

static char *tpath(const char *rel)
{
        return xasprintf("%s/%s", test_tmpdir(), rel);
}

/* Unpack the tar at path into test_tmpdir()/dest; returns layer_unpack's result. */
static int unpack(const char *path, const char *dest, enum layer_kind kind, struct layer_limits *lim,
                  struct layer_result *res, struct pod_err *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *d = tpath(dest);
        struct layer_limits dflt = { .max_entries = 1000, .max_bytes = 1 << 20 };

        ASSERT(fd >= 0);
        return layer_unpack(fd, "layer", d, kind, lim ? lim : &dflt, res, err);
}

static bool is_whiteout(const char *rel)
{
        _cleanup_free_ char *p = tpath(rel);
        struct stat st;

        return lstat(p, &st) == 0 && tree_is_whiteout(&st);
}

static bool has(const char *rel)
{
        _cleanup_free_ char *p = tpath(rel);
        struct stat st;

        return lstat(p, &st) == 0;
}

static bool opaque(const char *rel)
{
        _cleanup_free_ char *p = tpath(rel);
        char v[4];

        return getxattr(p, TREE_OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y';
}

TEST(layer_whiteouts_become_overlay_format)
{
        const struct ent e[] = {
                { D, "etc", NULL, 0 }, { F, "etc/keep", "k", 0 }, { F, "etc/.wh.gone", "", 0 },
                { D, "var", NULL, 0 }, { F, "var/.wh..wh..opq", "", 0 }, { F, "var/new", "n", 0 },
                { F, ".wh.top", "", 0 }, { F, ".wh.both", "", 0 }, { F, "both", "B", 0 },
        };
        _cleanup_free_ char *tar = make_tar("l.tar", true, e, ARRAY_SIZE(e));
        struct layer_result res;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, unpack(tar, "t", LAYER_OCI, NULL, &res, &err));
        ASSERT(res.compressed);
        ASSERT(is_whiteout("t/etc/gone"));
        ASSERT(is_whiteout("t/top"));
        ASSERT(!has("t/etc/.wh.gone"));
        ASSERT(opaque("t/var"));
        ASSERT(!has("t/var/.wh..wh..opq"));
        ASSERT(has("t/var/new") && has("t/etc/keep"));
        ASSERT(has("t/both") && !is_whiteout("t/both"));        /* the layer's own file wins over its whiteout */
        layer_result_done(&res);
}

TEST(layer_digest_is_of_the_raw_bytes)
{
        const struct ent e[] = { { F, "a", "hello", 0 } };
        _cleanup_free_ char *tar = make_tar("l.tar", true, e, ARRAY_SIZE(e)), *data = NULL;
        char hex[DIGEST_HEX_LEN + 1];
        struct layer_result res;
        struct pod_err err = { 0 };
        size_t len;

        ASSERT_EQ(0, read_file_at(AT_FDCWD, tar, 1 << 20, &data, &len));
        digest_buf(data, len, hex);
        ASSERT_EQ(0, unpack(tar, "t", LAYER_OCI, NULL, &res, &err));
        ASSERT_STREQ(hex, res.hex);
        ASSERT_EQ(len, res.size);
        ASSERT(digest_hex_valid(res.hex));
        layer_result_done(&res);
}

static void expect_refused(const struct ent *e, size_t n, const char *want)
{
        static unsigned seq;
        _cleanup_free_ char *tar = make_tar("bad.tar", false, e, n), *dest = xasprintf("bad%u", seq++);
        struct layer_result res;
        struct pod_err err = { 0 };

        if (unpack(tar, dest, LAYER_OCI, NULL, &res, &err) >= 0)
                FAIL_AT("unpacked, expected an error with \"%s\"", want);
        if (!strstr(err.msg, want))
                FAIL_AT("expected \"%s\" in: %s", want, err.msg);
}

TEST(layer_refuses_dotdot_absolute_and_escaping_links)
{
        const struct ent dotdot[] = { { F, "a/../../x", "x", 0 } };
        const struct ent abs[] = { { F, "/etc/passwd", "x", 0 } };
        const struct ent hl_out[] = { { L, "lnk", "/", 0 }, { H, "h", "lnk/etc/passwd", 0 } };
        const struct ent through[] = { { L, "lnk", "/tmp", 0 }, { F, "lnk/planted", "x", 0 } };
        const struct ent wh_through[] = { { L, "lnk", "/tmp", 0 }, { F, "lnk/.wh.x", "", 0 } };

        expect_refused(dotdot, ARRAY_SIZE(dotdot), "\"..\"");
        expect_refused(abs, ARRAY_SIZE(abs), "absolute");
        expect_refused(hl_out, ARRAY_SIZE(hl_out), "leaves the tree");
        expect_refused(through, ARRAY_SIZE(through), "refusing the image");
        expect_refused(wh_through, ARRAY_SIZE(wh_through), "not a plain directory");
        ASSERT(access("/tmp/planted", F_OK) < 0);
}

TEST(layer_limits_entries_and_bytes)
{
        const struct ent e[] = { { F, "a", "12345", 0 }, { F, "b", "12345", 0 }, { F, "c", "12345", 0 } };
        _cleanup_free_ char *tar = make_tar("l.tar", false, e, ARRAY_SIZE(e));
        struct layer_limits few = { .max_entries = 2, .max_bytes = 1 << 20 };
        struct layer_limits small = { .max_entries = 100, .max_bytes = 12 };
        struct layer_result res;
        struct pod_err err = { 0 };

        ASSERT_EQ(-EFBIG, unpack(tar, "t1", LAYER_OCI, &few, &res, &err));
        ASSERT(strstr(err.msg, "--max-entries"));
        ASSERT_EQ(-EFBIG, unpack(tar, "t2", LAYER_OCI, &small, &res, &err));
        ASSERT(strstr(err.msg, "--max-size"));
}

TEST(layer_device_nodes_skipped)
{
        const struct ent e[] = { { C, "null", NULL, 0 }, { F, "f", "x", 0 } };
        _cleanup_free_ char *tar = make_tar("l.tar", false, e, ARRAY_SIZE(e));
        struct layer_result res;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, unpack(tar, "t", LAYER_OCI, NULL, &res, &err));
        ASSERT(!has("t/null"));
        ASSERT(has("t/f"));
}

TEST(layer_aci_manifest_and_rootfs)
{
        const struct ent e[] = { { F, "manifest", "{\"x\":1}", 0 }, { D, "rootfs", NULL, 0 }, { F, "rootfs/bin", "b", 0 } };
        const struct ent stray[] = { { F, "manifest", "{}", 0 }, { F, "other", "o", 0 } };
        _cleanup_free_ char *tar = make_tar("a.aci", true, e, ARRAY_SIZE(e));
        _cleanup_free_ char *bad = make_tar("b.aci", false, stray, ARRAY_SIZE(stray));
        struct layer_result res;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, unpack(tar, "t", LAYER_ACI, NULL, &res, &err));
        ASSERT_STREQ("{\"x\":1}", res.manifest);
        ASSERT(has("t/bin"));
        layer_result_done(&res);
        ASSERT(unpack(bad, "u", LAYER_ACI, NULL, &res, &err) < 0);
        ASSERT(strstr(err.msg, "unexpected entry \"other\""));
}

TEST(layer_truncated_gzip_is_an_error)
{
        const struct ent e[] = { { F, "big", "0123456789abcdef0123456789abcdef0123456789abcdef", 0 } };
        _cleanup_free_ char *tar = make_tar("l.tar", true, e, ARRAY_SIZE(e));
        struct stat st;
        struct layer_result res;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, stat(tar, &st));
        ASSERT_EQ(0, truncate(tar, st.st_size / 2));
        ASSERT(unpack(tar, "t", LAYER_OCI, NULL, &res, &err) < 0);
}

TEST(layer_without_end_blocks_and_root_entry)
{
        /* umoci 0.4.7 writes the root as "/" and ends the tar right after the last member's data. */
        const struct ent e[] = { { D, "/", NULL, 0 }, { F, "a", "hello", 0 } };
        _cleanup_free_ char *tar = make_tar("l.tar", false, e, ARRAY_SIZE(e)), *a = NULL, *pa = tpath("t/a");
        struct layer_result res;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, truncate(tar, 2 * 512 + 5));       /* "/"'s header, a's header, a's 5 bytes; no padding, no end */
        ASSERT_EQ(0, unpack(tar, "t", LAYER_OCI, NULL, &res, &err));
        ASSERT_EQ(0, read_file_at(AT_FDCWD, pa, 100, &a, NULL));
        ASSERT_STREQ("hello", a);
        ASSERT_EQ(2 * 512 + 5, res.size);
        layer_result_done(&res);
}

static int dirfd_of(const char *rel)
{
        _cleanup_free_ char *p = tpath(rel);
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        ASSERT(fd >= 0);
        return fd;
}

/* lower: a, d/x, d/y, o/old; upper: whiteout a, opaque o with o/new, d/y replaced, file z. */
static void make_stack(void)
{
        const struct ent lower[] = { { F, "a", "A", 0 }, { D, "d", NULL, 0 }, { F, "d/x", "X", 0 }, { F, "d/y", "Y", 0 },
                                     { D, "o", NULL, 0 }, { F, "o/old", "O", 0 }, { D, "etc", NULL, 0 },
                                     { F, "etc/passwd", "root:x:0:0::/:/bin/sh\n", 0 } };
        const struct ent upper[] = { { F, ".wh.a", "", 0 }, { D, "d", NULL, 0 }, { F, "d/y", "Y2", 0 },
                                     { D, "o", NULL, 0 }, { F, "o/.wh..wh..opq", "", 0 }, { F, "o/new", "N", 0 },
                                     { F, "z", "Z", 0 } };
        _cleanup_free_ char *l = make_tar("lower.tar", false, lower, ARRAY_SIZE(lower));
        _cleanup_free_ char *u = make_tar("upper.tar", false, upper, ARRAY_SIZE(upper));
        struct layer_result res;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, unpack(l, "lower", LAYER_OCI, NULL, &res, &err));
        ASSERT_EQ(0, unpack(u, "upper", LAYER_OCI, NULL, &res, &err));
}

TEST(tree_merge_applies_whiteouts_like_overlay)
{
        _cleanup_free_ char *m = tpath("merged"), *y = NULL;
        _cleanup_close_ int lo = -1, up = -1, dst = -1;
        struct pod_err err = { 0 };

        make_stack();
        ASSERT_EQ(0, mkdir(m, 0755));
        lo = dirfd_of("lower");
        up = dirfd_of("upper");
        dst = dirfd_of("merged");
        ASSERT_EQ(0, tree_merge(lo, dst, &err));
        ASSERT_EQ(0, tree_merge(up, dst, &err));
        ASSERT(!has("merged/a"));
        ASSERT(has("merged/d/x"));
        ASSERT_EQ(0, read_file_at(dst, "d/y", 100, &y, NULL));
        ASSERT_STREQ("Y2", y);
        ASSERT(!has("merged/o/old"));
        ASSERT(has("merged/o/new") && has("merged/z"));
        ASSERT(!opaque("merged/o"));     /* markers are applied, never copied */
}

TEST(tree_lookup_follows_the_stack)
{
        _cleanup_close_ int lo = -1, up = -1;
        size_t i = 99;

        make_stack();
        lo = dirfd_of("lower");
        up = dirfd_of("upper");
        {
                int fds[] = { up, lo };
                ASSERT_EQ(0, tree_lookup(fds, 2, "etc/passwd", &i));
                ASSERT_EQ(1, i);
                ASSERT_EQ(0, tree_lookup(fds, 2, "d/y", &i));
                ASSERT_EQ(0, i);
                ASSERT_EQ(-ENOENT, tree_lookup(fds, 2, "a", &i));       /* whited out */
                ASSERT_EQ(-ENOENT, tree_lookup(fds, 2, "o/old", &i));   /* under an opaque dir */
                ASSERT_EQ(0, tree_lookup(fds, 2, "o/new", &i));
                ASSERT_EQ(-ENOENT, tree_lookup(fds, 2, "nothing", &i));
        }
}

TEST(tree_digest_is_content_not_place)
{
        const struct ent e[] = { { D, "d", NULL, 0 }, { F, "d/f", "x", 0 }, { L, "l", "d/f", 0 } };
        _cleanup_free_ char *tar = make_tar("l.tar", false, e, ARRAY_SIZE(e)), *f = tpath("b/d/f");
        _cleanup_close_ int a = -1, b = -1;
        char ha[DIGEST_HEX_LEN + 1], hb[DIGEST_HEX_LEN + 1];
        struct layer_result res;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, unpack(tar, "a", LAYER_OCI, NULL, &res, &err));
        ASSERT_EQ(0, unpack(tar, "b", LAYER_OCI, NULL, &res, &err));
        a = dirfd_of("a");
        b = dirfd_of("b");
        ASSERT_EQ(0, tree_digest(a, ha, NULL, &err));
        ASSERT_EQ(0, tree_digest(b, hb, NULL, &err));
        ASSERT_STREQ(ha, hb);
        ASSERT_EQ(0, write_file_atomic(AT_FDCWD, f, "y", 1, 0755, 0));
        ASSERT_EQ(0, tree_digest(b, hb, NULL, &err));
        ASSERT(strcmp(ha, hb));
}

TEST(image_paths_clean_names)
{
        struct pod_err err = { 0 };
        _cleanup_free_ char *a = image_clean_name("i", "./a/b/", "entry", &err);

        ASSERT_STREQ("a/b", a);
        ASSERT(!image_clean_name("i", "a/../b", "entry", &err));
        ASSERT(!image_clean_name("i", "/a", "entry", &err));
        ASSERT(image_symlink_escapes("rootfs/a", "../../x"));
        ASSERT(!image_symlink_escapes("rootfs/a/b", "../x"));
        ASSERT(!image_symlink_escapes("rootfs/a", "/abs"));
        /* Found by fuzz_paths: "." and empty components are no depth, and ".//x" is "x", not "/x". */
        ASSERT(image_symlink_escapes("rootfs/a/./b", "../../x"));
        ASSERT(image_symlink_escapes("rootfs/a//b", "../../x"));
        ASSERT(!image_symlink_escapes("rootfs/a/./b/c", "../../x"));
        {
                _cleanup_free_ char *b = image_clean_name("i", ".//etc/hosts", "entry", &err);
                ASSERT_STREQ("etc/hosts", b);
        }
}

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "aaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void put_record(struct image_store *s, const char *hex)
{
        char *layers[] = { (char *)HEX_A, NULL };
        struct image_record r = { .kind = (char *)"oci", .layers = layers, .lowers = layers, .blobs = layers };
        struct pod_err err = { 0 };

        snprintf(r.id, sizeof(r.id), "%s", hex);
        r.manifest = json_pack("{s:s}", "name", "x");
        ASSERT_EQ(0, image_record_write(s, &r, &err));
        json_decref(r.manifest);
}

TEST(store_names_resolve)
{
        _cleanup_free_ char *p = tpath("store");
        struct image_store s;
        struct pod_err err = { 0 };
        char hex[DIGEST_HEX_LEN + 1];

        ASSERT_EQ(0, image_store_open(p, &s, &err));
        put_record(&s, HEX_A);
        put_record(&s, HEX_B);
        ASSERT_EQ(0, image_ref_set(&s, "docker.io/library/busybox:latest", HEX_A, &err));
        ASSERT_EQ(0, image_ref_set(&s, "example.com/app:1.0", HEX_B, &err));
        ASSERT_EQ(0, image_resolve(&s, "busybox", hex, &err));
        ASSERT_STREQ(HEX_A, hex);
        ASSERT_EQ(0, image_resolve(&s, "docker.io/library/busybox", hex, &err));
        ASSERT_EQ(0, image_resolve(&s, "example.com/app:1.0", hex, &err));
        ASSERT_STREQ(HEX_B, hex);
        ASSERT_EQ(-ENOENT, image_resolve(&s, "example.com/app", hex, &err));    /* no :latest */
        ASSERT_EQ(0, image_resolve(&s, "sha256:" HEX_B, hex, &err));
        ASSERT_EQ(-EEXIST, image_resolve(&s, "aaaaaaaaaaaa", hex, &err));       /* a prefix of both */
        ASSERT(strstr(err.msg, "2 images"));
        ASSERT_EQ(0, image_resolve(&s, "aaaaaaaaaaaab", hex, &err));
        ASSERT_STREQ(HEX_B, hex);
        ASSERT_EQ(-ENOENT, image_resolve(&s, "aaaaaaa", hex, &err));     /* too short a prefix */
        ASSERT(strstr(err.msg, "podctl image list"));
        ASSERT(!image_ref_valid("bad name"));
        ASSERT(!image_ref_valid(".hidden"));
        ASSERT(image_ref_valid("localhost:5000/a/b:c"));
        ASSERT_EQ(-EINVAL, image_ref_set(&s, "no spaces", HEX_A, &err));
        image_store_close(&s);
}

TEST(store_record_roundtrip_and_names)
{
        _cleanup_free_ char *p = tpath("store");
        struct image_store s;
        struct image_record r;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, image_store_open(p, &s, &err));
        put_record(&s, HEX_A);
        ASSERT_EQ(0, image_ref_set(&s, "a/b:c", HEX_A, &err));
        ASSERT_EQ(0, image_record_load(&s, HEX_A, &r, &err));
        ASSERT_STREQ("oci", r.kind);
        ASSERT_STREQ(HEX_A, r.lowers[0]);
        ASSERT_STREQ("a/b:c", r.names[0]);
        image_record_done(&r);
        ASSERT_EQ(0, write_file_atomic(s.fd, "images/" HEX_B ".json", "{", 1, 0644, 0));
        ASSERT_EQ(-EINVAL, image_record_load(&s, HEX_B, &r, &err));
        ASSERT(strstr(err.msg, "damaged"));
        image_store_close(&s);
}

TEST(overlay_layers_file_roundtrip_and_damage)
{
        char *lowers[] = { (char *)HEX_B, (char *)HEX_A, NULL };
        _cleanup_free_ char *text = pod_overlay_format(HEX_A, lowers);
        struct pod_overlay o;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, pod_overlay_parse(text, &o, &err));
        ASSERT_STREQ(HEX_A, o.image);
        ASSERT_EQ(2, strv_length(o.lowers));
        ASSERT_STREQ(HEX_B, o.lowers[0]);
        pod_overlay_done(&o);
        ASSERT_EQ(-EINVAL, pod_overlay_parse("podinit-layers 1\nimage " HEX_A "\n", &o, &err));   /* no lower */
        ASSERT_EQ(-EINVAL, pod_overlay_parse("podinit-layers 1\nimage " HEX_A "\nlower ../../etc\n", &o, &err));
        ASSERT_EQ(-EINVAL, pod_overlay_parse("podinit-layers 2\n", &o, &err));
        ASSERT(strstr(err.msg, "damaged"));
}

TEST(overlay_options_fit_a_page)
{
        char *two[] = { (char *)HEX_B, (char *)HEX_A, NULL };
        char **many = NULL;
        _cleanup_free_ char *opts = NULL;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, pod_overlay_options("/opt/stage2/web", two, &opts, &err));
        ASSERT_STREQ("upperdir=/opt/stage2/web/upper,workdir=/opt/stage2/web/work,lowerdir=" HEX_B ":" HEX_A, opts);
        for (int i = 0; i < 64; i++)    /* 64 trees of 65 bytes: past 4095 */
                strv_push(&many, HEX_A);
        ASSERT_EQ(-E2BIG, pod_overlay_options("/opt/stage2/web", many, &opts, &err));
        ASSERT(strstr(err.msg, "more than mount(2)'s page"));
        strv_free(many);
}
