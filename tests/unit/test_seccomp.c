/* Seccomp isolators: parsing, group expansion, errors, and the compiled
 * programs (cache, and that a program denies what it should). */
#include "isotest.h"
#include <fcntl.h>
#include <sys/syscall.h>
#include "common/isolators.h"
#include "common/seccomp_sets.h"
#include "init/isolate/seccomp.h"

#include <jansson.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <time.h>

TEST(seccomp_parse_modes_and_errno)
{
        struct isolators iso;
        struct pod_err err;

        ASSERT_EQ(0, parse("[]", &iso, &err));
        ASSERT_EQ(SECCOMP_DEFAULT, iso.seccomp);
        ASSERT_EQ(0, iso.seccomp_errno);

        ASSERT_EQ(0, parse("[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"mkdir\",\"@rkt/default-blacklist\"],\"errno\":\"EXFULL\"}}]",
                           &iso, &err));
        ASSERT_EQ(SECCOMP_REMOVE, iso.seccomp);
        ASSERT_EQ(EXFULL, iso.seccomp_errno);
        ASSERT_STREQ("mkdir,@rkt/default-blacklist", iso.seccomp_set);

        ASSERT_EQ(0, parse("[{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[\"@docker/default-whitelist\",\"mount\"]}}]",
                           &iso, &err));
        ASSERT_EQ(SECCOMP_RETAIN, iso.seccomp);
        ASSERT_EQ(0, iso.seccomp_errno);

        /* rkt's special groups. */
        ASSERT_EQ(0, parse("[{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[\"mount\",\"@appc.io/all\"]}}]", &iso, &err));
        ASSERT_EQ(SECCOMP_UNCONFINED, iso.seccomp);
        ASSERT_EQ(0, parse("[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"@appc.io/empty\"],\"errno\":\"EPERM\"}}]", &iso, &err));
        ASSERT_EQ(SECCOMP_DEFAULT, iso.seccomp);
        ASSERT_EQ(EPERM, iso.seccomp_errno);
        /* In the other set they name nothing. */
        ASSERT_EQ(0, parse("[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"@appc.io/all\"]}}]", &iso, &err));
        ASSERT_EQ(SECCOMP_REMOVE, iso.seccomp);

        /* Unknown groups are accepted (rkt ignores them; PID 1 warns); an empty errno is none. */
        ASSERT_EQ(0, parse("[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"@systemd/clock\",\"reboot\"],\"errno\":\"\"}}]",
                           &iso, &err));
        ASSERT_EQ(0, iso.seccomp_errno);
}

TEST(seccomp_parse_errors_name_the_problem)
{
        static const struct {
                const char *json, *msg;
        } bad[] = {
                { "[{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[\"mount\"]}},"
                  "{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"reboot\"]}}]", "too many seccomp isolators specified" },
                { "[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"reboot\"]}},"
                  "{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"mount\"]}}]", "too many seccomp isolators specified" },
                { "[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"reboot\"],\"errno\":\"EFOO\"}}]",
                  "errno: \"EFOO\" is not an errno name" },
                { "[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"reboot\"],\"errno\":1}}]",
                  "errno: a non-string is not an errno name" },
                { "[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":\"reboot\"}}]", "expected {\"set\": [" },
                { "[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[]}}]", "at least one entry" },
                { "[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":[\"reboot\"]}]", "expected {\"set\": [" },
                { "[{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[[\"read\"]]}}]", "set[0]: expected a syscall name or @group, not a list" },
                { "[{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[\"read\",\"Write\"]}}]", "set[1]: \"Write\" is not a syscall name" },
                { "[{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[\"@Docker/x\"]}}]", "is not a group name" },
                { "[{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[\"\"]}}]", "is not a syscall name or @group" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct isolators iso;
                struct pod_err err;
                if (parse(bad[i].json, &iso, &err) >= 0)
                        FAIL_AT("accepted: %s", bad[i].json);
                if (!strstr(err.msg, bad[i].msg))
                        FAIL_AT("for %s: message \"%s\" lacks \"%s\"", bad[i].json, err.msg, bad[i].msg);
                if (!strstr(err.msg, "apps[0].app.isolators"))
                        FAIL_AT("message \"%s\" does not say where", err.msg);
        }
}

TEST(seccomp_set_longer_than_the_limit_is_refused)
{
        /* 500 entries of 9 bytes: past SECCOMP_SET_MAX. */
        char *json = xmalloc(16 * 1024), *p = json;
        struct isolators iso;
        struct pod_err err;

        p += sprintf(p, "[{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[");
        for (int i = 0; i < 500; i++)
                p += sprintf(p, "%s\"name_%03d\"", i ? "," : "", i);
        sprintf(p, "]}}]");
        ASSERT_EQ(-E2BIG, parse(json, &iso, &err));
        ASSERT_CONTAINS(err.msg, "longer than 4095 bytes");
        free(json);
}

TEST(seccomp_errno_names)
{
        int e = 0;
        ASSERT_EQ(0, sc_errno_parse("EXFULL", &e));
        ASSERT_EQ(EXFULL, e);
        ASSERT_EQ(0, sc_errno_parse("ENOTSUP", &e));
        ASSERT_EQ(ENOTSUP, e);
        ASSERT_EQ(-EINVAL, sc_errno_parse("eperm", &e));
        ASSERT_EQ(-EINVAL, sc_errno_parse("", &e));
        ASSERT_STREQ("EMULTIHOP", sc_errno_name(EMULTIHOP));
        ASSERT(sc_errno_name(4000) == NULL);
}

struct collect {
        char names[8192];
        int n, unknown_groups, explicit_names;
};

static void collect(const char *name, enum seccomp_entry_kind kind, void *userdata)
{
        struct collect *c = userdata;
        size_t len = strlen(c->names);
        snprintf(c->names + len, sizeof(c->names) - len, ",%s,", name);
        c->n++;
        c->unknown_groups += kind == SECCOMP_ENTRY_UNKNOWN_GROUP;
        c->explicit_names += kind == SECCOMP_ENTRY_NAME;
}

TEST(seccomp_groups_expand)
{
        struct collect wl = { 0 }, rkt = { 0 }, bl = { 0 }, mix = { 0 }, def = { 0 }, imp = { 0 };

        sc_set_foreach("@docker/default-whitelist", collect, &wl);
        sc_set_foreach("@rkt/default-whitelist", collect, &rkt);
        sc_default_foreach(collect, &def);
        ASSERT_EQ(wl.n, rkt.n);
        ASSERT_EQ(wl.n, def.n);
        ASSERT(wl.n > 330);
        /* The 2016 list, its arm additions, and the calls added since. */
        ASSERT_CONTAINS(wl.names, ",personality,");
        ASSERT_CONTAINS(wl.names, ",chown32,");
        ASSERT_CONTAINS(wl.names, ",set_tls,");
        ASSERT_CONTAINS(wl.names, ",rseq,");
        ASSERT_CONTAINS(wl.names, ",statx,");
        ASSERT_CONTAINS(wl.names, ",clone3,");
        ASSERT(!strstr(wl.names, ",mount,") && !strstr(wl.names, ",bpf,") && !strstr(wl.names, ",io_uring_setup,"));

        sc_set_foreach("@rkt/default-blacklist", collect, &bl);
        ASSERT_CONTAINS(bl.names, ",mount,");
        ASSERT_CONTAINS(bl.names, ",vm86old,");
        ASSERT_CONTAINS(bl.names, ",fsmount,");
        ASSERT(!strstr(bl.names, ",read,"));

        sc_set_foreach("reboot,@appc.io/all,@appc.io/empty,@systemd/clock,mkdir", collect, &mix);
        ASSERT_EQ(3, mix.n);
        ASSERT_EQ(2, mix.explicit_names);
        ASSERT_EQ(1, mix.unknown_groups);
        ASSERT_STREQ(",reboot,,@systemd/clock,,mkdir,", mix.names);

        sc_implicit_foreach(collect, &imp);
        ASSERT_CONTAINS(imp.names, ",execve,");
        ASSERT_CONTAINS(imp.names, ",exit_group,");
        ASSERT_CONTAINS(imp.names, ",rt_sigreturn,");
}

TEST(seccomp_flag_syntax_check)
{
        struct pod_err err = { 0 };
        enum seccomp_mode m;

        ASSERT_EQ(0, sc_set_check("mkdir,@docker/default-blacklist", false, &m, &err));
        ASSERT_EQ(SECCOMP_REMOVE, m);
        ASSERT_EQ(0, sc_set_check("@appc.io/all", true, &m, &err));
        ASSERT_EQ(SECCOMP_UNCONFINED, m);
        ASSERT_EQ(0, sc_set_check("@appc.io/empty", false, &m, &err));
        ASSERT_EQ(SECCOMP_DEFAULT, m);
        ASSERT_EQ(-EINVAL, sc_set_check("", true, &m, &err));
        ASSERT_CONTAINS(err.msg, "the set is empty");
        ASSERT_EQ(-EINVAL, sc_set_check("read,,write", true, &m, &err));
        ASSERT_CONTAINS(err.msg, "set[1]");
        ASSERT_EQ(-EINVAL, sc_set_check("read,wr-ite", true, &m, &err));
        ASSERT_CONTAINS(err.msg, "\"wr-ite\" is not a syscall name");
}

static struct isolators *iso_of(const char *json)
{
        static struct isolators iso;
        struct pod_err err;
        if (parse(json, &iso, &err) < 0)
                FAIL_AT("%s", err.msg);
        return &iso;
}

TEST(seccomp_programs_are_cached_by_profile)
{
        const struct sock_fprog *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        struct pod_err err = { 0 };
        struct timespec t0, t1;
        char warn[512];

        clock_gettime(CLOCK_MONOTONIC, &t0);
        ASSERT_EQ(0, app_seccomp_prog(iso_of("[]"), &a, warn, sizeof(warn), &err));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        fprintf(stderr, "# default filter: %u instructions, built in %.2f ms\n", a->len,
                (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
        ASSERT(a && a->len > 10 && a->len <= 4096);
        ASSERT_STREQ("", warn);
        ASSERT_EQ(0, app_seccomp_prog(iso_of("null"), &b, warn, sizeof(warn), &err));
        ASSERT(a == b);         /* compiled once */
        ASSERT_EQ(0, app_seccomp_prog(iso_of("[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"@appc.io/empty\"],\"errno\":\"EPERM\"}}]"),
                                      &c, warn, sizeof(warn), &err));
        ASSERT(c && c != a);    /* same list, another errno */
        ASSERT_EQ(0, app_seccomp_prog(iso_of("[{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[\"@appc.io/all\"]}}]"),
                                      &d, warn, sizeof(warn), &err));
        ASSERT(d == NULL);      /* unconfined */
        ASSERT_EQ(0, app_seccomp_prog(iso_of("[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"reboot\",\"no_such_call\",\"@systemd/clock\",\"chown32\"]}}]"),
                                      &d, warn, sizeof(warn), &err));
        ASSERT_STREQ("unknown syscall no_such_call, unknown group @systemd/clock", warn);
        app_seccomp_cache_clear();
}

/* Run fn in a child under prog; its wait status. */
static int run_filtered(const struct sock_fprog *prog, int (*fn)(void))
{
        int st = 0;
        pid_t pid = fork();
        if (pid == 0) {
                /* Raw syscalls only from here: a sanitizer runtime's own
                 * calls (in _exit, or around getpid) are not in the lists. */
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0) < 0)
                        syscall(SYS_exit_group, 99);
                syscall(SYS_exit_group, fn());
        }
        waitpid(pid, &st, 0);
        return st;
}

static int try_mkdir(void)
{
        char d[64];
        snprintf(d, sizeof(d), "/tmp/podinit-sc-test-%d", (int)getpid());
        if (syscall(SYS_mkdirat, AT_FDCWD, d, 0700) == 0) {
                syscall(SYS_unlinkat, AT_FDCWD, d, AT_REMOVEDIR);
                return 0;
        }
        return errno;
}

static int try_getpid(void)
{
        return syscall(SYS_getpid) > 0 ? 0 : 1;
}

TEST(seccomp_programs_deny_what_they_should)
{
        const struct sock_fprog *p = NULL;
        struct pod_err err = { 0 };
        char warn[512];
        int st;

        /* A deny-list with an errno. */
        ASSERT_EQ(0, app_seccomp_prog(iso_of("[{\"name\":\"os/linux/seccomp-remove-set\",\"value\":{\"set\":[\"mkdir\",\"mkdirat\"],\"errno\":\"EXFULL\"}}]"),
                                      &p, warn, sizeof(warn), &err));
        st = run_filtered(p, try_mkdir);
        ASSERT(WIFEXITED(st));
        ASSERT_EQ(EXFULL, WEXITSTATUS(st));
        st = run_filtered(p, try_getpid);
        ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);

        /* An allow-list without errno kills at the first unlisted call. */
        ASSERT_EQ(0, app_seccomp_prog(iso_of("[{\"name\":\"os/linux/seccomp-retain-set\",\"value\":{\"set\":[\"getpid\"]}}]"),
                                      &p, warn, sizeof(warn), &err));
        st = run_filtered(p, try_getpid);
        ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        st = run_filtered(p, try_mkdir);
        ASSERT(WIFSIGNALED(st));
        ASSERT_EQ(SIGSYS, WTERMSIG(st));

        /* The default list: ordinary calls pass, unlisted ones fail with ENOSYS. */
        ASSERT_EQ(0, app_seccomp_prog(iso_of("[]"), &p, warn, sizeof(warn), &err));
        st = run_filtered(p, try_mkdir);
        ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        app_seccomp_cache_clear();
}
