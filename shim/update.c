/*
 * Update: a running app's cgroup limits changed from the runtime spec's
 * LinuxResources (shim/stats.h).
 *
 * containerd's CRI plugin sends the whole LinuxResources of the container's
 * updated spec, not the difference: the device rules, hugepage limits and
 * the rest come back as they were at create.  So a field podinit cannot
 * apply is refused only if it differs from the bundle's config.json (what
 * the container was created with, and what podinit mapped or ignored then);
 * equal, there is nothing to change.  cpuset CPUs and memory nodes and
 * real-time CPU time are refused whenever set, as at create.
 *
 * The request is checked and every file to write found and its value worked
 * out before anything is written, so a refusal changes nothing; the values a
 * write replaces are kept and put back if a later write fails.
 */
#include <fcntl.h>
#include <unistd.h>

#include "common/fdutil.h"
#include "shim/stats.h"

#define SHARES_MAX 262144
#define PIDS_MAX 4194304
#define PERIOD_MIN 1000
#define PERIOD_MAX 1000000
#define QUOTA_MIN 1000

/* An empty object or array, null, 0 or false says nothing: the same as an absent field. */
static bool says_nothing(const json_t *v)
{
        return !v || json_is_null(v) || json_is_false(v) || (json_is_integer(v) && json_integer_value(v) == 0) ||
               (json_is_object(v) && json_object_size(v) == 0) || (json_is_array(v) && json_array_size(v) == 0);
}

/* Hugepage limits as a set of pagesize -> limit: CRI appends the request's to the spec's, repeating them. */
static bool hugepages_equal(const json_t *a, const json_t *b)
{
        const json_t *x[2] = { a, b };
        size_t i;
        json_t *e;

        for (int k = 0; k < 2; k++)
                json_array_foreach((json_t *)x[k], i, e) {
                        const json_t *other = x[1 - k], *f;
                        size_t j;
                        bool found = false;
                        json_array_foreach((json_t *)other, j, f)
                                if (json_equal(json_object_get(e, "pageSize"), json_object_get(f, "pageSize")) &&
                                    json_equal(json_object_get(e, "limit"), json_object_get(f, "limit")))
                                        found = true;
                        if (!found)
                                return false;
                }
        return true;
}

static bool as_created(const char *key, const json_t *now, const json_t *created)
{
        if (says_nothing(now))
                return true;    /* nothing asked for */
        if (!created)
                return false;
        if (!strcmp(key, "hugepageLimits") && json_is_array(now) && json_is_array(created))
                return hugepages_equal(now, created);
        return json_equal((json_t *)now, (json_t *)created);
}

/* A number field: absent or null -> *ret_set false. */
static int get_int(const json_t *obj, const char *key, const char *where, bool *ret_set, int64_t *ret, struct pod_err *err)
{
        const json_t *v = json_object_get(obj, key);

        *ret_set = false;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v))
                return pod_err_set(err, -EINVAL, "linux.resources.%s.%s: expected an integer", where, key);
        *ret = json_integer_value(v);
        *ret_set = true;
        return 0;
}

/* Keys of obj must be in known; those in fixed must be as created. */
static int check_keys(const json_t *obj, const json_t *created, const char *where, const char *const *known,
                      const char *const *fixed, struct pod_err *err)
{
        const char *key;
        json_t *v;

        if (!json_is_object(obj))
                return says_nothing(obj) ? 0 :
                       pod_err_set(err, -EINVAL, "linux.resources%s%s: expected an object", *where ? "." : "", where);
        json_object_foreach((json_t *)obj, key, v) {
                bool ok = false;
                for (const char *const *k = known; *k && !ok; k++)
                        ok = !strcmp(*k, key);
                if (!ok)
                        return pod_err_set(err, -EINVAL, "linux.resources%s%s.%s: unknown field", *where ? "." : "",
                                           where, key);
                for (const char *const *k = fixed; *k; k++)
                        if (!strcmp(*k, key) && !as_created(key, v, json_object_get(created, key)))
                                return pod_err_set(err, -EOPNOTSUPP,
                                                   "linux.resources%s%s.%s: podinit cannot change it on a running "
                                                   "container (it differs from what the container was created with)",
                                                   *where ? "." : "", where, key);
        }
        return 0;
}

static int parse_memory(const json_t *mem, const json_t *created, struct shim_update *u, struct pod_err *err)
{
        static const char *const known[] = { "limit", "swap", "reservation", "kernel", "kernelTCP", "swappiness",
                                             "disableOOMKiller", "useHierarchy", "checkBeforeUpdate", NULL };
        static const char *const fixed[] = { "reservation", "kernel", "kernelTCP", "swappiness", "useHierarchy", NULL };
        const json_t *cswap = json_object_get(created, "swap");
        int r;

        if ((r = check_keys(mem, created, "memory", known, fixed, err)) < 0)
                return r;
        if (json_is_true(json_object_get(mem, "disableOOMKiller")))
                return pod_err_set(err, -EOPNOTSUPP, "linux.resources.memory.disableOOMKiller: podinit does not "
                                   "disable the OOM killer; remove it");
        if ((r = get_int(mem, "limit", "memory", &u->set_memory, &u->memory, err)) < 0 ||
            (r = get_int(mem, "swap", "memory", &u->set_swap, &u->swap, err)) < 0)
                return r;
        /* 0 leaves a limit as it is (runc's meaning); any negative value is unlimited. */
        if (u->set_memory && u->memory == 0)
                u->set_memory = false;
        if (u->set_memory && u->memory < 0)
                u->memory = -1;
        if (u->set_swap && u->swap == 0)
                u->set_swap = false;
        if (u->set_swap && u->swap < 0)
                u->swap = -1;
        if (u->set_swap) {
                u->swap_as_created = json_is_integer(cswap) && json_integer_value(cswap) == u->swap;
                if (u->swap != -1 && u->set_memory && (u->memory == -1 || u->swap < u->memory))
                        return pod_err_set(err, -EINVAL, "linux.resources.memory.swap %lld: below the memory limit "
                                           "(swap is memory plus swap)", (long long)u->swap);
        }
        return 0;
}

static int parse_cpu(const json_t *cpu, const json_t *created, struct shim_update *u, struct pod_err *err)
{
        static const char *const known[] = { "shares", "quota", "period", "burst", "realtimeRuntime", "realtimePeriod",
                                             "cpus", "mems", "idle", NULL };
        static const char *const fixed[] = { "burst", "idle", NULL };
        int64_t v;
        bool set;
        int r;

        if ((r = check_keys(cpu, created, "cpu", known, fixed, err)) < 0)
                return r;
        for (const char *const *k = (const char *const[]){ "cpus", "mems", NULL }; *k; k++)
                if (!says_nothing(json_object_get(cpu, *k)) &&
                    !(json_is_string(json_object_get(cpu, *k)) && !*json_string_value(json_object_get(cpu, *k))))
                        return pod_err_set(err, -EOPNOTSUPP, "linux.resources.cpu.%s: podinit cannot pin an app to "
                                           "CPUs or memory nodes (cpusets); leave it empty", *k);
        for (const char *const *k = (const char *const[]){ "realtimeRuntime", "realtimePeriod", NULL }; *k; k++) {
                if ((r = get_int(cpu, *k, "cpu", &set, &v, err)) < 0)
                        return r;
                if (set && v != 0)
                        return pod_err_set(err, -EOPNOTSUPP, "linux.resources.cpu.%s: podinit gives apps no "
                                           "real-time CPU time; remove it", *k);
        }
        if ((r = get_int(cpu, "shares", "cpu", &set, &v, err)) < 0)
                return r;
        if (set && v != 0) {
                if (v < 0 || v > SHARES_MAX)
                        return pod_err_set(err, -EINVAL, "linux.resources.cpu.shares %lld: expected 2 to %d",
                                           (long long)v, SHARES_MAX);
                u->set_shares = true;
                u->shares = v < 2 ? 2 : (uint64_t)v;
        }
        if ((r = get_int(cpu, "quota", "cpu", &u->set_quota, &u->quota, err)) < 0)
                return r;
        if (u->set_quota && u->quota == 0)
                u->set_quota = false;
        if (u->set_quota && u->quota < 0)
                u->quota = -1;
        if (u->set_quota && u->quota > 0 && u->quota < QUOTA_MIN)
                return pod_err_set(err, -EINVAL, "linux.resources.cpu.quota %lld: below the kernel's minimum, %d us",
                                   (long long)u->quota, QUOTA_MIN);
        if ((r = get_int(cpu, "period", "cpu", &set, &v, err)) < 0)
                return r;
        if (set && v != 0) {
                if (v < PERIOD_MIN || v > PERIOD_MAX)
                        return pod_err_set(err, -EINVAL, "linux.resources.cpu.period %lld: expected %d to %d us",
                                           (long long)v, PERIOD_MIN, PERIOD_MAX);
                u->set_period = true;
                u->period = (uint64_t)v;
        }
        return 0;
}

int shim_update_parse(const char *type_url, const uint8_t *data, size_t len, const json_t *created,
                      struct shim_update *ret, struct pod_err *err)
{
        static const char *const known[] = { "devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits",
                                             "network", "rdma", "unified", NULL };
        static const char *const fixed[] = { "devices", "blockIO", "hugepageLimits", "network", "rdma", "unified", NULL };
        struct shim_update u = { 0 };
        json_error_t jerr;
        json_t *res;
        int64_t pids;
        bool set;
        int r;

        if (!type_url || strcmp(type_url, SHIM_RESOURCES_URL))
                return pod_err_set(err, -EINVAL, "resources of type \"%s\": expected %s", type_url ?: "",
                                   SHIM_RESOURCES_URL);
        res = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!res)
                return pod_err_set(err, -EINVAL, "resources: not JSON: %s", jerr.text);
        if (!json_is_object(res)) {
                json_decref(res);
                return pod_err_set(err, -EINVAL, "resources: expected a LinuxResources object");
        }
        if ((r = check_keys(res, created, "", known, fixed, err)) < 0 ||
            (r = parse_memory(json_object_get(res, "memory"), json_object_get(created, "memory"), &u, err)) < 0 ||
            (r = parse_cpu(json_object_get(res, "cpu"), json_object_get(created, "cpu"), &u, err)) < 0)
                goto out;
        {
                static const char *const pknown[] = { "limit", NULL }, *const pfixed[] = { NULL };
                const json_t *p = json_object_get(res, "pids");
                if ((r = check_keys(p, NULL, "pids", pknown, pfixed, err)) < 0 ||
                    (r = get_int(p, "limit", "pids", &set, &pids, err)) < 0)
                        goto out;
        }
        /* 0 leaves it as it is; negative is unlimited. */
        if (set && pids != 0) {
                if (pids > PIDS_MAX) {
                        r = pod_err_set(err, -EINVAL, "linux.resources.pids.limit %lld: above %d", (long long)pids, PIDS_MAX);
                        goto out;
                }
                u.set_pids = true;
                u.pids = pids < 0 ? -1 : pids;
        }
        *ret = u;
        r = 0;
out:
        json_decref(res);
        return r;
}

json_t *shim_update_created(const char *bundle)
{
        _cleanup_free_ char *path = xasprintf("%s/config.json", bundle);
        json_t *spec = json_load_file(path, 0, NULL), *res;

        res = json_object_get(json_object_get(spec, "linux"), "resources");
        json_incref(res);
        json_decref(spec);
        return res;
}

/* One file to write, and what it held (to put back). */
struct write {
        char *path, *value, *old;
};

struct plan {
        struct write w[8];
        size_t n;
};

static void plan_done(struct plan *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->w[i].path);
                free(p->w[i].value);
                free(p->w[i].old);
        }
        p->n = 0;
}

/* Read what the file holds now (it must exist: a controller the app's cgroup lacks is refused). */
static int plan_add(struct plan *p, const struct shim_cgroup *cg, const char *hier, const char *file, char *value,
                    struct pod_err *err)
{
        _cleanup_free_ char *path = shim_cgroup_path(cg, hier, file), *old = NULL;
        size_t len;
        int r;

        if ((r = read_file_at(AT_FDCWD, path, 4096, &old, &len)) < 0) {
                free(value);
                return pod_err_set(err, r == -ENOENT ? -EOPNOTSUPP : r, "%s: %s%s", path, strerror(-r),
                                   r == -ENOENT ? " (the host's cgroups lack this controller)" : "");
        }
        while (len > 0 && old[len - 1] == '\n')
                old[--len] = 0;
        if (p->n == ARRAY_SIZE(p->w)) {
                free(value);
                return pod_err_set(err, -E2BIG, "an update of more than %zu cgroup files", ARRAY_SIZE(p->w));
        }
        p->w[p->n++] = (struct write){ .path = TAKE_PTR(path), .value = value, .old = TAKE_PTR(old) };
        return 0;
}

static bool file_exists(const struct shim_cgroup *cg, const char *hier, const char *file)
{
        _cleanup_free_ char *path = shim_cgroup_path(cg, hier, file);

        return access(path, F_OK) == 0;
}

static int write_value(const char *path, const char *value)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        /* cgroup files take the whole value in one write(); an error is the kernel's verdict on it. */
        if (write(fd, value, strlen(value)) < 0)
                return -errno;
        return 0;
}

static char *num_or(int64_t v, const char *unlimited)
{
        return v < 0 ? xstrdup(unlimited) : xasprintf("%lld", (long long)v);
}

static int plan_v1(const struct shim_cgroup *cg, const struct shim_update *u, struct plan *p, struct pod_err *err)
{
        /* No swap accounting, and the spec's swap the one podinit did not apply at create either: nothing to do. */
        bool swap = u->set_swap && !(u->swap_as_created && !file_exists(cg, "memory", "memory.memsw.limit_in_bytes"));
        int r = 0;

        if (u->set_memory && swap) {
                /* memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes: raise swap first, lower it last. */
                _cleanup_free_ char *path = shim_cgroup_path(cg, "memory", "memory.memsw.limit_in_bytes"), *cur = NULL;
                unsigned long long now = read_file_at(AT_FDCWD, path, 64, &cur, NULL) < 0 ? 0 : strtoull(cur, NULL, 10);
                bool swap_first = u->memory < 0 || (unsigned long long)u->memory > now;
                if (swap_first)
                        r = plan_add(p, cg, "memory", "memory.memsw.limit_in_bytes", num_or(u->swap, "-1"), err);
                if (r == 0)
                        r = plan_add(p, cg, "memory", "memory.limit_in_bytes", num_or(u->memory, "-1"), err);
                if (r == 0 && !swap_first)
                        r = plan_add(p, cg, "memory", "memory.memsw.limit_in_bytes", num_or(u->swap, "-1"), err);
        } else if (u->set_memory) {
                r = plan_add(p, cg, "memory", "memory.limit_in_bytes", num_or(u->memory, "-1"), err);
        } else if (swap) {
                r = plan_add(p, cg, "memory", "memory.memsw.limit_in_bytes", num_or(u->swap, "-1"), err);
        }
        if (r == 0 && u->set_shares)
                r = plan_add(p, cg, "cpu", "cpu.shares", xasprintf("%llu", (unsigned long long)u->shares), err);
        if (r == 0 && u->set_period)
                r = plan_add(p, cg, "cpu", "cpu.cfs_period_us", xasprintf("%llu", (unsigned long long)u->period), err);
        if (r == 0 && u->set_quota)
                r = plan_add(p, cg, "cpu", "cpu.cfs_quota_us", num_or(u->quota, "-1"), err);
        if (r == 0 && u->set_pids)
                r = plan_add(p, cg, "pids", "pids.max", num_or(u->pids, "max"), err);
        return r;
}

/* The value of a v2 file ("max" -> -1), for what the update leaves as it is. */
static int v2_read(const struct shim_cgroup *cg, const char *file, int64_t *ret_a, int64_t *ret_b)
{
        _cleanup_free_ char *path = shim_cgroup_path(cg, NULL, file), *s = NULL;
        char *rest;

        if (read_file_at(AT_FDCWD, path, 128, &s, NULL) < 0)
                return -ENOENT;
        *ret_a = !strncmp(s, "max", 3) ? -1 : strtoll(s, NULL, 10);
        rest = strchr(s, ' ');
        if (ret_b)
                *ret_b = rest ? strtoll(rest + 1, NULL, 10) : 0;
        return 0;
}

static int plan_v2(const struct shim_cgroup *cg, const struct shim_update *u, struct plan *p, struct pod_err *err)
{
        int r = 0;

        if (u->set_memory)
                r = plan_add(p, cg, NULL, "memory.max", num_or(u->memory, "max"), err);
        /* v2 limits swap alone: memory.swap.max is the OCI swap (memory + swap) less the memory limit. */
        if (r == 0 && u->set_swap && !(u->swap_as_created && !file_exists(cg, NULL, "memory.swap.max"))) {
                int64_t mem = u->memory;
                if (!u->set_memory && v2_read(cg, "memory.max", &mem, NULL) < 0)
                        mem = -1;
                if (u->swap == -1)
                        r = plan_add(p, cg, NULL, "memory.swap.max", xstrdup("max"), err);
                else if (mem < 0 || u->swap < mem)
                        r = pod_err_set(err, -EINVAL, "linux.resources.memory.swap %lld: needs a memory limit at or "
                                        "below it", (long long)u->swap);
                else
                        r = plan_add(p, cg, NULL, "memory.swap.max", num_or(u->swap - mem, "max"), err);
        }
        /* cgroup.h's mapping of shares onto cpu.weight (1..10000), as at create. */
        if (r == 0 && u->set_shares)
                r = plan_add(p, cg, NULL, "cpu.weight",
                             xasprintf("%llu", (unsigned long long)(1 + (u->shares - 2) * 9999 / 262142)), err);
        if (r == 0 && (u->set_quota || u->set_period)) {
                int64_t quota = -1, period = 100000;
                (void)v2_read(cg, "cpu.max", &quota, &period);
                if (u->set_quota)
                        quota = u->quota;
                if (u->set_period)
                        period = (int64_t)u->period;
                r = plan_add(p, cg, NULL, "cpu.max",
                             quota < 0 ? xasprintf("max %lld", (long long)period) :
                                         xasprintf("%lld %lld", (long long)quota, (long long)period), err);
        }
        if (r == 0 && u->set_pids)
                r = plan_add(p, cg, NULL, "pids.max", num_or(u->pids, "max"), err);
        return r;
}

int shim_update_apply(const struct shim_cgroup *cg, const struct shim_update *u, struct pod_err *err)
{
        struct plan p = { .n = 0 };
        int r;

        r = cg->layout == CG_V1 ? plan_v1(cg, u, &p, err) :
            cg->layout == CG_V2 ? plan_v2(cg, u, &p, err) :
                                  pod_err_set(err, -EOPNOTSUPP, "no cgroup hierarchy is mounted at %s", cg->mnt);
        for (size_t i = 0; r == 0 && i < p.n; i++) {
                if ((r = write_value(p.w[i].path, p.w[i].value)) == 0)
                        continue;
                pod_err_set(err, r == -EBUSY || r == -EINVAL ? -EOPNOTSUPP : r, "writing %s to %s: %s%s", p.w[i].value,
                            p.w[i].path, strerror(-r),
                            r == -EBUSY ? " (the app uses more than that)" : "");
                r = err->code;
                /* Put back what was written: a refused update leaves the limits as they were. */
                while (i-- > 0)
                        (void)write_value(p.w[i].path, p.w[i].old);
        }
        plan_done(&p);
        return r;
}
