#include "common/manifest.h"
#include "common/status.h"

#include <ctype.h>
#include <jansson.h>

typedef struct pod_err E;

/* jansson provides json_decrefp() for cleanup attributes. */
#define _cleanup_json_ _cleanup_(json_decrefp)

static const char *const io_mode_names[IO_MODE_COUNT] = {
        [IO_NULL] = "null", [IO_LOG] = "log", [IO_STREAM] = "stream", [IO_TTY] = "tty",
        [IO_INTERACTIVE] = "interactive",
};

const char *io_mode_name(enum io_mode m)
{
        return (unsigned)m < IO_MODE_COUNT ? io_mode_names[m] : "unknown";
}

const char *io_stream_name(enum io_stream_id s)
{
        static const char *const n[IO_STREAMS] = { "stdin", "stdout", "stderr" };
        return (unsigned)s < IO_STREAMS ? n[s] : "unknown";
}

int io_mode_parse(const char *s, enum io_stream_id stream, enum io_mode *ret)
{
        for (int m = 0; m < IO_MODE_COUNT; m++)
                if (!strcmp(s, io_mode_names[m])) {
                        if (stream == IO_STDIN && m == IO_LOG)
                                return -EINVAL;
                        *ret = (enum io_mode)m;
                        return 0;
                }
        return -EINVAL;
}

/*
 * The I/O annotations of one app, with the rules that make a combination
 * meaningful: stdin cannot be "log"; tty and interactive streams share one
 * terminal, so they cannot be mixed with each other or with "stream" (rkt's
 * reference breaks on tty+stream); "log" and "null" go with anything.
 */
static int parse_app_io(struct pod_app *a, const char *path, E *err)
{
        bool tty, inter, stream;
        const char *v;
        long n;

        a->io[IO_STDIN] = IO_NULL;
        a->io[IO_STDOUT] = a->io[IO_STDERR] = IO_LOG;
        for (int i = 0; i < IO_STREAMS; i++) {
                char name[64];
                snprintf(name, sizeof(name), ANN_IO_PREFIX "%s", io_stream_name(i));
                v = kv_get(a->annotations, a->n_annotations, name);
                if (v && io_mode_parse(v, i, &a->io[i]) < 0)
                        return pod_err_set(err, -EINVAL, "%s.annotations: %s: \"%s\" is not a mode for %s (%s)",
                                           path, name, v, io_stream_name(i),
                                           i == IO_STDIN ? "null, stream, tty or interactive"
                                                         : "null, log, stream, tty or interactive");
        }
        tty = pod_app_uses(a, IO_TTY);
        inter = pod_app_uses(a, IO_INTERACTIVE);
        stream = pod_app_uses(a, IO_STREAM);
        if ((tty && inter) || (tty && stream) || (inter && stream))
                return pod_err_set(err, -EINVAL, "%s: stdin=%s stdout=%s stderr=%s: tty, interactive and stream cannot be mixed in one app (log and null can go with any)",
                                   path, io_mode_name(a->io[0]), io_mode_name(a->io[1]), io_mode_name(a->io[2]));
        a->tty_rows = 24;
        a->tty_cols = 80;
        if ((v = kv_get(a->annotations, a->n_annotations, ANN_TTY_SIZE))) {
                unsigned r, c;
                char extra;
                if (sscanf(v, "%ux%u%c", &r, &c, &extra) != 2 || r < 1 || c < 1 || r > 65535 || c > 65535)
                        return pod_err_set(err, -EINVAL, "%s.annotations: %s: \"%s\" is not ROWSxCOLS (e.g. 24x80)",
                                           path, ANN_TTY_SIZE, v);
                a->tty_rows = (unsigned short)r;
                a->tty_cols = (unsigned short)c;
        }
        if ((v = kv_get(a->annotations, a->n_annotations, ANN_LOG_ATTACHED))) {
                if (strcmp(v, "true") && strcmp(v, "false"))
                        return pod_err_set(err, -EINVAL, "%s.annotations: %s: \"%s\" is not true or false",
                                           path, ANN_LOG_ATTACHED, v);
                a->log_attached = !strcmp(v, "true");
        }
        a->scrollback = POD_DEFAULT_SCROLLBACK;
        if ((v = kv_get(a->annotations, a->n_annotations, ANN_SCROLLBACK))) {
                if (parse_long(v, 0, POD_MAX_SCROLLBACK, &n) < 0)
                        return pod_err_set(err, -EINVAL, "%s.annotations: %s: \"%s\" is not a byte count from 0 to %u",
                                           path, ANN_SCROLLBACK, v, POD_MAX_SCROLLBACK);
                a->scrollback = (size_t)n;
        }
        return 0;
}

const char *log_policy_name(enum log_policy p)
{
        return p == LOG_DROP ? "drop" : "block";
}

bool pod_app_logs(const struct pod_app *a)
{
        if (a->io[IO_STDOUT] == IO_LOG || a->io[IO_STDERR] == IO_LOG)
                return true;
        return a->log_attached && (pod_app_uses(a, IO_STREAM) || pod_app_uses(a, IO_TTY));
}

static int ann_size(const struct kv *ann, size_t n_ann, const char *path, const char *name, uint64_t min,
                    uint64_t max, uint64_t *ret, E *err)
{
        const char *v = kv_get(ann, n_ann, name);
        uint64_t n;

        if (!v)
                return 0;
        if (parse_size(v, max, &n) < 0 || n < min)
                return pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not a size from %llu to %llu bytes (e.g. \"16Ki\", \"10Mi\")",
                                   path, name, v, (unsigned long long)min, (unsigned long long)max);
        *ret = n;
        return 0;
}

static int ann_count(const struct kv *ann, size_t n_ann, const char *path, const char *name, long min, long max,
                     uint64_t *ret, E *err)
{
        const char *v = kv_get(ann, n_ann, name);
        long n;

        if (!v)
                return 0;
        if (parse_long(v, min, max, &n) < 0)
                return pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not a number from %ld to %ld",
                                   path, name, v, min, max);
        *ret = (uint64_t)n;
        return 0;
}

/* An app's log file settings (docs/logging.md) from its annotations, with
 * their defaults.  Messages start with where ("apps[0].annotations"). */
int log_spec_parse(const struct kv *ann, size_t n_ann, const char *where, struct log_spec *l, E *err)
{
        uint64_t files = LOG_DEFAULT_MAX_FILES;
        const char *v;
        int r;

        l->line_max = LOG_DEFAULT_LINE_MAX;
        l->partial_timeout_ms = LOG_DEFAULT_PARTIAL_TIMEOUT_MS;
        l->max_size = LOG_DEFAULT_MAX_SIZE;
        l->buffer = LOG_DEFAULT_BUFFER;
        l->policy = LOG_BLOCK;
        if ((v = kv_get(ann, n_ann, ANN_LOG_PATH))) {
                const char *base = strrchr(v, '/');
                /* One spelling per file, so that the duplicate check below holds. */
                if (v[0] != '/' || !base[1] || strstr(v, "/../") || strstr(v, "/./") || strstr(v, "//") ||
                    !strcmp(base, "/..") || !strcmp(base, "/.") || strlen(v) >= 4000)
                        return pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not an absolute path to a file (e.g. /var/log/pods/web.log)",
                                           where, ANN_LOG_PATH, v);
                l->path = xstrdup(v);
        }
        if ((r = ann_size(ann, n_ann, where, ANN_LOG_LINE_MAX, 128, LOG_MAX_LINE_MAX, &l->line_max, err)) < 0 ||
            (r = ann_size(ann, n_ann, where, ANN_LOG_MAX_SIZE, 0, 1ull << 50, &l->max_size, err)) < 0 ||
            (r = ann_size(ann, n_ann, where, ANN_LOG_BUFFER, 0, LOG_MAX_BUFFER, &l->buffer, err)) < 0 ||
            (r = ann_count(ann, n_ann, where, ANN_LOG_MAX_FILES, 1, LOG_MAX_MAX_FILES, &files, err)) < 0 ||
            (r = ann_count(ann, n_ann, where, ANN_LOG_BURST, 1, 1000000000, &l->burst, err)) < 0)
                return r;
        l->max_files = (unsigned)files;
        if (l->max_size && l->max_size < 4096)
                return pod_err_set(err, -EINVAL, "%s: %s: %llu bytes is too small to hold a record; use 0 (never rotate) or at least 4096",
                                   where, ANN_LOG_MAX_SIZE, (unsigned long long)l->max_size);
        if ((v = kv_get(ann, n_ann, ANN_LOG_PARTIAL_TIMEOUT))) {
                if (parse_duration_ms(v, &l->partial_timeout_ms) < 0 || l->partial_timeout_ms > 3600ull * 1000)
                        return pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not a duration up to 1h (e.g. \"1s\", \"200ms\"; 0 to wait for the newline)",
                                           where, ANN_LOG_PARTIAL_TIMEOUT, v);
        }
        if ((v = kv_get(ann, n_ann, ANN_LOG_POLICY))) {
                if (!strcmp(v, "block"))
                        l->policy = LOG_BLOCK;
                else if (!strcmp(v, "drop"))
                        l->policy = LOG_DROP;
                else
                        return pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not block or drop",
                                           where, ANN_LOG_POLICY, v);
        }
        if ((v = kv_get(ann, n_ann, ANN_LOG_RATE))) {
                char num[32];
                long n;
                size_t len = strlen(v);
                if (len > 2 && !strcmp(v + len - 2, "/s"))
                        len -= 2;
                if (len >= sizeof(num) || (memcpy(num, v, len), num[len] = '\0', parse_long(num, 0, 1000000000, &n)) < 0)
                        return pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not a number of lines per second (e.g. \"1000/s\"; 0 for no limit)",
                                           where, ANN_LOG_RATE, v);
                l->rate = (uint64_t)n;
        }
        if (!l->burst)
                l->burst = l->rate;
        return 0;
}

static int parse_app_log(struct pod_app *a, const char *path, E *err)
{
        char where[96];

        memset(&a->log, 0, sizeof(a->log));
        snprintf(where, sizeof(where), "%s.annotations", path);
        if (rlimits_parse(a->annotations, a->n_annotations, where, &a->rlimits, err) < 0 ||
            ann_count(a->annotations, a->n_annotations, where, ANN_PIDS_MAX, 1, POD_MAX_PIDS_MAX, &a->pids_max, err) < 0 ||
            app_policy_parse(a->annotations, a->n_annotations, where, &a->pol, err) < 0)
                return -EINVAL;
        return log_spec_parse(a->annotations, a->n_annotations, where, &a->log, err);
}

bool pod_app_uses(const struct pod_app *a, enum io_mode mode)
{
        for (int i = 0; i < IO_STREAMS; i++)
                if (a->io[i] == mode)
                        return true;
        return false;
}

void app_spec_done(struct app_spec *s)
{
        strv_free(s->exec);
        strv_free(s->pre_start);
        strv_free(s->post_stop);
        free(s->user);
        free(s->group);
        free(s->supp_gids);
        free(s->workdir);
        kv_free(s->env, s->n_env);
        mount_points_free(s->mount_points, s->n_mount_points);
        memset(s, 0, sizeof(*s));
}

const char *json_type_name(const json_t *j)
{
        switch (json_typeof(j)) {
        case JSON_OBJECT: return "an object";
        case JSON_ARRAY: return "a list";
        case JSON_STRING: return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL: return "a number";
        case JSON_TRUE: case JSON_FALSE: return "a boolean";
        case JSON_NULL: return "null";
        }
        return "something else";
}

/* Optional string member; absent and null are both "not set". */
static int get_str(json_t *obj, const char *key, const char *path, bool required, char **ret, E *err)
{
        json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v)) {
                if (required)
                        return pod_err_set(err, -EINVAL, "%s.%s: required", path, key);
                *ret = NULL;
                return 0;
        }
        if (!json_is_string(v))
                return pod_err_set(err, -EINVAL, "%s.%s: expected a string, got %s", path, key,
                                   json_type_name(v));
        if (strlen(json_string_value(v)) != json_string_length(v))
                return pod_err_set(err, -EINVAL, "%s.%s: contains a NUL byte", path, key);
        *ret = xstrdup(json_string_value(v));
        return 0;
}

/* A list of {"name":..., "value":...}; names unique. */
static int parse_kv_list(json_t *obj, const char *key, const char *path, bool env,
                         struct kv **ret, size_t *ret_n, E *err)
{
        json_t *arr = json_object_get(obj, key), *it;
        struct kv *kv;
        size_t i, n;

        *ret = NULL;
        *ret_n = 0;
        if (!arr || json_is_null(arr))
                return 0;
        if (!json_is_array(arr))
                return pod_err_set(err, -EINVAL, "%s.%s: expected a list of {\"name\",\"value\"} objects, got %s",
                                   path, key, json_type_name(arr));
        n = json_array_size(arr);
        if (n > POD_MAX_ENV)
                return pod_err_set(err, -E2BIG, "%s.%s: %zu entries, at most %u allowed", path, key,
                                   n, POD_MAX_ENV);
        kv = xcalloc(n, sizeof(*kv));
        json_array_foreach(arr, i, it) {
                char p[128];
                int r;
                snprintf(p, sizeof(p), "%s.%s[%zu]", path, key, i);
                if (!json_is_object(it)) {
                        kv_free(kv, i);
                        return pod_err_set(err, -EINVAL, "%s: expected an object, got %s", p, json_type_name(it));
                }
                if ((r = get_str(it, "name", p, true, &kv[i].name, err)) < 0 ||
                    (r = get_str(it, "value", p, !env, &kv[i].value, err)) < 0) {
                        kv_free(kv, i + 1);
                        return r;
                }
                if (!kv[i].value)
                        kv[i].value = xstrdup("");
                if (env && !env_name_valid(kv[i].name)) {
                        r = pod_err_set(err, -EINVAL, "%s.name: \"%s\" is not a valid environment variable name",
                                        p, kv[i].name);
                        kv_free(kv, i + 1);
                        return r;
                }
                for (size_t k = 0; k < i; k++)
                        if (!strcmp(kv[k].name, kv[i].name)) {
                                r = pod_err_set(err, -EINVAL, "%s.name: \"%s\" appears twice", p, kv[i].name);
                                kv_free(kv, i + 1);
                                return r;
                        }
        }
        *ret = kv;
        *ret_n = n;
        return 0;
}

/* A program and its arguments: a non-empty list of strings, no NULs, a non-empty first. */
static int parse_argv(json_t *list, const char *what, char ***ret, E *err)
{
        json_t *it;
        size_t i;

        if (!list)
                return pod_err_set(err, -EINVAL, "%s: missing; give the program to run", what);
        if (!json_is_array(list))
                return pod_err_set(err, -EINVAL, "%s: expected a list of strings, got %s", what, json_type_name(list));
        if (json_array_size(list) == 0)
                return pod_err_set(err, -EINVAL, "%s: empty; give the program to run (try --exec=BINARY)", what);
        if (json_array_size(list) > POD_MAX_ARGS)
                return pod_err_set(err, -E2BIG, "%s: %zu arguments, at most %u allowed", what, json_array_size(list),
                                   POD_MAX_ARGS);
        *ret = xcalloc(json_array_size(list) + 1, sizeof(char *));
        json_array_foreach(list, i, it) {
                if (!json_is_string(it))
                        return pod_err_set(err, -EINVAL, "%s: expected a list of strings, item %zu is %s", what, i,
                                           json_type_name(it));
                if (strlen(json_string_value(it)) != json_string_length(it))
                        return pod_err_set(err, -EINVAL, "%s[%zu]: contains a NUL byte", what, i);
                (*ret)[i] = xstrdup(json_string_value(it));
        }
        if (!(*ret)[0][0])
                return pod_err_set(err, -EINVAL, "%s[0]: empty program name", what);
        return 0;
}

/* eventHandlers: [{"name":"pre-start"|"post-stop","exec":[...]}], at most one of each. */
static int parse_event_handlers(json_t *list, const char *path, struct app_spec *s, E *err)
{
        char what[128];
        json_t *h;
        size_t i;

        if (!list || json_is_null(list))
                return 0;
        if (!json_is_array(list))
                return pod_err_set(err, -EINVAL, "%s.eventHandlers: expected a list, got %s", path, json_type_name(list));
        json_array_foreach(list, i, h) {
                const char *name = json_string_value(json_object_get(h, "name"));
                char ***slot;
                if (!json_is_object(h) || !name)
                        return pod_err_set(err, -EINVAL, "%s.eventHandlers[%zu]: expected {\"name\": ..., \"exec\": [...]}",
                                           path, i);
                if (!strcmp(name, "pre-start"))
                        slot = &s->pre_start;
                else if (!strcmp(name, "post-stop"))
                        slot = &s->post_stop;
                else
                        return pod_err_set(err, -EINVAL, "%s.eventHandlers[%zu].name: \"%s\" is not pre-start or post-stop",
                                           path, i, name);
                if (*slot)
                        return pod_err_set(err, -EINVAL, "%s.eventHandlers: more than one %s handler", path, name);
                snprintf(what, sizeof(what), "%s.eventHandlers[%zu].exec", path, i);
                if (parse_argv(json_object_get(h, "exec"), what, slot, err) < 0)
                        return err->code;
        }
        return 0;
}

static int parse_app_spec(json_t *app, const char *path, struct app_spec *s, E *err)
{
        json_t *exec, *gids;
        char ip[96];
        size_t i;
        int r;

        if (!json_is_object(app))
                return pod_err_set(err, -EINVAL, "%s: expected an object, got %s", path, json_type_name(app));

        exec = json_object_get(app, "exec");
        if (exec && !json_is_null(exec)) {
                snprintf(ip, sizeof(ip), "%s.exec", path);
                if ((r = parse_argv(exec, ip, &s->exec, err)) < 0)
                        return r;
        }
        if ((r = parse_event_handlers(json_object_get(app, "eventHandlers"), path, s, err)) < 0)
                return r;
        if ((r = get_str(app, "user", path, s->exec != NULL, &s->user, err)) < 0 ||
            (r = get_str(app, "group", path, s->exec != NULL, &s->group, err)) < 0 ||
            (r = get_str(app, "workingDirectory", path, false, &s->workdir, err)) < 0)
                return r;
        if (s->user && !*s->user)
                return pod_err_set(err, -EINVAL, "%s.user: empty; use \"0\" or \"root\" for root", path);
        if (s->group && !*s->group)
                return pod_err_set(err, -EINVAL, "%s.group: empty; use \"0\" or \"root\" for root", path);
        if (s->workdir && !*s->workdir) {
                free(s->workdir);
                s->workdir = NULL;
        }
        if (s->workdir && s->workdir[0] != '/')
                return pod_err_set(err, -EINVAL, "%s.workingDirectory: \"%s\" is not an absolute path", path, s->workdir);

        gids = json_object_get(app, "supplementaryGIDs");
        if (gids && !json_is_null(gids)) {
                json_t *it;
                if (!json_is_array(gids))
                        return pod_err_set(err, -EINVAL, "%s.supplementaryGIDs: expected a list of integers, got %s",
                                           path, json_type_name(gids));
                if (json_array_size(gids) > 65536)
                        return pod_err_set(err, -E2BIG, "%s.supplementaryGIDs: too many groups (at most 65536)", path);
                s->supp_gids = xcalloc(json_array_size(gids), sizeof(gid_t));
                json_array_foreach(gids, i, it) {
                        if (!json_is_integer(it) || json_integer_value(it) < 0 ||
                            json_integer_value(it) > 0xfffffffe)
                                return pod_err_set(err, -EINVAL, "%s.supplementaryGIDs[%zu]: expected a group id (0-4294967294)",
                                                   path, i);
                        s->supp_gids[i] = (gid_t)json_integer_value(it);
                }
                s->n_supp_gids = json_array_size(gids);
        }
        {
                snprintf(ip, sizeof(ip), "%s.isolators", path);
                if ((r = isolators_parse(json_object_get(app, "isolators"), ip, &s->iso, err)) < 0)
                        return r;
                snprintf(ip, sizeof(ip), "%s.mountPoints", path);
                if ((r = mount_points_parse(json_object_get(app, "mountPoints"), ip, &s->mount_points,
                                            &s->n_mount_points, err)) < 0)
                        return r;
        }
        return parse_kv_list(app, "environment", path, true, &s->env, &s->n_env, err);
}

static json_t *load_object(const char *data, size_t len, const char *what, E *err)
{
        json_error_t je;
        json_t *root;

        if (len > POD_MANIFEST_MAX_BYTES) {
                pod_err_set(err, -EFBIG, "%s is %zu bytes, larger than the %u-byte limit", what, len,
                            POD_MANIFEST_MAX_BYTES);
                return NULL;
        }
        root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!root) {
                pod_err_set(err, -EINVAL, "%s: invalid JSON at line %d column %d: %s", what, je.line,
                            je.column, je.text);
                return NULL;
        }
        if (!json_is_object(root)) {
                pod_err_set(err, -EINVAL, "%s: expected a JSON object, got %s", what, json_type_name(root));
                json_decref(root);
                return NULL;
        }
        return root;
}

static int check_kind(json_t *root, const char *want, const char *what, E *err)
{
        json_t *k = json_object_get(root, "acKind");
        if (!json_is_string(k))
                return pod_err_set(err, -EINVAL, "%s: acKind: required, expected \"%s\"", what, want);
        if (strcmp(json_string_value(k), want))
                return pod_err_set(err, -EINVAL, "%s: acKind: is \"%s\", expected \"%s\"", what,
                                   json_string_value(k), want);
        return 0;
}

void pod_app_done(struct pod_app *a)
{
        free(a->name);
        free(a->image_name);
        free(a->log.path);
        app_spec_done(&a->app);
        app_mounts_spec_free(a->mounts_spec, a->n_mounts_spec);
        app_mounts_free(a->mounts, a->n_mounts);
        kv_free(a->annotations, a->n_annotations);
        app_policy_done(&a->pol);
        memset(a, 0, sizeof(*a));
}

void pod_manifest_free(struct pod_manifest *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->n_apps; i++)
                pod_app_done(&m->apps[i]);
        free(m->apps);
        free(m->exit_app);
        kv_free(m->annotations, m->n_annotations);
        volumes_free(m->volumes, m->n_volumes);
        free(m);
}

static struct pod_app *find_app(struct pod_manifest *m, const char *name)
{
        for (size_t i = 0; i < m->n_apps; i++)
                if (!strcmp(m->apps[i].name, name))
                        return &m->apps[i];
        return NULL;
}

/* Depth-first walk of the "after" graph: 1 visiting, 2 done. */
static int order_visit(struct pod_manifest *m, size_t i, unsigned char *mark, E *err)
{
        if (mark[i] == 2)
                return 0;
        if (mark[i] == 1)
                return pod_err_set(err, -ELOOP, "manifest: apps: %s/%s make a cycle through app \"%s\"; no app of a cycle could ever start",
                                   ANN_AFTER, ANN_REQUIRES, m->apps[i].name);
        mark[i] = 1;
        for (char **d = m->apps[i].pol.after; d && *d; d++) {
                int r = order_visit(m, (size_t)(find_app(m, *d) - m->apps), mark, err);
                if (r < 0)
                        return r;
        }
        mark[i] = 2;
        return 0;
}

int pod_manifest_check_order(struct pod_manifest *m, E *err)
{
        _cleanup_free_ unsigned char *mark = xcalloc(m->n_apps + 1, 1);

        for (size_t i = 0; i < m->n_apps; i++)
                for (char **d = m->apps[i].pol.after; d && *d; d++) {
                        if (!strcmp(*d, m->apps[i].name))
                                return pod_err_set(err, -EINVAL, "manifest: apps[%zu].annotations: %s: app \"%s\" cannot start after itself",
                                                   i, ANN_AFTER, *d);
                        if (!find_app(m, *d))
                                return pod_err_set(err, -ENOENT, "manifest: apps[%zu].annotations: %s/%s: the pod has no app \"%s\"",
                                                   i, ANN_AFTER, ANN_REQUIRES, *d);
                }
        for (size_t i = 0; i < m->n_apps; i++) {
                int r = order_visit(m, i, mark, err);
                if (r < 0)
                        return r;
        }
        if (m->exit_policy == EXIT_APP && !find_app(m, m->exit_app))
                return pod_err_set(err, -ENOENT, "manifest: annotations: %s: the pod has no app \"%s\"", ANN_EXIT_POLICY,
                                   m->exit_app);
        return 0;
}

/* One entry of the manifest's apps (checks that involve other apps are the caller's). */
int pod_app_parse(json_t *it, const char *p, struct pod_app *a, E *err)
{
        json_t *img, *app;
        int r;

        if (!json_is_object(it)) {
                r = pod_err_set(err, -EINVAL, "%s: expected an object, got %s", p, json_type_name(it));
                return r;
        }
        if ((r = get_str(it, "name", p, true, &a->name, err)) < 0)
                return r;
        if (!acname_valid(a->name)) {
                r = pod_err_set(err, -EINVAL, "%s.name: \"%s\" is not a valid app name (lower-case letters, digits and single dashes, e.g. \"web-1\")",
                                p, a->name);
                return r;
        }
        img = json_object_get(it, "image");
        if (img && !json_is_null(img)) {
                char ip[80];
                if (!json_is_object(img)) {
                        r = pod_err_set(err, -EINVAL, "%s.image: expected an object, got %s", p, json_type_name(img));
                        return r;
                }
                snprintf(ip, sizeof(ip), "%s.image", p);
                if ((r = get_str(img, "name", ip, false, &a->image_name, err)) < 0)
                        return r;
        }
        app = json_object_get(it, "app");
        if (app && !json_is_null(app)) {
                char ap[80];
                snprintf(ap, sizeof(ap), "%s.app", p);
                a->has_app = true;
                if ((r = parse_app_spec(app, ap, &a->app, err)) < 0)
                        return r;
                if (!a->app.exec) {
                        r = pod_err_set(err, -EINVAL, "%s.exec: required (the program to run)", ap);
                        return r;
                }
        }
        {
                char mp[80];
                json_t *ro = json_object_get(it, "readOnlyRootFS");
                snprintf(mp, sizeof(mp), "%s.mounts", p);
                if ((r = app_mounts_parse(json_object_get(it, "mounts"), mp, &a->mounts_spec, &a->n_mounts_spec, err)) < 0)
                        return r;
                if (ro && !json_is_null(ro) && !json_is_boolean(ro)) {
                        r = pod_err_set(err, -EINVAL, "%s.readOnlyRootFS: expected true or false", p);
                        return r;
                }
                a->read_only_rootfs = json_is_true(ro);
        }
        if ((r = parse_kv_list(it, "annotations", p, false, &a->annotations, &a->n_annotations, err)) < 0 ||
            (r = parse_app_io(a, p, err)) < 0 || (r = parse_app_log(a, p, err)) < 0)
                return r;
        return 0;
}

int pod_manifest_parse(const char *data, size_t len, struct pod_manifest **ret, E *err)
{
        _cleanup_json_ json_t *root = load_object(data, len, "manifest", err);
        struct pod_manifest *m;
        json_t *apps, *it;
        const char *v;
        size_t i;
        int r;

        if (!root)
                return err ? err->code : -EINVAL;
        if ((r = check_kind(root, "PodManifest", "manifest", err)) < 0)
                return r;
        apps = json_object_get(root, "apps");
        if (apps && !json_is_null(apps) && !json_is_array(apps))
                return pod_err_set(err, -EINVAL, "manifest: apps: expected a list, got %s", json_type_name(apps));
        if (json_array_size(apps) > POD_MAX_APPS)
                return pod_err_set(err, -E2BIG, "manifest: apps: %zu apps, at most %u allowed in one pod",
                                   json_array_size(apps), POD_MAX_APPS);

        m = xcalloc(1, sizeof(*m));
        m->apps = xcalloc(json_array_size(apps) + 1, sizeof(*m->apps));
        m->stop_timeout_ms = POD_DEFAULT_STOP_TIMEOUT_MS;
        json_array_foreach(apps, i, it) {
                struct pod_app *a = &m->apps[i];
                char p[64];

                m->n_apps = i + 1;
                snprintf(p, sizeof(p), "manifest: apps[%zu]", i);
                if ((r = pod_app_parse(it, p, a, err)) < 0)
                        goto fail;
                for (size_t k = 0; k < i; k++)
                        if (!strcmp(m->apps[k].name, a->name)) {
                                r = pod_err_set(err, -EINVAL, "%s.name: app name \"%s\" is used twice", p, a->name);
                                goto fail;
                        }
                if (a->log.path)
                        for (size_t k = 0; k < i; k++)
                                if (m->apps[k].log.path && !strcmp(m->apps[k].log.path, a->log.path)) {
                                        r = pod_err_set(err, -EINVAL, "%s: apps \"%s\" and \"%s\" both log to %s; each app needs its own log file",
                                                        p, m->apps[k].name, a->name, a->log.path);
                                        goto fail;
                                }
                if (pod_app_uses(a, IO_INTERACTIVE))
                        for (size_t k = 0; k < i; k++)
                                if (pod_app_uses(&m->apps[k], IO_INTERACTIVE)) {
                                        r = pod_err_set(err, -EINVAL, "%s: apps \"%s\" and \"%s\" are both interactive; a pod has one terminal, so at most one interactive app",
                                                        p, m->apps[k].name, a->name);
                                        goto fail;
                                }
        }
        if ((r = parse_kv_list(root, "annotations", "manifest", false, &m->annotations, &m->n_annotations, err)) < 0 ||
            (r = volume_list_parse(json_object_get(root, "volumes"), "manifest: volumes", &m->volumes, &m->n_volumes, err)) < 0)
                goto fail;
        if ((v = kv_get(m->annotations, m->n_annotations, ANN_STOP_TIMEOUT))) {
                if (parse_duration_ms(v, &m->stop_timeout_ms) < 0 || m->stop_timeout_ms > 24ull * 3600 * 1000) {
                        r = pod_err_set(err, -EINVAL, "manifest: annotations: %s: \"%s\" is not a duration up to 24h (e.g. \"10s\", \"500ms\")",
                                        ANN_STOP_TIMEOUT, v);
                        goto fail;
                }
        }
        if ((v = kv_get(m->annotations, m->n_annotations, ANN_RKT_MUTABLE)))
                m->mutable_pod = !strcmp(v, "true");
        if ((v = kv_get(m->annotations, m->n_annotations, ANN_EXIT_POLICY)) &&
            (r = exit_policy_parse(v, &m->exit_policy, &m->exit_app, err)) < 0)
                goto fail;
        m->events_file_max = POD_EVENTS_FILE_MAX;
        if ((v = kv_get(m->annotations, m->n_annotations, ANN_EVENTS_FILE_MAX)) &&
            (parse_size(v, POD_EVENTS_FILE_MAX, &m->events_file_max) < 0 || m->events_file_max < POD_EVENTS_FILE_MIN)) {
                r = pod_err_set(err, -EINVAL, "manifest: annotations: %s: \"%s\" is not a byte count from 16Ki to 1Mi",
                                ANN_EVENTS_FILE_MAX, v);
                goto fail;
        }
        if ((r = pod_manifest_check_order(m, err)) < 0)
                goto fail;
        *ret = m;
        return 0;
fail:
        pod_manifest_free(m);
        return r;
}

void image_manifest_free(struct image_manifest *m)
{
        if (!m)
                return;
        free(m->name);
        app_spec_done(&m->app);
        kv_free(m->annotations, m->n_annotations);
        free(m);
}

int image_manifest_parse(const char *data, size_t len, struct image_manifest **ret, E *err)
{
        _cleanup_json_ json_t *root = load_object(data, len, "image manifest", err);
        struct image_manifest *m;
        json_t *app;
        int r;

        if (!root)
                return err ? err->code : -EINVAL;
        if ((r = check_kind(root, "ImageManifest", "image manifest", err)) < 0)
                return r;
        m = xcalloc(1, sizeof(*m));
        if ((r = get_str(root, "name", "image manifest", true, &m->name, err)) < 0)
                goto fail;
        app = json_object_get(root, "app");
        if (app && !json_is_null(app)) {
                m->has_app = true;
                if ((r = parse_app_spec(app, "image manifest: app", &m->app, err)) < 0)
                        goto fail;
        }
        if ((r = parse_kv_list(root, "annotations", "image manifest", false, &m->annotations,
                               &m->n_annotations, err)) < 0)
                goto fail;
        *ret = m;
        return 0;
fail:
        image_manifest_free(m);
        return r;
}

static void app_spec_copy(struct app_spec *dst, const struct app_spec *src)
{
        memset(dst, 0, sizeof(*dst));
        dst->exec = src->exec ? strv_copy(src->exec) : NULL;
        dst->pre_start = src->pre_start ? strv_copy(src->pre_start) : NULL;
        dst->post_stop = src->post_stop ? strv_copy(src->post_stop) : NULL;
        dst->user = src->user ? xstrdup(src->user) : NULL;
        dst->group = src->group ? xstrdup(src->group) : NULL;
        dst->workdir = src->workdir ? xstrdup(src->workdir) : NULL;
        if (src->n_supp_gids) {
                dst->supp_gids = xcalloc(src->n_supp_gids, sizeof(gid_t));
                memcpy(dst->supp_gids, src->supp_gids, src->n_supp_gids * sizeof(gid_t));
                dst->n_supp_gids = src->n_supp_gids;
        }
        dst->env = xcalloc(src->n_env + 1, sizeof(struct kv));
        for (size_t i = 0; i < src->n_env; i++) {
                dst->env[i].name = xstrdup(src->env[i].name);
                dst->env[i].value = xstrdup(src->env[i].value);
        }
        dst->n_env = src->n_env;
        dst->iso = src->iso;
        dst->mount_points = mount_points_copy(src->mount_points, src->n_mount_points);
        dst->n_mount_points = src->n_mount_points;
}

int pod_app_take_image_app(struct pod_app *a, const struct image_manifest *im, E *err)
{
        const char *notify = im ? kv_get(im->annotations, im->n_annotations, ANN_IMAGE_SD_NOTIFY) : NULL;

        /* rkt: such an app gets NOTIFY_SOCKET, and the pod is ready only once it has said READY=1. */
        if (notify && !strcmp(notify, "true") && !kv_get(a->annotations, a->n_annotations, ANN_READY)) {
                a->pol.ready = READY_NOTIFY;
                a->pol.pod_waits = true;
        }
        if (a->has_app)
                return 0;
        if (!im || !im->has_app || !im->app.exec)
                return pod_err_set(err, -EINVAL, "app \"%s\": image %s has no \"app\" section and the pod manifest gives none (try --exec=BINARY)",
                                   a->name, im && im->name ? im->name : "(unknown)");
        app_spec_done(&a->app);
        app_spec_copy(&a->app, &im->app);
        a->has_app = true;
        return 0;
}
