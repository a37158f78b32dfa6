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

TEST(isolators_retain_remove_nnp_oom)
{
        struct isolators iso;
        struct pod_err err;

        ASSERT_EQ(0, parse("[{\"name\":\"os/linux/capabilities-retain-set\",\"value\":{\"set\":[\"CAP_NET_ADMIN\",\"sys_time\",\"Kill\"]}}]",
                           &iso, &err));
        ASSERT_EQ((1ull << 12) | (1ull << 25) | (1ull << 5), isolators_bounding(&iso));
        ASSERT(!iso.nnp && !iso.has_oom && !iso.unimplemented[0]);

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

TEST(isolators_unimplemented_and_ignored)
{
        struct isolators iso;
        struct pod_err err;

        ASSERT_EQ(0, parse("[{\"name\":\"resource/memory\",\"value\":{\"limit\":\"1G\"}},"
                           "{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[\"@rkt/default-whitelist\"]}},"
                           "{\"name\":\"resource/memory\",\"value\":{\"limit\":\"2G\"}},"
                           "{\"name\":\"os/unix/sysctl\",\"value\":{}}]", &iso, &err));
        ASSERT_STREQ("resource/memory", iso.unimplemented);
        ASSERT_EQ(SECCOMP_RETAIN, iso.seccomp);
}

TEST(isolators_errors_name_the_problem)
{
        static const struct {
                const char *json, *msg;
        } bad[] = {
                { "{}", "expected a list of isolators" },
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
