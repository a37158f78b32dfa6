/*
 * config.json of an OCI bundle -> struct stage0_oci_spec (stage0/ocispec.h):
 * the top level, root, process, mounts, hooks and annotations here; linux.*
 * in ocispec_linux.c.  Nothing here touches the host: the result is plain
 * data that stage0_app_unpack turns into an apps[] entry, checked again by
 * podinit's own manifest parser.
 */
#include "stage0/ocispec_int.h"
#include "common/fdutil.h"
#include "common/isolators.h"
#include "common/manifest.h"
#include "common/names.h"
#include "common/rlimits.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/resource.h>

static void kvs_free(struct kv *k, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(k[i].name);
                free(k[i].value);
        }
        free(k);
}

static void strv_freep(char ***p)
{
        strv_free(*p);
}

/* A list of strings (NULL when absent); each entry checked for NUL-free text by jansson already. */
static int get_strv(struct oci_ctx *c, json_t *obj, const char *path, const char *key, size_t max, char ***ret)
{
        json_t *l, *it;
        size_t i;
        int r = oci_get(c, obj, path, key, JSON_ARRAY, &l);

        *ret = NULL;
        if (r < 0 || !l)
                return r;
        if (json_array_size(l) > max)
                return pod_err_set(c->err, -E2BIG, "%s.%s: %zu entries, more than podinit's limit of %zu", path, key,
                                   json_array_size(l), max);
        *ret = xcalloc(json_array_size(l) + 1, sizeof(char *));
        json_array_foreach(l, i, it) {
                if (!json_is_string(it)) {
                        strv_free(*ret);
                        *ret = NULL;
                        return pod_err_set(c->err, -EINVAL, "%s.%s[%zu]: expected a string, got %s", path, key, i,
                                           json_type_name(it));
                }
                (*ret)[i] = xstrdup(json_string_value(it));
        }
        return 0;
}

static bool oci_env_name_valid(const char *s, size_t n)
{
        if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
                        return false;
        return true;
}

/* Capability names as the spec writes them ("CAP_CHOWN"), each checked. */
static int caps_list(struct oci_ctx *c, json_t *caps, const char *key, uint64_t *ret_mask, json_t **ret_names)
{
        _cleanup_free_ char *p = xasprintf("process.capabilities.%s", key);
        json_t *l, *it;
        size_t i;
        int r = oci_get(c, caps, "process.capabilities", key, JSON_ARRAY, &l);

        *ret_mask = 0;
        if (ret_names)
                *ret_names = json_array();
        if (r < 0 || !l)
                return r;
        json_array_foreach(l, i, it) {
                uint64_t m;
                if (!json_is_string(it))
                        return pod_err_set(c->err, -EINVAL, "%s[%zu]: expected a string, got %s", p, i, json_type_name(it));
                if ((r = caps_parse_list(json_string_value(it), &m, c->err)) < 0 || !m)
                        return pod_err_set(c->err, -EINVAL, "%s[%zu]: \"%s\" is not a capability this podinit knows", p, i,
                                           json_string_value(it));
                if (ret_names && !(*ret_mask & m))
                        json_array_append_new(*ret_names, json_string(json_string_value(it)));
                *ret_mask |= m;
        }
        return 0;
}

static int parse_capabilities(struct oci_ctx *c, json_t *proc, uid_t uid)
{
        static const char *const known[] = { "bounding", "effective", "inheritable", "permitted", "ambient", NULL };
        uint64_t bounding, eff, perm, amb, inh;
        json_t *caps, *names = NULL, *v;
        int r;

        if ((r = oci_get(c, proc, "process", "capabilities", JSON_OBJECT, &caps)) < 0)
                return r;
        if (caps && (r = oci_check_known(c, caps, "process.capabilities", known)) < 0)
                return r;
        if ((r = caps_list(c, caps, "bounding", &bounding, &names)) < 0 ||
            (r = caps_list(c, caps, "effective", &eff, NULL)) < 0 ||
            (r = caps_list(c, caps, "permitted", &perm, NULL)) < 0 ||
            (r = caps_list(c, caps, "inheritable", &inh, NULL)) < 0 ||
            (r = caps_list(c, caps, "ambient", &amb, NULL)) < 0) {
                json_decref(names);
                return r;
        }
        if (amb) {
                json_decref(names);
                return pod_err_set(c->err, -EINVAL, "process.capabilities.ambient: podinit's apps have an empty ambient "
                                   "set; remove the ambient capabilities (a non-root app gets capabilities from file "
                                   "capabilities of its programs only)");
        }
        if ((eff | perm | inh) & ~bounding) {
                json_decref(names);
                return pod_err_set(c->err, -EINVAL, "process.capabilities: effective, permitted and inheritable must be "
                                   "within bounding (podinit derives them from the bounding set)");
        }
        if (uid == 0 && (eff != bounding || perm != bounding))
                oci_warn(c, "process.capabilities: a root app gets its whole bounding set as effective and permitted "
                         "in podinit; the narrower effective/permitted sets are not applied");
        if (uid != 0 && (eff || perm))
                oci_warn(c, "process.capabilities: a non-root app holds no capabilities in podinit (only the bounding "
                         "set applies); effective/permitted are not applied");
        if (json_array_size(names)) {
                v = json_pack("{s:o}", "set", names);
                oci_add_isolator(c, ISO_CAPS_RETAIN, v);
        } else {
                /* None at all: the default set removed whole (a retain-set needs one entry). */
                json_decref(names);
                names = json_array();
                _cleanup_free_ char *def = xstrdup(CAPS_DEFAULT_NAMES);
                char *save = NULL;
                for (char *t = strtok_r(def, ",", &save); t; t = strtok_r(NULL, ",", &save))
                        json_array_append_new(names, json_string(t));
                oci_add_isolator(c, ISO_CAPS_REMOVE, json_pack("{s:o}", "set", names));
        }
        return 0;
}

static int parse_rlimits(struct oci_ctx *c, json_t *proc)
{
        json_t *l, *it;
        size_t i;
        int r = oci_get(c, proc, "process", "rlimits", JSON_ARRAY, &l);

        if (r < 0 || !l)
                return r;
        json_array_foreach(l, i, it) {
                static const char *const known[] = { "type", "hard", "soft", NULL };
                _cleanup_free_ char *p = xasprintf("process.rlimits[%zu]", i), *lname = NULL, *ann = NULL, *val = NULL;
                json_t *t, *h, *s;
                char soft[32], hard[32];
                struct rlimit rl;
                int res;

                if (!json_is_object(it))
                        return pod_err_set(c->err, -EINVAL, "%s: expected an object, got %s", p, json_type_name(it));
                if ((r = oci_check_known(c, it, p, known)) < 0 || (r = oci_get(c, it, p, "type", JSON_STRING, &t)) < 0 ||
                    (r = oci_get(c, it, p, "hard", JSON_INTEGER, &h)) < 0 || (r = oci_get(c, it, p, "soft", JSON_INTEGER, &s)) < 0)
                        return r;
                if (!t || !h || !s)
                        return pod_err_set(c->err, -EINVAL, "%s: type, hard and soft are required", p);
                if (!str_startswith(json_string_value(t), "RLIMIT_"))
                        return pod_err_set(c->err, -EINVAL, "%s.type: \"%s\" is not an RLIMIT_* name", p, json_string_value(t));
                lname = xstrdup(json_string_value(t) + 7);
                for (char *q = lname; *q; q++)
                        *q = (char)tolower((unsigned char)*q);
                if ((res = rlimit_from_name(lname)) < 0)
                        return pod_err_set(c->err, -EINVAL, "%s.type: \"%s\" is not a limit podinit knows", p,
                                           json_string_value(t));
                /* JSON integers are signed 64-bit: RLIM_INFINITY (2^64-1) arrives as -1 from a Go uint64 or is clamped. */
                json_int_t hv = json_integer_value(h), sv = json_integer_value(s);
                if (hv < 0 && hv != -1)
                        return pod_err_set(c->err, -ERANGE, "%s.hard: %lld is out of range", p, (long long)hv);
                if (sv < 0 && sv != -1)
                        return pod_err_set(c->err, -ERANGE, "%s.soft: %lld is out of range", p, (long long)sv);
                snprintf(hard, sizeof(hard), hv < 0 ? "unlimited" : "%lld", (long long)hv);
                snprintf(soft, sizeof(soft), sv < 0 ? "unlimited" : "%lld", (long long)sv);
                val = xasprintf("%s:%s", soft, hard);
                if (rlimit_value_parse(res, val, &rl) < 0)
                        return pod_err_set(c->err, -EINVAL, "%s: soft %s above hard %s", p, soft, hard);
                ann = xasprintf(ANN_RLIMIT_PREFIX "%s", lname);
                oci_add_annotation(c, ann, val);
        }
        return 0;
}

static int parse_user(struct oci_ctx *c, json_t *proc, uid_t *ret_uid)
{
        static const char *const known[] = { "uid", "gid", "umask", "additionalGids", "username", NULL };
        struct stage0_app *a = &c->s->app;
        long long uid = 0, gid = 0, um;
        json_t *u, *l, *it, *name;
        size_t i;
        int r;

        if ((r = oci_get(c, proc, "process", "user", JSON_OBJECT, &u)) < 0)
                return r;
        if (!u)
                return pod_err_set(c->err, -EINVAL, "process.user: required (uid and gid)");
        if ((r = oci_check_known(c, u, "process.user", known)) < 0 ||
            (r = oci_get_int(c, u, "process.user", "uid", 0, UINT32_MAX - 1, &uid)) < 0 ||
            (r = oci_get_int(c, u, "process.user", "gid", 0, UINT32_MAX - 1, &gid)) < 0)
                return r;
        if ((r = oci_get_int(c, u, "process.user", "umask", 0, 0777, &um)) < 0)
                return r;
        if (r > 0) {
                c->s->has_umask = true;
                c->s->umask = (mode_t)um;
                if (um != 022)
                        oci_warn(c, "process.user.umask: %04llo is not applied; the app starts with podinit's umask", um);
        }
        if ((r = oci_get(c, u, "process.user", "username", JSON_STRING, &name)) < 0)
                return r;
        if (name && *json_string_value(name))
                oci_warn(c, "process.user.username: a Windows field; ignored (uid and gid apply)");
        if ((r = oci_get(c, u, "process.user", "additionalGids", JSON_ARRAY, &l)) < 0)
                return r;
        if (l && json_array_size(l) > 65536)
                return pod_err_set(c->err, -E2BIG, "process.user.additionalGids: more than 65536 groups");
        a->user = xasprintf("%lld", uid);
        a->group = xasprintf("%lld", gid);
        /* Exactly these supplementary groups, as runc sets them: none when the list is absent. */
        a->has_supp_gids = true;
        a->supp_gids = xcalloc(json_array_size(l) + 1, sizeof(gid_t));
        json_array_foreach(l, i, it) {
                if (!json_is_integer(it) || json_integer_value(it) < 0 || json_integer_value(it) >= UINT32_MAX)
                        return pod_err_set(c->err, -EINVAL, "process.user.additionalGids[%zu]: expected a gid (0 to "
                                           "4294967294)", i);
                a->supp_gids[a->n_supp_gids++] = (gid_t)json_integer_value(it);
        }
        *ret_uid = (uid_t)uid;
        return 0;
}

static int parse_process(struct oci_ctx *c, json_t *proc)
{
        static const char *const known[] = { "terminal", "consoleSize", "cwd", "env", "args", "commandLine",
                "user", "capabilities", "rlimits", "noNewPrivileges", "apparmorProfile", "selinuxLabel",
                "oomScoreAdj", "ioPriority", "scheduler", "execCPUAffinity", NULL };
        static const char *const refused[] = { "commandLine", "ioPriority", "scheduler", "execCPUAffinity" };
        struct stage0_app *a = &c->s->app;
        char **args = NULL, **env = NULL;
        json_t *v;
        long long oom;
        bool nnp = false;
        uid_t uid = 0;
        int r;

        if (!proc)
                return pod_err_set(c->err, -EINVAL, "process: required (podinit runs the bundle's process as an app)");
        if ((r = oci_check_known(c, proc, "process", known)) < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
                if (json_object_get(proc, refused[i]) && !json_is_null(json_object_get(proc, refused[i])))
                        return pod_err_set(c->err, -EOPNOTSUPP, "process.%s: podinit does not support it; remove it",
                                           refused[i]);
        if ((r = oci_get_bool(c, proc, "process", "terminal", &c->s->terminal)) < 0)
                return r;
        if ((r = oci_get(c, proc, "process", "consoleSize", JSON_OBJECT, &v)) < 0)
                return r;
        if (v) {
                static const char *const cs_known[] = { "height", "width", NULL };
                long long h = 0, w = 0;
                if ((r = oci_check_known(c, v, "process.consoleSize", cs_known)) < 0 ||
                    (r = oci_get_int(c, v, "process.consoleSize", "height", 0, 65535, &h)) < 0 ||
                    (r = oci_get_int(c, v, "process.consoleSize", "width", 0, 65535, &w)) < 0)
                        return r;
                c->s->console_rows = (unsigned short)h;
                c->s->console_cols = (unsigned short)w;
        }
        if (c->s->terminal) {
                static const char *const streams[] = { "stdin", "stdout", "stderr" };
                for (size_t i = 0; i < ARRAY_SIZE(streams); i++) {
                        _cleanup_free_ char *n = xasprintf(ANN_IO_PREFIX "%s", streams[i]);
                        oci_add_annotation(c, n, "tty");
                }
                if (c->s->console_rows && c->s->console_cols) {
                        _cleanup_free_ char *sz = xasprintf("%ux%u", c->s->console_rows, c->s->console_cols);
                        oci_add_annotation(c, ANN_TTY_SIZE, sz);
                }
        } else {
                /* No stdin unless the caller has one to give (containerd's Create says, not the spec): EOF, as runc. */
                oci_add_annotation(c, ANN_IO_PREFIX "stdin", "null");
                oci_add_annotation(c, ANN_IO_PREFIX "stdout", "stream");
                oci_add_annotation(c, ANN_IO_PREFIX "stderr", "stream");
        }
        if ((r = get_strv(c, proc, "process", "args", POD_MAX_ARGS, &args)) < 0)
                return r;
        if (!args || !args[0]) {
                strv_free(args);
                return pod_err_set(c->err, -EINVAL, "process.args: required, with the program first");
        }
        if (!*args[0]) {
                strv_free(args);
                return pod_err_set(c->err, -EINVAL, "process.args[0]: the program is an empty string");
        }
        a->exec = xstrdup(args[0]);
        a->args = strv_copy(args + 1);
        strv_free(args);
        if ((r = get_strv(c, proc, "process", "env", POD_MAX_ENV, &env)) < 0)
                return r;
        for (size_t i = 0; env && env[i]; i++) {
                const char *eq = strchr(env[i], '=');
                if (!eq || !oci_env_name_valid(env[i], (size_t)(eq - env[i]))) {
                        r = pod_err_set(c->err, -EINVAL, "process.env[%zu]: \"%.64s\": expected NAME=VALUE with NAME of "
                                        "letters, digits, '_', '.' or '-', not starting with a digit", i, env[i]);
                        strv_free(env);
                        return r;
                }
        }
        a->env = env;
        if ((r = oci_get(c, proc, "process", "cwd", JSON_STRING, &v)) < 0)
                return r;
        if (!v || json_string_value(v)[0] != '/')
                return pod_err_set(c->err, -EINVAL, "process.cwd: required, an absolute path");
        a->workdir = xstrdup(json_string_value(v));
        if ((r = parse_user(c, proc, &uid)) < 0 || (r = parse_capabilities(c, proc, uid)) < 0 ||
            (r = parse_rlimits(c, proc)) < 0)
                return r;
        if ((r = oci_get_bool(c, proc, "process", "noNewPrivileges", &nnp)) < 0)
                return r;
        oci_add_isolator(c, ISO_NNP, json_boolean(nnp));
        if ((r = oci_get_int(c, proc, "process", "oomScoreAdj", -1000, 1000, &oom)) < 0)
                return r;
        if (r > 0)
                oci_add_isolator(c, ISO_OOM_SCORE_ADJ, json_integer(oom));
        if ((r = oci_get(c, proc, "process", "apparmorProfile", JSON_STRING, &v)) < 0)
                return r;
        if (v && *json_string_value(v))
                oci_warn(c, "process.apparmorProfile: \"%s\" is not applied (podinit has no AppArmor support; its own "
                         "confinement applies: docs/kubernetes.md)", json_string_value(v));
        if ((r = oci_get(c, proc, "process", "selinuxLabel", JSON_STRING, &v)) < 0)
                return r;
        if (v && *json_string_value(v))
                oci_warn(c, "process.selinuxLabel: \"%s\" is not applied (podinit has no SELinux support)",
                         json_string_value(v));
        return 0;
}

/* An inline volume for one mount: its name is unique in the app. */
static void add_mount(struct oci_ctx *c, const char *dest, json_t *volume)
{
        struct stage0_app *a = &c->s->app;
        char *name = xasprintf("oci-mount-%u", c->n_volumes++);

        json_object_set_new(volume, "name", json_string(name));
        a->mounts = xrealloc(a->mounts, (a->n_mounts + 1) * sizeof(*a->mounts));
        a->mounts[a->n_mounts++] = (struct stage0_mount){ name, xstrdup(dest), volume };
}

/*
 * mounts[]: what the pod gives every app already (proc, sysfs, devpts, the
 * /dev tmpfs, /dev/shm, mqueue, cgroup) is honoured by the pod's own; bind
 * mounts from host paths become host volumes; other tmpfs become empty
 * volumes; anything else is refused.
 */
static int parse_mount(struct oci_ctx *c, json_t *m, size_t i)
{
        static const char *const known[] = { "destination", "type", "source", "options", "uidMappings", "gidMappings", NULL };
        static const struct { const char *type, *dest, *what; } pod_gives[] = {
                { "proc", "/proc", "the pod's /proc" },
                { "sysfs", "/sys", "the pod's read-only /sys" },
                { "tmpfs", "/dev", "the pod's /dev" },
                { "devpts", "/dev/pts", "the pod's devpts" },
                { "tmpfs", "/dev/shm", "the pod's /dev/shm" },
                { "bind", "/dev/shm", "the pod's /dev/shm" },
                { "mqueue", "/dev/mqueue", "nothing (mq_open works without the file system)" },
                { "cgroup", "/sys/fs/cgroup", "the pod's read-only cgroup view" },
                { "cgroup2", "/sys/fs/cgroup", "the pod's read-only cgroup view" },
        };
        _cleanup_free_ char *p = xasprintf("mounts[%zu]", i);
        __attribute__((cleanup(strv_freep))) char **opts = NULL;
        json_t *d, *t, *src, *l;
        const char *type, *dest;
        bool bind = false, rbind = false, ro = false;
        int r;

        if (!json_is_object(m))
                return pod_err_set(c->err, -EINVAL, "%s: expected an object, got %s", p, json_type_name(m));
        if ((r = oci_check_known(c, m, p, known)) < 0 || (r = oci_get(c, m, p, "destination", JSON_STRING, &d)) < 0 ||
            (r = oci_get(c, m, p, "type", JSON_STRING, &t)) < 0 || (r = oci_get(c, m, p, "source", JSON_STRING, &src)) < 0 ||
            (r = get_strv(c, m, p, "options", 256, &opts)) < 0)
                return r;
        if (!d || json_string_value(d)[0] != '/')
                return pod_err_set(c->err, -EINVAL, "%s.destination: required, an absolute path", p);
        dest = json_string_value(d);
        type = t ? json_string_value(t) : "";
        for (const char *const *k = (const char *const[]){ "uidMappings", "gidMappings", NULL }; *k; k++)
                if ((r = oci_get(c, m, p, *k, JSON_ARRAY, &l)) < 0)
                        return r;
                else if (json_array_size(l))
                        return pod_err_set(c->err, -EOPNOTSUPP, "%s.%s: idmapped mounts are not supported; remove it", p, *k);
        for (size_t k = 0; opts && opts[k]; k++) {
                const char *o = opts[k];
                if (!strcmp(o, "bind"))
                        bind = true;
                else if (!strcmp(o, "rbind"))
                        bind = rbind = true;
                else if (!strcmp(o, "ro"))
                        ro = true;
                else if (!strcmp(o, "rw"))
                        ro = false;
                else if (!strcmp(o, "shared") || !strcmp(o, "rshared"))
                        return pod_err_set(c->err, -EOPNOTSUPP, "%s.options: \"%s\": mounts propagating back to the host "
                                           "(Kubernetes' Bidirectional) are not supported; use private or slave", p, o);
        }
        for (size_t k = 0; k < ARRAY_SIZE(pod_gives); k++)
                if (!strcmp(dest, pod_gives[k].dest) &&
                    (!strcmp(type, pod_gives[k].type) || (bind && !strcmp(pod_gives[k].type, "bind"))))
                        return 0;       /* docs/kubernetes.md: the pod's own */
        if (bind || !strcmp(type, "bind")) {
                if (!src || json_string_value(src)[0] != '/')
                        return pod_err_set(c->err, -EINVAL, "%s.source: a bind mount needs an absolute host path", p);
                add_mount(c, dest, json_pack("{s:s,s:s,s:b,s:b}", "kind", "host", "source", json_string_value(src),
                                             "readOnly", ro, "recursive", rbind));
                return 0;
        }
        if (!strcmp(type, "tmpfs")) {
                json_t *v = json_pack("{s:s}", "kind", "empty");
                for (size_t k = 0; opts && opts[k]; k++)
                        if (str_startswith(opts[k], "mode=")) {
                                const char *ms = opts[k] + 5;
                                char *end = NULL, b[16];
                                unsigned long mode;
                                errno = 0;
                                mode = strtoul(ms, &end, 8);
                                if (!*ms || *end || errno || mode > 07777 || strspn(ms, "01234567") != strlen(ms)) {
                                        json_decref(v);
                                        return pod_err_set(c->err, -EINVAL, "%s.options: \"%s\": expected an octal mode",
                                                           p, opts[k]);
                                }
                                snprintf(b, sizeof(b), "%04lo", mode);
                                json_object_set_new(v, "mode", json_string(b));
                        }
                if (ro)
                        json_object_set_new(v, "readOnly", json_true());
                add_mount(c, dest, v);
                oci_warn(c, "%s: tmpfs at %s is an empty volume (its size is not limited)", p, dest);
                return 0;
        }
        if (!strcmp(type, "proc") || !strcmp(type, "sysfs") || !strcmp(type, "devpts") || !strcmp(type, "mqueue") ||
            !strcmp(type, "cgroup") || !strcmp(type, "cgroup2"))
                return pod_err_set(c->err, -EOPNOTSUPP, "%s: %s at %s: podinit gives an app %s only at its usual place; "
                                   "remove this mount", p, type, dest, type);
        return pod_err_set(c->err, -EOPNOTSUPP, "%s: type \"%s\" at %s: podinit mounts only bind and tmpfs mounts in an "
                           "app; mount it on the host and give a bind mount", p, type, dest);
}

static int parse_hooks(struct oci_ctx *c, json_t *hooks)
{
        const char *key;
        json_t *v;

        if (!hooks || json_is_null(hooks))
                return 0;
        if (!json_is_object(hooks))
                return pod_err_set(c->err, -EINVAL, "hooks: expected an object, got %s", json_type_name(hooks));
        json_object_foreach(hooks, key, v)
                if (!json_is_null(v) && (!json_is_array(v) || json_array_size(v)))
                        return pod_err_set(c->err, -EOPNOTSUPP, "hooks.%s: podinit does not run OCI hooks; remove them "
                                           "(or run them from the caller: a prestart hook before creating the task)",
                                           key);
        return 0;
}

static int parse_annotations(struct oci_ctx *c, json_t *ann)
{
        struct stage0_oci_spec *s = c->s;
        static const struct { const char *name; size_t off; } cri[] = {
                { OCI_ANN_SANDBOX_ID, offsetof(struct stage0_oci_spec, sandbox_id) },
                { OCI_ANN_SANDBOX_NAME, offsetof(struct stage0_oci_spec, sandbox_name) },
                { OCI_ANN_SANDBOX_NAMESPACE, offsetof(struct stage0_oci_spec, sandbox_namespace) },
                { OCI_ANN_SANDBOX_UID, offsetof(struct stage0_oci_spec, sandbox_uid) },
                { OCI_ANN_SANDBOX_LOG_DIR, offsetof(struct stage0_oci_spec, sandbox_log_dir) },
                { OCI_ANN_CONTAINER_NAME, offsetof(struct stage0_oci_spec, container_name) },
                { OCI_ANN_IMAGE_NAME, offsetof(struct stage0_oci_spec, image_name) },
        };
        const char *key;
        json_t *v;

        if (!ann || json_is_null(ann))
                return 0;
        if (!json_is_object(ann))
                return pod_err_set(c->err, -EINVAL, "annotations: expected an object, got %s", json_type_name(ann));
        json_object_foreach(ann, key, v) {
                const char *val;
                if (!json_is_string(v))
                        return pod_err_set(c->err, -EINVAL, "annotations.%s: expected a string, got %s", key,
                                           json_type_name(v));
                val = json_string_value(v);
                s->annotations = xrealloc(s->annotations, (s->n_annotations + 1) * sizeof(*s->annotations));
                s->annotations[s->n_annotations++] = (struct kv){ xstrdup(key), xstrdup(val) };
                for (size_t i = 0; i < ARRAY_SIZE(cri); i++)
                        if (!strcmp(key, cri[i].name))
                                *(char **)((char *)s + cri[i].off) = xstrdup(val);
                if (!strcmp(key, OCI_ANN_CONTAINER_TYPE)) {
                        if (!strcmp(val, "sandbox"))
                                s->kind = STAGE0_OCI_SANDBOX;
                        else if (!strcmp(val, "container"))
                                s->kind = STAGE0_OCI_CONTAINER;
                        else
                                return pod_err_set(c->err, -EINVAL, "annotations.%s: \"%s\": expected sandbox or container",
                                                   key, val);
                }
                /* podinit's own app annotations pass through (Kubernetes pod annotations the CRI plugin forwards);
                 * podinit's manifest parser checks their values when the app is added. */
                if (str_startswith(key, "podinit.io/"))
                        oci_add_annotation(c, key, val);
        }
        if (s->kind == STAGE0_OCI_CONTAINER && !s->sandbox_id)
                return pod_err_set(c->err, -EINVAL, "annotations: a CRI container (%s=container) needs %s",
                                   OCI_ANN_CONTAINER_TYPE, OCI_ANN_SANDBOX_ID);
        return 0;
}

static int parse_root(struct oci_ctx *c, json_t *root, const char *bundle)
{
        static const char *const known[] = { "path", "readonly", NULL };
        json_t *p;
        int r;

        if (!json_is_object(root))
                return pod_err_set(c->err, -EINVAL, "root: required, an object with path");
        if ((r = oci_check_known(c, root, "root", known)) < 0 || (r = oci_get(c, root, "root", "path", JSON_STRING, &p)) < 0 ||
            (r = oci_get_bool(c, root, "root", "readonly", &c->s->rootfs_readonly)) < 0)
                return r;
        if (!p || !*json_string_value(p))
                return pod_err_set(c->err, -EINVAL, "root.path: required");
        c->s->rootfs = json_string_value(p)[0] == '/' ? xstrdup(json_string_value(p))
                                                      : xasprintf("%s/%s", bundle ?: ".", json_string_value(p));
        c->s->app.rootfs = xstrdup(c->s->rootfs);
        c->s->app.readonly_rootfs = c->s->rootfs_readonly;
        return 0;
}

int stage0_oci_spec_parse(const char *json, size_t len, const char *bundle, unsigned flags,
                          struct stage0_oci_spec *ret, struct pod_err *err)
{
        static const char *const known[] = { "ociVersion", "root", "mounts", "process", "hostname", "domainname",
                "hooks", "annotations", "linux", "solaris", "windows", "vm", "zos", NULL };
        struct stage0_oci_spec s = { 0 };
        struct oci_ctx c = { .s = &s, .flags = flags, .err = err };
        json_error_t je;
        json_t *doc, *v;
        size_t i;
        int r;

        if (len > STAGE0_OCI_MAX_BYTES)
                return pod_err_set(err, -E2BIG, "config.json: larger than podinit's limit of %u bytes", STAGE0_OCI_MAX_BYTES);
        doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
        if (!doc)
                return pod_err_set(err, -EINVAL, "config.json: line %d: %s", je.line, je.text);
        if (!json_is_object(doc)) {
                r = pod_err_set(err, -EINVAL, "config.json: expected an object, got %s", json_type_name(doc));
                goto out;
        }
        if ((r = oci_check_known(&c, doc, "", known)) < 0 || (r = oci_get(&c, doc, "", "ociVersion", JSON_STRING, &v)) < 0)
                goto out;
        if (!v || !str_startswith(json_string_value(v), "1.")) {
                r = pod_err_set(err, -EINVAL, "ociVersion: \"%s\": podinit reads version 1.x of the runtime spec",
                                v ? json_string_value(v) : "");
                goto out;
        }
        s.oci_version = xstrdup(json_string_value(v));
        for (const char *const *k = (const char *const[]){ "solaris", "windows", "vm", "zos", NULL }; *k; k++)
                if (json_object_get(doc, *k) && !json_is_null(json_object_get(doc, *k))) {
                        r = pod_err_set(err, -EOPNOTSUPP, "%s: podinit runs Linux containers only; remove it", *k);
                        goto out;
                }
        if ((r = parse_annotations(&c, json_object_get(doc, "annotations"))) < 0 ||
            (r = parse_root(&c, json_object_get(doc, "root"), bundle)) < 0 ||
            (r = parse_process(&c, json_object_get(doc, "process"))) < 0 ||
            (r = parse_hooks(&c, json_object_get(doc, "hooks"))) < 0)
                goto out;
        if ((r = oci_get(&c, doc, "", "hostname", JSON_STRING, &v)) < 0)
                goto out;
        if (v && *json_string_value(v))
                s.hostname = xstrdup(json_string_value(v));
        if ((r = oci_get(&c, doc, "", "domainname", JSON_STRING, &v)) < 0)
                goto out;
        if (v && *json_string_value(v))
                oci_warn(&c, "domainname: \"%s\" is not set (the pod's NIS domain name stays empty)", json_string_value(v));
        if ((r = oci_get(&c, doc, "", "mounts", JSON_ARRAY, &v)) < 0)
                goto out;
        for (i = 0; i < json_array_size(v); i++)
                if ((r = parse_mount(&c, json_array_get(v, i), i)) < 0)
                        goto out;
        if ((r = oci_get(&c, doc, "", "linux", JSON_OBJECT, &v)) < 0)
                goto out;
        if (!v) {
                r = pod_err_set(err, -EINVAL, "linux: required (namespaces at least)");
                goto out;
        }
        if ((r = oci_parse_linux(&c, v)) < 0)
                goto out;
        *ret = s;
        memset(&s, 0, sizeof(s));
        r = 0;
out:
        stage0_oci_spec_done(&s);
        json_decref(doc);
        return r;
}

int stage0_oci_spec_load(int bundle_fd, const char *bundle, unsigned flags, struct stage0_oci_spec *ret,
                         struct pod_err *err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = read_file_at(bundle_fd, "config.json", STAGE0_OCI_MAX_BYTES, &data, &len);

        if (r < 0)
                return pod_err_set(err, r, "%s/config.json: %s", bundle,
                                   r == -EFBIG ? "larger than podinit's limit of 4 MiB" : strerror(-r));
        if ((r = stage0_oci_spec_parse(data, len, bundle, flags, ret, err)) < 0)
                return pod_err_prefix(err, "%s/config.json", bundle);
        return 0;
}

void stage0_oci_spec_done(struct stage0_oci_spec *s)
{
        stage0_app_done(&s->app);
        free(s->oci_version);
        free(s->rootfs);
        free(s->hostname);
        for (size_t i = 0; i < OCI_NS_COUNT; i++)
                free(s->ns[i].path);
        free(s->netns_path);
        free(s->cgroups_path);
        kvs_free(s->sysctl, s->n_sysctl);
        free(s->sandbox_id);
        free(s->sandbox_name);
        free(s->sandbox_namespace);
        free(s->sandbox_uid);
        free(s->sandbox_log_dir);
        free(s->container_name);
        free(s->image_name);
        kvs_free(s->annotations, s->n_annotations);
        strv_free(s->warnings);
        *s = (struct stage0_oci_spec){ 0 };
}

const char *stage0_oci_ns_name(enum stage0_oci_ns_type t)
{
        static const char *const names[OCI_NS_COUNT] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };

        return t < OCI_NS_COUNT ? names[t] : "?";
}
