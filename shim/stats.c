/*
 * Stats: a task's cgroup files on the host as containerd's cgroups Metrics
 * (shim/stats.h).  The kernel's "key value" files (memory.stat, cpu.stat,
 * memory.events, memory.oom_control) are matched to the message's uint64
 * fields by name through the protobuf-c descriptor, so a key the kernel
 * adds or drops changes nothing here; the few keys whose names differ from
 * containerd's field names are renamed first.  A file that is missing (a
 * controller the host lacks, swap accounting off) leaves its fields 0, as
 * runc's shim does.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/v1/metrics.pb-c.h"
#include "cgroups/v2/metrics.pb-c.h"
#include "common/fdutil.h"
#include "shim/stats.h"

#define CG_FILE_MAX 65536       /* memory.stat is ~2 KiB, cpuacct.usage_percpu ~20 bytes a CPU */

/* The v1 hierarchies Stats reads (Update writes memory, cpu and pids). */
static const char *const stats_hier[] = { "memory", "cpuacct", "cpu", "pids" };

void shim_cgroup_done(struct shim_cgroup *cg)
{
        free(cg->mnt);
        free(cg->rel);
        *cg = (struct shim_cgroup){ 0 };
}

char *shim_cgroup_path(const struct shim_cgroup *cg, const char *hier, const char *file)
{
        if (cg->layout == CG_V1)
                return xasprintf("%s/%s/%s%s%s", cg->mnt, hier, cg->rel, file ? "/" : "", file ?: "");
        return xasprintf("%s/%s%s%s", cg->mnt, cg->rel, file ? "/" : "", file ?: "");
}

int shim_cgroup_find(const char *mnt, const char *pod_dir, const char *app, struct shim_cgroup *ret,
                     struct pod_err *err)
{
        _cleanup_free_ char *file = xasprintf("%s/subcgroup", pod_dir), *sub = NULL, *dir = NULL;
        struct shim_cgroup cg = { 0 };
        struct stat st;
        size_t len;
        int r;

        if ((r = read_file_at(AT_FDCWD, file, 4096, &sub, &len)) < 0)
                return pod_err_set(err, r, r == -ENOENT ? "the pod has no cgroup (%s is missing)" : "reading %s: %s",
                                   file, strerror(-r));
        while (len > 0 && sub[len - 1] == '\n')
                sub[--len] = 0;
        /* The launcher wrote it, but it is a file in a directory: it must not lead out of the hierarchy. */
        if (len == 0 || sub[0] == '/' || strstr(sub, "..") || strchr(sub, '\n'))
                return pod_err_set(err, -EINVAL, "%s names \"%s\", which is not a pod cgroup", file, sub);
        if ((r = cg_detect(mnt, &cg.layout, err)) < 0)
                return r;
        if (cg.layout == CG_NONE)
                return pod_err_set(err, -ENOENT, "no cgroup hierarchy is mounted at %s", mnt);
        cg.mnt = xstrdup(mnt);
        cg.rel = app ? xasprintf("%s/system.slice/%s.service", sub, app) : TAKE_PTR(sub);
        /* podinit makes the cgroup in every v1 hierarchy the host has (v2: in the one tree). */
        for (size_t i = 0; i < ARRAY_SIZE(stats_hier); i++) {
                free(dir);
                dir = shim_cgroup_path(&cg, stats_hier[i], NULL);
                if ((r = stat(dir, &st) < 0 ? -errno : 0) == 0 || cg.layout == CG_V2)
                        break;
        }
        if (r < 0) {
                errno = -r;
                r = pod_err_set(err, -errno, errno == ENOENT ? "cgroup %s does not exist%s" : "cgroup %s: %s", dir,
                                errno == ENOENT ? (app ? " (the app has not started)" : "") : strerror(errno));
                shim_cgroup_done(&cg);
                return r;
        }
        *ret = cg;
        return 0;
}

/* The file's contents, or NULL if it cannot be read (a controller or file the host lacks). */
static char *cg_read(const struct shim_cgroup *cg, const char *hier, const char *file)
{
        _cleanup_free_ char *p = shim_cgroup_path(cg, hier, file);
        char *data = NULL;

        if (read_file_at(AT_FDCWD, p, CG_FILE_MAX, &data, NULL) < 0)
                return NULL;
        return data;
}

/* A number file: "max" is max_value; a missing or odd file 0. */
static uint64_t cg_u64(const struct shim_cgroup *cg, const char *hier, const char *file, uint64_t max_value)
{
        _cleanup_free_ char *s = cg_read(cg, hier, file);
        unsigned long long v;
        char *end;

        if (!s)
                return 0;
        if (!strncmp(s, "max", 3))
                return max_value;
        errno = 0;
        v = strtoull(s, &end, 10);
        /* v1 writes an unlimited memory.limit_in_bytes as a huge positive number; a negative one is not. */
        if (errno || end == s || s[0] == '-')
                return 0;
        return v;
}

/* Set msg's uint64 field named name (NULL: nothing); a field of another type is left alone. */
static void set_field(ProtobufCMessage *msg, const char *name, uint64_t v)
{
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);

        if (f && f->type == PROTOBUF_C_TYPE_UINT64 && f->label != PROTOBUF_C_LABEL_REPEATED)
                *(uint64_t *)((char *)msg + f->offset) = v;
}

/* Kernel key -> field name where they differ (NULL-terminated pairs). */
static const char *const v1_memory_renames[] = {
        "pgpgin", "pg_pg_in", "pgpgout", "pg_pg_out", "pgfault", "pg_fault", "pgmajfault", "pg_maj_fault",
        "hierarchical_memsw_limit", "hierarchical_swap_limit", "total_pgpgin", "total_pg_pg_in",
        "total_pgpgout", "total_pg_pg_out", "total_pgfault", "total_pg_fault", "total_pgmajfault", "total_pg_maj_fault",
        NULL,
};
static const char *const v1_throttle_renames[] = {
        "nr_periods", "periods", "nr_throttled", "throttled_periods", NULL,
};
static const char *const no_renames[] = { NULL };

/* Each "key value" line of data into msg's field of that name (after renames). */
static void parse_keyed(const char *data, ProtobufCMessage *msg, const char *const *renames)
{
        const char *line = data;

        while (line && *line) {
                const char *nl = strchr(line, '\n'), *sp = strchr(line, ' ');
                char key[64];
                unsigned long long v;

                if (sp && (!nl || sp < nl) && (size_t)(sp - line) < sizeof(key)) {
                        memcpy(key, line, (size_t)(sp - line));
                        key[sp - line] = 0;
                        errno = 0;
                        v = strtoull(sp + 1, NULL, 10);
                        if (!errno) {
                                const char *name = key;
                                for (const char *const *r = renames; *r; r += 2)
                                        if (!strcmp(r[0], key)) {
                                                name = r[1];
                                                break;
                                        }
                                set_field(msg, name, v);
                        }
                }
                line = nl ? nl + 1 : NULL;
        }
}

static void read_keyed(const struct shim_cgroup *cg, const char *hier, const char *file, ProtobufCMessage *msg,
                       const char *const *renames)
{
        _cleanup_free_ char *data = cg_read(cg, hier, file);

        if (data)
                parse_keyed(data, msg, renames);
}

/* v1 memory.<prefix>{limit_in_bytes,usage_in_bytes,max_usage_in_bytes,failcnt} */
static void v1_memory_entry(const struct shim_cgroup *cg, const char *prefix, Io__Containerd__Cgroups__V1__MemoryEntry *e)
{
        static const char *const files[] = { "limit_in_bytes", "usage_in_bytes", "max_usage_in_bytes", "failcnt" };
        uint64_t *fields[] = { &e->limit, &e->usage, &e->max, &e->failcnt };
        char name[64];

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                snprintf(name, sizeof(name), "memory.%s%s", prefix, files[i]);
                *fields[i] = cg_u64(cg, "memory", name, 0);
        }
}

static int pack(const ProtobufCMessage *m, uint8_t **ret_data, size_t *ret_len)
{
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *buf = xmalloc(n ? n : 1);

        protobuf_c_message_pack(m, buf);
        *ret_data = buf;
        *ret_len = n;
        return 0;
}

static int stats_v1(const struct shim_cgroup *cg, uint8_t **ret_data, size_t *ret_len)
{
        Io__Containerd__Cgroups__V1__Metrics m = IO__CONTAINERD__CGROUPS__V1__METRICS__INIT;
        Io__Containerd__Cgroups__V1__PidsStat pids = IO__CONTAINERD__CGROUPS__V1__PIDS_STAT__INIT;
        Io__Containerd__Cgroups__V1__CPUStat cpu = IO__CONTAINERD__CGROUPS__V1__CPUSTAT__INIT;
        Io__Containerd__Cgroups__V1__CPUUsage usage = IO__CONTAINERD__CGROUPS__V1__CPUUSAGE__INIT;
        Io__Containerd__Cgroups__V1__Throttle thr = IO__CONTAINERD__CGROUPS__V1__THROTTLE__INIT;
        Io__Containerd__Cgroups__V1__MemoryStat mem = IO__CONTAINERD__CGROUPS__V1__MEMORY_STAT__INIT;
        Io__Containerd__Cgroups__V1__MemoryEntry mu = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT,
                                                 ms = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT,
                                                 mk = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT,
                                                 mt = IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
        Io__Containerd__Cgroups__V1__MemoryOomControl oom = IO__CONTAINERD__CGROUPS__V1__MEMORY_OOM_CONTROL__INIT;
        _cleanup_free_ char *percpu = cg_read(cg, "cpuacct", "cpuacct.usage_percpu"),
                            *acct = cg_read(cg, "cpuacct", "cpuacct.stat");
        _cleanup_free_ uint64_t *per = NULL;
        long hz = sysconf(_SC_CLK_TCK);
        int r;

        /* pids.max "max" is 0 in containerd's v1 PidsStat: no limit. */
        pids.current = cg_u64(cg, "pids", "pids.current", 0);
        pids.limit = cg_u64(cg, "pids", "pids.max", 0);
        usage.total = cg_u64(cg, "cpuacct", "cpuacct.usage", 0);
        for (char *s = percpu, *end; s && *s; s = end) {
                unsigned long long v = strtoull(s, &end, 10);
                if (end == s)
                        break;
                per = xrealloc(per, (usage.n_per_cpu + 1) * sizeof(*per));
                per[usage.n_per_cpu++] = v;
        }
        usage.per_cpu = per;
        /* cpuacct.stat counts USER_HZ ticks; the message has nanoseconds. */
        if (acct && hz > 0) {
                Io__Containerd__Cgroups__V1__CPUUsage ticks = IO__CONTAINERD__CGROUPS__V1__CPUUSAGE__INIT;
                static const char *const renames[] = { "system", "kernel", NULL };
                parse_keyed(acct, &ticks.base, renames);
                usage.user = ticks.user * (1000000000u / (uint64_t)hz);
                usage.kernel = ticks.kernel * (1000000000u / (uint64_t)hz);
        }
        read_keyed(cg, "cpu", "cpu.stat", &thr.base, v1_throttle_renames);
        cpu.usage = &usage;
        cpu.throttling = &thr;
        read_keyed(cg, "memory", "memory.stat", &mem.base, v1_memory_renames);
        v1_memory_entry(cg, "", &mu);
        v1_memory_entry(cg, "memsw.", &ms);
        v1_memory_entry(cg, "kmem.", &mk);
        v1_memory_entry(cg, "kmem.tcp.", &mt);
        mem.usage = &mu;
        mem.swap = &ms;
        mem.kernel = &mk;
        mem.kernel_tcp = &mt;
        read_keyed(cg, "memory", "memory.oom_control", &oom.base, no_renames);
        m.pids = &pids;
        m.cpu = &cpu;
        m.memory = &mem;
        m.memory_oom_control = &oom;
        r = pack(&m.base, ret_data, ret_len);
        return r;
}

static int stats_v2(const struct shim_cgroup *cg, uint8_t **ret_data, size_t *ret_len)
{
        Io__Containerd__Cgroups__V2__Metrics m = IO__CONTAINERD__CGROUPS__V2__METRICS__INIT;
        Io__Containerd__Cgroups__V2__PidsStat pids = IO__CONTAINERD__CGROUPS__V2__PIDS_STAT__INIT;
        Io__Containerd__Cgroups__V2__CPUStat cpu = IO__CONTAINERD__CGROUPS__V2__CPUSTAT__INIT;
        Io__Containerd__Cgroups__V2__MemoryStat mem = IO__CONTAINERD__CGROUPS__V2__MEMORY_STAT__INIT;
        Io__Containerd__Cgroups__V2__MemoryEvents ev = IO__CONTAINERD__CGROUPS__V2__MEMORY_EVENTS__INIT;

        pids.current = cg_u64(cg, NULL, "pids.current", 0);
        pids.limit = cg_u64(cg, NULL, "pids.max", 0);
        read_keyed(cg, NULL, "cpu.stat", &cpu.base, no_renames);
        read_keyed(cg, NULL, "memory.stat", &mem.base, no_renames);
        /* An unlimited memory.max or memory.swap.max is the largest value, as containerd's v2 reader gives. */
        mem.usage = cg_u64(cg, NULL, "memory.current", 0);
        mem.usage_limit = cg_u64(cg, NULL, "memory.max", UINT64_MAX);
        mem.swap_usage = cg_u64(cg, NULL, "memory.swap.current", 0);
        mem.swap_limit = cg_u64(cg, NULL, "memory.swap.max", UINT64_MAX);
        read_keyed(cg, NULL, "memory.events", &ev.base, no_renames);
        m.pids = &pids;
        m.cpu = &cpu;
        m.memory = &mem;
        m.memory_events = &ev;
        return pack(&m.base, ret_data, ret_len);
}

int shim_stats_read(const struct shim_cgroup *cg, const char **ret_type_url, uint8_t **ret_data, size_t *ret_len,
                    struct pod_err *err)
{
        switch (cg->layout) {
        case CG_V1:
                *ret_type_url = SHIM_METRICS_V1_URL;
                return stats_v1(cg, ret_data, ret_len);
        case CG_V2:
                *ret_type_url = SHIM_METRICS_V2_URL;
                return stats_v2(cg, ret_data, ret_len);
        default:
                return pod_err_set(err, -ENOENT, "no cgroup hierarchy is mounted at %s", cg->mnt);
        }
}
