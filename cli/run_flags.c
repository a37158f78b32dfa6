/*
 * podctl run's command line: the flags of the pod and of each app, parsed
 * (rkt run's syntax), checked before anything exists, and turned into
 * stage0's description of the pod.  Each app flag that podinit reads as an
 * annotation is a row in log_flags or policy_flags, which parsing, checking
 * and the conversion all go through.  Flags are checked here with the same
 * parsers podinit uses, so a mistake is exit 2 before any image is unpacked.
 */
#include "cli/run_flags.h"
#include "common/args.h"
#include "common/log.h"
#include "common/owner.h"
#include "common/seccomp_sets.h"

#include <limits.h>
#include <pwd.h>

/* run -d: an app that ends badly this soon after the pod started fails the run (--start-grace). */
#define RUN_START_GRACE_MS 300u

/* podctl run's --log-* flags, each the annotation of the same meaning (docs/logging.md). */
static const struct {
        const char *flag, *annotation;
} log_flags[9] = {
        { "log-path", ANN_LOG_PATH },
        { "log-line-max", ANN_LOG_LINE_MAX },
        { "log-partial-timeout", ANN_LOG_PARTIAL_TIMEOUT },
        { "log-max-size", ANN_LOG_MAX_SIZE },
        { "log-max-files", ANN_LOG_MAX_FILES },
        { "log-buffer", ANN_LOG_BUFFER },
        { "log-policy", ANN_LOG_POLICY },
        { "log-rate", ANN_LOG_RATE },
        { "log-burst", ANN_LOG_BURST },
};

/* podctl run's supervision flags, each the app annotation of the same meaning (docs/lifecycle.md). */
static const struct {
        const char *flag, *annotation;
} policy_flags[16] = {
        { "restart", ANN_RESTART },
        { "restart-max", ANN_RESTART_MAX },
        { "restart-backoff", ANN_RESTART_BACKOFF },
        { "restart-backoff-max", ANN_RESTART_BACKOFF_MAX },
        { "restart-reset-after", ANN_RESTART_RESET },
        { "essential", ANN_ESSENTIAL },
        { "exit-code-map", ANN_EXIT_CODE_MAP },
        { "stop-signal", ANN_STOP_SIGNAL },
        { "stop-timeout", ANN_APP_STOP_TIMEOUT },
        { "ready", ANN_READY },
        { "ready-probe", ANN_READY_PROBE },
        { "ready-probe-interval", ANN_READY_PROBE_INTERVAL },
        { "ready-probe-timeout", ANN_READY_PROBE_TIMEOUT },
        { "after", ANN_AFTER },
        { "requires", ANN_REQUIRES },
        { "watchdog", ANN_WATCHDOG },
};

/* "A,B,C" as a JSON list of strings. */
static json_t *json_list_of(const char *csv)
{
        json_t *list = json_array();

        for (const char *p = csv; p && *p;) {
                const char *c = strchr(p, ',');
                json_array_append_new(list, json_stringn(p, c ? (size_t)(c - p) : strlen(p)));
                p = c ? c + 1 : NULL;
        }
        return list;
}

/*
 * --seccomp=default | unconfined | mode=retain|remove[,errno=EXXX],NAME|@group,...
 * (the last is rkt run's syntax).  Sets *ret_name to the isolator name and
 * *ret_value to its JSON value, or both to NULL for "default" (no isolator:
 * the default allow-list).  Validates everything podctl can: names, groups,
 * the errno.
 */
static int seccomp_flag_parse(const char *v, const char **ret_name, json_t **ret_value, struct pod_err *err)
{
        enum seccomp_mode mode;
        bool retain;
        int e = 0, r;
        const char *rest;
        json_t *list;

        if (!strcmp(v, "default")) {
                *ret_name = NULL;
                *ret_value = NULL;
                return 0;
        }
        if (!strcmp(v, "unconfined")) {
                *ret_name = ISO_SECCOMP_RETAIN;
                *ret_value = json_pack("{s:[s]}", "set", "@appc.io/all");
                return 0;
        }
        if (!strncmp(v, "mode=retain", 11) && (v[11] == ',' || !v[11]))
                retain = true;
        else if (!strncmp(v, "mode=remove", 11) && (v[11] == ',' || !v[11]))
                retain = false;
        else
                return pod_err_set(err, -EINVAL, "--seccomp=%s: expected default, unconfined or mode=retain|remove[,errno=EXXX],NAME,...", v);
        rest = v[11] ? v + 12 : "";
        if (!strncmp(rest, "errno=", 6)) {
                const char *c = strchr(rest, ',');
                _cleanup_free_ char *en = c ? strndup(rest + 6, (size_t)(c - rest - 6)) : xstrdup(rest + 6);
                if (sc_errno_parse(en, &e) < 0)
                        return pod_err_set(err, -EINVAL, "--seccomp: errno=%s is not an errno name (e.g. EPERM, ENOSYS; see errno(3))", en);
                rest = c ? c + 1 : "";
        }
        if ((r = sc_set_check(rest, retain, &mode, err)) < 0)
                return pod_err_prefix(err, "--seccomp=%s", v);
        list = json_list_of(rest);
        *ret_name = retain ? ISO_SECCOMP_RETAIN : ISO_SECCOMP_REMOVE;
        *ret_value = json_pack("{s:o}", "set", list);
        if (e)
                json_object_set_new(*ret_value, "errno", json_string(sc_errno_name(e)));
        return 0;
}

/*
 * --volume=NAME,kind=host,source=PATH[,readOnly=true][,recursive=false]
 * --volume=NAME,kind=empty[,mode=0755][,uid=N][,gid=N][,readOnly=true]
 * (rkt's syntax) as a volume object; the manifest parser checks the rest.
 */
static int volume_flag_parse(const char *v, json_t **ret, struct pod_err *err)
{
        _cleanup_free_ char *copy = xstrdup(v);
        char *save = NULL, *item = strtok_r(copy, ",", &save);
        json_t *o = json_object();

        if (!item || strchr(item, '=')) {
                json_decref(o);
                return pod_err_set(err, -EINVAL, "--volume=%s: expected NAME,kind=host|empty,...", v);
        }
        json_object_set_new(o, "name", json_string(item));
        while ((item = strtok_r(NULL, ",", &save))) {
                char *eq = strchr(item, '=');
                char *end;
                if (!eq)
                        goto bad;
                *eq++ = '\0';
                if (!strcmp(item, "kind") || !strcmp(item, "source") || !strcmp(item, "mode")) {
                        char cwd[PATH_MAX];
                        _cleanup_free_ char *abs = NULL;
                        /* A relative source is relative to where podctl runs. */
                        if (!strcmp(item, "source") && eq[0] != '/' && getcwd(cwd, sizeof(cwd)))
                                json_object_set_new(o, item, json_string(abs = xasprintf("%s/%s", cwd, eq)));
                        else
                                json_object_set_new(o, item, json_string(eq));
                } else if (!strcmp(item, "readOnly") || !strcmp(item, "recursive")) {
                        if (strcmp(eq, "true") && strcmp(eq, "false"))
                                goto bad;
                        json_object_set_new(o, item, json_boolean(!strcmp(eq, "true")));
                } else if (!strcmp(item, "uid") || !strcmp(item, "gid")) {
                        long long n = strtoll(eq, &end, 10);
                        if (!*eq || *end || n < 0 || n > 0xfffffffeLL)
                                goto bad;
                        json_object_set_new(o, item, json_integer(n));
                } else {
                        goto bad;
                }
        }
        *ret = o;
        return 0;
bad:
        json_decref(o);
        return pod_err_set(err, -EINVAL, "--volume=%s: expected NAME,kind=host,source=PATH[,readOnly=true][,recursive=false] or NAME,kind=empty[,mode=0755][,uid=N][,gid=N]",
                           v);
}

/* --mount=volume=NAME,target=PATH as an apps[].mounts entry. */
static int mount_flag_parse(const char *v, struct stage0_mount *ret, struct pod_err *err)
{
        _cleanup_free_ char *copy = xstrdup(v);
        char *save = NULL, *vol = NULL, *target = NULL;

        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                if (!strncmp(item, "volume=", 7) && !vol)
                        vol = item + 7;
                else if (!strncmp(item, "target=", 7) && !target)
                        target = item + 7;
                else
                        vol = target = NULL, item = NULL;
                if (!item)
                        break;
        }
        if (!vol || !*vol || !target || !*target)
                return pod_err_set(err, -EINVAL, "--mount=%s: expected volume=NAME,target=PATH", v);
        *ret = (struct stage0_mount){ xstrdup(vol), xstrdup(target), NULL };
        return 0;
}

void run_args_done(struct run_args *ra)
{
        strv_free(ra->volumes);
        json_decref(ra->volumes_json);
        strv_free(ra->ports);
        json_decref(ra->ports_json);
        strv_free(ra->dns);
        strv_free(ra->dns_search);
        strv_free(ra->dns_opt);
        free(ra->resolv_conf);
        for (size_t i = 0; i < ra->n_apps; i++) {
                strv_free(ra->apps[i].mounts);
                strv_free(ra->apps[i].rlimits);
                strv_free(ra->apps[i].set_env);
                strv_free(ra->apps[i].args);
                free(ra->apps[i].log_path_abs);
        }
        free(ra->apps);
}

/* An unknown flag as one line that says what was probably meant. */
static int unknown_flag_hint(const struct args_rest *rest, const char *image, struct pod_err *err)
{
        char where[300] = "";

        if (image)
                snprintf(where, sizeof(where), " (an app flag of image %s)", image);
        if (!rest->unknown)
                return image ? pod_err_prefix(err, "image %s", image) : err->code;
        if (rest->suggest)
                return pod_err_set(err, -EINVAL, "unknown flag %.*s%s; did you mean -%s%s?", (int)rest->unknown_len,
                                   rest->unknown, where, strlen(rest->suggest) > 1 ? "-" : "", rest->suggest);
        return pod_err_set(err, -EINVAL, "unknown flag %.*s%s", (int)rest->unknown_len, rest->unknown, where);
}

int parse_run_args(int argc, char **argv, struct run_args *ra, struct pod_err *err)
{
        const struct opt run_opts[] = {
                { "d", OPT_BOOL, &ra->detach },
                { "detach", OPT_BOOL, &ra->detach },
                { "uuid-file-save", OPT_STR, &ra->uuid_file },
                { "net", OPT_STR, &ra->net },
                { "hostname", OPT_STR, &ra->hostname },
                { "stop-timeout", OPT_STR, &ra->stop_timeout },
                { "pod-manifest", OPT_STR, &ra->pod_manifest },
                { "interactive", OPT_BOOL, &ra->interactive },
                { "console-format", OPT_STR, &ra->console_format },
                { "volume", OPT_STRV, &ra->volumes },
                { "exit-policy", OPT_STR, &ra->exit_policy },
                { "mutable", OPT_BOOL, &ra->mutable_pod },
                { "start-grace", OPT_STR, &ra->start_grace },
                { "no-overlay", OPT_BOOL, &ra->no_overlay },
                { "port", OPT_STRV, &ra->ports },
                { "net-config-dir", OPT_STR, &ra->net_config_dir },
                { "net-plugin-dir", OPT_STR, &ra->net_plugin_dir },
                { "net-timeout", OPT_STR, &ra->net_timeout },
                { "netns", OPT_STR, &ra->netns },
                { "dns", OPT_STRV, &ra->dns },
                { "dns-search", OPT_STRV, &ra->dns_search },
                { "dns-opt", OPT_STRV, &ra->dns_opt },
                { "dns-domain", OPT_STR, &ra->dns_domain },
                { "owner", OPT_STR, &ra->owner },
        };
        struct args_rest rest = { 0 };
        int i = 1, r;

        if ((r = args_parse_rest(argc, argv, &i, run_opts, ARRAY_SIZE(run_opts), &rest, err)) < 0)
                return unknown_flag_hint(&rest, NULL, err);
        while (i < argc) {
                struct app_args *a;
                int start;

                if (!strcmp(argv[i], "---")) {
                        i++;
                        continue;
                }
                if (argv[i][0] == '-')
                        return pod_err_set(err, -EINVAL, "expected an IMAGE, got \"%s\"", argv[i]);
                ra->apps = xrealloc(ra->apps, (ra->n_apps + 1) * sizeof(*ra->apps));
                a = &ra->apps[ra->n_apps++];
                memset(a, 0, sizeof(*a));
                a->image = argv[i++];
                {
                        struct opt app_opts[64] = {
                                { "name", OPT_STR, &a->name },
                                { "exec", OPT_STR, &a->exec },
                                { "user", OPT_STR, &a->user },
                                { "group", OPT_STR, &a->group },
                                { "set-env", OPT_STRV, &a->set_env },
                                { "stdin", OPT_STR, &a->io[IO_STDIN] },
                                { "stdout", OPT_STR, &a->io[IO_STDOUT] },
                                { "stderr", OPT_STR, &a->io[IO_STDERR] },
                                { "log-attached", OPT_BOOL, &a->log_attached },
                                { "caps-retain", OPT_STR, &a->caps_retain },
                                { "caps-remove", OPT_STR, &a->caps_remove },
                                { "seccomp", OPT_STR, &a->seccomp },
                                { "mount", OPT_STRV, &a->mounts },
                                { "readonly-rootfs", OPT_BOOL, &a->readonly_rootfs },
                                { "rootfs", OPT_STR, &a->rootfs },
                                { "memory", OPT_STR, &a->memory },
                                { "cpu", OPT_STR, &a->cpu },
                                { "cpu-shares", OPT_STR, &a->cpu_shares },
                                { "pids-max", OPT_STR, &a->pids_max },
                                { "rlimit", OPT_STRV, &a->rlimits },
                                { log_flags[0].flag, OPT_STR, &a->log[0] },
                                { log_flags[1].flag, OPT_STR, &a->log[1] },
                                { log_flags[2].flag, OPT_STR, &a->log[2] },
                                { log_flags[3].flag, OPT_STR, &a->log[3] },
                                { log_flags[4].flag, OPT_STR, &a->log[4] },
                                { log_flags[5].flag, OPT_STR, &a->log[5] },
                                { log_flags[6].flag, OPT_STR, &a->log[6] },
                                { log_flags[7].flag, OPT_STR, &a->log[7] },
                                { log_flags[8].flag, OPT_STR, &a->log[8] },
                        };
                        size_t n_app_opts = 0;
                        while (app_opts[n_app_opts].name)
                                n_app_opts++;
                        for (size_t k = 0; k < ARRAY_SIZE(policy_flags); k++)
                                app_opts[n_app_opts++] = (struct opt){ policy_flags[k].flag, OPT_STR, &a->pol[k] };
                        /* "---" ends an app's flags too. */
                        int end = i;
                        while (end < argc && strcmp(argv[end], "---") && strcmp(argv[end], "--"))
                                end++;
                        start = i;
                        memset(&rest, 0, sizeof(rest));
                        if ((r = args_parse_rest(end, argv, &i, app_opts, n_app_opts, &rest, err)) < 0)
                                return unknown_flag_hint(&rest, a->image, err);
                        (void)start;
                        if (i < argc && !strcmp(argv[i], "--")) {
                                i++;
                                a->has_args = true;
                                a->args = xcalloc(1, sizeof(char *));
                                while (i < argc && strcmp(argv[i], "---"))
                                        strv_push(&a->args, argv[i++]);
                        }
                }
        }
        if (ra->n_apps == 0 && !ra->pod_manifest && !ra->mutable_pod)
                return pod_err_set(err, -EINVAL, "no IMAGE given (an empty pod is `podctl app sandbox`)");
        return 0;
}

/*
 * --owner=USER|UID: a user of the host (podctl may ask the host's user
 * database; podinit gets the number).  root is no owner: it needs none.
 */
static int owner_resolve(struct run_args *ra, struct pod_err *err)
{
        struct passwd *pw;

        ra->owner_uid = POD_NO_OWNER;
        if (!ra->owner)
                return 0;
        if (owner_uid_parse(ra->owner, &ra->owner_uid) == 0)
                ;
        else if (*ra->owner && (pw = getpwnam(ra->owner)))
                ra->owner_uid = pw->pw_uid;
        else
                return pod_err_set(err, -EINVAL, "--owner=%s: no such user on this host (give a user name or a numeric uid)",
                                   ra->owner);
        if (ra->owner_uid == 0)
                ra->owner_uid = POD_NO_OWNER;
        return 0;
}

int check_run_args(struct run_args *ra, struct pod_err *err)
{
        uint64_t ms;

        /* Before anything is unpacked: 2,000 images are refused at once, not after unpacking them. */
        if (ra->n_apps > POD_MAX_APPS)
                return pod_err_set(err, -E2BIG, "%zu apps given; a pod has at most %d", ra->n_apps, POD_MAX_APPS);
        ra->grace_ms = RUN_START_GRACE_MS;
        if (owner_resolve(ra, err) < 0)
                return err->code;
        if (ra->start_grace) {
                if (parse_duration_ms(ra->start_grace, &ms) < 0 || ms > 60000)
                        return pod_err_set(err, -EINVAL, "--start-grace=%s: expected a duration up to 1m such as 300ms or 2s (0: none)",
                                           ra->start_grace);
                if (!ra->detach)
                        return pod_err_set(err, -EINVAL, "--start-grace is for a detached run (-d)");
                ra->grace_ms = (unsigned)ms;
        }
        /* An empty sandbox has nothing to watch. */
        if (ra->n_apps == 0 && !ra->pod_manifest)
                ra->grace_ms = 0;

        if (check_net_args(ra, err) < 0)
                return err->code;
        for (size_t i = 0; i < ra->n_apps; i++)
                for (int k = 0; k < IO_STREAMS; k++) {
                        enum io_mode m;
                        if (ra->apps[i].io[k] && io_mode_parse(ra->apps[i].io[k], k, &m) < 0) {
                                return pod_err_set(err, -EINVAL, "--%s=%s: expected %s", io_stream_name(k), ra->apps[i].io[k],
                                          k == IO_STDIN ? "null, stream, tty or interactive"
                                                        : "null, log, stream, tty or interactive");
                        }
                }
        if (ra->interactive && (ra->detach || ra->n_apps != 1)) {
                return pod_err_set(err, -EINVAL, "--interactive needs one app and a foreground run (no -d)");
        }
        if (ra->console_format && strcmp(ra->console_format, "raw") && strcmp(ra->console_format, "rkt") &&
            strcmp(ra->console_format, "none")) {
                return pod_err_set(err, -EINVAL, "--console-format=%s: expected raw, rkt or none", ra->console_format);
        }
        if (ra->netns && (!*ra->netns || ra->net))
                return pod_err_set(err, -EINVAL, ra->net ? "--netns and --net: give one of them (--netns joins an existing "
                                                           "network namespace; --net makes one, or uses the host's)"
                                                         : "--netns: expected the path of a network namespace");
        if (ra->hostname && (!*ra->hostname || strlen(ra->hostname) > HOST_NAME_MAX)) {
                return pod_err_set(err, -EINVAL, "--hostname: must be 1 to %d characters long (it is %zu)", HOST_NAME_MAX,
                          strlen(ra->hostname));
        }
        if (ra->stop_timeout && (parse_duration_ms(ra->stop_timeout, &ms) < 0 || ms > 24ull * 3600 * 1000)) {
                return pod_err_set(err, -EINVAL, "--stop-timeout=%s: expected a duration up to 24h such as 10s, 500ms or 2m", ra->stop_timeout);
        }
        /* The --log-* flags, one by one, so the message names the flag and the app. */
        for (size_t i = 0; i < ra->n_apps; i++)
                for (size_t k = 0; k < ARRAY_SIZE(log_flags); k++) {
                        struct kv one = { (char *)log_flags[k].annotation, (char *)ra->apps[i].log[k] };
                        struct log_spec spec = { 0 };
                        char cwd[PATH_MAX];
                        if (!one.value)
                                continue;
                        /* A relative --log-path is relative to where podctl runs. */
                        if (k == 0 && one.value[0] != '/' && getcwd(cwd, sizeof(cwd)))
                                ra->apps[i].log[0] = one.value = ra->apps[i].log_path_abs =
                                        xasprintf("%s/%s", cwd, one.value);
                        _cleanup_free_ char *where = xasprintf("--%s", log_flags[k].flag);
                        if (log_spec_parse(&one, 1, where, &spec, err) < 0) {
                                free(spec.path);
                                return pod_err_prefix(err, "app %s", ra->apps[i].name ? ra->apps[i].name : ra->apps[i].image);
                        }
                        free(spec.path);
                }
        /* The supervision flags, checked up front (exit 2), each app's together. */
        for (size_t i = 0; i < ra->n_apps; i++) {
                struct kv kvs[ARRAY_SIZE(policy_flags)];
                struct app_policy pol;
                size_t n = 0;
                for (size_t k = 0; k < ARRAY_SIZE(policy_flags); k++)
                        if (ra->apps[i].pol[k])
                                kvs[n++] = (struct kv){ (char *)policy_flags[k].annotation, (char *)ra->apps[i].pol[k] };
                _cleanup_free_ char *where = xasprintf("app %s: flags", ra->apps[i].name ? ra->apps[i].name : ra->apps[i].image);
                if (app_policy_parse(kvs, n, where, &pol, err) < 0) {
                        char m[sizeof(err->msg)];
                        snprintf(m, sizeof(m), "%s", err->msg);
                        return pod_err_set(err, -EINVAL, "%.400s (each --FLAG sets the annotation podinit.io/FLAG; see podctl(1))", m);
                }
                app_policy_done(&pol);
        }
        if (ra->exit_policy) {
                enum exit_policy ep;
                _cleanup_free_ char *app = NULL;
                if (exit_policy_parse(ra->exit_policy, &ep, &app, err) < 0) {
                        return pod_err_set(err, -EINVAL, "--exit-policy=%s: expected first-failure, highest or app:NAME", ra->exit_policy);
                }
        }
        for (size_t i = 0; i < ra->n_apps; i++) {
                uint64_t mask;
                const char *caps = ra->apps[i].caps_retain ? ra->apps[i].caps_retain : ra->apps[i].caps_remove;
                if (ra->apps[i].caps_retain && ra->apps[i].caps_remove) {
                        return pod_err_set(err, -EINVAL, "image %s: --caps-retain and --caps-remove cannot be used together", ra->apps[i].image);
                }
                if (caps && !*caps)
                        return pod_err_set(err, -EINVAL, "image %s: --caps-%s: give at least one capability", ra->apps[i].image,
                                           ra->apps[i].caps_retain ? "retain" : "remove");
                if (caps && caps_parse_list(caps, &mask, err) < 0)
                        return pod_err_prefix(err, "image %s: --caps-%s", ra->apps[i].image,
                                              ra->apps[i].caps_retain ? "retain" : "remove");
                if (ra->apps[i].seccomp) {
                        const char *n;
                        json_t *v = NULL;
                        if (seccomp_flag_parse(ra->apps[i].seccomp, &n, &v, err) < 0)
                                return pod_err_prefix(err, "image %s", ra->apps[i].image);
                        json_decref(v);
                }
        }
        /* Volumes and the resource, mount and rlimit flags, each with its flag in the message. */
        if (ra->volumes) {
                struct volume *vols = NULL;
                size_t nv = 0;
                ra->volumes_json = json_array();
                for (char **v = ra->volumes; *v; v++) {
                        json_t *o = NULL;
                        if (volume_flag_parse(*v, &o, err) < 0)
                                goto bad_flag;
                        json_array_append_new(ra->volumes_json, o);
                }
                if (volume_list_parse(ra->volumes_json, "--volume", &vols, &nv, err) < 0)
                        goto bad_flag;
                volumes_free(vols, nv);
        }
        for (size_t i = 0; i < ra->n_apps; i++) {
                const struct app_args *a = &ra->apps[i];
                uint64_t q;
                long n;
                for (char **mv = a->mounts; mv && *mv; mv++) {
                        struct stage0_mount m;
                        if (mount_flag_parse(*mv, &m, err) < 0)
                                goto bad_flag;
                        free(m.volume);
                        free(m.path);
                }
                if (a->memory && (k8s_quantity_parse(a->memory, false, &q) < 0 || q == 0)) {
                        pod_err_set(err, -EINVAL, "--memory=%s: expected a memory quantity above 0 such as 512Mi or 1G", a->memory);
                        goto bad_flag;
                }
                if (a->cpu && (k8s_quantity_parse(a->cpu, true, &q) < 0 || q == 0 || q > (uint64_t)INT64_MAX / 1000)) {
                        pod_err_set(err, -EINVAL, "--cpu=%s: expected CPUs above 0: 500m is half a CPU, 2 is two CPUs", a->cpu);
                        goto bad_flag;
                }
                /* Kubernetes' unit is a CPU: "500" is 500 CPUs, which someone meaning half a CPU should hear about. */
                if (a->cpu && !strchr(a->cpu, 'm') && q > 1000 * (uint64_t)sysconf(_SC_NPROCESSORS_ONLN))
                        log_warn("run: --cpu=%s is %s CPUs, more than this host has (%ld); half a CPU is --cpu=500m",
                                 a->cpu, a->cpu, sysconf(_SC_NPROCESSORS_ONLN));
                if (a->cpu_shares && parse_long(a->cpu_shares, 2, 262144, &n) < 0) {
                        pod_err_set(err, -EINVAL, "--cpu-shares=%s: expected a number from 2 to 262144", a->cpu_shares);
                        goto bad_flag;
                }
                if (a->pids_max && parse_long(a->pids_max, 1, POD_MAX_PIDS_MAX, &n) < 0) {
                        pod_err_set(err, -EINVAL, "--pids-max=%s: expected a number from 1 to %d", a->pids_max, POD_MAX_PIDS_MAX);
                        goto bad_flag;
                }
                for (char **rl = a->rlimits; rl && *rl; rl++) {
                        const char *eq = strchr(*rl, '=');
                        _cleanup_free_ char *nm = eq ? strndup(*rl, (size_t)(eq - *rl)) : NULL;
                        struct rlimit lim;
                        int res = nm ? rlimit_from_name(nm) : -EINVAL;
                        if (res < 0 || rlimit_value_parse(res, eq + 1, &lim) < 0) {
                                pod_err_set(err, -EINVAL, "--rlimit=%s: expected NAME=SOFT[:HARD] (e.g. nofile=1024:4096; names as in docs/manifest.md)",
                                            *rl);
                                goto bad_flag;
                        }
                }
        }
        return 0;
bad_flag:
        return -EINVAL;
}

bool app_args_any(const struct app_args *a)
{
        for (size_t k = 0; k < ARRAY_SIZE(a->log); k++)
                if (a->log[k])
                        return true;
        return a->name || a->exec || a->user || a->group || a->set_env || a->has_args || a->io[0] || a->io[1] ||
               a->io[2] || a->log_attached || a->caps_retain || a->caps_remove || a->seccomp || a->mounts ||
               a->readonly_rootfs || a->rootfs || a->memory || a->cpu || a->cpu_shares || a->pids_max || a->rlimits;
}

static char *xstrdup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

static void add_annotation(struct stage0_app *s, char *name, const char *value)
{
        s->annotations = xrealloc(s->annotations, (s->n_annotations + 1) * sizeof(*s->annotations));
        s->annotations[s->n_annotations++] = (struct kv){ name, xstrdup(value) };
}

static void add_isolator(struct stage0_app *s, const char *name, json_t *value)
{
        s->isolators = xrealloc(s->isolators, (s->n_isolators + 1) * sizeof(*s->isolators));
        s->isolators[s->n_isolators++] = (struct stage0_isolator){ xstrdup(name), value };
}

int run_args_to_app(const struct run_args *ra, const struct app_args *a, struct stage0_app *ret,
                    struct pod_err *err)
{
        struct stage0_app s = {
                .image = xstrdup(a->image),
                .name = xstrdup_or_null(a->name),
                .exec = xstrdup_or_null(a->exec),
                .args = a->has_args ? strv_copy(a->args) : NULL,
                .user = xstrdup_or_null(a->user),
                .group = xstrdup_or_null(a->group),
                .env = a->set_env ? strv_copy(a->set_env) : NULL,
                .readonly_rootfs = a->readonly_rootfs,
                .rootfs = a->rootfs ? realpath(a->rootfs, NULL) : NULL,
        };

        if (a->rootfs && !s.rootfs) {
                int e = errno;
                stage0_app_done(&s);
                return pod_err_set(err, -e, "--rootfs=%s: %s", a->rootfs, strerror(e));
        }

        /* Isolators, each replacing the image's of its kind. */
        if (a->caps_retain || a->caps_remove)
                add_isolator(&s, a->caps_retain ? ISO_CAPS_RETAIN : ISO_CAPS_REMOVE,
                             json_pack("{s:o}", "set", json_list_of(a->caps_retain ?: a->caps_remove)));
        if (a->seccomp) {
                const char *name;
                json_t *value;
                if (seccomp_flag_parse(a->seccomp, &name, &value, err) < 0) {
                        stage0_app_done(&s);
                        return pod_err_prefix(err, "image %s", a->image);
                }
                /* "default": no seccomp isolator, the image's dropped too. */
                add_isolator(&s, name ?: ISO_SECCOMP_RETAIN, value);
        }
        if (a->memory)
                add_isolator(&s, ISO_MEMORY, json_pack("{s:s}", "limit", a->memory));
        if (a->cpu)
                add_isolator(&s, ISO_CPU, json_pack("{s:s}", "limit", a->cpu));
        if (a->cpu_shares)
                add_isolator(&s, ISO_CPU_SHARES, json_integer(strtoll(a->cpu_shares, NULL, 10)));

        /* Annotations: I/O modes (--interactive is every stream's default), logging, supervision, rlimits. */
        for (int k = 0; k < IO_STREAMS; k++) {
                const char *mode = a->io[k] ? a->io[k] : ra->interactive ? "interactive" : NULL;
                if (mode)
                        add_annotation(&s, xasprintf(ANN_IO_PREFIX "%s", io_stream_name(k)), mode);
        }
        if (a->log_attached)
                add_annotation(&s, xstrdup(ANN_LOG_ATTACHED), "true");
        for (size_t k = 0; k < ARRAY_SIZE(log_flags); k++)
                if (a->log[k])
                        add_annotation(&s, xstrdup(log_flags[k].annotation), a->log[k]);
        if (a->pids_max)
                add_annotation(&s, xstrdup(ANN_PIDS_MAX), a->pids_max);
        for (size_t k = 0; k < ARRAY_SIZE(policy_flags); k++)
                if (a->pol[k])
                        add_annotation(&s, xstrdup(policy_flags[k].annotation), a->pol[k]);
        for (char **rl = a->rlimits; rl && *rl; rl++) {
                const char *eq = strchr(*rl, '=');      /* checked: NAME=SOFT[:HARD] */
                add_annotation(&s, xasprintf("%s%.*s", ANN_RLIMIT_PREFIX, (int)(eq - *rl), *rl), eq + 1);
        }

        for (char **mv = a->mounts; mv && *mv; mv++) {
                struct stage0_mount m;
                if (mount_flag_parse(*mv, &m, err) == 0) {
                        s.mounts = xrealloc(s.mounts, (s.n_mounts + 1) * sizeof(*s.mounts));
                        s.mounts[s.n_mounts++] = m;
                }
        }
        *ret = s;
        return 0;
}

int run_args_to_pod(const struct run_args *ra, struct stage0_pod *ret, struct pod_err *err)
{
        struct stage0_pod p = {
                .apps = xcalloc(ra->n_apps, sizeof(*p.apps)),
                .manifest_path = xstrdup_or_null(ra->pod_manifest),
                .mutable_pod = ra->mutable_pod,
                .volumes = json_incref(ra->volumes_json),
                .ports = json_incref(ra->ports_json),
                .resolv_conf = xstrdup_or_null(ra->resolv_conf),
                .stop_timeout = xstrdup_or_null(ra->stop_timeout),
                .exit_policy = xstrdup_or_null(ra->exit_policy),
        };
        int r;

        for (; p.n_apps < ra->n_apps; p.n_apps++)
                if ((r = run_args_to_app(ra, &ra->apps[p.n_apps], &p.apps[p.n_apps], err)) < 0) {
                        stage0_pod_done(&p);
                        return r;
                }
        *ret = p;
        return 0;
}
