/* Unit tests for common/manifest.c: pod and image manifests, ACNames. */
#include "test.h"
#include "common/manifest.h"
#include "common/util.h"

#include <signal.h>

static const char full_pod[] =
        "{\n"
        "  \"acVersion\": \"0.8.11\",\n"
        "  \"acKind\": \"PodManifest\",\n"
        "  \"apps\": [\n"
        "    {\n"
        "      \"name\": \"web\",\n"
        "      \"image\": {\"name\": \"example.com/nginx\", \"id\": \"sha512-0123\"},\n"
        "      \"app\": {\n"
        "        \"exec\": [\"/usr/sbin/nginx\", \"-g\", \"daemon off;\"],\n"
        "        \"user\": \"www\",\n"
        "        \"group\": \"33\",\n"
        "        \"supplementaryGIDs\": [4, 27, 4294967294],\n"
        "        \"workingDirectory\": \"/srv/www\",\n"
        "        \"environment\": [\n"
        "          {\"name\": \"PATH\", \"value\": \"/usr/bin:/bin\"},\n"
        "          {\"name\": \"EMPTY\", \"value\": \"\"},\n"
        "          {\"name\": \"NOVALUE\"}\n"
        "        ],\n"
        "        \"isolators\": [{\"name\": \"os/linux/no-new-privileges\", \"value\": true}]\n"
        "      },\n"
        "      \"annotations\": [{\"name\": \"app-note\", \"value\": \"x\"}]\n"
        "    },\n"
        "    {\n"
        "      \"name\": \"worker-2\",\n"
        "      \"app\": {\"exec\": [\"/bin/worker\"], \"user\": \"0\", \"group\": \"0\"}\n"
        "    }\n"
        "  ],\n"
        "  \"volumes\": null,\n"
        "  \"annotations\": [\n"
        "    {\"name\": \"podinit.io/stop-timeout\", \"value\": \"2s\"},\n"
        "    {\"name\": \"coreos.com/rkt/stage1/mutable\", \"value\": \"true\"}\n"
        "  ]\n"
        "}\n";

static int parse_pod(const char *json, struct pod_manifest **m, struct pod_err *err)
{
        memset(err, 0, sizeof(*err));
        *m = NULL;
        return pod_manifest_parse(json, strlen(json), m, err);
}

/* The manifest must be refused with -EINVAL (unless code says otherwise) and
 * a message containing want. */
static void expect_pod_error(const char *json, int code, const char *want)
{
        struct pod_manifest *m = NULL;
        struct pod_err err;
        int r = parse_pod(json, &m, &err);

        if (r >= 0)
                FAIL_AT("accepted: %s", json);
        if (r != code)
                FAIL_AT("%s: returned %d, expected %d (%s)", json, r, code, err.msg);
        if (err.code != r)
                FAIL_AT("err.code %d != %d", err.code, r);
        if (!strstr(err.msg, want))
                FAIL_AT("%s: error \"%s\" should contain \"%s\"", json, err.msg, want);
        ASSERT(m == NULL);
}

#define POD(apps) "{\"acKind\":\"PodManifest\",\"acVersion\":\"0.8.11\",\"apps\":" apps "}"
#define APP(name, body) "{\"name\":\"" name "\",\"app\":{" body "}}"
#define EXEC "\"exec\":[\"/bin/x\"],\"user\":\"0\",\"group\":\"0\""

TEST(manifest_full_pod)
{
        struct pod_manifest *m;
        struct pod_err err;
        const struct pod_app *a;

        ASSERT_EQ(0, parse_pod(full_pod, &m, &err));
        ASSERT_EQ(2, m->n_apps);
        a = &m->apps[0];
        ASSERT_STREQ("web", a->name);
        ASSERT_STREQ("example.com/nginx", a->image_name);
        ASSERT(a->has_app);
        ASSERT_EQ(3, strv_length(a->app.exec));
        ASSERT_STREQ("/usr/sbin/nginx", a->app.exec[0]);
        ASSERT_STREQ("daemon off;", a->app.exec[2]);
        ASSERT(a->app.exec[3] == NULL);
        ASSERT_STREQ("www", a->app.user);
        ASSERT_STREQ("33", a->app.group);
        ASSERT_EQ(3, a->app.n_supp_gids);
        ASSERT_EQ(4, a->app.supp_gids[0]);
        ASSERT_EQ(27, a->app.supp_gids[1]);
        ASSERT_EQ(4294967294u, a->app.supp_gids[2]);
        ASSERT_STREQ("/srv/www", a->app.workdir);
        ASSERT_EQ(3, a->app.n_env);
        ASSERT_STREQ("PATH", a->app.env[0].name);
        ASSERT_STREQ("/usr/bin:/bin", kv_get(a->app.env, a->app.n_env, "PATH"));
        ASSERT_STREQ("", kv_get(a->app.env, a->app.n_env, "EMPTY"));
        ASSERT_STREQ("", kv_get(a->app.env, a->app.n_env, "NOVALUE"));
        ASSERT(kv_get(a->app.env, a->app.n_env, "path") == NULL);
        ASSERT_EQ(1, a->n_annotations);
        ASSERT_STREQ("x", kv_get(a->annotations, a->n_annotations, "app-note"));

        a = &m->apps[1];
        ASSERT_STREQ("worker-2", a->name);
        ASSERT(a->image_name == NULL);
        ASSERT(a->has_app);
        ASSERT_STREQ("/bin/worker", a->app.exec[0]);
        ASSERT(a->app.exec[1] == NULL);
        ASSERT(a->app.workdir == NULL);
        ASSERT_EQ(0, a->app.n_env);
        ASSERT_EQ(0, a->app.n_supp_gids);

        ASSERT_EQ(2, m->n_annotations);
        ASSERT_EQ(2000, m->stop_timeout_ms);
        ASSERT(m->mutable_pod);
        pod_manifest_free(m);
}

TEST(manifest_defaults)
{
        struct pod_manifest *m;
        struct pod_err err;

        /* No apps at all is a valid (empty) pod. */
        ASSERT_EQ(0, parse_pod("{\"acKind\":\"PodManifest\"}", &m, &err));
        ASSERT_EQ(0, m->n_apps);
        ASSERT_EQ(POD_DEFAULT_STOP_TIMEOUT_MS, m->stop_timeout_ms);
        ASSERT(!m->mutable_pod);
        pod_manifest_free(m);

        /* "mutable" is true only for "true"; stop-timeout units. */
        ASSERT_EQ(0, parse_pod(POD("[]") , &m, &err));
        pod_manifest_free(m);
        ASSERT_EQ(0, parse_pod("{\"acKind\":\"PodManifest\",\"apps\":null,\"annotations\":["
                               "{\"name\":\"coreos.com/rkt/stage1/mutable\",\"value\":\"yes\"},"
                               "{\"name\":\"podinit.io/stop-timeout\",\"value\":\"500ms\"}]}",
                               &m, &err));
        ASSERT(!m->mutable_pod);
        ASSERT_EQ(500, m->stop_timeout_ms);
        pod_manifest_free(m);
        ASSERT_EQ(0, parse_pod("{\"acKind\":\"PodManifest\",\"annotations\":["
                               "{\"name\":\"podinit.io/stop-timeout\",\"value\":\"24h\"}]}", &m, &err));
        ASSERT_EQ(86400000, m->stop_timeout_ms);
        pod_manifest_free(m);
        pod_manifest_free(NULL);
}

static const char image_with_app[] =
        "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/busybox\","
        "\"labels\":[{\"name\":\"os\",\"value\":\"linux\"}],"
        "\"app\":{\"exec\":[\"/bin/sh\",\"-c\",\"echo hi\"],\"user\":\"1000\",\"group\":\"1000\","
        "\"workingDirectory\":\"/tmp\",\"supplementaryGIDs\":[10],"
        "\"environment\":[{\"name\":\"FOO\",\"value\":\"bar\"}]},"
        "\"annotations\":[{\"name\":\"authors\",\"value\":\"me\"}]}";

TEST(manifest_app_from_image)
{
        struct pod_manifest *m;
        struct image_manifest *im = NULL;
        struct pod_err err;
        struct pod_app *a;

        ASSERT_EQ(0, parse_pod(POD("[{\"name\":\"bb\",\"image\":{\"name\":\"example.com/busybox\"}}]"), &m, &err));
        a = &m->apps[0];
        ASSERT(!a->has_app);
        ASSERT(a->app.exec == NULL);

        ASSERT_EQ(0, image_manifest_parse(image_with_app, strlen(image_with_app), &im, &err));
        ASSERT_STREQ("example.com/busybox", im->name);
        ASSERT(im->has_app);
        ASSERT_STREQ("me", kv_get(im->annotations, im->n_annotations, "authors"));

        ASSERT_EQ(0, pod_app_take_image_app(a, im, &err));
        ASSERT(a->has_app);
        ASSERT_EQ(3, strv_length(a->app.exec));
        ASSERT_STREQ("echo hi", a->app.exec[2]);
        ASSERT(a->app.exec != im->app.exec);
        ASSERT_STREQ("1000", a->app.user);
        ASSERT_STREQ("1000", a->app.group);
        ASSERT_STREQ("/tmp", a->app.workdir);
        ASSERT_EQ(1, a->app.n_supp_gids);
        ASSERT_EQ(10, a->app.supp_gids[0]);
        ASSERT_STREQ("bar", kv_get(a->app.env, a->app.n_env, "FOO"));
        /* A deep copy: the pod outlives the image manifest. */
        image_manifest_free(im);
        ASSERT_STREQ("/bin/sh", a->app.exec[0]);
        ASSERT_STREQ("bar", a->app.env[0].value);
        pod_manifest_free(m);
}

TEST(manifest_pod_app_wins_over_image)
{
        struct pod_manifest *m;
        struct image_manifest *im;
        struct pod_err err;

        ASSERT_EQ(0, parse_pod(POD("[" APP("a", EXEC) "]"), &m, &err));
        ASSERT_EQ(0, image_manifest_parse(image_with_app, strlen(image_with_app), &im, &err));
        ASSERT_EQ(0, pod_app_take_image_app(&m->apps[0], im, &err));
        ASSERT_STREQ("/bin/x", m->apps[0].app.exec[0]);
        ASSERT_EQ(1, strv_length(m->apps[0].app.exec));
        ASSERT(m->apps[0].app.workdir == NULL);
        image_manifest_free(im);
        pod_manifest_free(m);
}

/* rkt: an image that supports sd_notify makes the app notify-ready and gates the pod's readiness,
 * unless the app chose its readiness itself. */
TEST(manifest_image_sd_notify)
{
        static const char img[] = "{\"acKind\":\"ImageManifest\",\"name\":\"example.com/n\",\"annotations\":"
                                  "[{\"name\":\"appc.io/executor/supports-systemd-notify\",\"value\":\"true\"}]}";
        static const char no[] = "{\"acKind\":\"ImageManifest\",\"name\":\"example.com/n\",\"annotations\":"
                                 "[{\"name\":\"appc.io/executor/supports-systemd-notify\",\"value\":\"false\"}]}";
        struct pod_manifest *m;
        struct image_manifest *im, *imno;
        struct pod_err err;

        ASSERT_EQ(0, parse_pod(POD("[" APP("a", EXEC) ",{\"name\":\"b\",\"app\":{" EXEC "},\"annotations\":"
                                   "[{\"name\":\"podinit.io/ready\",\"value\":\"exec\"}]}," APP("c", EXEC) "]"),
                               &m, &err));
        ASSERT_EQ(0, image_manifest_parse(img, strlen(img), &im, &err));
        ASSERT_EQ(0, image_manifest_parse(no, strlen(no), &imno, &err));
        ASSERT_EQ(0, pod_app_take_image_app(&m->apps[0], im, &err));
        ASSERT_EQ(READY_NOTIFY, m->apps[0].pol.ready);
        ASSERT(m->apps[0].pol.pod_waits);
        ASSERT_EQ(0, pod_app_take_image_app(&m->apps[1], im, &err));
        ASSERT_EQ(READY_EXEC, m->apps[1].pol.ready);
        ASSERT(!m->apps[1].pol.pod_waits);
        ASSERT_EQ(0, pod_app_take_image_app(&m->apps[2], imno, &err));
        ASSERT_EQ(READY_EXEC, m->apps[2].pol.ready);
        ASSERT(!m->apps[2].pol.pod_waits);
        image_manifest_free(im);
        image_manifest_free(imno);
        pod_manifest_free(m);
}

TEST(manifest_event_handlers)
{
        struct pod_manifest *m;
        struct pod_err err;

        ASSERT_EQ(0, parse_pod(POD("[" APP("a", EXEC ",\"eventHandlers\":[{\"name\":\"pre-start\",\"exec\":[\"/bin/init\",\"x\"]},"
                                                  "{\"name\":\"post-stop\",\"exec\":[\"/bin/clean\"]}]") "]"),
                               &m, &err));
        ASSERT_EQ(2, strv_length(m->apps[0].app.pre_start));
        ASSERT_STREQ("/bin/init", m->apps[0].app.pre_start[0]);
        ASSERT_STREQ("/bin/clean", m->apps[0].app.post_stop[0]);
        pod_manifest_free(m);

        ASSERT_EQ(-EINVAL, parse_pod(POD("[" APP("a", EXEC ",\"eventHandlers\":[{\"name\":\"pre-boot\",\"exec\":[\"/x\"]}]") "]"),
                                     &m, &err));
        ASSERT_CONTAINS(err.msg, "\"pre-boot\" is not pre-start or post-stop");
        ASSERT_EQ(-EINVAL, parse_pod(POD("[" APP("a", EXEC ",\"eventHandlers\":[{\"name\":\"pre-start\",\"exec\":[\"/x\"]},"
                                                    "{\"name\":\"pre-start\",\"exec\":[\"/y\"]}]") "]"),
                                     &m, &err));
        ASSERT_CONTAINS(err.msg, "more than one pre-start handler");
        ASSERT_EQ(-EINVAL, parse_pod(POD("[" APP("a", EXEC ",\"eventHandlers\":[{\"name\":\"pre-start\"}]") "]"), &m, &err));
        ASSERT_CONTAINS(err.msg, "eventHandlers[0].exec: missing");
        ASSERT_EQ(-EINVAL, parse_pod(POD("[" APP("a", EXEC ",\"eventHandlers\":[{\"name\":\"pre-start\",\"exec\":[]}]") "]"),
                                     &m, &err));
        ASSERT_CONTAINS(err.msg, "eventHandlers[0].exec: empty");
        ASSERT_EQ(-EINVAL, parse_pod(POD("[" APP("a", EXEC ",\"eventHandlers\":{}") "]"), &m, &err));
        ASSERT_CONTAINS(err.msg, "eventHandlers: expected a list");
}

TEST(manifest_image_without_app)
{
        static const char img[] = "{\"acKind\":\"ImageManifest\",\"name\":\"example.com/noapp\"}";
        struct pod_manifest *m;
        struct image_manifest *im;
        struct pod_err err;

        ASSERT_EQ(0, parse_pod(POD("[{\"name\":\"na\"}]"), &m, &err));
        ASSERT_EQ(0, image_manifest_parse(img, strlen(img), &im, &err));
        ASSERT(!im->has_app);
        ASSERT_EQ(-EINVAL, pod_app_take_image_app(&m->apps[0], im, &err));
        ASSERT_CONTAINS(err.msg, "app \"na\"");
        ASSERT_CONTAINS(err.msg, "example.com/noapp");
        ASSERT_CONTAINS(err.msg, "has no \"app\" section");
        ASSERT(!m->apps[0].has_app);
        ASSERT_EQ(-EINVAL, pod_app_take_image_app(&m->apps[0], NULL, &err));
        ASSERT_CONTAINS(err.msg, "(unknown)");
        image_manifest_free(im);
        pod_manifest_free(m);
}

TEST(manifest_image_manifest_errors)
{
        static const struct {
                const char *json, *want;
        } bad[] = {
                { "{\"acKind\":\"PodManifest\",\"name\":\"x\"}", "image manifest: acKind: is \"PodManifest\", expected \"ImageManifest\"" },
                { "{\"acKind\":\"ImageManifest\"}", "image manifest.name: required" },
                { "{\"acKind\":\"ImageManifest\",\"name\":7}", "image manifest.name: expected a string, got an integer" },
                { "{\"acKind\":\"ImageManifest\",\"name\":\"x\",\"app\":{\"exec\":[\"/x\"]}}", "image manifest: app.user: required" },
                { "{\"acKind\":\"ImageManifest\",\"name\":\"x\",\"app\":[]}", "image manifest: app: expected an object, got a list" },
                { "[]", "image manifest: expected a JSON object, got a list" },
                { "{", "image manifest: invalid JSON" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct image_manifest *im = NULL;
                struct pod_err err = { 0 };
                int r = image_manifest_parse(bad[i].json, strlen(bad[i].json), &im, &err);
                if (r != -EINVAL || !strstr(err.msg, bad[i].want))
                        FAIL_AT("%s: %d \"%s\", expected \"%s\"", bad[i].json, r, err.msg, bad[i].want);
                ASSERT(im == NULL);
        }
}

TEST(manifest_invalid_json)
{
        expect_pod_error("{\n  \"acKind\": \"PodManifest\",\n  \"apps\": [\n}", -EINVAL, "invalid JSON at line 4");
        expect_pod_error("", -EINVAL, "manifest: invalid JSON");
        expect_pod_error("{\"acKind\":\"PodManifest\"} trailing", -EINVAL, "invalid JSON");
}

TEST(manifest_top_level_not_object)
{
        expect_pod_error("[]", -EINVAL, "manifest: expected a JSON object, got a list");
        expect_pod_error("[{\"acKind\":\"PodManifest\"}]", -EINVAL, "expected a JSON object, got a list");
        /* Scalars are not even accepted as JSON documents by the decoder. */
        expect_pod_error("\"PodManifest\"", -EINVAL, "manifest: invalid JSON at line 1");
        expect_pod_error("null", -EINVAL, "manifest: invalid JSON");
}

TEST(manifest_wrong_ackind)
{
        expect_pod_error("{\"acKind\":\"ImageManifest\"}", -EINVAL,
                         "manifest: acKind: is \"ImageManifest\", expected \"PodManifest\"");
        expect_pod_error("{\"apps\":[]}", -EINVAL, "manifest: acKind: required, expected \"PodManifest\"");
        expect_pod_error("{\"acKind\":1}", -EINVAL, "acKind: required");
}

TEST(manifest_apps_shape)
{
        expect_pod_error(POD("{}"), -EINVAL, "manifest: apps: expected a list, got an object");
        expect_pod_error(POD("\"web\""), -EINVAL, "manifest: apps: expected a list, got a string");
        expect_pod_error(POD("[\"web\"]"), -EINVAL, "manifest: apps[0]: expected an object, got a string");
        expect_pod_error(POD("[" APP("ok", EXEC) ",7]"), -EINVAL, "manifest: apps[1]: expected an object, got an integer");
        expect_pod_error(POD("[{\"name\":\"a\",\"app\":[]}]"), -EINVAL, "manifest: apps[0].app: expected an object, got a list");
        expect_pod_error(POD("[{\"name\":\"a\",\"image\":\"img\"}]"), -EINVAL, "manifest: apps[0].image: expected an object, got a string");
}

TEST(manifest_app_names)
{
        expect_pod_error(POD("[{\"app\":{" EXEC "}}]"), -EINVAL, "manifest: apps[0].name: required");
        expect_pod_error(POD("[{\"name\":null}]"), -EINVAL, "manifest: apps[0].name: required");
        expect_pod_error(POD("[{\"name\":5}]"), -EINVAL, "manifest: apps[0].name: expected a string, got an integer");
        expect_pod_error(POD("[" APP("Web_1", EXEC) "]"), -EINVAL,
                         "manifest: apps[0].name: \"Web_1\" is not a valid app name");
        expect_pod_error(POD("[" APP("", EXEC) "]"), -EINVAL, "\"\" is not a valid app name");
        expect_pod_error(POD("[" APP("web", EXEC) "," APP("db", EXEC) "," APP("web", EXEC) "]"), -EINVAL,
                         "manifest: apps[2].name: app name \"web\" is used twice");
}

TEST(manifest_exec_errors)
{
        expect_pod_error(POD("[" APP("a", "\"exec\":\"/bin/sh\",\"user\":\"0\",\"group\":\"0\"") "]"), -EINVAL,
                         "manifest: apps[0].app.exec: expected a list of strings");
        expect_pod_error(POD("[" APP("a", "\"exec\":[],\"user\":\"0\",\"group\":\"0\"") "]"), -EINVAL,
                         "manifest: apps[0].app.exec: empty");
        expect_pod_error(POD("[" APP("a", "\"exec\":[\"/bin/sh\",5],\"user\":\"0\",\"group\":\"0\"") "]"), -EINVAL,
                         "manifest: apps[0].app.exec: expected a list of strings, item 1 is an integer");
        expect_pod_error(POD("[" APP("a", "\"exec\":[\"\"],\"user\":\"0\",\"group\":\"0\"") "]"), -EINVAL,
                         "manifest: apps[0].app.exec[0]: empty program name");
        /* An app section must say what to run. */
        expect_pod_error(POD("[" APP("a", "\"user\":\"0\",\"group\":\"0\"") "]"), -EINVAL,
                         "manifest: apps[0].app.exec: required");
}

TEST(manifest_user_group_workdir)
{
        expect_pod_error(POD("[" APP("a", "\"exec\":[\"/x\"],\"group\":\"0\"") "]"), -EINVAL,
                         "manifest: apps[0].app.user: required");
        expect_pod_error(POD("[" APP("a", "\"exec\":[\"/x\"],\"user\":\"0\"") "]"), -EINVAL,
                         "manifest: apps[0].app.group: required");
        expect_pod_error(POD("[" APP("a", "\"exec\":[\"/x\"],\"user\":\"\",\"group\":\"0\"") "]"), -EINVAL,
                         "manifest: apps[0].app.user: empty");
        expect_pod_error(POD("[" APP("a", "\"exec\":[\"/x\"],\"user\":0,\"group\":\"0\"") "]"), -EINVAL,
                         "manifest: apps[0].app.user: expected a string, got an integer");
        expect_pod_error(POD("[" APP("a", EXEC ",\"workingDirectory\":\"srv/www\"") "]"), -EINVAL,
                         "manifest: apps[0].app.workingDirectory: \"srv/www\" is not an absolute path");
}

TEST(manifest_environment_errors)
{
        expect_pod_error(POD("[" APP("a", EXEC ",\"environment\":[{\"name\":\"1X\",\"value\":\"v\"}]") "]"), -EINVAL,
                         "manifest: apps[0].app.environment[0].name: \"1X\" is not a valid environment variable name");
        expect_pod_error(POD("[" APP("a", EXEC ",\"environment\":[{\"name\":\"A\",\"value\":\"1\"},"
                                          "{\"name\":\"B\",\"value\":\"2\"},{\"name\":\"A\",\"value\":\"3\"}]") "]"),
                         -EINVAL, "manifest: apps[0].app.environment[2].name: \"A\" appears twice");
        expect_pod_error(POD("[" APP("a", EXEC ",\"environment\":{\"A\":\"1\"}") "]"), -EINVAL,
                         "manifest: apps[0].app.environment: expected a list of {\"name\",\"value\"} objects, got an object");
        expect_pod_error(POD("[" APP("a", EXEC ",\"environment\":[\"A=1\"]") "]"), -EINVAL,
                         "manifest: apps[0].app.environment[0]: expected an object, got a string");
        expect_pod_error(POD("[" APP("a", EXEC ",\"environment\":[{\"value\":\"1\"}]") "]"), -EINVAL,
                         "manifest: apps[0].app.environment[0].name: required");
        /* Annotations need a value; env values may be absent. */
        expect_pod_error("{\"acKind\":\"PodManifest\",\"annotations\":[{\"name\":\"n\"}]}", -EINVAL,
                         "manifest.annotations[0].value: required");
        expect_pod_error("{\"acKind\":\"PodManifest\",\"annotations\":[{\"name\":\"n\",\"value\":\"1\"},"
                         "{\"name\":\"n\",\"value\":\"2\"}]}", -EINVAL, "\"n\" appears twice");
}

TEST(manifest_duplicate_json_keys_rejected)
{
        expect_pod_error("{\"acKind\":\"PodManifest\",\"acKind\":\"PodManifest\"}", -EINVAL, "invalid JSON");
        /* Nested duplicates too: the second "user" would silently win otherwise. */
        expect_pod_error(POD("[" APP("a", EXEC ",\"user\":\"1000\"") "]"), -EINVAL, "duplicate object key");
}

/* The decoder refuses \u0000 outright, wherever the string is. */
TEST(manifest_nul_byte_in_strings)
{
        expect_pod_error(POD("[{\"name\":\"a\\u0000b\"}]"), -EINVAL, "manifest: invalid JSON at line 1");
        expect_pod_error(POD("[{\"name\":\"a\\u0000b\"}]"), -EINVAL, "\\u0000 is not allowed");
        expect_pod_error(POD("[" APP("a", "\"exec\":[\"/bin/a\\u0000b\"],\"user\":\"0\",\"group\":\"0\"") "]"), -EINVAL,
                         "\\u0000 is not allowed");
        expect_pod_error(POD("[" APP("a", EXEC ",\"environment\":[{\"name\":\"A\",\"value\":\"x\\u0000y\"}]") "]"),
                         -EINVAL, "\\u0000 is not allowed");
        expect_pod_error("{\"acKind\":\"PodManifest\",\"annotations\":[{\"name\":\"podinit.io/stop-timeout\","
                         "\"value\":\"1s\\u0000junk\"}]}", -EINVAL, "\\u0000 is not allowed");
}

TEST(manifest_supplementary_gids)
{
        expect_pod_error(POD("[" APP("a", EXEC ",\"supplementaryGIDs\":[1,-1]") "]"), -EINVAL,
                         "manifest: apps[0].app.supplementaryGIDs[1]: expected a group id");
        expect_pod_error(POD("[" APP("a", EXEC ",\"supplementaryGIDs\":[\"10\"]") "]"), -EINVAL,
                         "manifest: apps[0].app.supplementaryGIDs[0]: expected a group id");
        expect_pod_error(POD("[" APP("a", EXEC ",\"supplementaryGIDs\":[1.5]") "]"), -EINVAL,
                         "supplementaryGIDs[0]: expected a group id");
        expect_pod_error(POD("[" APP("a", EXEC ",\"supplementaryGIDs\":[4294967295]") "]"), -EINVAL,
                         "supplementaryGIDs[0]: expected a group id (0-4294967294)");
        expect_pod_error(POD("[" APP("a", EXEC ",\"supplementaryGIDs\":10") "]"), -EINVAL,
                         "manifest: apps[0].app.supplementaryGIDs: expected a list of integers, got an integer");
}

static char *many_apps(size_t n)
{
        size_t cap = 64 + n * 80, len;
        char *s = xmalloc(cap);

        len = (size_t)snprintf(s, cap, "{\"acKind\":\"PodManifest\",\"apps\":[");
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(s + len, cap - len, "%s{\"name\":\"app-%zu\",\"app\":{" EXEC "}}",
                                        i ? "," : "", i);
        snprintf(s + len, cap - len, "]}");
        return s;
}

TEST(manifest_app_count_limit)
{
        struct pod_manifest *m;
        struct pod_err err;
        char *s = many_apps(POD_MAX_APPS);

        ASSERT_EQ(0, parse_pod(s, &m, &err));
        ASSERT_EQ(POD_MAX_APPS, m->n_apps);
        ASSERT_STREQ("app-999", m->apps[POD_MAX_APPS - 1].name);
        pod_manifest_free(m);
        free(s);

        s = many_apps(POD_MAX_APPS + 1);
        expect_pod_error(s, -E2BIG, "1001 apps, at most 1000 allowed");
        free(s);
}

TEST(manifest_size_limit)
{
        size_t n = POD_MANIFEST_MAX_BYTES + 1;
        char *s = xmalloc(n + 1);
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };
        char limit[32];

        /* Valid JSON padded with whitespace to one byte past the limit. */
        memset(s, ' ', n);
        memcpy(s, "{\"acKind\":\"PodManifest\"}", 24);
        s[n] = '\0';
        ASSERT_EQ(-EFBIG, pod_manifest_parse(s, n, &m, &err));
        snprintf(limit, sizeof(limit), "%u-byte limit", POD_MANIFEST_MAX_BYTES);
        ASSERT_CONTAINS(err.msg, limit);
        ASSERT_CONTAINS(err.msg, "1048577 bytes");
        ASSERT(m == NULL);
        /* Exactly at the limit is fine. */
        ASSERT_EQ(0, pod_manifest_parse(s, n - 1, &m, &err));
        pod_manifest_free(m);
        free(s);
}

TEST(manifest_bad_stop_timeout)
{
        static const char *const bad[] = { "forever", "-1s", "25h", "", "1.5s", "86400001ms" };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                char json[256], want[128];
                snprintf(json, sizeof(json), "{\"acKind\":\"PodManifest\",\"annotations\":"
                         "[{\"name\":\"podinit.io/stop-timeout\",\"value\":\"%s\"}]}", bad[i]);
                snprintf(want, sizeof(want), "podinit.io/stop-timeout: \"%s\" is not a duration up to 24h", bad[i]);
                expect_pod_error(json, -EINVAL, want);
        }
}

TEST(manifest_acname_valid_table)
{
        static const char *const good[] = { "a", "a-b", "web1", "0", "web-server-2", "1-2-3" };
        static const char *const bad[] = { "", "-a", "a-", "a--b", "A", "a_b", "a.b", "a b", "é", "a/b" };
        char longname[300];

        for (size_t i = 0; i < ARRAY_SIZE(good); i++)
                if (!acname_valid(good[i]))
                        FAIL_AT("\"%s\" should be a valid ACName", good[i]);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                if (acname_valid(bad[i]))
                        FAIL_AT("\"%s\" should not be a valid ACName", bad[i]);
        ASSERT(!acname_valid(NULL));
        memset(longname, 'a', sizeof(longname));
        longname[253] = '\0';
        ASSERT(acname_valid(longname));
        longname[253] = 'a';
        longname[254] = '\0';
        ASSERT(!acname_valid(longname));
}

TEST(manifest_env_name_valid_table)
{
        static const char *const good[] = { "A", "_", "PATH", "a_b", "X1", "my.var", "my-var", "_9" };
        static const char *const bad[] = { "", "1X", "-A", ".A", "A B", "A=B", "A$", "ÄB" };

        for (size_t i = 0; i < ARRAY_SIZE(good); i++)
                if (!env_name_valid(good[i]))
                        FAIL_AT("\"%s\" should be a valid environment name", good[i]);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                if (env_name_valid(bad[i]))
                        FAIL_AT("\"%s\" should not be a valid environment name", bad[i]);
        ASSERT(!env_name_valid(NULL));
}

TEST(manifest_acname_from_image_name)
{
        static const char *const cases[][2] = {
                { "example.com/busy_Box", "busy-box" },
                { "x/---", "app" },
                { "Web.Server-2", "web-server-2" },
                { "example.com/org/nginx", "nginx" },
                { "__lead__trail__", "lead-trail" },
                { "", "app" },
                { "a/", "app" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *n = acname_from_image_name(cases[i][0]);
                ASSERT_STREQ(cases[i][1], n);
                ASSERT(acname_valid(n));
                free(n);
        }
}

static const char *io_manifest(const char *annotations)
{
        static char buf[1024];
        snprintf(buf, sizeof(buf),
                 "{\"acKind\":\"PodManifest\",\"apps\":[{\"name\":\"a\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"},"
                 "\"annotations\":[%s]}]}", annotations);
        return buf;
}

TEST(manifest_io_defaults_and_modes)
{
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };
        const char *d = io_manifest("");

        ASSERT_EQ(0, pod_manifest_parse(d, strlen(d), &m, &err));
        ASSERT_EQ(IO_NULL, m->apps[0].io[IO_STDIN]);
        ASSERT_EQ(IO_LOG, m->apps[0].io[IO_STDOUT]);
        ASSERT_EQ(IO_LOG, m->apps[0].io[IO_STDERR]);
        ASSERT_EQ(24, m->apps[0].tty_rows);
        ASSERT_EQ(80, m->apps[0].tty_cols);
        ASSERT_EQ(POD_DEFAULT_SCROLLBACK, m->apps[0].scrollback);
        pod_manifest_free(m);

        d = io_manifest("{\"name\":\"coreos.com/rkt/stage2/stdin\",\"value\":\"tty\"},"
                        "{\"name\":\"coreos.com/rkt/stage2/stdout\",\"value\":\"tty\"},"
                        "{\"name\":\"coreos.com/rkt/stage2/stderr\",\"value\":\"log\"},"
                        "{\"name\":\"podinit.io/tty-size\",\"value\":\"50x132\"},"
                        "{\"name\":\"podinit.io/scrollback-bytes\",\"value\":\"0\"},"
                        "{\"name\":\"podinit.io/log-attached\",\"value\":\"true\"}");
        ASSERT_EQ(0, pod_manifest_parse(d, strlen(d), &m, &err));
        ASSERT_EQ(IO_TTY, m->apps[0].io[IO_STDIN]);
        ASSERT_EQ(IO_LOG, m->apps[0].io[IO_STDERR]);
        ASSERT_EQ(50, m->apps[0].tty_rows);
        ASSERT_EQ(132, m->apps[0].tty_cols);
        ASSERT_EQ(0, m->apps[0].scrollback);
        ASSERT(m->apps[0].log_attached);
        pod_manifest_free(m);
}

TEST(manifest_io_bad_combinations_are_errors)
{
        static const struct { const char *ann, *msg; } cases[] = {
                { "{\"name\":\"coreos.com/rkt/stage2/stdin\",\"value\":\"log\"}", "is not a mode for stdin" },
                { "{\"name\":\"coreos.com/rkt/stage2/stdout\",\"value\":\"file\"}", "is not a mode for stdout" },
                { "{\"name\":\"coreos.com/rkt/stage2/stdin\",\"value\":\"tty\"},"
                  "{\"name\":\"coreos.com/rkt/stage2/stdout\",\"value\":\"stream\"}", "cannot be mixed" },
                { "{\"name\":\"coreos.com/rkt/stage2/stdin\",\"value\":\"interactive\"},"
                  "{\"name\":\"coreos.com/rkt/stage2/stdout\",\"value\":\"tty\"}", "cannot be mixed" },
                { "{\"name\":\"podinit.io/tty-size\",\"value\":\"80\"}", "is not ROWSxCOLS" },
                { "{\"name\":\"podinit.io/tty-size\",\"value\":\"0x80\"}", "is not ROWSxCOLS" },
                { "{\"name\":\"podinit.io/tty-size\",\"value\":\"24x80x1\"}", "is not ROWSxCOLS" },
                { "{\"name\":\"podinit.io/scrollback-bytes\",\"value\":\"-1\"}", "is not a byte count" },
                { "{\"name\":\"podinit.io/scrollback-bytes\",\"value\":\"999999999999\"}", "is not a byte count" },
                { "{\"name\":\"podinit.io/log-attached\",\"value\":\"yes\"}", "is not true or false" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct pod_manifest *m = NULL;
                struct pod_err err = { 0 };
                const char *d = io_manifest(cases[i].ann);
                if (pod_manifest_parse(d, strlen(d), &m, &err) == 0)
                        FAIL_AT("accepted: %s", cases[i].ann);
                ASSERT_CONTAINS(err.msg, cases[i].msg);
                ASSERT_CONTAINS(err.msg, "apps[0]");
        }
}

TEST(manifest_io_two_interactive_apps_refused)
{
        const char *d =
                "{\"acKind\":\"PodManifest\",\"apps\":["
                "{\"name\":\"a\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"},"
                "\"annotations\":[{\"name\":\"coreos.com/rkt/stage2/stdin\",\"value\":\"interactive\"}]},"
                "{\"name\":\"b\",\"app\":{\"exec\":[\"/x\"],\"user\":\"0\",\"group\":\"0\"},"
                "\"annotations\":[{\"name\":\"coreos.com/rkt/stage2/stdout\",\"value\":\"interactive\"}]}]}";
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };

        ASSERT(pod_manifest_parse(d, strlen(d), &m, &err) < 0);
        ASSERT_CONTAINS(err.msg, "at most one interactive app");
}

/* A pod whose one app has podinit.io/stop-signal=value. */
static int parse_stop_signal(const char *value, struct pod_manifest **m, struct pod_err *err)
{
        char json[512];

        snprintf(json, sizeof(json), POD("[{\"name\":\"a\",\"app\":{" EXEC "},\"annotations\":"
                                         "[{\"name\":\"podinit.io/stop-signal\",\"value\":\"%s\"}]}]"), value);
        return parse_pod(json, m, err);
}

TEST(manifest_stop_signal)
{
        static const struct { const char *value; int sig; } good[] = {
                { "SIGQUIT", SIGQUIT }, { "QUIT", SIGQUIT }, { "3", SIGQUIT }, { "SIGINT", SIGINT },
                { "TERM", SIGTERM }, { "SIGUSR1", SIGUSR1 }, { "1", 1 }, { "64", 64 },
        };
        static const struct { const char *value, *msg; } bad[] = {
                { "SIGNOPE", "\"SIGNOPE\" is not a signal" }, { "quit", "is not a signal" }, { "0", "is not a signal" },
                { "65", "is not a signal" }, { "", "is not a signal" }, { "SIG", "is not a signal" },
                { " 3", "is not a signal" }, { "SIGKILL", "\"SIGKILL\" cannot be a stop signal" },
                { "KILL", "cannot be a stop signal" }, { "9", "cannot be a stop signal" },
                { "SIGSTOP", "SIGSTOP only pauses it" }, { "19", "cannot be a stop signal" },
        };
        struct pod_manifest *m;
        struct pod_err err;

        /* The default: SIGTERM, as rkt's stage1 sends. */
        ASSERT_EQ(0, parse_pod(POD("[" APP("a", EXEC) "]"), &m, &err));
        ASSERT_EQ(SIGTERM, m->apps[0].pol.stop_signal);
        pod_manifest_free(m);
        for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
                if (parse_stop_signal(good[i].value, &m, &err) < 0)
                        FAIL_AT("%s refused: %s", good[i].value, err.msg);
                ASSERT_EQ(good[i].sig, m->apps[0].pol.stop_signal);
                pod_manifest_free(m);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                m = NULL;
                if (parse_stop_signal(bad[i].value, &m, &err) != -EINVAL)
                        FAIL_AT("\"%s\" not refused with -EINVAL (%s)", bad[i].value, err.msg);
                ASSERT_CONTAINS(err.msg, "manifest: apps[0].annotations: podinit.io/stop-signal: ");
                ASSERT_CONTAINS(err.msg, bad[i].msg);
                ASSERT(m == NULL);
        }
}
