/* Supervision policy annotations, the pod's ordering checks, and the lifecycle table. */
#include "test.h"
#include "common/manifest.h"
#include "common/policy.h"
#include "common/status.h"

#include <signal.h>

#define KV(n, v) { (char *)(n), (char *)(v) }

static int parse1(const char *name, const char *value, struct app_policy *p, struct pod_err *err)
{
        struct kv kv[1] = { KV(name, value) };
        memset(err, 0, sizeof(*err));
        return app_policy_parse(kv, 1, "apps[0].annotations", p, err);
}

TEST(policy_defaults_are_rkts)
{
        struct app_policy p;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, app_policy_parse(NULL, 0, "x", &p, &err));
        ASSERT_EQ(RESTART_NEVER, p.restart);
        ASSERT_EQ(ESSENTIAL_DEFAULT, p.essential);
        ASSERT_EQ(SIGTERM, p.stop_signal);
        ASSERT_EQ(0, p.stop_timeout_ms);
        ASSERT_EQ(READY_EXEC, p.ready);
        ASSERT_EQ(100, p.backoff_ms);
        ASSERT_EQ(30000, p.backoff_max_ms);
        ASSERT_EQ(10000, p.reset_ms);
        ASSERT_EQ(0, p.restart_max);
        ASSERT(!p.after && !p.requires && !p.probe_argv && !p.n_code_map);
        app_policy_done(&p);
}

TEST(policy_every_annotation)
{
        struct kv kv[] = {
                KV(ANN_RESTART, "on-failure"), KV(ANN_RESTART_BACKOFF, "50ms"), KV(ANN_RESTART_BACKOFF_MAX, "1s"),
                KV(ANN_RESTART_RESET, "2s"), KV(ANN_RESTART_MAX, "5"), KV(ANN_ESSENTIAL, "true"),
                KV(ANN_EXIT_CODE_MAP, "143=0,2=0"), KV(ANN_STOP_SIGNAL, "SIGINT"), KV(ANN_APP_STOP_TIMEOUT, "3s"),
                KV(ANN_READY, "notify"), KV(ANN_WATCHDOG, "2s"), KV(ANN_AFTER, "db"), KV(ANN_REQUIRES, "cache"),
        };
        struct app_policy p;
        struct pod_err err = { 0 };

        ASSERT_EQ(0, app_policy_parse(kv, ARRAY_SIZE(kv), "x", &p, &err));
        ASSERT_EQ(RESTART_ON_FAILURE, p.restart);
        ASSERT_EQ(50, p.backoff_ms);
        ASSERT_EQ(1000, p.backoff_max_ms);
        ASSERT_EQ(2000, p.reset_ms);
        ASSERT_EQ(5, p.restart_max);
        ASSERT_EQ(ESSENTIAL_YES, p.essential);
        ASSERT_EQ(0, app_policy_map_code(&p, 143));
        ASSERT_EQ(0, app_policy_map_code(&p, 2));
        ASSERT_EQ(1, app_policy_map_code(&p, 1));
        ASSERT_EQ(SIGINT, p.stop_signal);
        ASSERT_EQ(3000, p.stop_timeout_ms);
        ASSERT_EQ(READY_NOTIFY, p.ready);
        ASSERT_EQ(2000, p.watchdog_ms);
        /* requires implies after */
        ASSERT_EQ(2, strv_length(p.after));
        ASSERT_STREQ("db", p.after[0]);
        ASSERT_STREQ("cache", p.after[1]);
        ASSERT_EQ(1, strv_length(p.requires));
        app_policy_done(&p);

        ASSERT_EQ(0, parse1(ANN_READY, "fd:3", &p, &err));
        ASSERT_EQ(READY_FD, p.ready);
        ASSERT_EQ(3, p.ready_fd);
        app_policy_done(&p);
        ASSERT_EQ(0, parse1(ANN_STOP_SIGNAL, "15", &p, &err));
        ASSERT_EQ(15, p.stop_signal);
        app_policy_done(&p);
        {
                struct kv pk[] = { KV(ANN_READY, "probe"), KV(ANN_READY_PROBE, "[\"/bin/test\",\"-e\",\"/x\"]"),
                                   KV(ANN_READY_PROBE_INTERVAL, "200ms"), KV(ANN_READY_PROBE_TIMEOUT, "5s") };
                ASSERT_EQ(0, app_policy_parse(pk, ARRAY_SIZE(pk), "x", &p, &err));
                ASSERT_EQ(READY_PROBE, p.ready);
                ASSERT_EQ(3, strv_length(p.probe_argv));
                ASSERT_STREQ("/bin/test", p.probe_argv[0]);
                ASSERT_EQ(200, p.probe_interval_ms);
                ASSERT_EQ(5000, p.probe_timeout_ms);
                app_policy_done(&p);
        }
}

TEST(policy_bad_values_name_the_annotation)
{
        static const struct { const char *name, *value, *msg; } bad[] = {
                { ANN_RESTART, "sometimes", "is not never, on-failure or always" },
                { ANN_RESTART_BACKOFF, "soon", ANN_RESTART_BACKOFF },
                { ANN_RESTART_MAX, "-1", ANN_RESTART_MAX },
                { ANN_ESSENTIAL, "yes", "is not true or false" },
                { ANN_EXIT_CODE_MAP, "143", "FROM=TO" },
                { ANN_EXIT_CODE_MAP, "143=0,143=1", "mapped twice" },
                { ANN_EXIT_CODE_MAP, "256=0", "FROM=TO" },
                { ANN_STOP_SIGNAL, "SIGNOPE", "is not a signal" },
                { ANN_APP_STOP_TIMEOUT, "0", "above 0" },
                { ANN_READY, "fd:2", "fd:N" },
                { ANN_READY, "maybe", "is not exec, notify" },
                { ANN_READY, "probe", "must give the command" },
                { ANN_READY_PROBE, "[\"/bin/true\"]", "is not \"probe\"" },
                { ANN_WATCHDOG, "1s", "needs podinit.io/ready=notify" },
                { ANN_AFTER, "Db", "is not an app name" },
                { ANN_AFTER, "a,a", "listed twice" },
                { ANN_AFTER, "", "empty" },
        };
        struct app_policy p;
        struct pod_err err;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                if (parse1(bad[i].name, bad[i].value, &p, &err) == 0)
                        FAIL_AT("%s=%s was accepted", bad[i].name, bad[i].value);
                ASSERT_CONTAINS(err.msg, "apps[0].annotations");
                ASSERT_CONTAINS(err.msg, bad[i].msg);
        }
        {
                struct kv kv[] = { KV(ANN_RESTART_BACKOFF, "2s"), KV(ANN_RESTART_BACKOFF_MAX, "1s") };
                ASSERT(app_policy_parse(kv, 2, "x", &p, &err) < 0);
                ASSERT_CONTAINS(err.msg, "is below");
        }
        {
                struct kv kv[] = { KV(ANN_READY, "probe"), KV(ANN_READY_PROBE, "[\"bin/true\"]") };
                ASSERT(app_policy_parse(kv, 2, "x", &p, &err) < 0);
                ASSERT_CONTAINS(err.msg, "absolute path");
        }
}

TEST(policy_backoff_doubles_to_its_cap)
{
        struct app_policy p = { .backoff_ms = 100, .backoff_max_ms = 1000 };

        ASSERT_EQ(100, policy_backoff_ms(&p, 1));
        ASSERT_EQ(200, policy_backoff_ms(&p, 2));
        ASSERT_EQ(400, policy_backoff_ms(&p, 3));
        ASSERT_EQ(800, policy_backoff_ms(&p, 4));
        ASSERT_EQ(1000, policy_backoff_ms(&p, 5));
        ASSERT_EQ(1000, policy_backoff_ms(&p, 1000000));
        p.backoff_ms = 0;
        ASSERT_EQ(0, policy_backoff_ms(&p, 7));
}

TEST(policy_exit_policy_and_signals)
{
        enum exit_policy ep;
        char *app = NULL;
        struct pod_err err;
        int sig;

        ASSERT_EQ(0, exit_policy_parse("highest", &ep, &app, &err));
        ASSERT_EQ(EXIT_HIGHEST, ep);
        ASSERT_EQ(0, exit_policy_parse("app:web", &ep, &app, &err));
        ASSERT_EQ(EXIT_APP, ep);
        ASSERT_STREQ("web", app);
        free(app);
        ASSERT(exit_policy_parse("app:", &ep, &app, &err) < 0);
        ASSERT(exit_policy_parse("lowest", &ep, &app, &err) < 0);
        ASSERT_CONTAINS(err.msg, "first-failure, highest or app:NAME");
        ASSERT_EQ(0, signal_parse("TERM", &sig));
        ASSERT_EQ(SIGTERM, sig);
        ASSERT_EQ(0, signal_parse("SIGHUP", &sig));
        ASSERT_EQ(SIGHUP, sig);
        ASSERT(signal_parse("0", &sig) < 0);
        ASSERT(signal_parse("SIG", &sig) < 0);
}

static int manifest_with(const char *a_ann, const char *b_ann, const char *pod_ann, struct pod_err *err)
{
        char buf[2048];
        struct pod_manifest *m = NULL;
        int r;

        snprintf(buf, sizeof(buf),
                 "{\"acKind\":\"PodManifest\",\"acVersion\":\"0.8.11\",\"annotations\":[%s],\"apps\":["
                 "{\"name\":\"a\",\"image\":{\"name\":\"i\"},\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"},\"annotations\":[%s]},"
                 "{\"name\":\"b\",\"image\":{\"name\":\"i\"},\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"},\"annotations\":[%s]}]}",
                 pod_ann, a_ann, b_ann);
        memset(err, 0, sizeof(*err));
        r = pod_manifest_parse(buf, strlen(buf), &m, err);
        pod_manifest_free(m);
        return r;
}

TEST(policy_manifest_ordering_checked)
{
        struct pod_err err;

        ASSERT_EQ(0, manifest_with("", "{\"name\":\"podinit.io/after\",\"value\":\"a\"}", "", &err));
        ASSERT(manifest_with("{\"name\":\"podinit.io/after\",\"value\":\"b\"}",
                             "{\"name\":\"podinit.io/requires\",\"value\":\"a\"}", "", &err) < 0);
        ASSERT_CONTAINS(err.msg, "cycle");
        ASSERT(manifest_with("{\"name\":\"podinit.io/after\",\"value\":\"a\"}", "", "", &err) < 0);
        ASSERT_CONTAINS(err.msg, "cannot start after itself");
        ASSERT(manifest_with("{\"name\":\"podinit.io/requires\",\"value\":\"c\"}", "", "", &err) < 0);
        ASSERT_CONTAINS(err.msg, "the pod has no app \"c\"");
        ASSERT(manifest_with("", "", "{\"name\":\"podinit.io/exit-policy\",\"value\":\"app:z\"}", &err) < 0);
        ASSERT_CONTAINS(err.msg, "podinit.io/exit-policy");
        ASSERT_EQ(0, manifest_with("", "", "{\"name\":\"podinit.io/exit-policy\",\"value\":\"app:b\"}", &err));
        ASSERT(manifest_with("{\"name\":\"podinit.io/restart\",\"value\":\"often\"}", "", "", &err) < 0);
        ASSERT_CONTAINS(err.msg, "manifest: apps[0].annotations: podinit.io/restart");
}

/* Every cell of the lifecycle table, against docs/lifecycle.md's list. */
TEST(lifecycle_table_cells)
{
        static const struct { enum app_state from; enum app_event ev; enum app_state to; } allowed[] = {
                { APP_CREATED, EV_START, APP_STARTING }, { APP_CREATED, EV_STOP, APP_EXITED },
                { APP_CREATED, EV_EXIT, APP_EXITED }, { APP_CREATED, EV_DEP_FAILED, APP_FAILED },
                { APP_STARTING, EV_EXEC, APP_RUNNING }, { APP_STARTING, EV_STOP, APP_STOPPING },
                { APP_STARTING, EV_EXIT, APP_EXITED }, { APP_STARTING, EV_CRASH, APP_BACKOFF },
                { APP_STARTING, EV_GIVE_UP, APP_FAILED },
                { APP_RUNNING, EV_READY, APP_READY }, { APP_RUNNING, EV_STOP, APP_STOPPING },
                { APP_RUNNING, EV_EXIT, APP_EXITED }, { APP_RUNNING, EV_CRASH, APP_BACKOFF },
                { APP_RUNNING, EV_GIVE_UP, APP_FAILED },
                { APP_READY, EV_STOP, APP_STOPPING }, { APP_READY, EV_EXIT, APP_EXITED },
                { APP_READY, EV_CRASH, APP_BACKOFF }, { APP_READY, EV_GIVE_UP, APP_FAILED },
                { APP_STOPPING, EV_EXIT, APP_EXITED }, { APP_STOPPING, EV_GIVE_UP, APP_EXITED },
                { APP_EXITED, EV_START, APP_STARTING }, { APP_FAILED, EV_START, APP_STARTING },
                { APP_BACKOFF, EV_RESTART, APP_STARTING }, { APP_BACKOFF, EV_STOP, APP_STOPPING },
        };
        int n_valid = 0;

        for (int s = 0; s < APP_STATE_COUNT; s++)
                for (int e = 0; e < APP_EVENT_COUNT; e++) {
                        int want = -1;
                        for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
                                if ((int)allowed[i].from == s && (int)allowed[i].ev == e)
                                        want = (int)allowed[i].to;
                        if (app_next_state((enum app_state)s, (enum app_event)e) != want)
                                FAIL_AT("%s + %s: expected %d, got %d", app_state_name((enum app_state)s),
                                        app_event_name((enum app_event)e), want,
                                        app_next_state((enum app_state)s, (enum app_event)e));
                        n_valid += want >= 0;
                }
        ASSERT_EQ(ARRAY_SIZE(allowed), n_valid);
        ASSERT_EQ(-1, app_next_state(APP_STATE_COUNT, EV_START));
        ASSERT(app_state_final(APP_EXITED) && app_state_final(APP_FAILED) && !app_state_final(APP_BACKOFF));
        ASSERT_STREQ("backoff", app_event_name(EV_CRASH));
        ASSERT_STREQ("dependency-failed", app_event_name(EV_DEP_FAILED));
        ASSERT_STREQ("ready", app_state_name(APP_READY));
}

TEST(policy_limits_code_map_and_deps)
{
        char buf[4096] = "";
        size_t len = 0;
        struct app_policy p;
        struct pod_err err;

        for (int i = 0; i <= POLICY_MAX_CODE_MAP; i++)
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d=0", i ? "," : "", i + 1);
        ASSERT(parse1(ANN_EXIT_CODE_MAP, buf, &p, &err) < 0);
        ASSERT_CONTAINS(err.msg, "more than 64 codes");
        len = 0;
        for (int i = 0; i <= POLICY_MAX_DEPS; i++)
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%sa%d", i ? "," : "", i);
        ASSERT(parse1(ANN_AFTER, buf, &p, &err) < 0);
        ASSERT_CONTAINS(err.msg, "more than 64 apps");
        /* exactly at the limits is fine */
        len = 0;
        for (int i = 0; i < POLICY_MAX_DEPS; i++)
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%sa%d", i ? "," : "", i);
        ASSERT_EQ(0, parse1(ANN_AFTER, buf, &p, &err));
        ASSERT_EQ(POLICY_MAX_DEPS, strv_length(p.after));
        app_policy_done(&p);
}
