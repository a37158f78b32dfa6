/*
 * linux.* of an OCI runtime spec (stage0/ocispec.h): namespaces, id
 * mappings, devices, resources (onto podinit's cgroup isolators), seccomp
 * (onto its retain/remove sets), masked and read-only paths, and the rest,
 * each honoured, mapped, ignored with a warning, or refused by name.
 */
#include "stage0/ocispec_int.h"
#include "common/isolators.h"
#include "common/manifest.h"
#include "common/seccomp_sets.h"

#include <string.h>

static size_t json_size(json_t *j)
{
        if (!j || json_is_null(j))
                return 0;
        return json_is_object(j) ? json_object_size(j) : json_is_array(j) ? json_array_size(j) : 1;
}

static const char *const ns_names[OCI_NS_COUNT] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };

static int parse_namespaces(struct oci_ctx *c, json_t *lin)
{
        struct stage0_oci_spec *s = c->s;
        json_t *l, *it;
        size_t i;
        int r = oci_get(c, lin, "linux", "namespaces", JSON_ARRAY, &l);

        if (r < 0)
                return r;
        json_array_foreach(l, i, it) {
                static const char *const known[] = { "type", "path", NULL };
                _cleanup_free_ char *p = xasprintf("linux.namespaces[%zu]", i);
                json_t *t, *path;
                int k;

                if (!json_is_object(it))
                        return pod_err_set(c->err, -EINVAL, "%s: expected an object, got %s", p, json_type_name(it));
                if ((r = oci_check_known(c, it, p, known)) < 0 || (r = oci_get(c, it, p, "type", JSON_STRING, &t)) < 0 ||
                    (r = oci_get(c, it, p, "path", JSON_STRING, &path)) < 0)
                        return r;
                for (k = 0; t && k < OCI_NS_COUNT; k++)
                        if (!strcmp(ns_names[k], json_string_value(t)))
                                break;
                if (!t || k == OCI_NS_COUNT)
                        return pod_err_set(c->err, -EINVAL, "%s.type: \"%s\" is not a namespace type", p,
                                           t ? json_string_value(t) : "");
                if (s->ns[k].listed)
                        return pod_err_set(c->err, -EINVAL, "%s: namespace \"%s\" is listed twice", p, ns_names[k]);
                if (path && json_string_value(path)[0] != '/')
                        return pod_err_set(c->err, -EINVAL, "%s.path: \"%s\": expected an absolute path", p,
                                           json_string_value(path));
                s->ns[k].listed = true;
                if (path && *json_string_value(path))
                        s->ns[k].path = xstrdup(json_string_value(path));
        }
        if (s->ns[OCI_NS_USER].listed)
                return pod_err_set(c->err, -EOPNOTSUPP, "linux.namespaces: a user namespace is not supported (podinit "
                                   "runs apps with host uids); remove it and uidMappings/gidMappings");
        if (s->ns[OCI_NS_TIME].listed)
                return pod_err_set(c->err, -EOPNOTSUPP, "linux.namespaces: a time namespace is not supported; remove it");
        if (!s->ns[OCI_NS_PID].listed)
                return pod_err_set(c->err, -EOPNOTSUPP, "linux.namespaces: no pid namespace means the host's (hostPID), "
                                   "which podinit cannot give: every pod has its own, with podinit as PID 1");
        if (!s->ns[OCI_NS_IPC].listed)
                return pod_err_set(c->err, -EOPNOTSUPP, "linux.namespaces: no ipc namespace means the host's (hostIPC), "
                                   "which podinit cannot give: every pod has its own");
        if (!s->ns[OCI_NS_MOUNT].listed)
                return pod_err_set(c->err, -EOPNOTSUPP, "linux.namespaces: no mount namespace means the host's, which "
                                   "podinit cannot give: every app has its own");
        if (s->ns[OCI_NS_MOUNT].path)
                return pod_err_set(c->err, -EOPNOTSUPP, "linux.namespaces: joining a mount namespace (%s) is not "
                                   "supported: the app's root is its rootfs", s->ns[OCI_NS_MOUNT].path);
        if (!s->ns[OCI_NS_UTS].listed)
                oci_warn(c, "linux.namespaces: no uts namespace (the host's): the pod has its own, with the host's "
                         "hostname unless one is given");
        if (s->ns[OCI_NS_NETWORK].path)
                s->netns_path = xstrdup(s->ns[OCI_NS_NETWORK].path);
        for (const char *const *k = (const char *const[]){ "uidMappings", "gidMappings", NULL }; *k; k++) {
                if ((r = oci_get(c, lin, "linux", *k, JSON_ARRAY, &l)) < 0)
                        return r;
                if (json_array_size(l))
                        return pod_err_set(c->err, -EOPNOTSUPP, "linux.%s: user namespaces are not supported; remove it", *k);
        }
        return 0;
}

/* linux.devices[]: each node becomes a host volume of the host's node at the same path. */
static int parse_devices(struct oci_ctx *c, json_t *lin)
{
        struct stage0_app *a = &c->s->app;
        json_t *l, *it;
        size_t i;
        int r = oci_get(c, lin, "linux", "devices", JSON_ARRAY, &l);

        if (r < 0)
                return r;
        json_array_foreach(l, i, it) {
                static const char *const known[] = { "type", "path", "major", "minor", "fileMode", "uid", "gid", NULL };
                _cleanup_free_ char *p = xasprintf("linux.devices[%zu]", i);
                json_t *path, *t;
                char *name;

                if (!json_is_object(it))
                        return pod_err_set(c->err, -EINVAL, "%s: expected an object, got %s", p, json_type_name(it));
                if ((r = oci_check_known(c, it, p, known)) < 0 || (r = oci_get(c, it, p, "path", JSON_STRING, &path)) < 0 ||
                    (r = oci_get(c, it, p, "type", JSON_STRING, &t)) < 0)
                        return r;
                if (!path || json_string_value(path)[0] != '/' || !str_startswith(json_string_value(path), "/dev/"))
                        return pod_err_set(c->err, -EINVAL, "%s.path: required, a path under /dev", p);
                if (!t || (strcmp(json_string_value(t), "c") && strcmp(json_string_value(t), "b") &&
                           strcmp(json_string_value(t), "u")))
                        return pod_err_set(c->err, -EOPNOTSUPP, "%s.type: podinit passes character and block devices "
                                           "only (c, b, u)", p);
                name = xasprintf("oci-device-%zu", i);
                a->mounts = xrealloc(a->mounts, (a->n_mounts + 1) * sizeof(*a->mounts));
                a->mounts[a->n_mounts++] = (struct stage0_mount){
                        name, xstrdup(json_string_value(path)),
                        json_pack("{s:s,s:s,s:s}", "name", name, "kind", "host", "source", json_string_value(path)) };
        }
        return 0;
}

/* The device cgroup rules: podinit's policy (closed, the standard nodes, device volumes) stands. */
static int parse_device_rules(struct oci_ctx *c, json_t *res)
{
        json_t *l, *it;
        size_t i;
        int r = oci_get(c, res, "linux.resources", "devices", JSON_ARRAY, &l);

        if (r < 0)
                return r;
        json_array_foreach(l, i, it) {
                json_t *allow = json_object_get(it, "allow");
                if (!json_is_object(it) || !json_is_boolean(allow))
                        return pod_err_set(c->err, -EINVAL, "linux.resources.devices[%zu]: expected an object with allow",
                                           i);
                if (json_is_true(allow)) {
                        json_t *t = json_object_get(it, "type"), *maj = json_object_get(it, "major");
                        /* Everything (a privileged container): podinit's policy cannot be opened that far. */
                        if ((!t || !strcmp(json_string_value(t) ?: "", "a")) && (!maj || json_integer_value(maj) < 0) &&
                            strchr(json_string_value(json_object_get(it, "access")) ?: "rwm", 'r'))
                                return pod_err_set(c->err, -EOPNOTSUPP, "linux.resources.devices[%zu]: allowing every "
                                                   "device (a privileged container) is not supported; give the devices "
                                                   "the app needs in linux.devices", i);
                }
        }
        return 0;
}

static int parse_resources(struct oci_ctx *c, json_t *lin)
{
        static const char *const known[] = { "devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits", "network",
                "rdma", "unified", NULL };
        json_t *res, *v;
        long long x;
        int r;

        if ((r = oci_get(c, lin, "linux", "resources", JSON_OBJECT, &res)) < 0 || !res)
                return r;
        if ((r = oci_check_known(c, res, "linux.resources", known)) < 0 || (r = parse_device_rules(c, res)) < 0)
                return r;
        if ((r = oci_get(c, res, "linux.resources", "memory", JSON_OBJECT, &v)) < 0)
                return r;
        if (v) {
                static const char *const mknown[] = { "limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness",
                        "disableOOMKiller", "useHierarchy", "checkBeforeUpdate", NULL };
                long long limit = -1, swap = -1;
                bool no_oom = false;
                if ((r = oci_check_known(c, v, "linux.resources.memory", mknown)) < 0 ||
                    (r = oci_get_int(c, v, "linux.resources.memory", "limit", -1, INT64_MAX, &limit)) < 0 ||
                    (r = oci_get_int(c, v, "linux.resources.memory", "swap", -1, INT64_MAX, &swap)) < 0 ||
                    (r = oci_get_bool(c, v, "linux.resources.memory", "disableOOMKiller", &no_oom)) < 0)
                        return r;
                if (no_oom)
                        return pod_err_set(c->err, -EOPNOTSUPP, "linux.resources.memory.disableOOMKiller: not supported "
                                           "(an app past its limit is OOM-killed); remove it");
                if (limit > 0) {
                        char b[32];
                        snprintf(b, sizeof(b), "%lld", limit);
                        oci_add_isolator(c, ISO_MEMORY, json_pack("{s:s}", "limit", b));
                }
                if (swap > 0 && swap != limit)
                        oci_warn(c, "linux.resources.memory.swap: %lld is not applied (podinit sets no swap limit)", swap);
                for (const char *const *k = (const char *const[]){ "reservation", "kernel", "kernelTCP", "swappiness", NULL }; *k; k++)
                        if (json_object_get(v, *k) && !json_is_null(json_object_get(v, *k)))
                                oci_warn(c, "linux.resources.memory.%s: not applied", *k);
        }
        if ((r = oci_get(c, res, "linux.resources", "cpu", JSON_OBJECT, &v)) < 0)
                return r;
        if (v) {
                static const char *const cknown[] = { "shares", "quota", "burst", "period", "realtimeRuntime",
                        "realtimePeriod", "cpus", "mems", "idle", NULL };
                long long shares = 0, quota = 0, period = 100000, rt = 0;
                json_t *cpus;
                if ((r = oci_check_known(c, v, "linux.resources.cpu", cknown)) < 0 ||
                    (r = oci_get_int(c, v, "linux.resources.cpu", "shares", 0, 262144, &shares)) < 0 ||
                    (r = oci_get_int(c, v, "linux.resources.cpu", "quota", -1, INT64_MAX / 1000, &quota)) < 0 ||
                    (r = oci_get_int(c, v, "linux.resources.cpu", "period", 1000, 1000000, &period)) < 0 ||
                    (r = oci_get_int(c, v, "linux.resources.cpu", "realtimeRuntime", INT64_MIN, INT64_MAX, &rt)) < 0)
                        return r;
                if (rt)
                        return pod_err_set(c->err, -EOPNOTSUPP, "linux.resources.cpu.realtimeRuntime: real-time CPU "
                                           "time is not supported; remove it");
                for (const char *const *k = (const char *const[]){ "cpus", "mems", NULL }; *k; k++) {
                        if ((r = oci_get(c, v, "linux.resources.cpu", *k, JSON_STRING, &cpus)) < 0)
                                return r;
                        if (cpus && *json_string_value(cpus))
                                return pod_err_set(c->err, -EOPNOTSUPP, "linux.resources.cpu.%s: \"%s\": podinit cannot "
                                                   "pin an app to CPUs or memory nodes (kubelet's static CPU manager "
                                                   "policy needs it); remove it", *k, json_string_value(cpus));
                }
                if (shares > 0)
                        oci_add_isolator(c, ISO_CPU_SHARES, json_integer(shares < 2 ? 2 : shares));
                if (quota > 0) {
                        /* podinit's limit is millicores over a 100 ms period: the same share of a CPU, rounded up. */
                        unsigned long long millis = ((unsigned long long)quota * 1000 + (unsigned long long)period - 1) /
                                                    (unsigned long long)period;
                        char b[32];
                        snprintf(b, sizeof(b), "%llum", millis ? millis : 1);
                        oci_add_isolator(c, ISO_CPU, json_pack("{s:s}", "limit", b));
                        if (period != 100000)
                                oci_warn(c, "linux.resources.cpu.period: %lld µs becomes podinit's 100 ms period (the "
                                         "same share: %llu millicores)", period, millis);
                }
                if (json_object_get(v, "burst") && !json_is_null(json_object_get(v, "burst")))
                        oci_warn(c, "linux.resources.cpu.burst: not applied");
        }
        if ((r = oci_get(c, res, "linux.resources", "pids", JSON_OBJECT, &v)) < 0)
                return r;
        if (v && ((r = oci_check_known(c, v, "linux.resources.pids", (const char *const[]){ "limit", NULL })) < 0 ||
                  (r = oci_get_int(c, v, "linux.resources.pids", "limit", INT64_MIN, INT64_MAX, &x)) < 0))
                return r;
        if (v && r > 0 && x > 0) {
                char b[32];
                if (x > POD_MAX_PIDS_MAX)
                        return pod_err_set(c->err, -ERANGE, "linux.resources.pids.limit: %lld is above podinit's "
                                           "limit of %d", x, POD_MAX_PIDS_MAX);
                snprintf(b, sizeof(b), "%lld", x);
                oci_add_annotation(c, ANN_PIDS_MAX, b);
        }
        for (const char *const *k = (const char *const[]){ "blockIO", "network", "rdma", "unified", NULL }; *k; k++) {
                json_t *e = json_object_get(res, *k);
                if (e && !json_is_null(e) && json_size(e))
                        oci_warn(c, "linux.resources.%s: not applied (podinit sets no such limit)", *k);
        }
        if (json_array_size(json_object_get(res, "hugepageLimits")))
                oci_warn(c, "linux.resources.hugepageLimits: not applied (podinit sets no hugetlb limit)");
        return 0;
}

enum sc_action { SC_ALLOW, SC_ERRNO, SC_KILL };

static int sc_action_parse(struct oci_ctx *c, const char *path, const char *name, enum sc_action *ret)
{
        static const struct { const char *name; enum sc_action a; } acts[] = {
                { "SCMP_ACT_ALLOW", SC_ALLOW }, { "SCMP_ACT_ERRNO", SC_ERRNO }, { "SCMP_ACT_KILL", SC_KILL },
                { "SCMP_ACT_KILL_PROCESS", SC_KILL }, { "SCMP_ACT_KILL_THREAD", SC_KILL }, { "SCMP_ACT_TRAP", SC_KILL },
        };

        for (size_t i = 0; i < ARRAY_SIZE(acts); i++)
                if (!strcmp(name, acts[i].name)) {
                        if (!strcmp(name, "SCMP_ACT_TRAP") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
                                oci_warn(c, "%s: %s kills the whole app with SIGSYS in podinit", path, name);
                        *ret = acts[i].a;
                        return 0;
                }
        return pod_err_set(c->err, -EOPNOTSUPP, "%s: action \"%s\" cannot be expressed by podinit's seccomp filter "
                           "(it allows, fails with an errno, or kills); change it", path, name);
}

static void set_add(json_t *set, size_t *len, const char *name)
{
        size_t i;
        json_t *it;

        json_array_foreach(set, i, it)
                if (!strcmp(json_string_value(it), name))
                        return;
        json_array_append_new(set, json_string(name));
        *len += strlen(name) + 1;
}

/*
 * OCI's seccomp profile onto one podinit set: a default of ALLOW makes a
 * remove-set of the calls the rules deny; any other default makes a
 * retain-set of the calls the rules allow, failing the rest with the
 * default's errno (or killing the app).  What one set cannot say -- per-call
 * actions, argument conditions -- is refused or, where the result only
 * errs toward the profile's own default, warned about (docs/kubernetes.md).
 */
static int parse_seccomp(struct oci_ctx *c, json_t *lin)
{
        static const char *const known[] = { "defaultAction", "defaultErrnoRet", "architectures", "flags",
                "listenerPath", "listenerMetadata", "syscalls", NULL };
        json_t *sc, *v, *rules, *rule, *set = NULL, *val;
        enum sc_action def, deny_action = SC_ALLOW;
        long long def_errno = 1, deny_errno = 0;
        bool enosys = false;
        size_t i, len = 0;
        int r;

        if ((r = oci_get(c, lin, "linux", "seccomp", JSON_OBJECT, &sc)) < 0)
                return r;
        if (!sc) {
                /* No profile: unconfined, as runc runs it (podinit's default profile would be stricter than asked). */
                oci_add_isolator(c, ISO_SECCOMP_RETAIN, json_pack("{s:[s]}", "set", "@appc.io/all"));
                return 0;
        }
        if ((r = oci_check_known(c, sc, "linux.seccomp", known)) < 0 ||
            (r = oci_get(c, sc, "linux.seccomp", "defaultAction", JSON_STRING, &v)) < 0)
                return r;
        if (!v)
                return pod_err_set(c->err, -EINVAL, "linux.seccomp.defaultAction: required");
        if ((r = sc_action_parse(c, "linux.seccomp.defaultAction", json_string_value(v), &def)) < 0 ||
            (r = oci_get_int(c, sc, "linux.seccomp", "defaultErrnoRet", 1, 4095, &def_errno)) < 0)
                return r;
        if ((r = oci_get(c, sc, "linux.seccomp", "listenerPath", JSON_STRING, &v)) < 0)
                return r;
        if (v && *json_string_value(v))
                return pod_err_set(c->err, -EOPNOTSUPP, "linux.seccomp.listenerPath: seccomp user notification is not "
                                   "supported; remove it");
        if (json_size(json_object_get(sc, "flags")))
                oci_warn(c, "linux.seccomp.flags: not applied (podinit loads its filter with no flags)");
        if ((r = oci_get(c, sc, "linux.seccomp", "syscalls", JSON_ARRAY, &rules)) < 0)
                return r;
        set = json_array();
        json_array_foreach(rules, i, rule) {
                static const char *const rknown[] = { "names", "action", "errnoRet", "args", "comment", "includes",
                        "excludes", NULL };
                _cleanup_free_ char *p = xasprintf("linux.seccomp.syscalls[%zu]", i);
                enum sc_action a;
                long long e = 1;
                json_t *names, *act, *n;
                size_t k;

                if (!json_is_object(rule)) {
                        r = pod_err_set(c->err, -EINVAL, "%s: expected an object, got %s", p, json_type_name(rule));
                        goto fail;
                }
                if ((r = oci_check_known(c, rule, p, rknown)) < 0 || (r = oci_get(c, rule, p, "names", JSON_ARRAY, &names)) < 0 ||
                    (r = oci_get(c, rule, p, "action", JSON_STRING, &act)) < 0)
                        goto fail;
                if (!act) {
                        r = pod_err_set(c->err, -EINVAL, "%s.action: required", p);
                        goto fail;
                }
                if ((r = sc_action_parse(c, p, json_string_value(act), &a)) < 0 ||
                    (r = oci_get_int(c, rule, p, "errnoRet", 1, 4095, &e)) < 0)
                        goto fail;
                json_array_foreach(names, k, n) {
                        enum seccomp_entry_kind kind;
                        const char *nm = json_string_value(n);
                        if (!nm || sc_entry_check(nm, strlen(nm), &kind, c->err) < 0 || kind != SECCOMP_ENTRY_NAME) {
                                r = pod_err_set(c->err, -EINVAL, "%s.names[%zu]: expected a system call name", p, k);
                                goto fail;
                        }
                }
                if (def == SC_ALLOW) {
                        if (a == SC_ALLOW)
                                continue;
                        if (json_array_size(json_object_get(rule, "args"))) {
                                r = pod_err_set(c->err, -EOPNOTSUPP, "%s.args: podinit's filter cannot deny a call only "
                                                "for some arguments (denying it always would break what the profile "
                                                "allows); remove the rule or its args", p);
                                goto fail;
                        }
                        if (deny_action == SC_ALLOW || (a == SC_KILL && deny_action == SC_ERRNO))
                                deny_action = a, deny_errno = e;
                        else if (a == SC_ERRNO && deny_action == SC_ERRNO && e != deny_errno)
                                oci_warn(c, "%s: errno %lld becomes %lld (podinit's filter has one errno)", p, e, deny_errno);
                        else if (a == SC_ERRNO && deny_action == SC_KILL)
                                oci_warn(c, "%s: these calls kill the app instead of failing (podinit's filter has one "
                                         "action)", p);
                        json_array_foreach(names, k, n)
                                set_add(set, &len, json_string_value(n));
                } else if (a == SC_ALLOW) {
                        if (json_array_size(json_object_get(rule, "args")))
                                oci_warn(c, "%s: allowed whatever its arguments (podinit's filter has no argument "
                                         "conditions)", p);
                        json_array_foreach(names, k, n)
                                set_add(set, &len, json_string_value(n));
                } else if (a == SC_ERRNO && e == ENOSYS && !(def == SC_ERRNO && def_errno == ENOSYS)) {
                        /* containerd denies clone3 with ENOSYS so that glibc falls back to clone: one errno for all. */
                        enosys = true;
                }
        }
        if (len >= SECCOMP_SET_MAX) {
                r = pod_err_set(c->err, -E2BIG, "linux.seccomp.syscalls: the calls named take %zu bytes, past podinit's "
                                "limit of %d", len, SECCOMP_SET_MAX - 1);
                goto fail;
        }
        if (def == SC_ALLOW) {
                if (!json_array_size(set)) {
                        json_decref(set);
                        oci_add_isolator(c, ISO_SECCOMP_RETAIN, json_pack("{s:[s]}", "set", "@appc.io/all"));
                        return 0;
                }
                val = json_pack("{s:o}", "set", set);
                if (deny_action == SC_ERRNO)
                        json_object_set_new(val, "errno", json_string(sc_errno_name((int)deny_errno) ?: "EPERM"));
                oci_add_isolator(c, ISO_SECCOMP_REMOVE, val);
                return 0;
        }
        if (!json_array_size(set))
                json_array_append_new(set, json_string("@appc.io/empty"));
        val = json_pack("{s:o}", "set", set);
        if (def == SC_ERRNO || enosys) {
                if (enosys)
                        oci_warn(c, "linux.seccomp: calls the profile denies fail with ENOSYS, as some of its rules "
                                 "ask (podinit's filter has one errno; ENOSYS lets a libc fall back)");
                json_object_set_new(val, "errno", json_string(enosys ? "ENOSYS" : sc_errno_name((int)def_errno) ?: "EPERM"));
        }
        oci_add_isolator(c, ISO_SECCOMP_RETAIN, val);
        return 0;
fail:
        json_decref(set);
        return r;
}

/* podinit's own lists (init/isolate/mounts.c, docs/manifest.md "Paths"). */
static const char *const pod_hidden[] = {
        "/proc/config.gz", "/proc/kallsyms", "/proc/sched_debug", "/proc/kcore", "/proc/kmem", "/proc/mem",
        "/proc/keys", "/proc/timer_list", "/proc/latency_stats", "/proc/acpi", "/proc/scsi",
        "/sys/firmware", "/sys/hypervisor", "/sys/module", "/sys/power",
        "/proc/timer_stats",    /* gone from Linux since 4.11: nothing to mask */
};
static const char *const pod_ro[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static bool in_list(const char *p, const char *const *l, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(p, l[i]))
                        return true;
        return false;
}

static int parse_paths(struct oci_ctx *c, json_t *lin)
{
        json_t *l, *it;
        size_t i;
        int r;

        for (int ro = 0; ro < 2; ro++) {
                const char *key = ro ? "readonlyPaths" : "maskedPaths";
                if ((r = oci_get(c, lin, "linux", key, JSON_ARRAY, &l)) < 0)
                        return r;
                json_array_foreach(l, i, it) {
                        const char *p = json_string_value(it);
                        bool ok;
                        if (!p || p[0] != '/')
                                return pod_err_set(c->err, -EINVAL, "linux.%s[%zu]: expected an absolute path", key, i);
                        /* Hidden is stricter than read-only; all of /sys is read-only and /sys/fs hidden but cgroup. */
                        ok = in_list(p, pod_hidden, ARRAY_SIZE(pod_hidden)) ||
                             (str_startswith(p, "/sys/fs/") && !str_startswith(p, "/sys/fs/cgroup")) ||
                             (ro && (in_list(p, pod_ro, ARRAY_SIZE(pod_ro)) || str_startswith(p, "/sys/") || !strcmp(p, "/sys")));
                        if (!ok)
                                oci_warn(c, "linux.%s[%zu]: %s is not %s (podinit applies its own list: "
                                         "docs/manifest.md \"Paths\")", key, i, p, ro ? "made read-only" : "masked");
                }
        }
        return 0;
}

int oci_parse_linux(struct oci_ctx *c, json_t *lin)
{
        static const char *const known[] = { "namespaces", "uidMappings", "gidMappings", "timeOffsets", "devices",
                "cgroupsPath", "resources", "rootfsPropagation", "seccomp", "sysctl", "maskedPaths", "readonlyPaths",
                "mountLabel", "intelRdt", "personality", "memoryPolicy", "netDevices", NULL };
        static const char *const refused[] = { "timeOffsets", "intelRdt", "memoryPolicy", "netDevices" };
        struct stage0_oci_spec *s = c->s;
        json_t *v, *it;
        const char *key;
        int r;

        if ((r = oci_check_known(c, lin, "linux", known)) < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
                if ((v = json_object_get(lin, refused[i])) && !json_is_null(v) && json_size(v))
                        return pod_err_set(c->err, -EOPNOTSUPP, "linux.%s: not supported by podinit; remove it", refused[i]);
        if ((r = oci_get(c, lin, "linux", "personality", JSON_OBJECT, &v)) < 0)
                return r;
        if (v && strcmp(json_string_value(json_object_get(v, "domain")) ?: "", "LINUX"))
                return pod_err_set(c->err, -EOPNOTSUPP, "linux.personality: only the LINUX domain is supported; remove it");
        if ((r = parse_namespaces(c, lin)) < 0 || (r = parse_devices(c, lin)) < 0 || (r = parse_resources(c, lin)) < 0 ||
            (r = parse_seccomp(c, lin)) < 0 || (r = parse_paths(c, lin)) < 0)
                return r;
        if ((r = oci_get(c, lin, "linux", "cgroupsPath", JSON_STRING, &v)) < 0)
                return r;
        if (v && *json_string_value(v))
                s->cgroups_path = xstrdup(json_string_value(v));
        if ((r = oci_get(c, lin, "linux", "rootfsPropagation", JSON_STRING, &v)) < 0)
                return r;
        if (v && (!strcmp(json_string_value(v), "shared") || !strcmp(json_string_value(v), "rshared")))
                return pod_err_set(c->err, -EOPNOTSUPP, "linux.rootfsPropagation: \"%s\": mounts propagating from the "
                                   "app back to the host are not supported; use slave or private", json_string_value(v));
        if ((r = oci_get(c, lin, "linux", "mountLabel", JSON_STRING, &v)) < 0)
                return r;
        if (v && *json_string_value(v))
                oci_warn(c, "linux.mountLabel: not applied (podinit has no SELinux support)");
        if ((r = oci_get(c, lin, "linux", "sysctl", JSON_OBJECT, &v)) < 0)
                return r;
        json_object_foreach(v, key, it) {
                if (!json_is_string(it))
                        return pod_err_set(c->err, -EINVAL, "linux.sysctl.%s: expected a string, got %s", key,
                                           json_type_name(it));
                s->sysctl = xrealloc(s->sysctl, (s->n_sysctl + 1) * sizeof(*s->sysctl));
                s->sysctl[s->n_sysctl++] = (struct kv){ xstrdup(key), xstrdup(json_string_value(it)) };
        }
        if (s->n_sysctl)
                oci_warn(c, "linux.sysctl: %zu settings not applied to the app (the caller may set network ones in the "
                         "pod's namespace)", s->n_sysctl);
        return 0;
}
