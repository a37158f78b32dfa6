/* Unit tests for the podinit.io/rlimit-* annotations (common/rlimits.c). */
#include "test.h"
#include "common/manifest.h"
#include "common/rlimits.h"

static int parse_anns(const char *anns, struct pod_manifest **ret, struct pod_err *err)
{
        _cleanup_free_ char *d = xasprintf("{\"acKind\":\"PodManifest\",\"acVersion\":\"0.8.11\",\"apps\":["
                                           "{\"name\":\"web\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"},"
                                           "\"annotations\":[%s]}]}",
                                           anns);
        return pod_manifest_parse(d, strlen(d), ret, err);
}

TEST(rlimits_names)
{
        ASSERT_EQ(RLIMIT_NOFILE, rlimit_from_name("nofile"));
        ASSERT_EQ(RLIMIT_NOFILE, rlimit_from_name("NOFILE"));
        ASSERT_EQ(RLIMIT_NOFILE, rlimit_from_name("RLIMIT_NOFILE"));
        ASSERT_EQ(RLIMIT_RTTIME, rlimit_from_name("rttime"));
        ASSERT_EQ(RLIMIT_CPU, rlimit_from_name("cpu"));
        ASSERT_EQ(-EINVAL, rlimit_from_name("files"));
        ASSERT_EQ(-EINVAL, rlimit_from_name(""));
        for (int r = 0; r < RLIMITS_N; r++)
                ASSERT_EQ(r, rlimit_from_name(rlimit_name(r)));
}

TEST(rlimits_values)
{
        struct rlimit rl = { 7, 7 };

        ASSERT_EQ(0, rlimit_value_parse(RLIMIT_NOFILE, "1024", &rl));
        ASSERT_EQ(1024, (long)rl.rlim_cur);
        ASSERT_EQ(1024, (long)rl.rlim_max);
        ASSERT_EQ(0, rlimit_value_parse(RLIMIT_NOFILE, "100:4096", &rl));
        ASSERT_EQ(100, (long)rl.rlim_cur);
        ASSERT_EQ(4096, (long)rl.rlim_max);
        ASSERT_EQ(0, rlimit_value_parse(RLIMIT_CORE, "0:unlimited", &rl));
        ASSERT_EQ(0, (long)rl.rlim_cur);
        ASSERT(rl.rlim_max == RLIM_INFINITY);
        ASSERT_EQ(0, rlimit_value_parse(RLIMIT_AS, "infinity", &rl));
        ASSERT(rl.rlim_cur == RLIM_INFINITY && rl.rlim_max == RLIM_INFINITY);
        /* Byte-valued limits take sizes; counts do not. */
        ASSERT_EQ(0, rlimit_value_parse(RLIMIT_STACK, "8Mi:16Mi", &rl));
        ASSERT_EQ(8 << 20, (long)rl.rlim_cur);
        ASSERT_EQ(16 << 20, (long)rl.rlim_max);
        rl.rlim_cur = rl.rlim_max = 7;
        ASSERT_EQ(-EINVAL, rlimit_value_parse(RLIMIT_NOFILE, "1Ki", &rl));
        ASSERT_EQ(-ERANGE, rlimit_value_parse(RLIMIT_NOFILE, "10:5", &rl));
        ASSERT_EQ(-ERANGE, rlimit_value_parse(RLIMIT_NOFILE, "unlimited:5", &rl));
        static const char *const bad[] = { "", ":", "1:", ":1", "-1", "x", "1:2:3", "0x10", " 1", "1 ", "1.5",
                                           "99999999999999999999999" };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                if (rlimit_value_parse(RLIMIT_NPROC, bad[i], &rl) >= 0)
                        FAIL_AT("accepted \"%s\"", bad[i]);
        ASSERT_EQ(7, (long)rl.rlim_cur);        /* outputs written only on success */
        ASSERT_EQ(-EINVAL, rlimit_value_parse(-1, "1", &rl));
        ASSERT_EQ(-EINVAL, rlimit_value_parse(RLIMITS_N, "1", &rl));
}

TEST(rlimits_manifest)
{
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, parse_anns("{\"name\":\"podinit.io/rlimit-nofile\",\"value\":\"64:128\"},"
                                "{\"name\":\"podinit.io/rlimit-core\",\"value\":\"0\"},"
                                "{\"name\":\"podinit.io/log-max-files\",\"value\":\"3\"}",
                                &m, &err));
        ASSERT_EQ((1u << RLIMIT_NOFILE) | (1u << RLIMIT_CORE), m->apps[0].rlimits.set);
        ASSERT_EQ(64, (long)m->apps[0].rlimits.lim[RLIMIT_NOFILE].rlim_cur);
        ASSERT_EQ(128, (long)m->apps[0].rlimits.lim[RLIMIT_NOFILE].rlim_max);
        ASSERT_EQ(0, (long)m->apps[0].rlimits.lim[RLIMIT_CORE].rlim_max);
        pod_manifest_free(m);

        m = NULL;
        ASSERT_EQ(0, parse_anns("", &m, &err));
        ASSERT_EQ(0u, m->apps[0].rlimits.set);
        pod_manifest_free(m);
}

TEST(rlimits_manifest_errors)
{
        static const struct { const char *anns, *want; } bad[] = {
                { "{\"name\":\"podinit.io/rlimit-files\",\"value\":\"1\"}", "unknown limit \"files\"" },
                { "{\"name\":\"podinit.io/rlimit-nofile\",\"value\":\"lots\"}", "is not SOFT[:HARD]" },
                { "{\"name\":\"podinit.io/rlimit-nofile\",\"value\":\"9:8\"}", "cannot be above the hard one" },
                { "{\"name\":\"podinit.io/rlimit-as\",\"value\":\"big\"}", "bytes" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct pod_manifest *m = NULL;
                struct pod_err err = { 0 };
                int r = parse_anns(bad[i].anns, &m, &err);
                if (r != -EINVAL || m)
                        FAIL_AT("%s: returned %d", bad[i].anns, r);
                if (!strstr(err.msg, "apps[0].annotations") || !strstr(err.msg, bad[i].want))
                        FAIL_AT("%s: message \"%s\" lacks \"%s\"", bad[i].anns, err.msg, bad[i].want);
        }
}
