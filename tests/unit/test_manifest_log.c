/* Unit tests for the log annotations of a pod manifest (common/manifest.c parse_app_log). */
#include "test.h"
#include "common/manifest.h"
#include "common/util.h"

/* A one-app pod manifest with the given annotations (JSON list items). */
static char *log_manifest(const char *anns)
{
        return xasprintf("{\"acKind\":\"PodManifest\",\"acVersion\":\"0.8.11\",\"apps\":["
                         "{\"name\":\"web\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"},"
                         "\"annotations\":[%s]}]}",
                         anns);
}

static char *ann(const char *name, const char *value)
{
        return xasprintf("{\"name\":\"%s\",\"value\":\"%s\"}", name, value);
}

static struct pod_manifest *parse_ok(const char *anns)
{
        _cleanup_free_ char *d = log_manifest(anns);
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };

        if (pod_manifest_parse(d, strlen(d), &m, &err) != 0)
                FAIL_AT("refused: %s: %s", anns, err.msg);
        ASSERT_EQ(1, m->n_apps);
        return m;
}

static struct log_spec parse_one(const char *name, const char *value, struct pod_manifest **keep)
{
        _cleanup_free_ char *a = ann(name, value);
        struct pod_manifest *m = parse_ok(a);
        *keep = m;
        return m->apps[0].log;
}

/* name=value must be refused, the message naming the annotation, the app and want. */
static void expect_bad(const char *name, const char *value, const char *want)
{
        _cleanup_free_ char *a = ann(name, value);
        _cleanup_free_ char *d = log_manifest(a);
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };
        int r = pod_manifest_parse(d, strlen(d), &m, &err);

        if (r >= 0)
                FAIL_AT("accepted %s=\"%s\"", name, value);
        if (r != -EINVAL)
                FAIL_AT("%s=\"%s\": returned %d, not -EINVAL (%s)", name, value, r, err.msg);
        ASSERT(m == NULL);
        if (!strstr(err.msg, name) || !strstr(err.msg, "apps[0]") || (want && !strstr(err.msg, want)))
                FAIL_AT("%s=\"%s\": the message \"%s\" should name the annotation, apps[0] and \"%s\"", name, value,
                        err.msg, want ? want : "");
}

TEST(manifest_log_defaults)
{
        struct pod_manifest *m = parse_ok("");
        const struct log_spec *l = &m->apps[0].log;

        ASSERT(l->path == NULL);
        ASSERT_EQ(16384, l->line_max);
        ASSERT_EQ(1000, l->partial_timeout_ms);
        ASSERT_EQ(10 * 1024 * 1024, l->max_size);
        ASSERT_EQ(5, l->max_files);
        ASSERT_EQ(1024 * 1024, l->buffer);
        ASSERT_EQ(LOG_BLOCK, l->policy);
        ASSERT_STREQ("block", log_policy_name(l->policy));
        ASSERT_EQ(0, l->rate);
        ASSERT_EQ(0, l->burst);
        ASSERT(pod_app_logs(&m->apps[0]));
        pod_manifest_free(m);
}

TEST(manifest_log_each_annotation)
{
        struct pod_manifest *m;
        struct log_spec l;

        l = parse_one(ANN_LOG_PATH, "/var/log/pods/web.log", &m);
        ASSERT_STREQ("/var/log/pods/web.log", l.path);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_PATH, "/web.log", &m);
        ASSERT_STREQ("/web.log", l.path);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_PATH, "/var/log/.web.log", &m);
        ASSERT_STREQ("/var/log/.web.log", l.path);
        pod_manifest_free(m);

        l = parse_one(ANN_LOG_LINE_MAX, "128", &m);
        ASSERT_EQ(128, l.line_max);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_LINE_MAX, "64Ki", &m);
        ASSERT_EQ(65536, l.line_max);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_LINE_MAX, "16Mi", &m);
        ASSERT_EQ(16 << 20, l.line_max);
        pod_manifest_free(m);

        l = parse_one(ANN_LOG_PARTIAL_TIMEOUT, "200ms", &m);
        ASSERT_EQ(200, l.partial_timeout_ms);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_PARTIAL_TIMEOUT, "0", &m);
        ASSERT_EQ(0, l.partial_timeout_ms);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_PARTIAL_TIMEOUT, "2s", &m);
        ASSERT_EQ(2000, l.partial_timeout_ms);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_PARTIAL_TIMEOUT, "1h", &m);
        ASSERT_EQ(3600000, l.partial_timeout_ms);
        pod_manifest_free(m);

        l = parse_one(ANN_LOG_MAX_SIZE, "0", &m);
        ASSERT_EQ(0, l.max_size);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_MAX_SIZE, "4096", &m);
        ASSERT_EQ(4096, l.max_size);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_MAX_SIZE, "20Mi", &m);
        ASSERT_EQ(20 << 20, l.max_size);
        pod_manifest_free(m);

        l = parse_one(ANN_LOG_MAX_FILES, "1", &m);
        ASSERT_EQ(1, l.max_files);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_MAX_FILES, "1000", &m);
        ASSERT_EQ(1000, l.max_files);
        pod_manifest_free(m);

        l = parse_one(ANN_LOG_BUFFER, "64Ki", &m);
        ASSERT_EQ(65536, l.buffer);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_BUFFER, "1Gi", &m);
        ASSERT_EQ(1 << 30, l.buffer);
        pod_manifest_free(m);

        l = parse_one(ANN_LOG_POLICY, "drop", &m);
        ASSERT_EQ(LOG_DROP, l.policy);
        ASSERT_STREQ("drop", log_policy_name(l.policy));
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_POLICY, "block", &m);
        ASSERT_EQ(LOG_BLOCK, l.policy);
        pod_manifest_free(m);

        /* The burst defaults to the rate. */
        l = parse_one(ANN_LOG_RATE, "1000/s", &m);
        ASSERT_EQ(1000, l.rate);
        ASSERT_EQ(1000, l.burst);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_RATE, "50", &m);
        ASSERT_EQ(50, l.rate);
        ASSERT_EQ(50, l.burst);
        pod_manifest_free(m);
        l = parse_one(ANN_LOG_RATE, "0", &m);
        ASSERT_EQ(0, l.rate);
        ASSERT_EQ(0, l.burst);
        pod_manifest_free(m);
        {
                _cleanup_free_ char *a = ann(ANN_LOG_RATE, "100/s"), *b = ann(ANN_LOG_BURST, "7");
                _cleanup_free_ char *both = xasprintf("%s,%s", a, b);
                m = parse_ok(both);
                ASSERT_EQ(100, m->apps[0].log.rate);
                ASSERT_EQ(7, m->apps[0].log.burst);
                pod_manifest_free(m);
        }

        /* Everything at once; the others keep their defaults when one is set. */
        {
                const char *all = "{\"name\":\"podinit.io/log-path\",\"value\":\"/l/w.log\"},"
                                  "{\"name\":\"podinit.io/log-line-max\",\"value\":\"1Ki\"},"
                                  "{\"name\":\"podinit.io/log-partial-timeout\",\"value\":\"50ms\"},"
                                  "{\"name\":\"podinit.io/log-max-size\",\"value\":\"1M\"},"
                                  "{\"name\":\"podinit.io/log-max-files\",\"value\":\"2\"},"
                                  "{\"name\":\"podinit.io/log-buffer-bytes\",\"value\":\"8K\"},"
                                  "{\"name\":\"podinit.io/log-policy\",\"value\":\"drop\"},"
                                  "{\"name\":\"podinit.io/log-rate\",\"value\":\"10/s\"},"
                                  "{\"name\":\"podinit.io/log-burst\",\"value\":\"20\"}";
                const struct log_spec *s;
                m = parse_ok(all);
                s = &m->apps[0].log;
                ASSERT_STREQ("/l/w.log", s->path);
                ASSERT_EQ(1024, s->line_max);
                ASSERT_EQ(50, s->partial_timeout_ms);
                ASSERT_EQ(1 << 20, s->max_size);
                ASSERT_EQ(2, s->max_files);
                ASSERT_EQ(8192, s->buffer);
                ASSERT_EQ(LOG_DROP, s->policy);
                ASSERT_EQ(10, s->rate);
                ASSERT_EQ(20, s->burst);
                pod_manifest_free(m);

                l = parse_one(ANN_LOG_MAX_FILES, "9", &m);
                ASSERT_EQ(9, l.max_files);
                ASSERT_EQ(16384, l.line_max);
                ASSERT_EQ(10 << 20, l.max_size);
                ASSERT_EQ(LOG_BLOCK, l.policy);
                pod_manifest_free(m);
        }
}

TEST(manifest_log_bad_values)
{
        expect_bad(ANN_LOG_PATH, "web.log", "absolute path");
        expect_bad(ANN_LOG_PATH, "var/log/web.log", "absolute path");
        expect_bad(ANN_LOG_PATH, "", "absolute path");
        expect_bad(ANN_LOG_PATH, "/a/../b", "absolute path");
        expect_bad(ANN_LOG_PATH, "/a//b", "absolute path");
        expect_bad(ANN_LOG_PATH, "/a/./b", "absolute path");
        expect_bad(ANN_LOG_PATH, "/a/b/..", "absolute path");
        expect_bad(ANN_LOG_PATH, "/a/b/.", "absolute path");
        expect_bad(ANN_LOG_PATH, "/var/log/", "absolute path");
        expect_bad(ANN_LOG_PATH, "/", "absolute path");

        expect_bad(ANN_LOG_LINE_MAX, "127", NULL);
        expect_bad(ANN_LOG_LINE_MAX, "17Mi", NULL);
        expect_bad(ANN_LOG_LINE_MAX, "16KB", NULL);
        expect_bad(ANN_LOG_LINE_MAX, "-1", NULL);

        expect_bad(ANN_LOG_PARTIAL_TIMEOUT, "soon", NULL);
        expect_bad(ANN_LOG_PARTIAL_TIMEOUT, "2h", NULL);
        expect_bad(ANN_LOG_PARTIAL_TIMEOUT, "61m", NULL);
        expect_bad(ANN_LOG_PARTIAL_TIMEOUT, "-1", NULL);

        expect_bad(ANN_LOG_MAX_SIZE, "100", "too small");
        expect_bad(ANN_LOG_MAX_SIZE, "4095", "too small");
        expect_bad(ANN_LOG_MAX_SIZE, "10MB", NULL);
        expect_bad(ANN_LOG_MAX_SIZE, "1.5M", NULL);

        expect_bad(ANN_LOG_MAX_FILES, "0", NULL);
        expect_bad(ANN_LOG_MAX_FILES, "1001", NULL);
        expect_bad(ANN_LOG_MAX_FILES, "five", NULL);

        expect_bad(ANN_LOG_BUFFER, "2Gi", NULL);
        expect_bad(ANN_LOG_BUFFER, "lots", NULL);

        expect_bad(ANN_LOG_POLICY, "maybe", "block or drop");
        expect_bad(ANN_LOG_POLICY, "Block", "block or drop");
        expect_bad(ANN_LOG_POLICY, "", "block or drop");

        expect_bad(ANN_LOG_RATE, "x/s", "lines per second");
        expect_bad(ANN_LOG_RATE, "/s", "lines per second");
        expect_bad(ANN_LOG_RATE, "10/m", "lines per second");
        expect_bad(ANN_LOG_RATE, "-1/s", "lines per second");
        expect_bad(ANN_LOG_RATE, "", "lines per second");

        expect_bad(ANN_LOG_BURST, "0", NULL);
        expect_bad(ANN_LOG_BURST, "many", NULL);
}

TEST(manifest_log_same_path_for_two_apps_refused)
{
        const char *two =
                "{\"acKind\":\"PodManifest\",\"apps\":["
                "{\"name\":\"a\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"},"
                "\"annotations\":[{\"name\":\"podinit.io/log-path\",\"value\":\"/var/log/x.log\"}]},"
                "{\"name\":\"b\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"},"
                "\"annotations\":[{\"name\":\"podinit.io/log-path\",\"value\":\"/var/log/y.log\"}]},"
                "{\"name\":\"c\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"},"
                "\"annotations\":[{\"name\":\"podinit.io/log-path\",\"value\":\"/var/log/x.log\"}]}]}";
        const char *distinct =
                "{\"acKind\":\"PodManifest\",\"apps\":["
                "{\"name\":\"a\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"},"
                "\"annotations\":[{\"name\":\"podinit.io/log-path\",\"value\":\"/var/log/x.log\"}]},"
                "{\"name\":\"b\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"}},"
                "{\"name\":\"c\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"}}]}";
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };

        ASSERT_EQ(-EINVAL, pod_manifest_parse(two, strlen(two), &m, &err));
        ASSERT(m == NULL);
        ASSERT_CONTAINS(err.msg, "apps[2]");
        ASSERT_CONTAINS(err.msg, "\"a\" and \"c\"");
        ASSERT_CONTAINS(err.msg, "/var/log/x.log");

        /* Apps without a path use their own default file: no conflict. */
        memset(&err, 0, sizeof(err));
        ASSERT_EQ(0, pod_manifest_parse(distinct, strlen(distinct), &m, &err));
        ASSERT_STREQ("/var/log/x.log", m->apps[0].log.path);
        ASSERT(m->apps[1].log.path == NULL && m->apps[2].log.path == NULL);
        pod_manifest_free(m);
}
