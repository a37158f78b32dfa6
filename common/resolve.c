/*
 * Resolving a pod manifest's volumes into each app's mounts (common/resolve.h).
 * This sits above the model (manifest.c) and its parsers (volumes.c): it
 * reads a whole parsed pod, so neither of those needs the other.
 */
#include "common/resolve.h"
#include "common/log.h"
#include "common/manifest.h"

#include <string.h>

static void add_mount(struct pod_app *a, const struct volume *v, const char *name, const char *target, bool ro)
{
        struct app_mount *m;

        a->mounts = xrealloc(a->mounts, (a->n_mounts + 1) * sizeof(*a->mounts));
        m = &a->mounts[a->n_mounts++];
        memset(m, 0, sizeof(*m));
        m->volume = xstrdup(name);
        m->kind = v ? v->kind : VOL_EMPTY;
        m->source = v && v->kind == VOL_HOST ? xstrdup(v->source) : NULL;
        m->target = xstrdup(target);
        m->read_only = ro;
        m->recursive = v ? v->recursive : true;
        m->mode = v ? v->mode : 0755;
        m->uid = v ? v->uid : 0;
        m->gid = v ? v->gid : 0;
        m->tree_fd = -1;
}

/* Two targets name the same place ("/a/b" and "/a/b/", "a/b"): compared without slashes at the ends. */
static bool same_target(const char *x, const char *y)
{
        size_t lx, ly;
        while (*x == '/')
                x++;
        while (*y == '/')
                y++;
        lx = strlen(x);
        ly = strlen(y);
        while (lx && x[lx - 1] == '/')
                lx--;
        while (ly && y[ly - 1] == '/')
                ly--;
        return lx == ly && !strncmp(x, y, lx);
}

char *volume_target_normalize(const char *t)
{
        char *out = xmalloc(strlen(t) + 2);
        size_t n = 0;

        out[0] = '\0';
        for (const char *c = t; *c;) {
                size_t len = strcspn(c, "/");
                if (len == 2 && !strncmp(c, "..", 2)) {
                        while (n && out[n - 1] != '/')
                                n--;
                        if (n)
                                n--;    /* the slash before it; at "/" this stops */
                } else if (len && !(len == 1 && c[0] == '.')) {
                        out[n++] = '/';
                        memcpy(out + n, c, len);
                        n += len;
                }
                c += len;
                c += strspn(c, "/");
        }
        if (!n)
                out[n++] = '/';
        out[n] = '\0';
        return out;
}

static size_t target_depth(const char *t)
{
        _cleanup_free_ char *norm = volume_target_normalize(t);
        size_t d = 0;

        for (const char *c = norm; *c; c++)
                d += *c == '/' && c[1];
        return d;
}

bool volume_targets_under(const struct app_mount *m, size_t n, const char *dir)
{
        _cleanup_free_ char *d = volume_target_normalize(dir);
        size_t dl = strlen(d);

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *t = volume_target_normalize(m[i].target);
                if (!strncmp(t, d, dl) && (t[dl] == '\0' || t[dl] == '/' || !strcmp(d, "/")))
                        return true;
        }
        return false;
}

/*
 * Outer targets first (fewer path components), keeping the manifest's order
 * otherwise: a volume at /data/sub must be mounted after, and therefore
 * inside, the one at /data, or the outer mount hides it.  Stable, so of two
 * volumes at one target the later still wins, as before.
 */
static void sort_by_depth(struct app_mount *m, size_t n)
{
        for (size_t i = 1; i < n; i++) {
                struct app_mount cur = m[i];
                size_t d = target_depth(cur.target), k = i;
                while (k > 0 && target_depth(m[k - 1].target) > d) {
                        m[k] = m[k - 1];
                        k--;
                }
                m[k] = cur;
        }
}

static const struct volume *find_volume(const struct pod_manifest *m, const char *name)
{
        for (size_t i = 0; i < m->n_volumes; i++)
                if (!strcmp(m->volumes[i].name, name))
                        return &m->volumes[i];
        return NULL;
}

int volumes_resolve(struct pod_manifest *m, struct pod_err *err)
{
        for (size_t i = 0; i < m->n_apps; i++) {
                struct pod_app *a = &m->apps[i];
                const struct app_spec *s = &a->app;

                app_mounts_free(a->mounts, a->n_mounts);
                a->mounts = NULL;
                a->n_mounts = 0;
                for (size_t k = 0; k < a->n_mounts_spec; k++) {
                        const struct app_mount_spec *ms = &a->mounts_spec[k];
                        const struct volume *v = ms->app_volume ? ms->app_volume : find_volume(m, ms->volume);
                        bool ro = false;

                        if (!v)
                                return pod_err_set(err, -ENOENT, "app \"%s\": mounts[%zu]: could not find volume \"%s\" (define it in the pod's volumes, e.g. --volume=%s,kind=empty)",
                                                   a->name, k, ms->volume, ms->volume);
                        for (size_t p = 0; p < s->n_mount_points; p++)
                                if (!strcmp(s->mount_points[p].name, v->name))
                                        ro = s->mount_points[p].read_only;
                        if (v->read_only >= 0)
                                ro = v->read_only;
                        add_mount(a, v, v->name, ms->path, ro);
                }
                for (size_t p = 0; p < s->n_mount_points; p++) {
                        const struct mount_point *mp = &s->mount_points[p];
                        const struct volume *v;
                        _cleanup_free_ char *implicit = NULL;
                        bool covered = false, ro = mp->read_only;

                        for (size_t k = 0; k < a->n_mounts && !covered; k++)
                                covered = same_target(a->mounts[k].target, mp->path);
                        if (covered)
                                continue;
                        v = find_volume(m, mp->name);
                        if (!v) {
                                implicit = xasprintf("%s-%s", a->name, mp->name);
                                log_warn("app %s: no volume for its mount point \"%s\" (%s): using an empty volume \"%s\"",
                                         a->name, mp->name, mp->path, implicit);
                        } else if (v->read_only >= 0) {
                                ro = v->read_only;
                        }
                        add_mount(a, v, v ? v->name : implicit, mp->path, ro);
                }
                sort_by_depth(a->mounts, a->n_mounts);
        }
        return 0;
}
