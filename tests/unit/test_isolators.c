/* appc isolators: parsing, the capability bounding set, errors. */
#include "isotest.h"
#include "common/isolators.h"

#include <jansson.h>

TEST(isolators_default_caps_mask)
{
        struct isolators iso = { 0 };
        /* Docker's and rkt's default, as /proc/self/status shows it. */
        ASSERT_EQ(0xa80425fbull, caps_default_mask());
        ASSERT_EQ(0xa80425fbull, isolators_bounding(&iso));
        ASSERT(caps_last() >= 37);      /* CAP_AUDIT_READ exists on every kernel we support */
}

TEST(isolators_bounding_host_drops_what_the_host_lacks)
{
        struct isolators iso = { .has_retain = true };
        uint64_t host = caps_host_mask();
        int last = caps_last();

        /* A capability above this kernel's last is never the host's: dropped. */
        ASSERT(last < 63);
        ASSERT(!(host >> (last + 1)));
        iso.retain = (1ull << 5) | (1ull << 63);
        if (host & (1ull << 5))
                ASSERT_EQ(1ull << 5, isolators_bounding_host(&iso, "a"));
        else
                ASSERT_EQ(0ull, isolators_bounding_host(&iso, "a"));
        /* The default set: what the host has of it, quietly. */
        iso = (struct isolators){ 0 };
        ASSERT_EQ(caps_default_mask() & host, isolators_bounding_host(&iso, "a"));
}

TEST(isolators_retain_remove_nnp_oom)
{
        struct isolators iso;
        struct pod_err err;

        ASSERT_EQ(0, parse("[{\"name\":\"os/linux/capabilities-retain-set\",\"value\":{\"set\":[\"CAP_NET_ADMIN\",\"sys_time\",\"Kill\"]}}]",
                           &iso, &err));
        ASSERT_EQ((1ull << 12) | (1ull << 25) | (1ull << 5), isolators_bounding(&iso));
        ASSERT(!iso.nnp && !iso.has_oom && !iso.has_memory && !iso.has_cpu && !iso.has_cpu_shares);

        ASSERT_EQ(0, parse("[{\"name\":\"os/linux/capabilities-remove-set\",\"value\":{\"set\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]}}]",
                           &iso, &err));
        /* Removing one not in the default set changes nothing. */
        ASSERT_EQ(0xa80425faull, isolators_bounding(&iso));

        ASSERT_EQ(0, parse("[{\"name\":\"os/linux/no-new-privileges\",\"value\":true},"
                           "{\"name\":\"os/linux/no-new-privileges\",\"value\":false},"
                           "{\"name\":\"os/linux/oom-score-adj\",\"value\":-1000}]", &iso, &err));
        ASSERT(iso.nnp);                /* any true wins */
        ASSERT(iso.has_oom);
        ASSERT_EQ(-1000, iso.oom_score_adj);

        ASSERT_EQ(0, parse("null", &iso, &err));
        ASSERT_EQ(0xa80425fbull, isolators_bounding(&iso));
}

TEST(isolators_resources_and_ignored)
{
        struct isolators iso;
        struct pod_err err;

        /* The last of a repeated resource isolator wins; rkt's ignored ones are accepted. */
        ASSERT_EQ(0, parse("[{\"name\":\"resource/memory\",\"value\":{\"limit\":\"1G\"}},"
                           "{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[\"@rkt/default-whitelist\"]}},"
                           "{\"name\":\"resource/memory\",\"value\":{\"limit\":\"42Mi\",\"request\":\"1Mi\"}},"
                           "{\"name\":\"resource/cpu\",\"value\":{\"limit\":\"800m\"}},"
                           "{\"name\":\"os/linux/cpu-shares\",\"value\":12345},"
                           "{\"name\":\"os/unix/sysctl\",\"value\":{}}]", &iso, &err));
        ASSERT(iso.has_memory);
        ASSERT_EQ(42ull << 20, iso.memory_limit);
        ASSERT(iso.has_cpu);
        ASSERT_EQ(800, (long)iso.cpu_millis);
        ASSERT(iso.has_cpu_shares);
        ASSERT_EQ(12345, (long)iso.cpu_shares);
        ASSERT_EQ(SECCOMP_RETAIN, iso.seccomp);

        /* A request without a limit sets nothing. */
        ASSERT_EQ(0, parse("[{\"name\":\"resource/cpu\",\"value\":{\"request\":\"1\"}}]", &iso, &err));
        ASSERT(!iso.has_cpu);
}

TEST(isolators_k8s_quantities)
{
        static const struct { const char *s; bool millis; uint64_t want; } ok[] = {
                { "1", false, 1 },          { "1024", false, 1024 },       { "1k", false, 1000 },
                { "1Ki", false, 1024 },     { "42Mi", false, 42ull << 20 }, { "25M", false, 25000000 },
                { "1G", false, 1000000000 }, { "1Gi", false, 1ull << 30 },  { "2Ti", false, 2ull << 40 },
                { "1Ei", false, 1ull << 60 }, { "1e3", false, 1000 },       { "1E6", false, 1000000 },
                { "0.5Gi", false, 1ull << 29 }, { "1.5k", false, 1500 },    { "100m", false, 1 },   /* rounded up */
                { "800m", true, 800 },      { "1", true, 1000 },           { "0.5", true, 500 },
                { "2.25", true, 2250 },     { "1500u", true, 2 },          { "250m", true, 250 },
                { "0", false, 0 },          { "18446744073709551615", false, UINT64_MAX },
        };
        static const char *const bad[] = { "", "-1", "+1", "1.2.3", "Mi", "1 Mi", "1mi", "1KB", "1x", "0x10",
                                           ".", "1e", "1e-3", "18446744073709551616", "16Ei", "1e40" };
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                uint64_t v = 7;
                int r = k8s_quantity_parse(ok[i].s, ok[i].millis, &v);
                if (r != 0 || v != ok[i].want)
                        FAIL_AT("\"%s\"%s: r=%d v=%llu, want %llu", ok[i].s, ok[i].millis ? " (milli)" : "", r,
                                (unsigned long long)v, (unsigned long long)ok[i].want);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                uint64_t v = 7;
                if (k8s_quantity_parse(bad[i], false, &v) >= 0)
                        FAIL_AT("accepted \"%s\" as %llu", bad[i], (unsigned long long)v);
                ASSERT_EQ(7, (long)v);
        }
}

TEST(isolators_errors_name_the_problem)
{
        static const struct {
                const char *json, *msg;
        } bad[] = {
                { "{}", "expected a list of isolators" },
                { "[{\"name\":\"resource/memory\",\"value\":{\"limit\":\"lots\"}}]", "limit \"lots\" is not a memory quantity above 0" },
                { "[{\"name\":\"resource/memory\",\"value\":{\"limit\":\"0\"}}]", "is not a memory quantity above 0" },
                { "[{\"name\":\"resource/memory\",\"value\":{\"limit\":512}}]", "(not a string)" },
                { "[{\"name\":\"resource/memory\",\"value\":\"1G\"}]", "expected {\"limit\"" },
                { "[{\"name\":\"resource/cpu\",\"value\":{\"limit\":\"-1\"}}]", "is not a CPU quantity" },
                { "[{\"name\":\"resource/cpu\",\"value\":{\"limit\":\"9223372036854776\"}}]", "is not a CPU quantity" },
                { "[{\"name\":\"os/linux/cpu-shares\",\"value\":1}]", "from 2 to 262144" },
                { "[{\"name\":\"os/linux/cpu-shares\",\"value\":\"12\"}]", "from 2 to 262144" },
                { "[3]", "isolators[0]: expected {\"name\"" },
                { "[{\"name\":\"os/linux/capabilities-retain-set\",\"value\":{\"set\":[]}}]", "at least one capability" },
                { "[{\"name\":\"os/linux/capabilities-retain-set\",\"value\":[\"CAP_KILL\"]}]", "expected {\"set\"" },
                { "[{\"name\":\"os/linux/capabilities-retain-set\",\"value\":{\"set\":[\"CAP_FLY\"]}}]", "\"CAP_FLY\" is not a capability" },
                { "[{\"name\":\"os/linux/capabilities-remove-set\",\"value\":{\"set\":[7]}}]", "a non-string is not a capability" },
                { "[{\"name\":\"os/linux/capabilities-retain-set\",\"value\":{\"set\":[\"CAP_KILL\"]}},"
                  "{\"name\":\"os/linux/capabilities-remove-set\",\"value\":{\"set\":[\"CAP_KILL\"]}}]", "cannot have both" },
                { "[{\"name\":\"os/linux/no-new-privileges\",\"value\":1}]", "expected true or false" },
                { "[{\"name\":\"os/linux/oom-score-adj\",\"value\":1001}]", "from -1000 to 1000" },
                { "[{\"name\":\"os/linux/oom-score-adj\",\"value\":\"5\"}]", "from -1000 to 1000" },
                { "[{\"name\":\"os/linux/capabilites-retain-set\",\"value\":{}}]", "unknown isolator \"os/linux/capabilites-retain-set\"" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct isolators iso;
                struct pod_err err;
                if (parse(bad[i].json, &iso, &err) != -EINVAL)
                        FAIL_AT("accepted: %s", bad[i].json);
                if (!strstr(err.msg, bad[i].msg))
                        FAIL_AT("for %s: message \"%s\" lacks \"%s\"", bad[i].json, err.msg, bad[i].msg);
                if (!strstr(err.msg, "apps[0].app.isolators"))
                        FAIL_AT("message \"%s\" does not say where", err.msg);
        }
}

TEST(isolators_caps_list_flag_syntax)
{
        struct pod_err err = { 0 };
        uint64_t m = 0;

        ASSERT_EQ(0, caps_parse_list("CAP_CHOWN,net_admin", &m, &err));
        ASSERT_EQ((1ull << 0) | (1ull << 12), m);
        ASSERT_EQ(-EINVAL, caps_parse_list("CAP_CHOWN,,CAP_KILL", &m, &err));
        ASSERT_EQ(-EINVAL, caps_parse_list("CAP_CHOWN,NOPE", &m, &err));
        ASSERT(strstr(err.msg, "\"NOPE\" is not a capability"));
        ASSERT_EQ(0, caps_parse_list("", &m, &err));
        ASSERT_EQ(0, m);
}
