/* Volumes and mounts: parsing (common/volumes.c via the manifest), the
 * resolution rules of rkt's stage1, and opening mount targets inside a
 * root (init/isolate/volumes.c) against .. and symlinks. */
#include <fcntl.h>
#include <sys/stat.h>

#include "test.h"
#include "common/resolve.h"
#include "common/fdutil.h"
#include "common/manifest.h"
#include "init/isolate/volumes.h"

/* A pod: VOLUMES (JSON list) and one app "a" with MOUNTS and MOUNTPOINTS (JSON lists). */
static int parse3(const char *volumes, const char *mounts, const char *mps, struct pod_manifest **ret, struct pod_err *err)
{
        _cleanup_free_ char *d = xasprintf("{\"acKind\":\"PodManifest\",\"acVersion\":\"0.8.11\",\"volumes\":%s,\"apps\":["
                                           "{\"name\":\"a\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\",\"mountPoints\":%s},"
                                           "\"mounts\":%s}]}",
                                           volumes, mps, mounts);
        return pod_manifest_parse(d, strlen(d), ret, err);
}

TEST(volumes_parse_fields_and_defaults)
{
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, parse3("[{\"name\":\"h\",\"kind\":\"host\",\"source\":\"/srv\",\"readOnly\":true,\"recursive\":false},"
                            "{\"name\":\"e\",\"kind\":\"empty\",\"mode\":\"0700\",\"uid\":7,\"gid\":8},"
                            "{\"name\":\"d\",\"kind\":\"empty\"}]",
                            "[{\"volume\":\"h\",\"path\":\"/h\"}]", "[]", &m, &err));
        ASSERT_EQ(3, (long)m->n_volumes);
        ASSERT_EQ(VOL_HOST, m->volumes[0].kind);
        ASSERT_STREQ("/srv", m->volumes[0].source);
        ASSERT_EQ(1, m->volumes[0].read_only);
        ASSERT(!m->volumes[0].recursive);
        ASSERT_EQ(VOL_EMPTY, m->volumes[1].kind);
        ASSERT_EQ(0700, (int)m->volumes[1].mode);
        ASSERT_EQ(7, (int)m->volumes[1].uid);
        ASSERT_EQ(8, (int)m->volumes[1].gid);
        ASSERT_EQ(-1, m->volumes[2].read_only);         /* not set: the mount point decides */
        ASSERT(m->volumes[2].recursive);
        ASSERT_EQ(0755, (int)m->volumes[2].mode);
        ASSERT_EQ(1, (long)m->apps[0].n_mounts_spec);
        pod_manifest_free(m);
}

TEST(volumes_parse_errors_name_the_field)
{
        static const struct { const char *vols, *mounts, *want; } bad[] = {
                { "[{\"kind\":\"host\",\"source\":\"/a\"}]", "[]", "volumes[0].name: required" },
                { "[{\"name\":\"Bad_Name\",\"kind\":\"empty\"}]", "[]", "not a valid volume name" },
                { "[{\"name\":\"v\",\"kind\":\"nfs\"}]", "[]", "\"nfs\" is not a volume kind" },
                { "[{\"name\":\"v\",\"kind\":\"host\"}]", "[]", "required for a host volume" },
                { "[{\"name\":\"v\",\"kind\":\"host\",\"source\":\"rel/path\"}]", "[]", "is not an absolute path" },
                { "[{\"name\":\"v\",\"kind\":\"empty\",\"mode\":\"rwx\"}]", "[]", "is not an octal mode" },
                { "[{\"name\":\"v\",\"kind\":\"empty\",\"mode\":\"077777\"}]", "[]", "is not an octal mode" },
                { "[{\"name\":\"v\",\"kind\":\"empty\",\"uid\":-1}]", "[]", "uid: expected an id" },
                { "[{\"name\":\"v\",\"kind\":\"empty\",\"readOnly\":\"yes\"}]", "[]", "readOnly: expected true or false" },
                { "[{\"name\":\"v\",\"kind\":\"empty\"},{\"name\":\"v\",\"kind\":\"empty\"}]", "[]", "defined twice" },
                { "{}", "[]", "volumes: expected a list" },
                { "[]", "[{\"path\":\"/x\"}]", "mounts[0].volume: required" },
                { "[]", "[{\"volume\":\"v\"}]", "mounts[0].path: required" },
                { "[]", "[{\"volume\":\"v\",\"path\":\"/x\",\"appVolume\":{\"name\":\"w\",\"kind\":\"empty\"}}]", "differs from the mount's volume" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct pod_manifest *m = NULL;
                struct pod_err err = { 0 };
                if (parse3(bad[i].vols, bad[i].mounts, "[]", &m, &err) >= 0)
                        FAIL_AT("accepted volumes %s mounts %s", bad[i].vols, bad[i].mounts);
                if (!strstr(err.msg, bad[i].want))
                        FAIL_AT("%s: \"%s\" lacks \"%s\"", bad[i].vols, err.msg, bad[i].want);
        }
}

TEST(volumes_limit_is_enforced)
{
        _cleanup_free_ char *list = xstrdup("[");
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };

        for (unsigned i = 0; i <= POD_MAX_VOLUMES; i++) {
                char *n = xasprintf("%s%s{\"name\":\"v%u\",\"kind\":\"empty\"}", list, i ? "," : "", i);
                free(list);
                list = n;
        }
        char *n = xasprintf("%s]", list);
        free(list);
        list = n;
        ASSERT_EQ(-E2BIG, parse3(list, "[]", "[]", &m, &err));
        ASSERT_CONTAINS(err.msg, "at most 256");
}

TEST(volumes_resolution_follows_rkt)
{
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };
        struct pod_app *a;

        /* mounts first (ro from the same-named mount point, unless the volume says), then the
         * mount points not covered: by pod volume name, else an implicit empty one. */
        ASSERT_EQ(0, parse3("[{\"name\":\"data\",\"kind\":\"host\",\"source\":\"/srv\"},"
                            "{\"name\":\"cfg\",\"kind\":\"host\",\"source\":\"/etc/x\",\"readOnly\":false},"
                            "{\"name\":\"logs\",\"kind\":\"empty\",\"readOnly\":true}]",
                            "[{\"volume\":\"data\",\"path\":\"/var/data\"},{\"volume\":\"cfg\",\"path\":\"/cfg\"},"
                            "{\"volume\":\"tmp\",\"path\":\"/tmp/x\",\"appVolume\":{\"name\":\"tmp\",\"kind\":\"empty\",\"mode\":\"0700\"}}]",
                            "[{\"name\":\"data\",\"path\":\"/var/data/\",\"readOnly\":true},{\"name\":\"cfg\",\"path\":\"/etc/cfg\",\"readOnly\":true},"
                            "{\"name\":\"logs\",\"path\":\"/var/log\"},{\"name\":\"cache\",\"path\":\"/cache\"}]",
                            &m, &err));
        ASSERT_EQ(0, volumes_resolve(m, &err));
        a = &m->apps[0];
        ASSERT_EQ(6, (long)a->n_mounts);
        /* In mount order: one-component targets first (/cfg, /cache), then the
         * rest in manifest order (mounts, then uncovered mount points). */
        ASSERT_STREQ("cfg", a->mounts[0].volume);
        ASSERT_STREQ("/cfg", a->mounts[0].target);
        ASSERT(!a->mounts[0].read_only);                /* the volume's readOnly:false wins */
        ASSERT_STREQ("a-cache", a->mounts[1].volume);   /* implicit */
        ASSERT_EQ(VOL_EMPTY, a->mounts[1].kind);
        ASSERT_EQ(0755, (int)a->mounts[1].mode);
        ASSERT_EQ(-1, a->mounts[1].tree_fd);
        ASSERT_STREQ("data", a->mounts[2].volume);
        ASSERT_STREQ("/srv", a->mounts[2].source);
        ASSERT(a->mounts[2].read_only);                 /* from mount point "data" */
        ASSERT_STREQ("tmp", a->mounts[3].volume);
        ASSERT_EQ(VOL_EMPTY, a->mounts[3].kind);
        ASSERT_EQ(0700, (int)a->mounts[3].mode);
        /* mount point "data" (/var/data/) is covered by the mount at /var/data; "cfg" at /etc/cfg is not. */
        ASSERT_STREQ("cfg", a->mounts[4].volume);
        ASSERT_STREQ("/etc/cfg", a->mounts[4].target);
        ASSERT(!a->mounts[4].read_only);
        ASSERT_STREQ("logs", a->mounts[5].volume);
        ASSERT(a->mounts[5].read_only);
        /* Resolving again replaces the list. */
        ASSERT_EQ(0, volumes_resolve(m, &err));
        ASSERT_EQ(6, (long)m->apps[0].n_mounts);
        pod_manifest_free(m);

        m = NULL;
        ASSERT_EQ(0, parse3("[]", "[{\"volume\":\"nosuch\",\"path\":\"/x\"}]", "[]", &m, &err));
        ASSERT_EQ(-ENOENT, volumes_resolve(m, &err));
        ASSERT_CONTAINS(err.msg, "could not find volume \"nosuch\"");
        pod_manifest_free(m);
}

TEST(volumes_outer_targets_mount_first)
{
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };
        struct pod_app *a;

        /* /data/sub given before /data (and spelled oddly): it must come after, or /data hides it;
         * two volumes at one target keep their order (the later wins). */
        ASSERT_EQ(0, parse3("[{\"name\":\"in\",\"kind\":\"empty\"},{\"name\":\"out\",\"kind\":\"empty\"},"
                            "{\"name\":\"deep\",\"kind\":\"empty\"},{\"name\":\"x1\",\"kind\":\"empty\"},"
                            "{\"name\":\"x2\",\"kind\":\"empty\"}]",
                            "[{\"volume\":\"deep\",\"path\":\"/data/sub/./deeper\"},{\"volume\":\"in\",\"path\":\"data//sub/\"},"
                            "{\"volume\":\"x1\",\"path\":\"/x\"},{\"volume\":\"out\",\"path\":\"/data\"},"
                            "{\"volume\":\"x2\",\"path\":\"/a/../x\"}]",
                            "[]", &m, &err));
        ASSERT_EQ(0, volumes_resolve(m, &err));
        a = &m->apps[0];
        ASSERT_EQ(5, (long)a->n_mounts);
        ASSERT_STREQ("x1", a->mounts[0].volume);
        ASSERT_STREQ("out", a->mounts[1].volume);
        ASSERT_STREQ("x2", a->mounts[2].volume);
        ASSERT_STREQ("in", a->mounts[3].volume);
        ASSERT_STREQ("deep", a->mounts[4].volume);
        ASSERT(!volume_targets_under(a->mounts, a->n_mounts, "/sys"));
        ASSERT(volume_targets_under(a->mounts, a->n_mounts, "/data/sub"));
        ASSERT(!volume_targets_under(a->mounts, a->n_mounts, "/dat"));
        pod_manifest_free(m);
}

TEST(volumes_target_normalize)
{
        static const char *const cases[][2] = {
                { "/a/b", "/a/b" }, { "a//b/", "/a/b" }, { "/a/./b/../c", "/a/c" }, { "../../x", "/x" },
                { "/", "/" }, { "", "/" }, { "..", "/" }, { "/sys/", "/sys" }, { "/a/b/../../..", "/" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *n = volume_target_normalize(cases[i][0]);
                ASSERT_STREQ(cases[i][1], n);
        }
        struct app_mount m[1] = { { .target = (char *)"sys/class/" } };
        ASSERT(volume_targets_under(m, 1, "/sys"));
        ASSERT(volume_targets_under(m, 1, "/"));
        ASSERT(!volume_targets_under(m, 1, "/sy"));
        m[0].target = (char *)"/sysx";
        ASSERT(!volume_targets_under(m, 1, "/sys"));
        m[0].target = (char *)"/sys";
        ASSERT(volume_targets_under(m, 1, "/sys"));
}

TEST(volumes_targets_stay_in_the_root)
{
        _cleanup_free_ char *root = xasprintf("%s/root", test_tmpdir());
        _cleanup_free_ char *outside = xasprintf("%s/outside", test_tmpdir());
        _cleanup_free_ char *p = NULL;
        _cleanup_close_ int rfd = -1;
        struct stat st;
        int fd = -1;

        ASSERT_EQ(0, mkdir(root, 0755));
        ASSERT_EQ(0, mkdir(outside, 0755));
        p = xasprintf("%s/abs", root);
        ASSERT_EQ(0, symlink(outside, p));              /* absolute: means <root><outside> */
        free(p);
        p = xasprintf("%s/rel", root);
        ASSERT_EQ(0, symlink("../../../..", p));        /* relative: stops at the root */
        free(p);
        p = xasprintf("%s/dangling", root);
        ASSERT_EQ(0, symlink("/no/such/dir", p));
        rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT(rfd >= 0);

        static const char *const targets[] = { "../../../x1", "/abs/x2", "rel/x3", "/a/b/../../../../x4" };
        static const char *const inside[] = { "x1", NULL, "x3", "x4" };
        for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
                ASSERT_EQ(0, open_target_in_root(rfd, targets[i], true, &fd));
                close(fd);
                if (inside[i]) {
                        _cleanup_free_ char *q = xasprintf("%s/%s", root, inside[i]);
                        if (stat(q, &st) < 0 || !S_ISDIR(st.st_mode))
                                FAIL_AT("%s: %s was not created", targets[i], q);
                }
        }
        /* The absolute link's target was made inside the root, not outside. */
        _cleanup_free_ char *in = xasprintf("%s%s/x2", root, outside), *out = xasprintf("%s/x2", outside);
        ASSERT_EQ(0, stat(in, &st));
        ASSERT(stat(out, &st) < 0 && errno == ENOENT);
        /* A file target; a dangling link is followed inside the root, a loop is refused. */
        ASSERT_EQ(0, open_target_in_root(rfd, "/etc/some.conf", false, &fd));
        close(fd);
        _cleanup_free_ char *f = xasprintf("%s/etc/some.conf", root);
        ASSERT_EQ(0, stat(f, &st));
        ASSERT(S_ISREG(st.st_mode));
        ASSERT_EQ(0, open_target_in_root(rfd, "/dangling/x", true, &fd));
        close(fd);
        _cleanup_free_ char *dg = xasprintf("%s/no/such/dir/x", root);
        ASSERT_EQ(0, stat(dg, &st));
        ASSERT(stat("/no/such/dir", &st) < 0);
        _cleanup_free_ char *l1 = xasprintf("%s/loop1", root), *l2 = xasprintf("%s/loop2", root);
        ASSERT_EQ(0, symlink("loop2", l1));
        ASSERT_EQ(0, symlink("/loop1", l2));
        ASSERT_EQ(-ELOOP, open_target_in_root(rfd, "/loop1/x", true, &fd));
}
