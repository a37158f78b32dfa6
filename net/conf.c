#include "net/conf.h"
#include "net/netlist.h"
#include "common/fdutil.h"
#include "common/manifest.h"

#include <dirent.h>
#include <fcntl.h>

/* rkt's two networks: outbound traffic masqueraded, and none at all. */
static const char *const builtin_confs[] = {
        "{\"cniVersion\":\"0.4.0\",\"name\":\"default\",\"type\":\"ptp\",\"ipMasq\":true,"
        "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"" NET_DEFAULT_SUBNET "\",\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}}",
        "{\"cniVersion\":\"0.4.0\",\"name\":\"default-restricted\",\"type\":\"ptp\",\"ipMasq\":false,"
        "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"" NET_RESTRICTED_SUBNET "\"}}",
};

void net_conf_done(struct net_conf *c)
{
        free(c->name);
        free(c->source);
        free(c->version);
        json_decref(c->list);
        *c = (struct net_conf){ 0 };
}

void net_confs_done(struct net_confs *c)
{
        for (size_t i = 0; i < c->n; i++)
                net_conf_done(&c->v[i]);
        free(c->v);
        *c = (struct net_confs){ 0 };
}

const struct net_conf *net_confs_find(const struct net_confs *c, const char *name)
{
        for (size_t i = 0; i < c->n; i++)
                if (!strcmp(c->v[i].name, name))
                        return &c->v[i];
        return NULL;
}

char *net_confs_names(const struct net_confs *c)
{
        char *s = xstrdup("");

        for (size_t i = 0; i < c->n; i++) {
                char *t = xasprintf("%s%s%s", s, i ? ", " : "", c->v[i].name);
                free(s);
                s = t;
        }
        return s;
}

/* A plugin's type names a binary in the plugin directories: a plain file name. */
static int check_plugin(json_t *p, const char *source, size_t i, struct pod_err *err)
{
        const char *type;

        if (!json_is_object(p))
                return pod_err_set(err, -EINVAL, "%s: plugins[%zu] is %s, expected an object", source, i, json_type_name(p));
        type = json_string_value(json_object_get(p, "type"));
        if (!type || !*type || strchr(type, '/') || !strcmp(type, ".") || !strcmp(type, "..") || strlen(type) > 255)
                return pod_err_set(err, -EINVAL, "%s: plugins[%zu] has no \"type\" that names a plugin binary", source, i);
        return 0;
}

int net_conf_parse(const char *data, size_t len, const char *source, struct net_conf *ret, struct pod_err *err)
{
        json_error_t je;
        json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je), *plugins, *name_j, *ver_j;
        struct net_conf c = { 0 };
        const char *name, *ver;
        int r;

        if (!doc)
                return pod_err_set(err, -EINVAL, "%s: not JSON: %s (line %d)", source, je.text, je.line);
        if (!json_is_object(doc)) {
                r = pod_err_set(err, -EINVAL, "%s: is %s, expected a CNI network config (an object)", source, json_type_name(doc));
                goto fail;
        }
        name_j = json_object_get(doc, "name");
        name = json_string_value(name_j);
        if (!name || !net_name_valid(name)) {
                r = pod_err_set(err, -EINVAL, "%s: \"name\" is %s; a network needs a name of letters, digits, '_', '.', '-' "
                                "(at most %d characters)", source, name ? "not a valid name" : "missing", NET_NAME_MAX);
                goto fail;
        }
        ver_j = json_object_get(doc, "cniVersion");
        if (ver_j && !json_is_string(ver_j)) {
                r = pod_err_set(err, -EINVAL, "%s: \"cniVersion\" is %s, expected a string such as \"1.0.0\"", source,
                                json_type_name(ver_j));
                goto fail;
        }
        ver = ver_j ? json_string_value(ver_j) : "0.1.0";
        plugins = json_object_get(doc, "plugins");
        if (plugins) {
                if (!json_is_array(plugins) || json_array_size(plugins) == 0) {
                        r = pod_err_set(err, -EINVAL, "%s: \"plugins\" must be a non-empty array", source);
                        goto fail;
                }
                if (!ver_j) {
                        r = pod_err_set(err, -EINVAL, "%s: a conflist needs \"cniVersion\"", source);
                        goto fail;
                }
                for (size_t i = 0; i < json_array_size(plugins); i++)
                        if ((r = check_plugin(json_array_get(plugins, i), source, i, err)) < 0)
                                goto fail;
                c.list = json_pack("{s:s,s:s,s:O}", "cniVersion", ver, "name", name, "plugins", plugins);
        } else {
                json_t *p = json_deep_copy(doc);
                if ((r = check_plugin(p, source, 0, err)) < 0) {
                        json_decref(p);
                        pod_err_set(err, r, "%s: neither \"plugins\" nor a \"type\" that names a plugin binary", source);
                        goto fail;
                }
                json_object_del(p, "name");
                json_object_del(p, "cniVersion");
                c.single = true;
                c.list = json_pack("{s:s,s:s,s:[o]}", "cniVersion", ver, "name", name, "plugins", p);
        }
        c.name = xstrdup(name);
        c.version = xstrdup(ver);
        c.source = xstrdup(source);
        json_decref(doc);
        *ret = c;
        return 0;
fail:
        json_decref(doc);
        return r;
}

static bool conf_file_name(const char *n)
{
        size_t l = strlen(n);
        static const char *const ext[] = { ".conf", ".conflist", ".json" };

        if (n[0] == '.')
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(ext); i++)
                if (l > strlen(ext[i]) && !strcmp(n + l - strlen(ext[i]), ext[i]))
                        return true;
        return false;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Put c in place of the one of its name (if replace) or after the others. */
static void confs_add(struct net_confs *all, struct net_conf *c, bool replace)
{
        for (size_t i = 0; i < all->n; i++)
                if (!strcmp(all->v[i].name, c->name)) {
                        if (replace) {
                                net_conf_done(&all->v[i]);
                                all->v[i] = *c;
                        } else {
                                net_conf_done(c);
                        }
                        return;
                }
        all->v = xrealloc(all->v, (all->n + 1) * sizeof(*all->v));
        all->v[all->n++] = *c;
}

static int load_dir(const char *dir, struct net_confs *all, struct pod_err *err)
{
        _cleanup_strv_ char **names = NULL;
        _cleanup_strv_ char **seen = NULL;
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0
                        : pod_err_set(err, -errno, "network config directory %s: %s", dir, strerror(errno));
        while ((de = readdir(d)))
                if (conf_file_name(de->d_name))
                        strv_push(&names, de->d_name);
        closedir(d);
        if (!names)
                return 0;
        qsort(names, strv_length(names), sizeof(char *), cmp_str);
        for (size_t i = 0; names[i]; i++) {
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, names[i]), *data = NULL;
                struct net_conf c;
                size_t len;
                char ebuf[64];

                r = read_file_at(AT_FDCWD, path, NET_CONF_MAX_BYTES, &data, &len);
                if (r < 0)
                        return pod_err_set(err, r, "network config %s: %s", path,
                                           read_file_strerror(r, ebuf, sizeof(ebuf), NET_CONF_MAX_BYTES));
                if ((r = net_conf_parse(data, len, path, &c, err)) < 0)
                        return pod_err_prefix(err, "network config");
                /* In one directory the first file wins; across directories the later one. */
                if (strv_contains(seen, c.name)) {
                        net_conf_done(&c);
                        continue;
                }
                strv_push(&seen, c.name);
                confs_add(all, &c, true);
        }
        return 0;
}

int net_confs_load(char *const *dirs, struct net_confs *ret, struct pod_err *err)
{
        struct net_confs all = { 0 };
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(builtin_confs); i++) {
                struct net_conf c;
                r = net_conf_parse(builtin_confs[i], strlen(builtin_confs[i]), "built in", &c, err);
                if (r < 0)
                        abort();        /* a bug in the table above */
                c.builtin = true;
                confs_add(&all, &c, false);
        }
        for (size_t i = 0; dirs && dirs[i]; i++)
                if ((r = load_dir(dirs[i], &all, err)) < 0) {
                        net_confs_done(&all);
                        return r;
                }
        *ret = all;
        return 0;
}
