/*
 * common/cgroup.c and common/devfilter.c.  The v1 and v2 file writes are
 * checked on fake hierarchies (plain directories in the test's tmpdir,
 * with the control files pre-created, since cgroupfs files cannot be
 * created); then the real kernel: v1 limits, joining, killing and the
 * devices controller, and the cgroup v2 device program on this machine's
 * hybrid "unified" mount.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "test.h"
#include "common/cgroup.h"
#include "common/devfilter.h"
#include "common/fdutil.h"

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
        return data;
}

static void expect(const char *root, const char *rel, const char *want)
{
        _cleanup_free_ char *got = get(root, rel);
        if (strcmp(got, want))
                FAIL_AT("%s: \"%s\", expected \"%s\"", rel, got, want);
}

/* A fake cgroup2 tree down to one app; the root offers io too (never enabled). */
static char *fake_v2(void)
{
        char *root = xasprintf("%s/v2", test_tmpdir());
        static const char *const dirs[] = { "", "machine.slice/", POD "/", POD "/system.slice/" };
        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                _cleanup_free_ char *c = xasprintf("%scgroup.controllers", dirs[i]);
                _cleanup_free_ char *sc = xasprintf("%scgroup.subtree_control", dirs[i]);
                put(root, c, "cpu io memory pids\n");
                put(root, sc, "");
        }
        put(root, "cgroup.procs", "");
        put(root, POD "/init.scope/cgroup.procs", "");
        static const char *const files[] = { "cgroup.procs", "memory.max", "cpu.max", "cpu.weight", "pids.max" };
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *f = xasprintf(APP "/%s", files[i]);
                put(root, f, "");
        }
        put(root, APP "/memory.events", "low 0\nhigh 0\nmax 5\noom 4\noom_kill 3\n");
        return root;
}

static char *fake_v1(bool with_pids)
{
        char *root = xasprintf("%s/v1", test_tmpdir());
        static const char *const h[] = { "cpu", "cpuacct", "memory", "pids", "devices", "systemd" };
        static const char *const files[] = {
                "memory/" APP "/memory.limit_in_bytes", "cpu/" APP "/cpu.cfs_period_us", "cpu/" APP "/cpu.cfs_quota_us",
                "cpu/" APP "/cpu.shares", "pids/" APP "/pids.max", "devices/" APP "/devices.deny",
                "devices/" APP "/devices.allow",
        };
        for (size_t i = 0; i < ARRAY_SIZE(h); i++) {
                _cleanup_free_ char *a = xasprintf("%s/cgroup.procs", h[i]);
                _cleanup_free_ char *b = xasprintf("%s/" POD "/init.scope/cgroup.procs", h[i]);
                _cleanup_free_ char *c = xasprintf("%s/" APP "/cgroup.procs", h[i]);
                if (!with_pids && !strcmp(h[i], "pids"))
                        continue;
                put(root, a, "");
                put(root, b, "");
                put(root, c, "");
        }
        for (size_t i = 0; i < ARRAY_SIZE(files); i++)
                if (with_pids || strncmp(files[i], "pids/", 5))
                        put(root, files[i], "");
        put(root, "memory/" APP "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        return root;
}

TEST(cgroup_pod_path_escapes_like_rkt)
{
        _cleanup_free_ char *a = cg_pod_path("machine.slice", "0a1b-c2");
        _cleanup_free_ char *b = cg_pod_path("/", "x-y");
        _cleanup_free_ char *c = cg_pod_path("/a/b", "u");
        ASSERT_STREQ("machine.slice/machine-rkt\\x2d0a1b\\x2dc2.scope", a);
        ASSERT_STREQ("machine-rkt\\x2dx\\x2dy.scope", b);
        ASSERT_STREQ("a/b/machine-rkt\\x2du.scope", c);
}

TEST(cgroup_v2_file_writes)
{
        _cleanup_free_ char *root = fake_v2();
        struct cg_pod pod;
        struct cg_app app;
        struct pod_err err = { 0 };
        struct cg_limits lim = { .memory_max = 1 << 20, .cpu_quota_us = 90000, .cpu_shares = 12345, .pids_max = 77 };
        uint64_t oom = 0;

        if (cg_pod_create(root, CG_V2, POD, &pod, &err) < 0)
                FAIL_AT("cg_pod_create: %s", err.msg);
        ASSERT_EQ(CG_V2, pod.layout);
        ASSERT_STREQ(POD, pod.path);
        for (int h = 0; h < CG_NHIER; h++)
                ASSERT(h == CG_H_UNIFIED ? pod.dirfd[h] >= 0 : pod.dirfd[h] < 0);
        /* Controllers enabled at every level down to system.slice; io is offered but not ours. */
        expect(root, "cgroup.subtree_control", "+cpu+memory+pids");
        expect(root, "machine.slice/cgroup.subtree_control", "+cpu+memory+pids");
        expect(root, POD "/cgroup.subtree_control", "+cpu+memory+pids");
        expect(root, POD "/system.slice/cgroup.subtree_control", "+cpu+memory+pids");
        ASSERT_STREQ("", cg_pod_missing(&pod));

        ASSERT_EQ(0, cg_pod_enter(&pod, 4242, &err));
        expect(root, POD "/init.scope/cgroup.procs", "4242");

        if (cg_app_create(&pod, "web", &lim, false, NULL, 0, &app, &err) < 0)
                FAIL_AT("cg_app_create: %s", err.msg);
        expect(root, APP "/memory.max", "1048576");
        expect(root, APP "/cpu.max", "90000 100000");
        expect(root, APP "/cpu.weight", "471");         /* 1 + (12345-2)*9999/262142 */
        expect(root, APP "/pids.max", "77");
        ASSERT_EQ(3, (long)app.oom_kills_at_start);
        ASSERT(app.pod_fd[CG_H_UNIFIED] >= 0);
        ASSERT_STREQ("system.slice/web.service/cgroup.procs", app.procs);
        ASSERT_EQ(0, cg_app_oom_kills(&app, &oom));
        ASSERT_EQ(3, (long)oom);
        cg_app_close(&app);

        /* No limits: the defaults are written back (a reused cgroup loses old limits). */
        struct cg_limits none = { 0 };
        ASSERT_EQ(0, cg_app_create(&pod, "web", &none, false, NULL, 0, &app, &err));
        expect(root, APP "/memory.max", "max");
        expect(root, APP "/cpu.max", "max 100000");
        expect(root, APP "/cpu.weight", "100");
        expect(root, APP "/pids.max", "max");
        cg_app_close(&app);
        /* Shares at the ends of the range. */
        struct cg_limits lo = { .cpu_shares = 2 }, hi = { .cpu_shares = 262144 };
        ASSERT_EQ(0, cg_app_create(&pod, "web", &lo, false, NULL, 0, &app, &err));
        expect(root, APP "/cpu.weight", "1");
        cg_app_close(&app);
        ASSERT_EQ(0, cg_app_create(&pod, "web", &hi, false, NULL, 0, &app, &err));
        expect(root, APP "/cpu.weight", "10000");
        cg_app_close(&app);
        cg_pod_close(&pod);
}

TEST(cgroup_v2_missing_controller)
{
        _cleanup_free_ char *root = fake_v2();
        struct cg_pod pod;
        struct pod_err err = { 0 };

        put(root, "cgroup.controllers", "cpu memory\n");        /* no pids delegated to us */
        put(root, "machine.slice/cgroup.controllers", "cpu memory\n");
        put(root, POD "/cgroup.controllers", "cpu memory\n");
        ASSERT_EQ(0, cg_pod_create(root, CG_V2, POD, &pod, &err));
        ASSERT_STREQ("pids", cg_pod_missing(&pod));
        cg_pod_close(&pod);
}

TEST(cgroup_v1_file_writes)
{
        _cleanup_free_ char *root = fake_v1(true);
        struct cg_pod pod;
        struct cg_app app;
        struct pod_err err = { 0 };
        struct cg_limits lim = { .memory_max = 42 << 20, .cpu_quota_us = 80000, .cpu_shares = 12345, .pids_max = 20 };
        const struct cg_device extra = { 'b', 8, 0, "r" };
        struct cg_device devs[16];
        uint64_t oom = 0;

        if (cg_pod_create(root, CG_V1, POD, &pod, &err) < 0)
                FAIL_AT("cg_pod_create: %s", err.msg);
        ASSERT(pod.dirfd[CG_H_UNIFIED] < 0);    /* no unified mount in this fake */
        ASSERT(pod.dirfd[CG_H_MEMORY] >= 0 && pod.dirfd[CG_H_SYSTEMD] >= 0);
        ASSERT_STREQ("", cg_pod_missing(&pod));
        ASSERT_EQ(0, cg_pod_enter(&pod, 99, &err));
        expect(root, "memory/" POD "/init.scope/cgroup.procs", "99");
        expect(root, "systemd/" POD "/init.scope/cgroup.procs", "99");

        memcpy(devs, cg_default_devices, cg_n_default_devices * sizeof(devs[0]));
        devs[cg_n_default_devices] = extra;
        if (cg_app_create(&pod, "web", &lim, true, devs, cg_n_default_devices + 1, &app, &err) < 0)
                FAIL_AT("cg_app_create: %s", err.msg);
        expect(root, "memory/" APP "/memory.limit_in_bytes", "44040192");
        expect(root, "cpu/" APP "/cpu.cfs_period_us", "100000");
        expect(root, "cpu/" APP "/cpu.cfs_quota_us", "80000");
        expect(root, "cpu/" APP "/cpu.shares", "12345");
        expect(root, "pids/" APP "/pids.max", "20");
        expect(root, "devices/" APP "/devices.deny", "a");
        expect(root, "devices/" APP "/devices.allow",
               "c 1:3 rwmc 1:5 rwmc 1:7 rwmc 1:8 rwmc 1:9 rwmc 5:0 rwmc 5:1 rwc 5:2 rwc 136:* rwb 8:0 r");
        ASSERT_EQ(0, cg_app_oom_kills(&app, &oom));
        ASSERT_EQ(2, (long)oom);
        cg_app_close(&app);
        cg_pod_close(&pod);
}

TEST(cgroup_v1_limit_without_its_controller_is_an_error)
{
        _cleanup_free_ char *root = fake_v1(false);
        struct cg_pod pod;
        struct cg_app app;
        struct pod_err err = { 0 };
        struct cg_limits lim = { .pids_max = 20 }, mem = { .memory_max = 1 << 20 };

        ASSERT_EQ(0, cg_pod_create(root, CG_V1, POD, &pod, &err));
        ASSERT_STREQ("pids", cg_pod_missing(&pod));
        ASSERT_EQ(-EOPNOTSUPP, cg_app_create(&pod, "web", &lim, false, NULL, 0, &app, &err));
        ASSERT_CONTAINS(err.msg, "needs the pids cgroup controller");
        /* Other limits still work. */
        ASSERT_EQ(0, cg_app_create(&pod, "web", &mem, false, NULL, 0, &app, &err));
        cg_app_close(&app);
        cg_pod_close(&pod);
}

TEST(cgroup_bad_paths_are_refused)
{
        _cleanup_free_ char *root = fake_v1(true);
        struct cg_pod pod;
        struct cg_app app;
        struct pod_err err = { 0 };
        struct cg_limits none = { 0 };

        ASSERT_EQ(-EINVAL, cg_pod_create(root, CG_V1, "../escape", &pod, &err));
        ASSERT_EQ(-EINVAL, cg_pod_create(root, CG_V1, "/abs", &pod, &err));
        ASSERT_EQ(-EINVAL, cg_pod_create(root, CG_V1, "", &pod, &err));
        ASSERT_EQ(-EINVAL, cg_pod_remove(root, CG_V1, "a/../../b", &err));
        ASSERT_EQ(0, cg_pod_create(root, CG_V1, POD, &pod, &err));
        ASSERT_EQ(-EINVAL, cg_app_create(&pod, "../x", &none, false, NULL, 0, &app, &err));
        cg_pod_close(&pod);
}

TEST(cgroup_remove_is_deepest_first_and_idempotent)
{
        _cleanup_free_ char *root = fake_v1(true);
        _cleanup_free_ char *kept = xasprintf("%s/memory/machine.slice", root);
        _cleanup_free_ char *gone = xasprintf("%s/memory/" POD, root);
        struct pod_err err = { 0 };
        struct stat st;

        put(root, "memory/machine.slice/other.scope/cgroup.procs", "");
        ASSERT_EQ(0, cg_pod_remove(root, CG_V1, POD, &err));
        ASSERT(stat(gone, &st) < 0 && errno == ENOENT);
        ASSERT_EQ(0, stat(kept, &st));                  /* the parent and its other pods stay */
        _cleanup_free_ char *other = xasprintf("%s/other.scope", kept);
        ASSERT_EQ(0, stat(other, &st));
        ASSERT_EQ(0, cg_pod_remove(root, CG_V1, POD, &err));    /* nothing left: fine */
        ASSERT_EQ(0, cg_pod_remove(root, CG_NONE, POD, &err));
}

TEST(cgroup_detect)
{
        enum cg_layout l = CG_V2;
        struct pod_err err = { 0 };
        _cleanup_free_ char *v1 = fake_v1(true), *none = xasprintf("%s/none", test_tmpdir());

        ASSERT_EQ(0, cg_detect(v1, &l, &err));
        ASSERT_EQ(CG_V1, l);
        mkdir(none, 0755);
        ASSERT_EQ(0, cg_detect(none, &l, &err));
        ASSERT_EQ(CG_NONE, l);
        ASSERT_EQ(0, cg_detect("/nonexistent/cgroup", &l, &err));
        ASSERT_EQ(CG_NONE, l);
}

TEST(devfilter_program_shape)
{
        _cleanup_free_ struct bpf_insn *p = NULL;
        size_t n = 0;

        ASSERT_EQ(0, devfilter_build(cg_default_devices, cg_n_default_devices, &p, &n));
        ASSERT(n > 6 + 2 * cg_n_default_devices);
        /* Ends with "return 0", every jump lands inside the program. */
        ASSERT_EQ(BPF_JMP | BPF_EXIT, p[n - 1].code);
        ASSERT_EQ(0, p[n - 2].imm);
        for (size_t i = 0; i < n; i++)
                if ((p[i].code & 0x07) == BPF_JMP && p[i].code != (BPF_JMP | BPF_EXIT))
                        ASSERT(i + 1 + (size_t)p[i].off < n);
}

/* ---- the real kernel ----------------------------------------------------- */

static void need(const char *path)
{
        if (access(path, F_OK) < 0)
                FAIL_AT("this test needs %s (cgroup v1 controllers as on the CI machine): %s", path, strerror(errno));
}

/* In a child: join the app cgroup, then try mknod of c maj:min in dir; exit 0 allowed, 1 EPERM, 2 other. */
static int child_mknod(const struct cg_app *app, const char *dir, unsigned maj, unsigned min)
{
        pid_t pid = fork();
        int st;
        if (pid == 0) {
                char p[512];
                if (cg_app_join_child(app) < 0)
                        _exit(3);
                snprintf(p, sizeof(p), "%s/n%u-%u", dir, maj, min);
                unlink(p);
                if (mknod(p, S_IFCHR | 0600, makedev(maj, min)) == 0)
                        _exit(0);
                _exit(errno == EPERM ? 1 : 2);
        }
        ASSERT(pid > 0);
        ASSERT_EQ(pid, waitpid(pid, &st, 0));
        ASSERT(WIFEXITED(st));
        return WEXITSTATUS(st);
}

TEST(cgroup_real_v1_limits_join_kill_devices)
{
        _cleanup_free_ char *path = xasprintf("podinit-unittest-%d/machine-rkt\\x2dt.scope", (int)getpid());
        _cleanup_free_ char *parent = xasprintf("podinit-unittest-%d", (int)getpid());
        struct cg_limits lim = { .memory_max = 64 << 20, .pids_max = 50 };
        struct pod_err err = { 0 };
        struct cg_pod pod;
        struct cg_app app;
        unsigned count = 0;
        int fds[2], st;
        pid_t pid;
        char buf[8];

        need("/sys/fs/cgroup/memory/cgroup.procs");
        need("/sys/fs/cgroup/pids/cgroup.procs");
        need("/sys/fs/cgroup/devices/cgroup.procs");
        if (cg_pod_create(CG_DEFAULT_MOUNT, CG_V1, path, &pod, &err) < 0)
                FAIL_AT("cg_pod_create: %s", err.msg);
        if (cg_app_create(&pod, "a", &lim, true, cg_default_devices, cg_n_default_devices, &app, &err) < 0) {
                cg_pod_close(&pod);
                cg_pod_remove(CG_DEFAULT_MOUNT, CG_V1, parent, &err);
                FAIL_AT("cg_app_create: %s", err.msg);
        }
        {
                _cleanup_free_ char *m = xasprintf("/sys/fs/cgroup/memory/%s/system.slice/a.service", path);
                _cleanup_free_ char *p = xasprintf("/sys/fs/cgroup/pids/%s/system.slice/a.service", path);
                expect(m, "memory.limit_in_bytes", "67108864\n");
                expect(p, "pids.max", "50\n");
        }
        /* Devices: null may be made, the loop control device may not. */
        ASSERT_EQ(0, child_mknod(&app, test_tmpdir(), 1, 3));
        ASSERT_EQ(1, child_mknod(&app, test_tmpdir(), 10, 237));
        ASSERT_EQ(1, child_mknod(&app, test_tmpdir(), 5, 2));   /* ptmx: rw but no mknod */

        /* A child that joins and leaves a grandchild in a new session: both are killed. */
        ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
        pid = fork();
        if (pid == 0) {
                if (cg_app_join_child(&app) < 0)
                        _exit(3);
                if (fork() == 0) {
                        setsid();
                        (void)!write(fds[1], "g", 1);
                        pause();
                        _exit(0);
                }
                pause();
                _exit(0);
        }
        close(fds[1]);
        ASSERT_EQ(1, read(fds[0], buf, 1));
        close(fds[0]);
        ASSERT(cg_app_populated(&app));
        ASSERT_EQ(0, cg_app_kill(&app, SIGKILL, &count));
        ASSERT(count >= 2);
        ASSERT_EQ(pid, waitpid(pid, &st, 0));
        ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        for (int i = 0; i < 100 && cg_app_populated(&app); i++)
                usleep(10000);          /* the grandchild is reaped by init */
        ASSERT(!cg_app_populated(&app));
        cg_app_close(&app);
        cg_pod_close(&pod);
        if (cg_pod_remove(CG_DEFAULT_MOUNT, CG_V1, parent, &err) < 0)
                FAIL_AT("cg_pod_remove: %s", err.msg);
        _cleanup_free_ char *gone = xasprintf("/sys/fs/cgroup/memory/%s", parent);
        ASSERT(access(gone, F_OK) < 0);
}

TEST(devfilter_real_cgroup2_device_program)
{
        _cleanup_free_ char *dir = xasprintf("/sys/fs/cgroup/unified/podinit-unittest-%d", (int)getpid());
        struct pod_err err = { 0 };
        _cleanup_close_ int fd = -1;
        pid_t pid;
        int st, r;

        need("/sys/fs/cgroup/unified/cgroup.procs");
        ASSERT_EQ(0, mkdir(dir, 0755));
        fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT(fd >= 0);
        r = devfilter_attach(fd, cg_default_devices, cg_n_default_devices, &err);
        if (r < 0) {
                rmdir(dir);
                FAIL_AT("devfilter_attach: %s", err.msg);
        }
        pid = fork();
        if (pid == 0) {
                char v[32], p[512];
                int pf = openat(fd, "cgroup.procs", O_WRONLY);
                int n = snprintf(v, sizeof(v), "%d", (int)getpid());
                if (pf < 0 || write(pf, v, (size_t)n) != n)
                        _exit(10);
                /* Allowed: /dev/null read+write, mknod of 1:3.  Denied: 10:237, opening it, 5:2 mknod. */
                if (open("/dev/null", O_RDWR) < 0)
                        _exit(11);
                snprintf(p, sizeof(p), "%s/bn", test_tmpdir());
                unlink(p);
                if (mknod(p, S_IFCHR | 0600, makedev(1, 3)) < 0)
                        _exit(12);
                snprintf(p, sizeof(p), "%s/bl", test_tmpdir());
                unlink(p);
                if (mknod(p, S_IFCHR | 0600, makedev(10, 237)) == 0 || errno != EPERM)
                        _exit(13);
                snprintf(p, sizeof(p), "%s/bp", test_tmpdir());
                unlink(p);
                if (mknod(p, S_IFCHR | 0600, makedev(5, 2)) == 0 || errno != EPERM)
                        _exit(14);
                _exit(0);
        }
        ASSERT(pid > 0);
        ASSERT_EQ(pid, waitpid(pid, &st, 0));
        for (int i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
                usleep(10000);
        ASSERT(WIFEXITED(st));
        if (WEXITSTATUS(st) != 0)
                FAIL_AT("the child in the filtered cgroup failed at step %d", WEXITSTATUS(st));
}
