#include "net/netlist.h"

#include <ctype.h>

bool net_name_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > NET_NAME_MAX || !isalnum((unsigned char)s[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
                        return false;
        return true;
}

/* CNI_ARGS: "K=V" pairs separated by ';', each key non-empty, no control characters. */
static bool args_valid(const char *s)
{
        const char *p = s;

        if (!*s)
                return false;
        while (*p) {
                const char *end = strchrnul(p, ';'), *eq = memchr(p, '=', (size_t)(end - p));
                if (!eq || eq == p)
                        return false;
                for (const char *c = p; c < end; c++)
                        if (iscntrl((unsigned char)*c))
                                return false;
                p = *end ? end + 1 : end;
        }
        return true;
}

void net_list_done(struct net_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->nets[i].name);
                free(l->nets[i].args);
        }
        free(l->nets);
        *l = (struct net_list){ 0 };
}

int net_list_parse(const char *s, struct net_list *ret, struct pod_err *err)
{
        struct net_list l = { .kind = NET_CNI };
        _cleanup_free_ char *copy = xstrdup(s && *s ? s : "default");
        char *save = NULL, *item;
        int r;

        for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                char *colon = strchr(item, ':');
                const char *args = NULL;

                if (colon) {
                        *colon = 0;
                        args = colon + 1;
                }
                if (!strcmp(item, "none") || !strcmp(item, "host") || !strcmp(item, "all")) {
                        if (args || l.n || l.all || l.kind != NET_CNI || strchr(s, ',')) {
                                r = pod_err_set(err, -EINVAL, "--net=%s: \"%s\" cannot be combined with other networks or arguments",
                                                s, item);
                                goto fail;
                        }
                        if (!strcmp(item, "all"))
                                l.all = true;
                        else
                                l.kind = !strcmp(item, "none") ? NET_NONE : NET_HOST;
                        continue;
                }
                if (!net_name_valid(item)) {
                        r = pod_err_set(err, -EINVAL, "--net=%s: \"%s\" is not a network name (letters, digits, '_', '.', '-'; "
                                        "at most %d characters, the first a letter or digit)", s, item, NET_NAME_MAX);
                        goto fail;
                }
                if (args && !args_valid(args)) {
                        r = pod_err_set(err, -EINVAL, "--net=%s: network \"%s\": arguments \"%s\" are not K=V pairs separated by ';'",
                                        s, item, args);
                        goto fail;
                }
                for (size_t i = 0; i < l.n; i++)
                        if (!strcmp(l.nets[i].name, item)) {
                                r = pod_err_set(err, -EINVAL, "--net=%s: network \"%s\" is listed twice", s, item);
                                goto fail;
                        }
                if (l.n == NET_MAX_NETWORKS) {
                        r = pod_err_set(err, -E2BIG, "--net=%s: more than %d networks; a pod joins at most %d", s,
                                        NET_MAX_NETWORKS, NET_MAX_NETWORKS);
                        goto fail;
                }
                l.nets = xrealloc(l.nets, (l.n + 1) * sizeof(*l.nets));
                l.nets[l.n++] = (struct net_req){ .name = xstrdup(item), .args = args ? xstrdup(args) : NULL };
        }
        if (l.kind == NET_CNI && !l.all && l.n == 0) {
                r = pod_err_set(err, -EINVAL, "--net=%s: no network named", s);
                goto fail;
        }
        *ret = l;
        return 0;
fail:
        net_list_done(&l);
        return r;
}
