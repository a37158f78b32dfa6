/*
 * shim/stats.c and shim/update.c: the task's cgroup found from the pod's
 * `subcgroup`, its files read into containerd's cgroups Metrics (v1 and
 * v2, on fake trees: plain directories with the control files written by
 * the test), the Update JSON mapped and refused, the plan written in the
 * right order; then this machine's real cgroup v1 hierarchies for what
 * only the kernel checks (memory against memsw, a CPU quota above its
 * parent's) and the undo of a refused write.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "cgroups/v1/metrics.pb-c.h"
#include "cgroups/v2/metrics.pb-c.h"
#include "common/fdutil.h"
#include "shim/stats.h"

#define POD "machine.slice/machine-rkt\\x2dtest.scope"
#define APP POD "/system.slice/web.service"

static void put(const char *root, const char *rel, const char *content)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
        _cleanup_free_ char *dir = xstrdup(p);
        *strrchr(dir, '/') = '\0';
        if (mkdir_p_at(AT_FDCWD, dir, 0755) < 0)
                FAIL_AT("mkdir %s: %s", dir, strerror(errno));
        if (write_file_atomic(AT_FDCWD, p, content, strlen(content), 0644, 0) < 0)
                FAIL_AT("writing %s", p);
}

static char *get(const char *root, const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
        char *data = NULL;
        size_t len;
        if (read_file_at(AT_FDCWD, p, 65536, &data, &len) < 0)
                FAIL_AT("reading %s", p);
        while (len > 0 && data[len - 1] == '\n')
                data[--len] = 0;
        return data;
}

static void expect(const char *root, const char *rel, const char *want)
{
        _cleanup_free_ char *got = get(root, rel);
        if (strcmp(got, want))
                FAIL_AT("%s: \"%s\", expected \"%s\"", rel, got, want);
}

/* A fake v1 mount with the pod's app cgroup in each hierarchy, and a pod directory naming it. */
static void fake_v1(const char *mnt, const char *pod_dir)
{
        static const char *const hier[] = { "cpu", "cpuacct", "memory", "pids" };
        for (size_t i = 0; i < ARRAY_SIZE(hier); i++) {
                _cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", hier[i]);
                _cleanup_free_ char *app = xasprintf("%s/%s/cgroup.procs", hier[i], APP);
                put(mnt, procs, "");
                put(mnt, app, "");
        }
        put(pod_dir, "subcgroup", POD "\n");
}

static int update(const char *json, const char *created_json, struct shim_update *u, struct pod_err *err)
{
        json_t *created = created_json ? json_loads(created_json, 0, NULL) : NULL;
        int r;

        *err = (struct pod_err){ 0 };
        *u = (struct shim_update){ 0 };
        r = shim_update_parse(SHIM_RESOURCES_URL, (const uint8_t *)json, strlen(json), created, u, err);
        json_decref(created);
        return r;
}

TEST(shim_cgroup_found_from_subcgroup_and_refused_outside)
{
        _cleanup_free_ char *mnt = xasprintf("%s/cg", test_tmpdir()), *pod = xasprintf("%s/pod", test_tmpdir());
        struct shim_cgroup cg = { 0 };
        struct pod_err err = { 0 };

        mkdir_p_at(AT_FDCWD, pod, 0755);
        ASSERT_EQ(-ENOENT, shim_cgroup_find(mnt, pod, "web", &cg, &err));
        ASSERT_CONTAINS(err.msg, "no cgroup");
        fake_v1(mnt, pod);
        ASSERT_EQ(0, shim_cgroup_find(mnt, pod, "web", &cg, &err));
        ASSERT_EQ(CG_V1, cg.layout);
        ASSERT_STREQ(APP, cg.rel);
        shim_cgroup_done(&cg);
        /* The sandbox: the pod's own cgroup. */
        ASSERT_EQ(0, shim_cgroup_find(mnt, pod, NULL, &cg, &err));
        ASSERT_STREQ(POD, cg.rel);
        shim_cgroup_done(&cg);
        /* An app that has not started has no cgroup yet: NOT_FOUND for containerd. */
        ASSERT_EQ(-ENOENT, shim_cgroup_find(mnt, pod, "later", &cg, &err));
        ASSERT_CONTAINS(err.msg, "has not started");
        put(pod, "subcgroup", "../../etc\n");
        ASSERT_EQ(-EINVAL, shim_cgroup_find(mnt, pod, "web", &cg, &err));
        put(pod, "subcgroup", "/machine.slice\n");
        ASSERT_EQ(-EINVAL, shim_cgroup_find(mnt, pod, "web", &cg, &err));
}

TEST(shim_stats_v1_from_the_cgroup_files)
{
        _cleanup_free_ char *mnt = xasprintf("%s/cg", test_tmpdir()), *pod = xasprintf("%s/pod", test_tmpdir());
        struct shim_cgroup cg = { 0 };
        struct pod_err err = { 0 };
        _cleanup_free_ uint8_t *data = NULL;
        const char *url = NULL;
        size_t len = 0;
        long hz = sysconf(_SC_CLK_TCK);
        Io__Containerd__Cgroups__V1__Metrics *m;

        fake_v1(mnt, pod);
        put(mnt, "cpuacct/" APP "/cpuacct.usage", "123456789\n");
        put(mnt, "cpuacct/" APP "/cpuacct.usage_percpu", "100 200 \n");
        put(mnt, "cpuacct/" APP "/cpuacct.stat", "user 10\nsystem 5\n");
        put(mnt, "cpu/" APP "/cpu.stat", "nr_periods 7\nnr_throttled 2\nthrottled_time 999\nnr_bursts 0\n");
        put(mnt, "memory/" APP "/memory.stat",
            "cache 4096\nrss 8192\npgpgin 11\nhierarchical_memory_limit 67108864\nhierarchical_memsw_limit 9223372036854771712\n"
            "total_rss 8192\ntotal_inactive_file 1024\ntotal_pgmajfault 3\nsome_new_key 5\nswap 0\n");
        put(mnt, "memory/" APP "/memory.usage_in_bytes", "12288\n");
        put(mnt, "memory/" APP "/memory.limit_in_bytes", "67108864\n");
        put(mnt, "memory/" APP "/memory.max_usage_in_bytes", "20000\n");
        put(mnt, "memory/" APP "/memory.failcnt", "1\n");
        put(mnt, "memory/" APP "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        put(mnt, "pids/" APP "/pids.current", "4\n");
        put(mnt, "pids/" APP "/pids.max", "max\n");
        ASSERT_EQ(0, shim_cgroup_find(mnt, pod, "web", &cg, &err));
        ASSERT_EQ(0, shim_stats_read(&cg, &url, &data, &len, &err));
        ASSERT_STREQ("io.containerd.cgroups.v1.Metrics", url);
        m = io__containerd__cgroups__v1__metrics__unpack(NULL, len, data);
        ASSERT(m && m->cpu && m->cpu->usage && m->cpu->throttling && m->memory && m->pids && m->memory_oom_control);
        ASSERT_EQ(123456789, m->cpu->usage->total);
        ASSERT_EQ(2, m->cpu->usage->n_per_cpu);
        ASSERT_EQ(200, m->cpu->usage->per_cpu[1]);
        ASSERT_EQ(10 * (1000000000 / hz), m->cpu->usage->user);
        ASSERT_EQ(5 * (1000000000 / hz), m->cpu->usage->kernel);
        ASSERT_EQ(7, m->cpu->throttling->periods);
        ASSERT_EQ(2, m->cpu->throttling->throttled_periods);
        ASSERT_EQ(999, m->cpu->throttling->throttled_time);
        ASSERT_EQ(4096, m->memory->cache);
        ASSERT_EQ(8192, m->memory->rss);
        ASSERT_EQ(11, m->memory->pg_pg_in);
        ASSERT_EQ(3, m->memory->total_pg_maj_fault);
        ASSERT_EQ(67108864, m->memory->hierarchical_memory_limit);
        ASSERT(m->memory->hierarchical_swap_limit == 9223372036854771712ull);
        ASSERT(m->memory->usage && m->memory->swap && m->memory->kernel);
        ASSERT_EQ(12288, m->memory->usage->usage);
        ASSERT_EQ(67108864, m->memory->usage->limit);
        ASSERT_EQ(20000, m->memory->usage->max);
        ASSERT_EQ(1, m->memory->usage->failcnt);
        /* No swap accounting: its entry is there, all 0 (as runc's shim sends it). */
        ASSERT_EQ(0, m->memory->swap->usage);
        /* CRI's working set: usage less total_inactive_file. */
        ASSERT_EQ(12288 - 1024, m->memory->usage->usage - m->memory->total_inactive_file);
        ASSERT_EQ(3, m->memory_oom_control->oom_kill);
        ASSERT_EQ(4, m->pids->current);
        ASSERT_EQ(0, m->pids->limit);
        io__containerd__cgroups__v1__metrics__free_unpacked(m, NULL);
        shim_cgroup_done(&cg);
}

TEST(shim_stats_v2_from_the_cgroup_files)
{
        _cleanup_free_ char *mnt = xasprintf("%s/cg2", test_tmpdir());
        struct shim_cgroup cg = { .mnt = xstrdup(mnt), .layout = CG_V2, .rel = xstrdup(APP) };
        struct pod_err err = { 0 };
        _cleanup_free_ uint8_t *data = NULL;
        const char *url = NULL;
        size_t len = 0;
        Io__Containerd__Cgroups__V2__Metrics *m;

        put(mnt, APP "/cpu.stat", "usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\nnr_periods 4\nnr_throttled 1\n"
                                  "throttled_usec 77\n");
        put(mnt, APP "/memory.stat", "anon 4096\nfile 8192\ninactive_file 2048\npgfault 9\nnew_key 1\n");
        put(mnt, APP "/memory.current", "16384\n");
        put(mnt, APP "/memory.max", "max\n");
        put(mnt, APP "/memory.swap.current", "0\n");
        put(mnt, APP "/memory.swap.max", "1048576\n");
        put(mnt, APP "/memory.events", "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n");
        put(mnt, APP "/pids.current", "3\n");
        put(mnt, APP "/pids.max", "100\n");
        ASSERT_EQ(0, shim_stats_read(&cg, &url, &data, &len, &err));
        ASSERT_STREQ("io.containerd.cgroups.v2.Metrics", url);
        m = io__containerd__cgroups__v2__metrics__unpack(NULL, len, data);
        ASSERT(m && m->cpu && m->memory && m->pids && m->memory_events);
        ASSERT_EQ(5000, m->cpu->usage_usec);
        ASSERT_EQ(3000, m->cpu->user_usec);
        ASSERT_EQ(2000, m->cpu->system_usec);
        ASSERT_EQ(1, m->cpu->nr_throttled);
        ASSERT_EQ(77, m->cpu->throttled_usec);
        ASSERT_EQ(4096, m->memory->anon);
        ASSERT_EQ(2048, m->memory->inactive_file);
        ASSERT_EQ(9, m->memory->pgfault);
        ASSERT_EQ(16384, m->memory->usage);
        ASSERT(m->memory->usage_limit == UINT64_MAX);
        ASSERT_EQ(1048576, m->memory->swap_limit);
        ASSERT_EQ(2, m->memory_events->max);
        ASSERT_EQ(1, m->memory_events->oom_kill);
        ASSERT_EQ(3, m->pids->current);
        ASSERT_EQ(100, m->pids->limit);
        io__containerd__cgroups__v2__metrics__free_unpacked(m, NULL);
        shim_cgroup_done(&cg);
}

/* What containerd 1.6's CRI sends: the updated spec's whole linux.resources. */
#define CREATED                                                                                             \
        "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],\"memory\":{\"limit\":67108864,\"swap\":67108864}," \
        "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},"                                        \
        "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}]}"

TEST(shim_update_maps_what_cri_sends)
{
        struct shim_update u;
        struct pod_err err;

        ASSERT_EQ(0, update("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
                            "\"memory\":{\"limit\":134217728,\"swap\":134217728},"
                            "\"cpu\":{\"shares\":1024,\"quota\":200000,\"period\":100000,\"cpus\":\"\",\"mems\":\"\"},"
                            "\"pids\":{\"limit\":64},"
                            "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0},{\"pageSize\":\"2MB\",\"limit\":0}]}",
                            CREATED, &u, &err));
        ASSERT(u.set_memory && u.set_swap && u.set_shares && u.set_quota && u.set_period && u.set_pids);
        ASSERT_EQ(134217728, u.memory);
        ASSERT_EQ(134217728, u.swap);
        ASSERT(!u.swap_as_created);
        ASSERT_EQ(1024, u.shares);
        ASSERT_EQ(200000, u.quota);
        ASSERT_EQ(100000, u.period);
        ASSERT_EQ(64, u.pids);
        /* 0 leaves a value alone; negative is unlimited; shares 1 is the kernel's minimum 2. */
        ASSERT_EQ(0, update("{\"memory\":{\"limit\":0},\"cpu\":{\"quota\":-1,\"shares\":1},\"pids\":{\"limit\":-5}}",
                            NULL, &u, &err));
        ASSERT(!u.set_memory && u.set_quota && u.set_shares && u.set_pids && !u.set_period);
        ASSERT_EQ(-1, u.quota);
        ASSERT_EQ(2, u.shares);
        ASSERT_EQ(-1, u.pids);
        /* Nothing at all: nothing to do. */
        ASSERT_EQ(0, update("{}", NULL, &u, &err));
        ASSERT(!u.set_memory && !u.set_swap && !u.set_shares && !u.set_quota && !u.set_period && !u.set_pids);
}

TEST(shim_update_refusals_name_the_field)
{
        struct shim_update u;
        struct pod_err err;
        json_t *created = json_loads(CREATED, 0, NULL);

        ASSERT_EQ(-EOPNOTSUPP, update("{\"cpu\":{\"cpus\":\"0-1\"}}", CREATED, &u, &err));
        ASSERT_CONTAINS(err.msg, "linux.resources.cpu.cpus");
        ASSERT_CONTAINS(err.msg, "cpuset");
        ASSERT_EQ(-EOPNOTSUPP, update("{\"cpu\":{\"mems\":\"0\"}}", CREATED, &u, &err));
        ASSERT_CONTAINS(err.msg, "cpu.mems");
        ASSERT_EQ(-EOPNOTSUPP, update("{\"cpu\":{\"realtimeRuntime\":1000}}", CREATED, &u, &err));
        ASSERT_EQ(-EOPNOTSUPP, update("{\"devices\":[{\"allow\":true,\"access\":\"rwm\"}]}", CREATED, &u, &err));
        ASSERT_CONTAINS(err.msg, "linux.resources.devices");
        ASSERT_EQ(-EOPNOTSUPP, update("{\"blockIO\":{\"weight\":100}}", CREATED, &u, &err));
        ASSERT_CONTAINS(err.msg, "blockIO");
        ASSERT_EQ(-EOPNOTSUPP, update("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}]}", CREATED, &u, &err));
        ASSERT_CONTAINS(err.msg, "hugepageLimits");
        ASSERT_EQ(-EOPNOTSUPP, update("{\"memory\":{\"reservation\":1000}}", CREATED, &u, &err));
        ASSERT_EQ(-EOPNOTSUPP, update("{\"memory\":{\"disableOOMKiller\":true}}", CREATED, &u, &err));
        ASSERT_EQ(-EOPNOTSUPP, update("{\"unified\":{\"memory.high\":\"1000000\"}}", CREATED, &u, &err));
        /* A refusal anywhere refuses the lot: the limits in the same request are not returned. */
        ASSERT_EQ(-EOPNOTSUPP, update("{\"memory\":{\"limit\":1048576},\"cpu\":{\"cpus\":\"1\"}}", CREATED, &u, &err));
        ASSERT(!u.set_memory);
        /* Malformed: INVALID_ARGUMENT. */
        ASSERT_EQ(-EINVAL, update("{\"memory\":{\"limit\":\"1G\"}}", NULL, &u, &err));
        ASSERT_CONTAINS(err.msg, "memory.limit");
        ASSERT_EQ(-EINVAL, update("{\"cpu\":{\"shares\":262145}}", NULL, &u, &err));
        ASSERT_EQ(-EINVAL, update("{\"cpu\":{\"period\":10}}", NULL, &u, &err));
        ASSERT_EQ(-EINVAL, update("{\"cpu\":{\"quota\":10}}", NULL, &u, &err));
        ASSERT_EQ(-EINVAL, update("{\"pids\":{\"limit\":4194305}}", NULL, &u, &err));
        ASSERT_EQ(-EINVAL, update("{\"memory\":{\"limit\":2097152,\"swap\":1048576}}", NULL, &u, &err));
        ASSERT_CONTAINS(err.msg, "swap");
        ASSERT_EQ(-EINVAL, update("{\"frobnicate\":1}", NULL, &u, &err));
        ASSERT_CONTAINS(err.msg, "unknown field");
        ASSERT_EQ(-EINVAL, update("{\"memory\":{\"limit\":1,", NULL, &u, &err));
        ASSERT_EQ(-EINVAL, update("[1]", NULL, &u, &err));
        err = (struct pod_err){ 0 };
        ASSERT_EQ(-EINVAL, shim_update_parse("types.containerd.io/opencontainers/runtime-spec/1/Spec",
                                             (const uint8_t *)"{}", 2, created, &u, &err));
        ASSERT_CONTAINS(err.msg, "LinuxResources");
        json_decref(created);
}

TEST(shim_update_writes_v1_and_v2_files)
{
        _cleanup_free_ char *mnt = xasprintf("%s/cg", test_tmpdir()), *pod = xasprintf("%s/pod", test_tmpdir()),
                            *mnt2 = xasprintf("%s/cg2", test_tmpdir());
        struct shim_cgroup cg = { 0 }, cg2 = { .mnt = xstrdup(mnt2), .layout = CG_V2, .rel = xstrdup(APP) };
        struct shim_update u;
        struct pod_err err;

        fake_v1(mnt, pod);
        put(mnt, "memory/" APP "/memory.limit_in_bytes", "67108864\n");
        put(mnt, "cpu/" APP "/cpu.shares", "512\n");
        put(mnt, "cpu/" APP "/cpu.cfs_period_us", "100000\n");
        put(mnt, "cpu/" APP "/cpu.cfs_quota_us", "50000\n");
        ASSERT_EQ(0, shim_cgroup_find(mnt, pod, "web", &cg, &err));
        ASSERT_EQ(0, update("{\"memory\":{\"limit\":134217728},\"cpu\":{\"shares\":1024,\"quota\":-1,\"period\":50000}}",
                            NULL, &u, &err));
        ASSERT_EQ(0, shim_update_apply(&cg, &u, &err));
        expect(mnt, "memory/" APP "/memory.limit_in_bytes", "134217728");
        expect(mnt, "cpu/" APP "/cpu.shares", "1024");
        expect(mnt, "cpu/" APP "/cpu.cfs_period_us", "50000");
        expect(mnt, "cpu/" APP "/cpu.cfs_quota_us", "-1");
        /* No pids.max here (a host without the pids controller): refused before anything is written. */
        ASSERT_EQ(0, update("{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":10}}", NULL, &u, &err));
        ASSERT_EQ(-EOPNOTSUPP, shim_update_apply(&cg, &u, &err));
        ASSERT_CONTAINS(err.msg, "pids.max");
        expect(mnt, "memory/" APP "/memory.limit_in_bytes", "134217728");
        /* Swap without swap accounting: the create's value is nothing to do, a new one is refused. */
        ASSERT_EQ(0, update("{\"memory\":{\"limit\":1048576,\"swap\":67108864}}", CREATED, &u, &err));
        ASSERT(u.swap_as_created);
        ASSERT_EQ(0, shim_update_apply(&cg, &u, &err));
        expect(mnt, "memory/" APP "/memory.limit_in_bytes", "1048576");
        ASSERT_EQ(0, update("{\"memory\":{\"limit\":1048576,\"swap\":2097152}}", CREATED, &u, &err));
        ASSERT_EQ(-EOPNOTSUPP, shim_update_apply(&cg, &u, &err));
        ASSERT_CONTAINS(err.msg, "memsw");
        shim_cgroup_done(&cg);

        /* v2: one tree; quota and period share cpu.max, swap is memory.swap.max alone, shares are a weight. */
        put(mnt2, APP "/memory.max", "max\n");
        put(mnt2, APP "/memory.swap.max", "max\n");
        put(mnt2, APP "/cpu.max", "50000 100000\n");
        put(mnt2, APP "/cpu.weight", "100\n");
        put(mnt2, APP "/pids.max", "max\n");
        ASSERT_EQ(0, update("{\"memory\":{\"limit\":134217728,\"swap\":201326592},\"cpu\":{\"quota\":150000,\"shares\":1024},"
                            "\"pids\":{\"limit\":32}}", NULL, &u, &err));
        ASSERT_EQ(0, shim_update_apply(&cg2, &u, &err));
        expect(mnt2, APP "/memory.max", "134217728");
        expect(mnt2, APP "/memory.swap.max", "67108864");
        expect(mnt2, APP "/cpu.max", "150000 100000");
        expect(mnt2, APP "/cpu.weight", "39");
        expect(mnt2, APP "/pids.max", "32");
        ASSERT_EQ(0, update("{\"memory\":{\"limit\":-1,\"swap\":-1},\"cpu\":{\"quota\":-1},\"pids\":{\"limit\":-1}}",
                            NULL, &u, &err));
        ASSERT_EQ(0, shim_update_apply(&cg2, &u, &err));
        expect(mnt2, APP "/memory.max", "max");
        expect(mnt2, APP "/memory.swap.max", "max");
        expect(mnt2, APP "/cpu.max", "max 100000");
        expect(mnt2, APP "/pids.max", "max");
        /* A swap limit needs a memory limit to be counted from. */
        ASSERT_EQ(0, update("{\"memory\":{\"swap\":1048576}}", NULL, &u, &err));
        ASSERT_EQ(-EINVAL, shim_update_apply(&cg2, &u, &err));
        shim_cgroup_done(&cg2);
}

/* This machine's v1 hierarchies: a scratch cgroup in memory, cpu and pids; skipped without them. */
static char *real_v1(struct shim_cgroup *cg)
{
        static const char *const hier[] = { "memory", "cpu", "cpuacct", "pids" };
        char *top = xasprintf("podinit-unit-stats-%d", (int)getpid());

        for (size_t i = 0; i < ARRAY_SIZE(hier); i++) {
                _cleanup_free_ char *p = xasprintf("/sys/fs/cgroup/%s/%s/app", hier[i], top);
                if (access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) < 0 ||
                    mkdir_p_at(AT_FDCWD, p, 0755) < 0) {
                        fprintf(stderr, "  skipped: no writable cgroup v1 %s hierarchy with swap accounting\n", hier[i]);
                        free(top);
                        return NULL;
                }
        }
        *cg = (struct shim_cgroup){ .mnt = xstrdup("/sys/fs/cgroup"), .layout = CG_V1, .rel = xasprintf("%s/app", top) };
        return top;
}

static void real_v1_remove(const char *top)
{
        static const char *const hier[] = { "memory", "cpu", "cpuacct", "pids" };
        for (size_t i = 0; i < ARRAY_SIZE(hier); i++) {
                _cleanup_free_ char *app = xasprintf("/sys/fs/cgroup/%s/%s/app", hier[i], top);
                _cleanup_free_ char *dir = xasprintf("/sys/fs/cgroup/%s/%s", hier[i], top);
                rmdir(app);
                rmdir(dir);
        }
}

TEST(shim_update_real_v1_orders_memsw_and_undoes_a_refused_write)
{
        struct shim_cgroup cg = { 0 };
        _cleanup_free_ char *top = real_v1(&cg), *parent_quota = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        struct shim_update u;
        struct pod_err err;
        const char *url;
        size_t len;
        Io__Containerd__Cgroups__V1__Metrics *m;

        if (!top)
                return;
        /* Up: memsw must be raised before memory; down: memory lowered before memsw.  Either wrong order is EINVAL. */
        ASSERT_EQ(0, update("{\"memory\":{\"limit\":33554432,\"swap\":33554432}}", NULL, &u, &err));
        ASSERT_EQ(0, shim_update_apply(&cg, &u, &err));
        ASSERT_EQ(0, update("{\"memory\":{\"limit\":134217728,\"swap\":134217728}}", NULL, &u, &err));
        if (shim_update_apply(&cg, &u, &err) < 0)
                FAIL_AT("raising: %s", err.msg);
        ASSERT_EQ(0, update("{\"memory\":{\"limit\":16777216,\"swap\":16777216}}", NULL, &u, &err));
        if (shim_update_apply(&cg, &u, &err) < 0)
                FAIL_AT("lowering: %s", err.msg);
        {
                _cleanup_free_ char *rel = xasprintf("memory/%s/memory.limit_in_bytes", cg.rel);
                expect(cg.mnt, rel, "16777216");
        }
        ASSERT_EQ(0, shim_stats_read(&cg, &url, &data, &len, &err));
        m = io__containerd__cgroups__v1__metrics__unpack(NULL, len, data);
        ASSERT(m && m->memory && m->memory->usage && m->memory->swap);
        ASSERT_EQ(16777216, m->memory->usage->limit);
        ASSERT_EQ(16777216, m->memory->swap->limit);
        io__containerd__cgroups__v1__metrics__free_unpacked(m, NULL);
        /* The kernel refuses a child's CPU quota above its parent's: the memory limit written before it is put back. */
        parent_quota = xasprintf("/sys/fs/cgroup/cpu/%s/cpu.cfs_quota_us", top);
        {
                _cleanup_close_ int fd = open(parent_quota, O_WRONLY | O_CLOEXEC);
                ASSERT(fd >= 0 && write(fd, "50000", 5) == 5);
        }
        ASSERT_EQ(0, update("{\"memory\":{\"limit\":8388608},\"cpu\":{\"quota\":200000}}", NULL, &u, &err));
        ASSERT_EQ(-EOPNOTSUPP, shim_update_apply(&cg, &u, &err));
        ASSERT_CONTAINS(err.msg, "cpu.cfs_quota_us");
        {
                _cleanup_free_ char *rel = xasprintf("memory/%s/memory.limit_in_bytes", cg.rel);
                expect(cg.mnt, rel, "16777216");
        }
        real_v1_remove(top);
        shim_cgroup_done(&cg);
}
