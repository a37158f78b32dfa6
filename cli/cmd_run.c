/*
 * podctl run: prepare a pod directory the way rkt's stage0 does, then exec
 * podinit (the stage1 `run` entrypoint) in it.
 *
 *   <dir>/pods/prepare/<uuid>   while images are unpacked (lock held)
 *   <dir>/pods/run/<uuid>       once complete; podinit inherits the lock
 *
 * Everything that can be checked on the host is checked before the pod
 * exists as a running pod: images, the manifest (with podinit's own parser),
 * users and groups in each app's rootfs.  Any failure removes the whole
 * prepare directory, so a failed `run` leaves nothing behind.
 */
#include "cli/cli.h"
#include "common/resolve.h"
#include "common/args.h"
#include "common/fdutil.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/podstate.h"
#include "common/proto.h"
#include "common/seccomp_sets.h"
#include "common/userdb.h"
#include "common/uuid.h"
#include "image/image.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* run -d: an app that ends badly this soon after the pod started fails the run (--start-grace). */
#define RUN_START_GRACE_MS 300u
/* ... how long it waits for podinit's "stopping" after an app failed (it follows at once) ... */
#define RUN_STOPPING_WAIT_MS 1000u
/* ... and then how long run waits for the pod to end, to report its exit code. */
#define RUN_FAILED_STOP_WAIT_MS 2000u

struct app_args {
        const char *image;
        const char *name, *exec, *user, *group;
        const char *io[IO_STREAMS];     /* --stdin/--stdout/--stderr */
        char **set_env;
        bool log_attached;
        const char *log[9];     /* --log-*: values of the log_flags annotations */
        const char *caps_retain, *caps_remove;
        char *log_path_abs;     /* a relative --log-path made absolute (log[0] points to it) */
        const char *seccomp;    /* --seccomp */
        char **mounts;          /* --mount=volume=NAME,target=PATH */
        bool readonly_rootfs;   /* --readonly-rootfs */
        const char *memory, *cpu, *cpu_shares, *pids_max;       /* --memory, --cpu, --cpu-shares, --pids-max */
        char **rlimits;         /* --rlimit=NAME=SOFT[:HARD] */
        const char *pol[16];    /* supervision flags: values of the policy_flags annotations */
        char **args;            /* after "--"; NULL if none given */
        bool has_args;
};

struct run_args {
        bool detach, debug, interactive;
        const char *start_grace;        /* -d: --start-grace */
        unsigned grace_ms;              /* its value, or the default */
        bool mutable_pod;       /* --mutable (podctl app sandbox): apps are added and removed later */
        const char *uuid_file, *net, *hostname, *stop_timeout, *pod_manifest, *console_format, *exit_policy;
        char **volumes;         /* --volume=NAME,kind=...,... */
        json_t *volumes_json;   /* the same, as the manifest's "volumes" */
        struct app_args *apps;
        size_t n_apps;
};

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

/* A flag's isolator replaces the image's of either name (value taken; NULL: none). */
static void replace_isolator(json_t *app, const char *name1, const char *name2, const char *name, json_t *value)
{
        json_t *isos = json_object_get(app, "isolators");

        if (!json_is_array(isos)) {
                isos = json_array();
                json_object_set_new(app, "isolators", isos);
        }
        for (size_t i = json_array_size(isos); i-- > 0;) {
                const char *n = json_string_value(json_object_get(json_array_get(isos, i), "name"));
                if (n && (!strcmp(n, name1) || !strcmp(n, name2)))
                        json_array_remove(isos, i);
        }
        if (name)
                json_array_append_new(isos, json_pack("{s:s,s:o}", "name", name, "value", value));
}

/* --caps-retain / --caps-remove (checked before the pod is prepared). */
static void set_caps_isolator(json_t *app, const struct app_args *a)
{
        const char *list = a->caps_retain ? a->caps_retain : a->caps_remove;

        replace_isolator(app, ISO_CAPS_RETAIN, ISO_CAPS_REMOVE, a->caps_retain ? ISO_CAPS_RETAIN : ISO_CAPS_REMOVE,
                         json_pack("{s:o}", "set", json_list_of(list)));
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

/* --seccomp: the app's seccomp isolator, replacing the image's. */
static int set_seccomp_isolator(json_t *app, const struct app_args *a, struct pod_err *err)
{
        json_t *value;
        const char *name;
        int r;

        if ((r = seccomp_flag_parse(a->seccomp, &name, &value, err)) < 0)
                return pod_err_prefix(err, "image %s", a->image);
        replace_isolator(app, ISO_SECCOMP_RETAIN, ISO_SECCOMP_REMOVE, name, value);
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
static int mount_flag_parse(const char *v, json_t **ret, struct pod_err *err)
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
        *ret = json_pack("{s:s,s:s}", "volume", vol, "path", target);
        return 0;
}

void run_usage(FILE *f)
{
        fprintf(f,
                "usage: podctl run [-d] [--net=none|host] [--hostname=NAME] [--stop-timeout=DURATION]\n"
                "                  [--uuid-file-save=FILE] [--pod-manifest=FILE] [--interactive]\n"
                "                  [--console-format=raw|rkt|none]\n"
                "                  [--volume=NAME,kind=host,source=PATH[,readOnly=true][,recursive=false]]...\n"
                "                  [--volume=NAME,kind=empty[,mode=0755][,uid=N][,gid=N]]...\n"
                "                  IMAGE [--name=NAME] [--exec=CMD] [--user=U] [--group=G] [--set-env=K=V]...\n"
                "                        [--stdin=null|stream|tty|interactive] [--stdout=MODE] [--stderr=MODE] [--log-attached]\n"
                "                        [--log-path=FILE] [--log-max-size=SIZE] [--log-max-files=N] [--log-policy=block|drop]\n"
                "                        [--log-buffer=SIZE] [--log-rate=LINES/s] [--log-burst=LINES] [--log-line-max=SIZE]\n"
                "                        [--log-partial-timeout=DURATION]\n"
                "                        [--caps-retain=CAP,...] [--caps-remove=CAP,...]\n"
                "                        [--seccomp=default|unconfined|mode=retain|remove[,errno=EXXX],SYSCALL|@GROUP,...]\n"
                "                        [--mount=volume=NAME,target=PATH]... [--readonly-rootfs]\n"
                "                        [--memory=QUANTITY] [--cpu=CPUS] [--cpu-shares=N] [--pids-max=N]\n"
                "                        [--rlimit=NAME=SOFT[:HARD]]...\n"
                "                        [-- ARG...]\n"
                "                  [--- IMAGE ...]\n"
                "IMAGE is an .aci file or an unpacked ACI directory (manifest + rootfs/); at most %d apps.\n"
                "Each app's output is logged to a CRI log file; `podctl logs` reads it (see podctl(1)).\n"
                "  -d, --detach        print the pod UUID once every app has started; fail (the app's name\n"
                "                      and status) if an app fails within --start-grace of starting\n"
                "                      and that stops the pod (not restarted, essential)\n"
                "  --start-grace=DURATION  with -d: how long an app must stay up (default 300ms; 0: no wait)\n"
                "  --memory=QUANTITY   memory limit: bytes with a suffix, 256Mi, 1G\n"
                "  --cpu=CPUS          CPU limit in CPUs, Kubernetes style: 500m is half a CPU, 2 is two CPUs\n"
                "                      (500 means 500 CPUs)\n"
                "  --cpu-shares=N      CPU weight (2 to 262144)\n"
                "  --pids-max=N        at most N processes in the app\n",
                POD_MAX_APPS);
}

static void run_args_done(struct run_args *ra)
{
        strv_free(ra->volumes);
        json_decref(ra->volumes_json);
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

static int parse_run_args(int argc, char **argv, struct run_args *ra, struct pod_err *err)
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

static const char *find_podinit(void)
{
        static char path[4096];
        const char *env = getenv("PODINIT");
        char self[4096];
        ssize_t n;

        if (env && *env)
                return env;
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = '\0';
                snprintf(path, sizeof(path), "%s/podinit", dirname(self));
                if (access(path, X_OK) == 0)
                        return path;
                snprintf(path, sizeof(path), "%s/../lib/podinit/podinit", self);
                if (access(path, X_OK) == 0)
                        return path;
        }
        return NULL;
}

static int write_text(int dirfd, const char *path, const char *text, mode_t mode, struct pod_err *err)
{
        int r = write_file_atomic(dirfd, path, text, strlen(text), mode, 0);
        if (r < 0)
                return pod_err_set(err, r, "writing %s: %s", path, strerror(-r));
        return 0;
}

static int make_layout(int podfd, struct pod_err *err)
{
        static const char *const dirs[] = {
                "stage1/rootfs/etc", "stage1/rootfs/opt/stage2", "stage1/rootfs/rkt/status",
                "stage1/rootfs/rkt/env", "stage1/rootfs/rkt/iottymux",
        };
        static const char stage1_manifest[] =
                "{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"podinit.io/stage1\","
                "\"labels\":[{\"name\":\"version\",\"value\":\"" POD_VERSION "\"},{\"name\":\"arch\",\"value\":\"amd64\"},"
                "{\"name\":\"os\",\"value\":\"linux\"}],\"annotations\":["
                "{\"name\":\"coreos.com/rkt/stage1/run\",\"value\":\"/init\"},"
                "{\"name\":\"coreos.com/rkt/stage1/interface-version\",\"value\":\"6\"}]}\n";
        static const char hosts[] =
                "127.0.0.1 localhost localhost.domain localhost4 localhost4.localdomain4\n"
                "::1 ip6-localhost ip6-loopback localhost6 localhost6.localdomain6\n";
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
                if ((r = mkdir_p_at(podfd, dirs[i], 0755)) < 0)
                        return pod_err_set(err, r, "creating %s: %s", dirs[i], strerror(-r));
        if ((r = write_text(podfd, "pod-created", "", 0644, err)) < 0 ||
            (r = write_text(podfd, "pod.lck", "", 0600, err)) < 0 ||
            (r = write_text(podfd, "stage1/manifest", stage1_manifest, 0644, err)) < 0 ||
            (r = write_text(podfd, "stage1/rootfs/etc/hosts-fallback", hosts, 0644, err)) < 0)
                return r;
        return 0;
}

/* The image's raw "app" object with the command-line overrides applied. */
static int build_app_json(const struct app_args *a, const char *manifest_path, json_t **ret,
                          struct pod_err *err)
{
        json_t *im = json_load_file(manifest_path, JSON_REJECT_DUPLICATES, NULL);
        json_t *app = im ? json_deep_copy(json_object_get(im, "app")) : NULL;
        json_t *exec, *env;

        json_decref(im);
        if (!json_is_object(app)) {
                json_decref(app);
                app = json_object();
        }
        exec = json_object_get(app, "exec");
        if (a->exec) {
                exec = json_array();
                json_array_append_new(exec, json_string(a->exec));
                json_object_set_new(app, "exec", exec);
        }
        if (a->has_args) {
                if (!json_is_array(exec) || json_array_size(exec) == 0) {
                        json_decref(app);
                        return pod_err_set(err, -EINVAL, "image %s has no exec to pass arguments to (try --exec=BINARY)",
                                           a->image);
                }
                while (json_array_size(exec) > 1)
                        json_array_remove(exec, 1);
                for (char **p = a->args; *p; p++)
                        json_array_append_new(exec, json_string(*p));
        }
        if (!json_object_get(app, "exec")) {
                json_decref(app);
                return pod_err_set(err, -EINVAL, "image %s has an empty \"exec\" (try --exec=BINARY)", a->image);
        }
        if (a->user)
                json_object_set_new(app, "user", json_string(a->user));
        if (a->group)
                json_object_set_new(app, "group", json_string(a->group));
        if (!json_object_get(app, "user"))
                json_object_set_new(app, "user", json_string("0"));
        if (!json_object_get(app, "group"))
                json_object_set_new(app, "group", json_string("0"));
        env = json_object_get(app, "environment");
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(app, "environment", env);
        }
        for (char **kv = a->set_env; kv && *kv; kv++) {
                const char *eq = strchr(*kv, '=');
                _cleanup_free_ char *name = NULL;
                size_t i;
                json_t *it;
                bool replaced = false;

                if (!eq || eq == *kv) {
                        json_decref(app);
                        return pod_err_set(err, -EINVAL, "--set-env=%s: expected NAME=VALUE", *kv);
                }
                name = strndup(*kv, (size_t)(eq - *kv));
                json_array_foreach(env, i, it)
                        if (!strcmp(json_string_value(json_object_get(it, "name")) ?: "", name)) {
                                json_object_set_new(it, "value", json_string(eq + 1));
                                replaced = true;
                        }
                if (!replaced)
                        json_array_append_new(env, json_pack("{s:s,s:s}", "name", name, "value", eq + 1));
        }
        *ret = app;
        return 0;
}

/* Check user and group against the unpacked rootfs now, so the pod is never created with them wrong. */
static int check_ids(int podfd, const struct pod_app *a, struct pod_err *err)
{
        _cleanup_free_ char *root = xasprintf("stage1/rootfs/opt/stage2/%s/rootfs", a->name);
        _cleanup_close_ int rfd = openat(podfd, root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        uid_t u;
        gid_t gid;
        int r;

        if (rfd < 0)
                return pod_err_set(err, -errno, "app \"%s\": %s: %s", a->name, root, strerror(errno));
        if ((r = userdb_resolve_user(rfd, a->app.user, &u, err)) < 0 ||
            (r = userdb_resolve_group(rfd, a->app.group, &gid, err)) < 0)
                return pod_err_prefix(err, "app \"%s\"", a->name);
        return 0;
}

static int unpack_app(int podfd, const char *podpath, const char *image, const char *want_name,
                      char **ret_name, struct image_manifest **ret_im, struct pod_err *err)
{
        static unsigned seq;
        _cleanup_free_ char *tmp = xasprintf("%s/stage1/rootfs/opt/stage2/.unpack-%u", podpath, seq++);
        _cleanup_free_ char *name = NULL, *dst = NULL;
        struct image_manifest *im;
        int r;

        if ((r = image_unpack(image, tmp, &im, err)) < 0)
                return r;
        name = want_name ? xstrdup(want_name) : acname_from_image_name(im->name);
        if (!acname_valid(name)) {
                r = pod_err_set(err, -EINVAL, "--name=%s: not a valid app name (lower-case letters, digits and single dashes)", name);
                goto fail;
        }
        dst = xasprintf("%s/stage1/rootfs/opt/stage2/%s", podpath, name);
        if (access(dst, F_OK) == 0) {
                r = pod_err_set(err, -EEXIST, "two apps are named \"%s\"; give one of them --name=OTHER", name);
                goto fail;
        }
        if (rename(tmp, dst) < 0) {
                r = pod_err_set(err, -errno, "moving the image into place: %s", strerror(errno));
                goto fail;
        }
        (void)podfd;
        *ret_name = TAKE_PTR(name);
        *ret_im = im;
        return 0;
fail:
        image_manifest_free(im);
        rm_rf_at(AT_FDCWD, tmp);
        return r;
}

/*
 * --pod-manifest: each app names its image (apps[].image.name); find it among
 * the images given (reading only their manifests), then unpack it under the
 * app's name.  Two apps may share one image.
 */
static int unpack_for_manifest(int podfd, const char *podpath, const struct run_args *ra,
                               struct pod_manifest *m, struct pod_err *err)
{
        struct image_manifest **ims = xcalloc(ra->n_apps + 1, sizeof(*ims));
        int r = 0;

        for (size_t k = 0; k < ra->n_apps && r == 0; k++)
                r = image_peek_manifest(ra->apps[k].image, &ims[k], err);
        for (size_t i = 0; i < m->n_apps && r == 0; i++) {
                struct pod_app *a = &m->apps[i];
                struct image_manifest *im = NULL;
                char *name = NULL;
                size_t k;

                for (k = 0; k < ra->n_apps; k++)
                        if (a->image_name && !strcmp(ims[k]->name, a->image_name))
                                break;
                if (k == ra->n_apps) {
                        r = pod_err_set(err, -ENOENT, "--pod-manifest: apps[%zu] (\"%s\") wants image \"%s\", which none of the images given provides",
                                        i, a->name, a->image_name ?: "(no image.name)");
                        break;
                }
                r = unpack_app(podfd, podpath, ra->apps[k].image, a->name, &name, &im, err);
                if (r == 0)
                        r = pod_app_take_image_app(a, im, err);
                if (r == 0)
                        r = check_ids(podfd, a, err);
                image_manifest_free(im);
                free(name);
        }
        for (size_t k = 0; k < ra->n_apps; k++)
                image_manifest_free(ims[k]);
        free(ims);
        return r;
}

/* Build and validate the pod manifest; images are unpacked on the way. */
/* Unpack one app's image into the pod and build its apps[] entry from its flags. */
static int build_app_entry(int podfd, const char *podpath, const struct run_args *ra, const struct app_args *a,
                           json_t **ret, struct pod_err *err)
{
        struct image_manifest *im = NULL;
        _cleanup_free_ char *name = NULL, *mpath = NULL;
        json_t *app = NULL;
        int r = 0;

        if ((r = unpack_app(podfd, podpath, a->image, a->name, &name, &im, err)) < 0)
                return r;
        mpath = xasprintf("%s/stage1/rootfs/opt/stage2/%s/manifest", podpath, name);
        r = build_app_json(a, mpath, &app, err);
        if (r == 0 && (a->caps_retain || a->caps_remove))
                set_caps_isolator(app, a);
        if (r == 0 && a->seccomp)
                r = set_seccomp_isolator(app, a, err);
        if (r == 0 && a->memory)
                replace_isolator(app, ISO_MEMORY, ISO_MEMORY, ISO_MEMORY, json_pack("{s:s}", "limit", a->memory));
        if (r == 0 && a->cpu)
                replace_isolator(app, ISO_CPU, ISO_CPU, ISO_CPU, json_pack("{s:s}", "limit", a->cpu));
        if (r == 0 && a->cpu_shares)
                replace_isolator(app, ISO_CPU_SHARES, ISO_CPU_SHARES, ISO_CPU_SHARES,
                                 json_integer(strtoll(a->cpu_shares, NULL, 10)));
        if (r == 0) {
                json_t *ann = json_array();
                for (int k = 0; k < IO_STREAMS; k++) {
                        char an[64];
                        const char *mode = a->io[k] ? a->io[k] : ra->interactive ? "interactive" : NULL;
                        if (!mode)
                                continue;
                        snprintf(an, sizeof(an), ANN_IO_PREFIX "%s", io_stream_name(k));
                        json_array_append_new(ann, json_pack("{s:s,s:s}", "name", an, "value", mode));
                }
                if (a->log_attached)
                        json_array_append_new(ann, json_pack("{s:s,s:s}", "name", ANN_LOG_ATTACHED,
                                                             "value", "true"));
                for (size_t k = 0; k < ARRAY_SIZE(log_flags); k++) {
                        const char *v = a->log[k];
                        if (!v)
                                continue;
                        json_array_append_new(ann, json_pack("{s:s,s:s}", "name", log_flags[k].annotation,
                                                             "value", v));
                }
                if (a->pids_max)
                        json_array_append_new(ann, json_pack("{s:s,s:s}", "name", ANN_PIDS_MAX, "value", a->pids_max));
                for (size_t k = 0; k < ARRAY_SIZE(policy_flags); k++)
                        if (a->pol[k])
                                json_array_append_new(ann, json_pack("{s:s,s:s}", "name", policy_flags[k].annotation,
                                                                     "value", a->pol[k]));
                for (char **rl = a->rlimits; rl && *rl; rl++) {
                        const char *eq = strchr(*rl, '=');
                        _cleanup_free_ char *an = xasprintf("%s%.*s", ANN_RLIMIT_PREFIX, (int)(eq - *rl), *rl);
                        json_array_append_new(ann, json_pack("{s:s,s:s}", "name", an, "value", eq + 1));
                }
                json_t *jm = json_array(), *one = NULL;
                for (char **mv = a->mounts; mv && *mv; mv++)
                        if (mount_flag_parse(*mv, &one, err) == 0)
                                json_array_append_new(jm, one);
                *ret = (json_pack("{s:s,s:{s:s},s:o,s:o,s:o,s:b}", "name", name, "image",
                                                      "name", im->name, "app", app, "annotations", ann,
                                                      "mounts", jm, "readOnlyRootFS", a->readonly_rootfs));
        }
        image_manifest_free(im);
        return r;
}

static int prepare_apps(int podfd, const char *podpath, const struct run_args *ra, char **ret_json,
                        struct pod_err *err)
{
        json_t *pod = NULL, *apps;
        char *s;
        struct pod_manifest *m = NULL;
        int r = 0;

        if (ra->pod_manifest) {
                json_error_t je;
                _cleanup_free_ char *data = NULL;
                size_t len;
                r = read_file_at(AT_FDCWD, ra->pod_manifest, POD_MANIFEST_MAX_BYTES, &data, &len);
                if (r < 0)
                        return pod_err_set(err, r, "--pod-manifest=%s: %s", ra->pod_manifest,
                                           r == -EFBIG ? "larger than the 1 MiB limit" : strerror(-r));
                if ((r = pod_manifest_parse(data, len, &m, err)) < 0)
                        return pod_err_prefix(err, "--pod-manifest=%s", ra->pod_manifest);
                pod = json_loadb(data, len, 0, &je);
                r = unpack_for_manifest(podfd, podpath, ra, m, err);
                goto out;
        }

        pod = json_pack("{s:s,s:s,s:[],s:[],s:n,s:[{s:s,s:s}]}", "acVersion", "1.30.0", "acKind",
                        "PodManifest", "apps", "volumes", "isolators", "annotations", "name",
                        ANN_RKT_MUTABLE, "value", ra->mutable_pod ? "true" : "false");
        apps = json_object_get(pod, "apps");
        for (size_t i = 0; i < ra->n_apps; i++) {
                json_t *entry = NULL;

                if ((r = build_app_entry(podfd, podpath, ra, &ra->apps[i], &entry, err)) < 0)
                        goto out;
                json_array_append_new(apps, entry);
        }
        if (ra->volumes_json)
                json_object_set(pod, "volumes", ra->volumes_json);
        if (ra->stop_timeout)
                json_array_append_new(json_object_get(pod, "annotations"),
                                      json_pack("{s:s,s:s}", "name", ANN_STOP_TIMEOUT, "value", ra->stop_timeout));
        if (ra->exit_policy)
                json_array_append_new(json_object_get(pod, "annotations"),
                                      json_pack("{s:s,s:s}", "name", ANN_EXIT_POLICY, "value", ra->exit_policy));
        s = json_dumps(pod, JSON_COMPACT);
        r = pod_manifest_parse(s, strlen(s), &m, err);
        free(s);
        for (size_t i = 0; r == 0 && i < m->n_apps; i++)
                r = check_ids(podfd, &m->apps[i], err);
out:
        /* A mount of a volume that is not there is found now, not by podinit. */
        if (r == 0 && m)
                r = volumes_resolve(m, err);
        if (r == 0) {
                *ret_json = json_dumps(pod, JSON_INDENT(2));
                if (!*ret_json)
                        r = pod_err_set(err, -EINVAL, "the pod manifest cannot be serialised");
        }
        pod_manifest_free(m);
        json_decref(pod);
        return r;
}

/* How an app ended badly ("exited with code 3" etc. in buf), from an exit event or its status; false if it did not. */
static bool app_end_failed(json_t *ev, char *buf, size_t len)
{
        json_t *sig = json_object_get(ev, "signal");
        const char *error = json_string_value(json_object_get(ev, "error"));
        json_t *code = json_object_get(ev, "exitCode");

        if (json_is_true(json_object_get(ev, "stoppedByPod")))
                return false;
        if (error)
                snprintf(buf, len, "could not start: %s", error);
        else if (json_is_integer(sig))
                snprintf(buf, len, "was killed by signal %lld (SIG%s)", (long long)json_integer_value(sig),
                         sigabbrev_np((int)json_integer_value(sig)) ?: "?");
        else if (json_is_integer(code) && json_integer_value(code) != 0)
                snprintf(buf, len, "exited with code %lld", (long long)json_integer_value(code));
        else
                return false;
        return true;
}

/* An app event that says it ended badly and is not restarted. */
static bool app_failed(json_t *ev, char *buf, size_t len)
{
        const char *event = json_string_value(json_object_get(ev, "event")) ?: "";

        /* A restart to come ("backoff") is the app's policy at work, not a failed start. */
        if (strcmp(json_string_value(json_object_get(ev, "type")) ?: "", "app") ||
            (strcmp(event, "exit") && strcmp(event, "give-up")) || !app_end_failed(ev, buf, len))
                return false;
        if (!strcmp(event, "give-up"))
                snprintf(buf + strlen(buf), len - strlen(buf), " (after %lld restarts)",
                         (long long)json_integer_value(json_object_get(ev, "restarts")));
        return true;
}

/*
 * podinit declares the pod started once every app has exec'd its program
 * (or is ready), so an app that fails at once -- a bad flag, a missing
 * config file -- still gets the pod declared started a moment before it
 * exits.  `run -d` therefore watches the pod's events (replayed from the
 * first) for grace_ms more.  An app that ends badly in that time and is not
 * to be restarted (an app that is restarted is left to its policy, which
 * `podctl events` shows) is reported, its name and status in *ret_app and
 * what: WATCH_POD_FAILED if the pod is stopping because of it (then
 * *ret_pod_ended says whether it ended within RUN_FAILED_STOP_WAIT_MS, for
 * its exit code), WATCH_APP_FAILED if the pod runs on (a non-essential
 * app).  WATCH_OK otherwise; *ret_pod_ended is set whenever podinit closed
 * the connection (the pod ended).
 */
enum { WATCH_OK, WATCH_APP_FAILED, WATCH_POD_FAILED };

static int watch_start(unsigned grace_ms, char **ret_app, char *what, size_t what_len, bool *ret_pod_ended)
{
        struct pod_err err = { 0 };
        struct ctl_conn *c = NULL;
        json_t *resp = NULL;
        uint64_t deadline = now_mono_ns() + (uint64_t)grace_ms * 1000000u;
        int found = WATCH_OK;

        *ret_pod_ended = false;
        /* cwd is the pod directory. */
        if (ctl_connect(".", &c, &err) < 0 ||
            ctl_call(c, json_pack("{s:s,s:I}", "op", "events", "since", (json_int_t)0), &resp, &err) < 0) {
                log_debug("run: watching the pod's start: %s", err.msg);
                ctl_close(c);
                *ret_pod_ended = err.code == -ECONNRESET || err.code == -ECONNREFUSED || err.code == -ENOENT;
                return WATCH_OK;
        }
        json_decref(resp);
        for (;;) {
                uint8_t type;
                const uint8_t *pl;
                size_t len;
                uint64_t now;
                ssize_t n;

                while (found != WATCH_POD_FAILED && ctl_buffered_frame(c, &type, &pl, &len) == 1) {
                        json_t *ev;
                        const char *evname;
                        if (type != FRAME_EVENT || !(ev = json_loadb((const char *)pl, len, 0, NULL)))
                                continue;
                        evname = json_string_value(json_object_get(ev, "event")) ?: "";
                        if (found == WATCH_OK && app_failed(ev, what, what_len)) {
                                *ret_app = xstrdup(json_string_value(json_object_get(ev, "app")) ?: "?");
                                found = WATCH_APP_FAILED;
                                /* podinit decides at once whether this stops the pod: its
                                 * "stopping" (or, for the last app, "exited") follows. */
                                deadline = now_mono_ns() + RUN_STOPPING_WAIT_MS * 1000000ull;
                        } else if (found == WATCH_APP_FAILED &&
                                   !strcmp(json_string_value(json_object_get(ev, "type")) ?: "", "pod") &&
                                   (!strcmp(evname, "stopping") || !strcmp(evname, "exited"))) {
                                /* Wait for the pod to end, to report its exit code. */
                                found = WATCH_POD_FAILED;
                                deadline = now_mono_ns() + RUN_FAILED_STOP_WAIT_MS * 1000000ull;
                        }
                        json_decref(ev);
                }
                now = now_mono_ns();
                if (now >= deadline)
                        break;
                ctl_set_timeout(c, (unsigned)((deadline - now) / 1000000u) + 1);
                n = ctl_read_some(c);
                if (n == 0) {
                        /* The pod ended; its last events came first. */
                        *ret_pod_ended = true;
                        deadline = 0;
                } else if (n < 0) {
                        break;  /* the deadline */
                }
        }
        ctl_close(c);
        return found;
}

/* The pod ended before run could watch it: the first app that failed, from its status file. */
static bool failed_app_from_disk(char **ret_app, char *what, size_t what_len)
{
        _cleanup_free_ char *data = NULL;
        json_t *st, *a;
        size_t i;
        bool found = false;

        /* cwd is the pod directory. */
        if (read_file_at(AT_FDCWD, POD_PODINIT_DIR "/" POD_STATUS_JSON, 16u << 20, &data, NULL) < 0 ||
            !(st = json_loads(data, 0, NULL)))
                return false;
        json_array_foreach(json_object_get(st, "apps"), i, a)
                if (app_end_failed(a, what, what_len)) {
                        *ret_app = xstrdup(json_string_value(json_object_get(a, "name")) ?: "?");
                        found = true;
                        break;
                }
        json_decref(st);
        return found;
}

/* Detached: start podinit in its own session and return once the pod is ready. */
static int start_detached(const char *podinit, char **argv, int podfd, const char *podpath, const char *uuid,
                          unsigned grace_ms)
{
        int ready[2];
        pid_t pid;
        char c;
        ssize_t n;

        if (pipe2(ready, O_CLOEXEC) < 0) {
                log_error("pipe: %s", strerror(errno));
                return 254;
        }
        pid = fork();
        if (pid < 0) {
                log_error("fork: %s", strerror(errno));
                return 254;
        }
        if (pid == 0) {
                int out = openat(podfd, POD_CONSOLE_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
                int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
                char rfd[32];
                int fd;

                setsid();
                close(ready[0]);
                if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                        _exit(254);
                fd = fcntl(ready[1], F_DUPFD, 3);       /* without CLOEXEC: podinit inherits it */
                snprintf(rfd, sizeof(rfd), "--ready-fd=%d", fd);
                for (char **a = argv; *a; a++)
                        if (!strcmp(*a, "--ready-fd=X"))
                                *a = rfd;
                execv(podinit, argv);
                _exit(254);
        }
        close(ready[1]);
        close(podfd);   /* the child's copy keeps the lock */
        do
                n = read(ready[0], &c, 1);
        while (n < 0 && errno == EINTR);
        if (n == 1) {
                _cleanup_free_ char *app = NULL;
                char what[512];
                bool ended = false;
                int st = 0;

                int w = grace_ms ? watch_start(grace_ms, &app, what, sizeof(what), &ended) : WATCH_OK;
                int code = 0;

                if (ended) {
                        /* The pod's own verdict, its exit code, decides. */
                        waitpid(pid, &st, 0);
                        code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        if (!app)
                                failed_app_from_disk(&app, what, sizeof(what));
                        if (!app && code) {
                                log_error("pod %s exited with code %d right after it started; see `podctl status %.8s`",
                                          uuid, code, uuid);
                                return code;
                        }
                        w = !app ? WATCH_OK : code ? WATCH_POD_FAILED : WATCH_APP_FAILED;
                }
                if (w == WATCH_APP_FAILED) {
                        /* Not essential (or the pod ended well): say so, the pod is what was asked for. */
                        log_warn("pod %s: app %s %s right after it started (it does not stop the pod; "
                                 "`podctl logs --app=%s %.8s`)", uuid, app, what, app, uuid);
                        w = WATCH_OK;
                }
                if (w == WATCH_OK) {
                        printf("%s\n", uuid);
                        return 0;
                }
                if (!ended) {
                        log_error("pod %s failed: app %s %s right after it started; the pod is stopping "
                                  "(`podctl status %.8s`, `podctl logs --app=%s %.8s`)", uuid, app, what, uuid, app, uuid);
                        return 1;
                }
                log_error("pod %s failed: app %s %s right after it started (pod exit code %d; `podctl logs --app=%s %.8s`)",
                          uuid, app, what, code, app, uuid);
                return code;
        }
        {
                int st = 0;
                _cleanup_free_ char *data = NULL;
                waitpid(pid, &st, 0);
                /* cwd is the pod directory (podpath may be relative to where we started). */
                (void)podpath;
                _cleanup_free_ char *app = NULL;
                char what[512];
                if (read_file_at(AT_FDCWD, POD_CONSOLE_LOG, 64 * 1024, &data, NULL) == 0 && *data)
                        fputs(data, stderr);
                if (failed_app_from_disk(&app, what, sizeof(what)))
                        log_error("pod %s failed to start: app %s %s (pod exit code %d; `podctl logs --app=%s %.8s`)",
                                  uuid, app, what, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), app, uuid);
                else
                        log_error("pod %s failed to start (exit code %d); see `podctl status %.8s`", uuid,
                                  WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), uuid);
                return WIFEXITED(st) ? WEXITSTATUS(st) : 254;
        }
}

/* Every flag that can be checked before the pod exists (exit 2 in podctl run and app add). */
static int check_run_args(struct run_args *ra, struct pod_err *err)
{
        uint64_t ms;

        /* Before anything is unpacked: 2,000 images are refused at once, not after unpacking them. */
        if (ra->n_apps > POD_MAX_APPS)
                return pod_err_set(err, -E2BIG, "%zu apps given; a pod has at most %d", ra->n_apps, POD_MAX_APPS);
        ra->grace_ms = RUN_START_GRACE_MS;
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

        if (ra->net && strcmp(ra->net, "none") && strcmp(ra->net, "host")) {
                return pod_err_set(err, -EINVAL, "--net=%s: only none and host are available (CNI networks are not implemented yet)", ra->net);
        }
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
                        json_t *o = NULL;
                        if (mount_flag_parse(*mv, &o, err) < 0)
                                goto bad_flag;
                        json_decref(o);
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

int cmd_run(int argc, char **argv)
{
        struct run_args ra = { 0 };
        struct pod_err err = { 0 };
        _cleanup_free_ char *prep = NULL, *runp = NULL, *manifest = NULL, *runs = NULL, *preps = NULL;
        _cleanup_strv_ char **largv = NULL;
        char uuid[UUID_STR_LEN], lockenv[32];
        const char *podinit;
        unsigned grace_ms;
        int podfd = -1, r;

        for (int i = 1; i < argc && strcmp(argv[i], "--") && strcmp(argv[i], "---"); i++)
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                        run_usage(stdout);
                        return 0;
                }
        if (parse_run_args(argc, argv, &ra, &err) < 0) {
                log_error("run: %s (podctl run --help)", err.msg);
                run_args_done(&ra);
                return 2;
        }
        if (check_run_args(&ra, &err) < 0) {
                log_error("run: %s", err.msg);
                run_args_done(&ra);
                return 2;
        }
        if (ra.pod_manifest)
                for (size_t i = 0; i < ra.n_apps; i++)
                        if (ra.apps[i].name || ra.apps[i].exec || ra.apps[i].user || ra.apps[i].group ||
                            ra.apps[i].set_env || ra.apps[i].has_args || ra.apps[i].io[0] || ra.apps[i].io[1] ||
                            ra.apps[i].io[2] || ra.apps[i].log_attached || ra.apps[i].log[0] || ra.apps[i].log[1] ||
                            ra.apps[i].log[2] || ra.apps[i].log[3] || ra.apps[i].log[4] || ra.apps[i].log[5] ||
                            ra.apps[i].log[6] || ra.apps[i].log[7] || ra.apps[i].log[8] || ra.apps[i].caps_retain ||
                            ra.apps[i].caps_remove || ra.apps[i].seccomp || ra.apps[i].mounts || ra.apps[i].readonly_rootfs ||
                            ra.apps[i].memory || ra.apps[i].cpu || ra.apps[i].cpu_shares || ra.apps[i].pids_max ||
                            ra.apps[i].rlimits || ra.volumes) {
                                log_error("run: app flags cannot be combined with --pod-manifest; put them in the manifest");
                                run_args_done(&ra);
                                return 2;
                        }
        podinit = find_podinit();
        if (!podinit) {
                log_error("run: cannot find the podinit binary next to podctl; set PODINIT=/path/to/podinit");
                run_args_done(&ra);
                return 254;
        }

        preps = xasprintf("%s/pods/prepare", g.dir);
        runs = xasprintf("%s/pods/run", g.dir);
        if ((r = mkdir_p_at(AT_FDCWD, preps, 0700)) < 0 || (r = mkdir_p_at(AT_FDCWD, runs, 0700)) < 0) {
                log_error("run: creating %s/pods: %s", g.dir, strerror(-r));
                run_args_done(&ra);
                return 254;
        }
        uuid_generate_v4(uuid);
        prep = xasprintf("%s/%s", preps, uuid);
        runp = xasprintf("%s/%s", runs, uuid);
        if (mkdir(prep, 0700) < 0 || (podfd = open(prep, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
            flock(podfd, LOCK_EX | LOCK_NB) < 0) {
                log_error("run: creating %s: %s", prep, strerror(errno));
                run_args_done(&ra);
                return 254;
        }
        if ((r = make_layout(podfd, &err)) < 0 || (r = prepare_apps(podfd, prep, &ra, &manifest, &err)) < 0 ||
            (r = write_text(podfd, "pod", manifest, 0640, &err)) < 0)
                goto fail;
        if (rename(prep, runp) < 0) {
                r = pod_err_set(&err, -errno, "moving the pod to %s: %s", runp, strerror(errno));
                goto fail;
        }
        if (ra.uuid_file && (r = write_text(AT_FDCWD, ra.uuid_file, uuid, 0644, &err)) < 0) {
                rename(runp, prep);
                goto fail;
        }

        strv_push(&largv, podinit);
        if (g.debug)
                strv_push(&largv, "--debug");
        {
                _cleanup_free_ char *net = xasprintf("--net=%s", ra.net ? ra.net : "none");
                strv_push(&largv, net);
        }
        if (ra.hostname) {
                _cleanup_free_ char *h = xasprintf("--hostname=%s", ra.hostname);
                strv_push(&largv, h);
        }
        {
                /* A detached pod's output is in its log files (podctl logs); a
                 * copy in console.log would grow without rotation. */
                _cleanup_free_ char *cf = xasprintf("--console-format=%s", ra.console_format ? ra.console_format
                                                                    : ra.detach ? "none" : "raw");
                strv_push(&largv, cf);
        }
        if (ra.detach)
                strv_push(&largv, "--ready-fd=X");
        strv_push(&largv, uuid);
        grace_ms = ra.grace_ms;
        run_args_done(&ra);

        if (chdir(runp) < 0) {
                log_error("run: entering %s: %s", runp, strerror(errno));
                return 254;
        }
        snprintf(lockenv, sizeof(lockenv), "%d", podfd);
        setenv("RKT_LOCK_FD", lockenv, 1);
        fd_set_cloexec(podfd, 0);
        if (ra.detach)
                return start_detached(podinit, largv, podfd, runp, uuid, grace_ms);
        execv(podinit, largv);
        log_error("run: executing %s: %s", podinit, strerror(errno));
        rm_rf_at(AT_FDCWD, runp);
        return 254;

fail:
        log_error("run: %s", err.msg);
        if (podfd >= 0)
                close(podfd);
        r = rm_rf_at(AT_FDCWD, prep);
        if (r < 0)
                log_warn("run: could not remove %s: %s", prep, strerror(-r));
        run_args_done(&ra);
        return 254;
}

/*
 * podctl app add POD IMAGE [APP-FLAGS] [-- ARGS]: unpack IMAGE into a running
 * mutable pod, check the new manifest as a whole, hand the app's entry to
 * podinit (which prepares it: state "created"), then rewrite the pod
 * manifest on disk atomically.  Serialised with other add/rm calls by an
 * exclusive lock on <pod>/app.lock.  On any failure the unpacked image is
 * removed and the manifest is unchanged.
 */
int cmd_app_add(int argc, char **argv)
{
        struct run_args ra = { 0 };
        struct pod_err err = { 0 };
        struct pod_ref p = { 0 };
        struct ctl_conn *c = NULL;
        struct pod_manifest *m = NULL;
        _cleanup_free_ char *out = NULL, *name = NULL, *stage2 = NULL;
        _cleanup_close_ int podfd = -1, lockfd = -1;
        _cleanup_strv_ char **rargv = NULL;
        json_t *pod = NULL, *entry = NULL, *resp = NULL;
        int r, rc = 1;

        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                cli_usage("app", stdout);
                return 0;
        }
        if (argc < 3 || argv[1][0] == '-') {
                fprintf(stderr, "usage: podctl app add POD IMAGE [--name=N] [APP-FLAGS as for run] [-- ARG...]\n"
                                "(podctl app --help)\n");
                return 2;
        }
        strv_push(&rargv, "run");
        for (int i = 2; i < argc; i++)
                strv_push(&rargv, argv[i]);
        if (parse_run_args((int)strv_length(rargv), rargv, &ra, &err) < 0 || check_run_args(&ra, &err) < 0) {
                log_error("app add: %s (podctl app --help)", err.msg);
                run_args_done(&ra);
                return 2;
        }
        if (ra.n_apps != 1 || ra.detach || ra.volumes || ra.pod_manifest || ra.net || ra.hostname || ra.stop_timeout ||
            ra.exit_policy || ra.interactive) {
                log_error("app add: give exactly one IMAGE and app flags only (pod flags belong to `podctl app sandbox`)");
                run_args_done(&ra);
                return 2;
        }
        if (pod_find(argv[1], &p, &err) < 0) {
                log_error("app add: %s", err.msg);
                goto out;
        }
        if (p.state != PODDIR_RUNNING) {
                log_error("app add: pod %s is not running (it is %s)", p.uuid, pod_dir_state_name(p.state));
                goto out;
        }
        if (pod_manifest_lock(&p, &podfd, &lockfd, &err) < 0 || pod_manifest_load(podfd, &pod, &err) < 0) {
                log_error("app add: pod %s: %s", p.uuid, err.msg);
                goto out;
        }
        if (ra.apps[0].name) {
                size_t i;
                json_t *e;
                json_array_foreach(json_object_get(pod, "apps"), i, e)
                        if (!strcmp(json_string_value(json_object_get(e, "name")) ?: "", ra.apps[0].name)) {
                                log_error("app add: pod %s already has an app \"%s\" (podctl app rm removes it)", p.uuid,
                                          ra.apps[0].name);
                                goto out;
                        }
        }
        if ((r = build_app_entry(podfd, p.path, &ra, &ra.apps[0], &entry, &err)) < 0) {
                log_error("app add: %s", err.msg);
                goto out;
        }
        name = xstrdup(json_string_value(json_object_get(entry, "name")));
        stage2 = xasprintf("stage1/rootfs/opt/stage2/%s", name);
        json_array_append(json_object_get(pod, "apps"), entry);
        out = json_dumps(pod, JSON_INDENT(2));
        if (!out || pod_manifest_parse(out, strlen(out), &m, &err) < 0 ||
            check_ids(podfd, &m->apps[m->n_apps - 1], &err) < 0) {
                log_error("app add: %s", out ? err.msg : "the pod manifest cannot be serialised");
                goto undo;
        }
        if (ctl_connect(p.path, &c, &err) < 0 ||
            ctl_call(c, json_pack("{s:s,s:O}", "op", "app-add", "app", entry), &resp, &err) < 0) {
                log_error("app add: pod %s: %s", p.uuid, err.msg);
                goto undo;
        }
        if (pod_manifest_store(podfd, out, &err) < 0) {
                log_error("app add: pod %s: %s (the app is in the pod; `podctl app rm` removes it)", p.uuid, err.msg);
                goto out;
        }
        rc = 0;
        goto out;
undo:
        rm_rf_at(podfd, stage2);
out:
        json_decref(resp);
        json_decref(entry);
        json_decref(pod);
        pod_manifest_free(m);
        ctl_close(c);
        pod_ref_done(&p);
        run_args_done(&ra);
        return rc;
}
