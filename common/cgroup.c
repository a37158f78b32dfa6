#include "common/cgroup.h"
#include "common/devfilter.h"
#include "common/fdutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>

const struct cg_device cg_default_devices[] = {
        { 'c', 1, 3, "rwm" }, { 'c', 1, 5, "rwm" }, { 'c', 1, 7, "rwm" }, { 'c', 1, 8, "rwm" },
        { 'c', 1, 9, "rwm" }, { 'c', 5, 0, "rwm" }, { 'c', 5, 1, "rw" },  { 'c', 5, 2, "rw" },
        { 'c', 136, -1, "rw" },
};
const size_t cg_n_default_devices = ARRAY_SIZE(cg_default_devices);

/* v1 mount names under the mount point, by enum cg_hier. */
static const char *const v1_names[CG_NHIER] = {
        [CG_H_CPU] = "cpu", [CG_H_CPUACCT] = "cpuacct", [CG_H_MEMORY] = "memory", [CG_H_PIDS] = "pids",
        [CG_H_DEVICES] = "devices", [CG_H_SYSTEMD] = "systemd", [CG_H_UNIFIED] = "unified",
};
const char *cg_hier_dir(int h)
{
        return h >= 0 && h < CG_NHIER ? v1_names[h] : NULL;
}

/* v2 controllers podinit enables. */
static const char *const v2_controllers[] = { "cpu", "memory", "pids" };

int cg_detect(const char *mnt, enum cg_layout *ret, struct pod_err *err)
{
        struct statfs fs;
        char p[4096];

        if (statfs(mnt, &fs) < 0) {
                if (errno == ENOENT) {
                        *ret = CG_NONE;
                        return 0;
                }
                return pod_err_set(err, -errno, "statfs %s: %s", mnt, strerror(errno));
        }
        if ((unsigned long)fs.f_type == CGROUP2_SUPER_MAGIC) {
                *ret = CG_V2;
                return 0;
        }
        for (int h = 0; h < CG_NHIER; h++) {
                snprintf(p, sizeof(p), "%s/%s/cgroup.procs", mnt, v1_names[h]);
                if (h != CG_H_UNIFIED && access(p, F_OK) == 0) {
                        *ret = CG_V1;
                        return 0;
                }
        }
        *ret = CG_NONE;
        return 0;
}

char *cg_pod_path(const char *parent, const char *uuid)
{
        char esc[256];
        size_t n = 0;

        for (const char *c = uuid; *c && n + 5 < sizeof(esc); c++) {
                if (*c == '-') {
                        memcpy(esc + n, "\\x2d", 4);
                        n += 4;
                } else {
                        esc[n++] = *c;
                }
        }
        esc[n] = '\0';
        while (*parent == '/')
                parent++;
        return xasprintf("%s%smachine-rkt\\x2d%s.scope", parent, *parent ? "/" : "", esc);
}

/* The root of hierarchy h under mnt, or NULL if it is not used in this layout. */
static char *hier_root(const char *mnt, enum cg_layout layout, int h)
{
        if (layout == CG_V2)
                return h == CG_H_UNIFIED ? xstrdup(mnt) : NULL;
        return xasprintf("%s/%s", mnt, v1_names[h]);
}

/* One value into a control file.  Files written several times in a row
 * (subtree_control, devices.allow) are opened O_APPEND, which cgroupfs
 * ignores and which keeps every write in a plain file (the unit tests'
 * fake hierarchies); the others O_TRUNC, as a shell's `>` does. */
static int write_at(int dirfd, const char *file, const char *value)
{
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        bool append = !strcmp(base, "cgroup.subtree_control") || !strcmp(base, "devices.allow") ||
                      !strcmp(base, "devices.deny");
        _cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (append ? O_APPEND : O_TRUNC));
        size_t len = strlen(value);

        if (fd < 0)
                return -errno;
        if (write(fd, value, len) != (ssize_t)len)
                return errno ? -errno : -EIO;
        return 0;
}

/* v2: enable our controllers (those the level offers) in a cgroup's subtree. */
static void v2_enable(int dirfd)
{
        _cleanup_free_ char *avail = NULL;
        size_t len;
        char w[32];

        if (read_file_at(dirfd, "cgroup.controllers", 4096, &avail, &len) < 0)
                return;
        for (size_t i = 0; i < ARRAY_SIZE(v2_controllers); i++) {
                const char *c = v2_controllers[i];
                size_t cl = strlen(c);
                bool has = false;
                for (const char *q = avail; q && (q = strstr(q, c)); q += cl)
                        if ((q == avail || q[-1] == ' ') && (q[cl] == ' ' || q[cl] == '\n' || q[cl] == '\0'))
                                has = true;
                if (!has)
                        continue;
                snprintf(w, sizeof(w), "+%s", c);
                (void)write_at(dirfd, "cgroup.subtree_control", w);     /* checked by cg_pod_missing */
        }
}

/* mkdir every component of path under root_fd (v2: enabling controllers on the way); the last one's fd. */
static int mkdir_path(int root_fd, const char *path, bool v2, int *ret_fd)
{
        _cleanup_free_ char *copy = xstrdup(path);
        int cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        char *save = NULL;

        if (cur < 0)
                return -errno;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int next;
                if (!strcmp(c, ".") || !strcmp(c, "..")) {
                        close(cur);
                        return -EINVAL;
                }
                if (v2)
                        v2_enable(cur);
                if (mkdirat(cur, c, 0755) < 0 && errno != EEXIST) {
                        int r = -errno;
                        close(cur);
                        return r;
                }
                next = openat(cur, c, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                close(cur);
                if (next < 0)
                        return -errno;
                cur = next;
        }
        *ret_fd = cur;
        return 0;
}

int cg_pod_create(const char *mnt, enum cg_layout layout, const char *path, struct cg_pod *ret,
                  struct pod_err *err)
{
        struct cg_pod pod = { .layout = layout };
        bool any = false;
        int r;

        for (int h = 0; h < CG_NHIER; h++)
                pod.dirfd[h] = -1;
        if (layout == CG_NONE)
                return pod_err_set(err, -ENOENT, "no cgroup hierarchy at %s", mnt);
        if (!*path || path[0] == '/' || strstr(path, ".."))
                return pod_err_set(err, -EINVAL, "bad pod cgroup path \"%s\"", path);
        for (int h = 0; h < CG_NHIER; h++) {
                _cleanup_free_ char *root = hier_root(mnt, layout, h);
                _cleanup_close_ int rfd = -1;
                int pfd = -1;

                if (!root)
                        continue;
                rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (rfd < 0 || faccessat(rfd, "cgroup.procs", F_OK, 0) < 0)
                        continue;       /* not mounted here */
                if ((r = mkdir_path(rfd, path, layout == CG_V2, &pfd)) < 0) {
                        pod_err_set(err, r, "creating cgroup %s/%s: %s", root, path, strerror(-r));
                        goto fail;
                }
                pod.dirfd[h] = pfd;
                if (layout == CG_V2)
                        v2_enable(pfd);
                if ((mkdirat(pfd, "init.scope", 0755) < 0 && errno != EEXIST) ||
                    (mkdirat(pfd, "system.slice", 0755) < 0 && errno != EEXIST)) {
                        r = -errno;
                        pod_err_set(err, r, "creating cgroups under %s/%s: %s", root, path, strerror(-r));
                        goto fail;
                }
                if (layout == CG_V2) {
                        _cleanup_close_ int sfd = openat(pfd, "system.slice", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (sfd >= 0)
                                v2_enable(sfd);
                }
                any = true;
        }
        if (!any) {
                r = pod_err_set(err, -ENOENT, "no usable cgroup hierarchy under %s", mnt);
                goto fail;
        }
        pod.path = xstrdup(path);
        *ret = pod;
        return 0;
fail:
        cg_pod_close(&pod);
        return r;
}

int cg_pod_enter(const struct cg_pod *pod, pid_t pid, struct pod_err *err)
{
        char v[32];

        snprintf(v, sizeof(v), "%d", (int)pid);
        for (int h = 0; h < CG_NHIER; h++) {
                int r;
                if (pod->dirfd[h] < 0)
                        continue;
                if ((r = write_at(pod->dirfd[h], "init.scope/cgroup.procs", v)) < 0)
                        return pod_err_set(err, r, "moving pid %d into the pod's cgroup %s (%s): %s", (int)pid,
                                           pod->path, pod->layout == CG_V2 ? "cgroup2" : v1_names[h], strerror(-r));
        }
        return 0;
}

/* Does the v2 pod cgroup have controller c enabled for its children? */
static bool v2_enabled(int dirfd, const char *c)
{
        _cleanup_free_ char *s = NULL;
        size_t len, cl = strlen(c);

        if (read_file_at(dirfd, "cgroup.subtree_control", 4096, &s, &len) < 0)
                return false;
        /* "cpu memory pids" in cgroupfs; "+cpu+memory" in a fake tree's plain file. */
        for (const char *q = s; (q = strstr(q, c)); q += cl)
                if ((q == s || q[-1] == ' ' || q[-1] == '+') && strchr(" +\n", q[cl]))
                        return true;
        return false;
}

const char *cg_pod_missing(const struct cg_pod *pod)
{
        static char buf[64];
        size_t n = 0;

        buf[0] = '\0';
        if (pod->layout == CG_V2) {
                for (size_t i = 0; i < ARRAY_SIZE(v2_controllers); i++)
                        if (pod->dirfd[CG_H_UNIFIED] < 0 || !v2_enabled(pod->dirfd[CG_H_UNIFIED], v2_controllers[i]))
                                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "," : "", v2_controllers[i]);
                return buf;
        }
        static const int want[] = { CG_H_CPU, CG_H_MEMORY, CG_H_PIDS, CG_H_DEVICES };
        for (size_t i = 0; i < ARRAY_SIZE(want); i++)
                if (pod->dirfd[want[i]] < 0 && !(want[i] == CG_H_DEVICES && pod->dirfd[CG_H_UNIFIED] >= 0))
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "," : "", v1_names[want[i]]);
        return buf;
}

void cg_pod_close(struct cg_pod *pod)
{
        if (!pod)
                return;
        for (int h = 0; h < CG_NHIER; h++) {
                if (pod->dirfd[h] >= 0)
                        close(pod->dirfd[h]);
                pod->dirfd[h] = -1;
        }
        free(pod->path);
        pod->path = NULL;
}

/* A limit file: set when v is non-NULL; missing controller for a set limit is an error. */
/* An app's cgroup directories, opened for the moment (struct cg_app holds no fds). */
struct cg_dirs {
        int fd[CG_NHIER];       /* -1: hierarchy not used, or the directory is gone */
};

static void dirs_open(const struct cg_app *app, struct cg_dirs *d)
{
        _cleanup_free_ char *rel = app->procs ? xasprintf("%.*s", (int)app->rel_len, app->procs) : NULL;

        for (int h = 0; h < CG_NHIER; h++)
                d->fd[h] = rel && app->pod_fd[h] >= 0
                        ? openat(app->pod_fd[h], rel, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) : -1;
}

static void dirs_close(struct cg_dirs *d)
{
        for (int h = 0; h < CG_NHIER; h++)
                if (d->fd[h] >= 0)
                        close(d->fd[h]);
}

#define _cleanup_dirs_ __attribute__((cleanup(dirs_close)))

static int set_limit(const struct cg_dirs *app, int h, const char *ctrl, const char *file, const char *v,
                     bool required, struct pod_err *err)
{
        int r;

        if (app->fd[h] < 0) {
                if (required)
                        return pod_err_set(err, -EOPNOTSUPP, "its limit needs the %s cgroup controller, which this host does not have",
                                           ctrl);
                return 0;
        }
        r = write_at(app->fd[h], file, v);
        if (r < 0 && (required || r != -ENOENT))
                return pod_err_set(err, r, "writing %s to %s: %s", v, file, strerror(-r));
        return 0;
}

static int write_limits(const struct cg_dirs *app, bool v2, const struct cg_limits *lim, struct pod_err *err)
{
        char v[64];
        int r;

        if (v2) {
                int u = CG_H_UNIFIED;
                snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->memory_max);
                if ((r = set_limit(app, u, "memory", "memory.max", lim->memory_max ? v : "max", lim->memory_max, err)) < 0)
                        return r;
                if (lim->cpu_quota_us)
                        snprintf(v, sizeof(v), "%llu 100000", (unsigned long long)lim->cpu_quota_us);
                if ((r = set_limit(app, u, "cpu", "cpu.max", lim->cpu_quota_us ? v : "max 100000", lim->cpu_quota_us, err)) < 0)
                        return r;
                snprintf(v, sizeof(v), "%llu",
                         lim->cpu_shares ? 1 + ((unsigned long long)lim->cpu_shares - 2) * 9999 / 262142 : 100ull);
                if ((r = set_limit(app, u, "cpu", "cpu.weight", v, lim->cpu_shares, err)) < 0)
                        return r;
                snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->pids_max);
                return set_limit(app, u, "pids", "pids.max", lim->pids_max ? v : "max", lim->pids_max, err);
        }
        snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->memory_max);
        if ((r = set_limit(app, CG_H_MEMORY, "memory", "memory.limit_in_bytes", lim->memory_max ? v : "-1",
                           lim->memory_max, err)) < 0)
                return r;
        if ((r = set_limit(app, CG_H_CPU, "cpu", "cpu.cfs_period_us", "100000", lim->cpu_quota_us, err)) < 0)
                return r;
        snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->cpu_quota_us);
        if ((r = set_limit(app, CG_H_CPU, "cpu", "cpu.cfs_quota_us", lim->cpu_quota_us ? v : "-1", lim->cpu_quota_us, err)) < 0)
                return r;
        snprintf(v, sizeof(v), "%llu", (unsigned long long)(lim->cpu_shares ? lim->cpu_shares : 1024));
        if ((r = set_limit(app, CG_H_CPU, "cpu", "cpu.shares", v, lim->cpu_shares, err)) < 0)
                return r;
        snprintf(v, sizeof(v), "%llu", (unsigned long long)lim->pids_max);
        return set_limit(app, CG_H_PIDS, "pids", "pids.max", lim->pids_max ? v : "max", lim->pids_max, err);
}

static void format_rule(const struct cg_device *d, char *buf, size_t len)
{
        char maj[24], min[24];

        if (d->major < 0)
                snprintf(maj, sizeof(maj), "*");
        else
                snprintf(maj, sizeof(maj), "%lld", (long long)d->major);
        if (d->minor < 0)
                snprintf(min, sizeof(min), "*");
        else
                snprintf(min, sizeof(min), "%lld", (long long)d->minor);
        if (d->type == 'a')
                snprintf(buf, len, "a");
        else
                snprintf(buf, len, "%c %s:%s %s", d->type, maj, min, d->access);
}

static int write_devices(const struct cg_dirs *app, enum cg_layout layout, const struct cg_device *devs, size_t n,
                         struct pod_err *err)
{
        char rule[64];
        int r;

        if (layout == CG_V1 && app->fd[CG_H_DEVICES] >= 0) {
                if ((r = write_at(app->fd[CG_H_DEVICES], "devices.deny", "a")) < 0)
                        return pod_err_set(err, r, "closing device access (devices.deny): %s", strerror(-r));
                for (size_t i = 0; i < n; i++) {
                        format_rule(&devs[i], rule, sizeof(rule));
                        if ((r = write_at(app->fd[CG_H_DEVICES], "devices.allow", rule)) < 0)
                                return pod_err_set(err, r, "allowing device \"%s\" (devices.allow): %s", rule, strerror(-r));
                }
                return 0;
        }
        if (app->fd[CG_H_UNIFIED] >= 0)
                return devfilter_attach(app->fd[CG_H_UNIFIED], devs, n, err);
        return 0;       /* nothing to enforce it with: the launcher has warned */
}

int cg_app_create(const struct cg_pod *pod, const char *app, const struct cg_limits *lim, bool devices_closed,
                  const struct cg_device *devs, size_t n_devs, struct cg_app *ret, struct pod_err *err)
{
        _cleanup_dirs_ struct cg_dirs d = { 0 };
        struct cg_app a = { .procs = xasprintf("system.slice/%s.service/cgroup.procs", app) };
        int r;

        a.rel_len = strlen(a.procs) - strlen("/cgroup.procs");
        for (int h = 0; h < CG_NHIER; h++)
                a.pod_fd[h] = d.fd[h] = -1;
        if (strchr(app, '/') || !strcmp(app, "..") || !strcmp(app, ".")) {
                r = pod_err_set(err, -EINVAL, "bad app name for a cgroup: %s", app);
                goto fail;
        }
        for (int h = 0; h < CG_NHIER; h++) {
                if (pod->dirfd[h] < 0)
                        continue;
                a.procs[a.rel_len] = '\0';
                if (mkdirat(pod->dirfd[h], a.procs, 0755) < 0 && errno != EEXIST)
                        r = pod_err_set(err, -errno, "creating its cgroup %s/%s: %s", pod->path, a.procs, strerror(errno));
                else if ((d.fd[h] = openat(pod->dirfd[h], a.procs, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0)
                        r = pod_err_set(err, -errno, "opening its cgroup %s/%s: %s", pod->path, a.procs, strerror(errno));
                else
                        r = 0;
                a.procs[a.rel_len] = '/';
                if (r < 0)
                        goto fail;
                a.pod_fd[h] = pod->dirfd[h];
        }
        if ((r = write_limits(&d, pod->layout == CG_V2, lim, err)) < 0)
                goto fail;
        if (devices_closed && (r = write_devices(&d, pod->layout, devs, n_devs, err)) < 0)
                goto fail;
        /* Checked now, so that the child's join can fail only for reasons the kernel gives it. */
        for (int h = 0; h < CG_NHIER; h++)
                if (d.fd[h] >= 0 && faccessat(d.fd[h], "cgroup.procs", W_OK, 0) < 0) {
                        r = pod_err_set(err, -errno, "%s/%s: %s", pod->path, a.procs, strerror(errno));
                        goto fail;
                }
        *ret = a;
        (void)cg_app_oom_kills(ret, &ret->oom_kills_at_start);
        return 0;
fail:
        cg_app_close(&a);
        return r;
}

int cg_app_join_child(const struct cg_app *app)
{
        for (int h = 0; h < CG_NHIER; h++) {
                int fd, e;
                if (app->pod_fd[h] < 0)
                        continue;
                if ((fd = openat(app->pod_fd[h], app->procs, O_WRONLY | O_CLOEXEC)) < 0)
                        return -errno;
                e = write(fd, "0", 1) == 1 ? 0 : -errno;
                close(fd);
                if (e < 0)
                        return e;
        }
        return 0;
}

/* "key N" in a flat-keyed file. */
static int read_key(int dirfd, const char *file, const char *key, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        size_t len, kl = strlen(key);
        int r;

        if ((r = read_file_at(dirfd, file, 65536, &s, &len)) < 0)
                return r;
        for (char *line = s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (!strncmp(line, key, kl) && line[kl] == ' ') {
                        *ret = strtoull(line + kl + 1, NULL, 10);
                        return 0;
                }
        return -ENOENT;
}

int cg_app_oom_kills(const struct cg_app *app, uint64_t *ret)
{
        _cleanup_dirs_ struct cg_dirs d;

        dirs_open(app, &d);
        if (d.fd[CG_H_MEMORY] >= 0)
                return read_key(d.fd[CG_H_MEMORY], "memory.oom_control", "oom_kill", ret);
        if (d.fd[CG_H_UNIFIED] >= 0)
                return read_key(d.fd[CG_H_UNIFIED], "memory.events", "oom_kill", ret);
        return -EOPNOTSUPP;
}

/* The hierarchy whose cgroup.procs lists the app's processes (any will do; one with a controller first). */
static int procs_hier(const struct cg_dirs *d)
{
        static const int order[] = { CG_H_PIDS, CG_H_MEMORY, CG_H_UNIFIED, CG_H_CPU, CG_H_DEVICES, CG_H_SYSTEMD, CG_H_CPUACCT };
        for (size_t i = 0; i < ARRAY_SIZE(order); i++)
                if (d->fd[order[i]] >= 0)
                        return order[i];
        return -1;
}

/* The pids in the app's cgroup, as this pid namespace numbers them. */
static int read_pids(const struct cg_dirs *d, pid_t **ret, size_t *ret_n)
{
        _cleanup_free_ char *s = NULL;
        pid_t *v = NULL;
        size_t len, n = 0;
        int h = procs_hier(d), r;

        if (h < 0)
                return -EOPNOTSUPP;
        if ((r = read_file_at(d->fd[h], "cgroup.procs", 16u << 20, &s, &len)) < 0)
                return r;
        for (char *q = s; q && *q;) {
                char *end;
                long p = strtol(q, &end, 10);
                if (end == q)
                        break;
                if (p > 0) {
                        v = xrealloc(v, (n + 1) * sizeof(pid_t));
                        v[n++] = (pid_t)p;
                }
                q = end;
                while (*q == '\n')
                        q++;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int cg_app_kill(const struct cg_app *app, int sig, unsigned *ret_count)
{
        _cleanup_dirs_ struct cg_dirs d;
        _cleanup_free_ pid_t *seen = NULL;
        size_t n_seen = 0;

        dirs_open(app, &d);
        /* cgroup.kill (Linux 5.14) kills everything, forks in flight included. */
        if (sig == SIGKILL && d.fd[CG_H_UNIFIED] >= 0) {
                _cleanup_free_ pid_t *v = NULL;
                size_t n = 0;
                if (read_pids(&d, &v, &n) == 0 && write_at(d.fd[CG_H_UNIFIED], "cgroup.kill", "1") == 0) {
                        *ret_count = (unsigned)n;
                        return 0;
                }
        }
        /* Otherwise: pass after pass until one finds no process not signalled
         * before, so children forked meanwhile are caught too. */
        for (int pass = 0; pass < 100; pass++) {
                _cleanup_free_ pid_t *v = NULL;
                size_t n = 0, fresh = 0;
                int r = read_pids(&d, &v, &n);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n; i++) {
                        bool old = false;
                        for (size_t j = 0; j < n_seen && !old; j++)
                                old = seen[j] == v[i];
                        if (old)
                                continue;
                        (void)kill(v[i], sig);
                        seen = xrealloc(seen, (n_seen + 1) * sizeof(pid_t));
                        seen[n_seen++] = v[i];
                        fresh++;
                }
                if (!fresh)
                        break;
        }
        *ret_count = (unsigned)n_seen;
        return 0;
}

bool cg_app_populated(const struct cg_app *app)
{
        _cleanup_dirs_ struct cg_dirs d;
        _cleanup_free_ pid_t *v = NULL;
        uint64_t pop;
        size_t n = 0;

        dirs_open(app, &d);
        if (d.fd[CG_H_UNIFIED] >= 0 && read_key(d.fd[CG_H_UNIFIED], "cgroup.events", "populated", &pop) == 0)
                return pop != 0;
        return read_pids(&d, &v, &n) == 0 && n > 0;
}

void cg_app_close(struct cg_app *app)
{
        free(app->procs);
        app->procs = NULL;
        for (int h = 0; h < CG_NHIER; h++)
                app->pod_fd[h] = -1;
}

void cg_app_destroy(struct cg_app *app)
{
        if (app->procs) {
                app->procs[app->rel_len] = '\0';
                for (int h = 0; h < CG_NHIER; h++)
                        if (app->pod_fd[h] >= 0)
                                (void)unlinkat(app->pod_fd[h], app->procs, AT_REMOVEDIR);
        }
        cg_app_close(app);
}

/* Remove a cgroup directory and the ones below it, deepest first.  Control
 * files cannot be unlinked in cgroupfs (rmdir takes them); in a plain
 * directory tree (the unit tests' fake hierarchies) they are unlinked. */
static int rm_tree(int parent_fd, const char *name)
{
        int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        DIR *d;
        struct dirent *e;
        int r = 0;

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                if (e->d_type == DT_DIR) {
                        int q = rm_tree(dirfd(d), e->d_name);
                        if (q < 0 && r == 0)
                                r = q;
                } else {
                        (void)unlinkat(dirfd(d), e->d_name, 0);
                }
        }
        closedir(d);
        /* A cgroup whose last process just died can be busy for a moment. */
        for (int i = 0; i < 50; i++) {
                if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
                        return r;
                if (errno != EBUSY)
                        break;
                usleep(20000);
        }
        return r ? r : -errno;
}

int cg_pod_remove(const char *mnt, enum cg_layout layout, const char *path, struct pod_err *err)
{
        int rc = 0;

        if (layout == CG_NONE)
                return 0;
        if (!*path || path[0] == '/' || strstr(path, ".."))
                return pod_err_set(err, -EINVAL, "refusing to remove cgroup \"%s\"", path);
        for (int h = 0; h < CG_NHIER; h++) {
                _cleanup_free_ char *root = hier_root(mnt, layout, h);
                _cleanup_free_ char *dir = NULL, *base = NULL;
                _cleanup_close_ int pfd = -1;
                const char *slash;
                int r;

                if (!root)
                        continue;
                slash = strrchr(path, '/');
                dir = slash ? xasprintf("%s/%.*s", root, (int)(slash - path), path) : xstrdup(root);
                base = xstrdup(slash ? slash + 1 : path);
                pfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (pfd < 0)
                        continue;
                if ((r = rm_tree(pfd, base)) < 0 && rc == 0)
                        rc = pod_err_set(err, r, "removing cgroup %s/%s: %s", root, path, strerror(-r));
        }
        return rc;
}

int cg_pod_remove_recorded(const char *pod_dir, const char *uuid, struct pod_err *err)
{
        _cleanup_free_ char *path = NULL, *file = xasprintf("%s/subcgroup", pod_dir), *name = cg_pod_path("", uuid);
        enum cg_layout layout;
        size_t len, n = strlen(name);
        int r;

        r = read_file_at(AT_FDCWD, file, 4096, &path, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return pod_err_set(err, r, "reading %s: %s", file, strerror(-r));
        if (len < n || strcmp(path + len - n, name) || strstr(path, "..") || path[0] == '/' ||
            (len > n && path[len - n - 1] != '/'))
                return pod_err_set(err, -EINVAL, "%s names \"%s\", which is not this pod's cgroup; left alone", file, path);
        if ((r = cg_detect(CG_DEFAULT_MOUNT, &layout, err)) < 0)
                return r;
        return cg_pod_remove(CG_DEFAULT_MOUNT, layout, path, err);
}
