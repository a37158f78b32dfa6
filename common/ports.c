#include "common/ports.h"
#include "common/fdutil.h"
#include "common/manifest.h"
#include "common/podstate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>

static bool valid_ip(const char *s)
{
        unsigned char b[16];
        return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static int port_number(const json_t *j, unsigned *ret)
{
        json_int_t v = json_integer_value(j);
        if (!json_is_integer(j) || v < 1 || v > 65535)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

/* The app object of apps[i]: its pod manifest "app", else its image manifest's. */
static json_t *app_of(int podfd, const json_t *entry, json_t **owned)
{
        const char *name = json_string_value(json_object_get(entry, "name"));
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t len;

        *owned = NULL;
        if (json_is_object(json_object_get(entry, "app")))
                return json_object_get(entry, "app");
        if (!name || strchr(name, '/'))
                return NULL;
        path = xasprintf("%s%s/%s/manifest", POD_S1, S1_STAGE2, name);
        if (read_file_at(podfd, path, POD_MANIFEST_MAX_BYTES, &data, &len) < 0)
                return NULL;
        *owned = json_loadb(data, len, 0, NULL);
        return json_object_get(*owned, "app");
}

/* The port named name among the apps: 0, -ENOENT (none) or -ENOTUNIQ (two numbers). */
static int find_declared(int podfd, const json_t *pod, const char *name, struct pod_port *p, char ***declared)
{
        const json_t *apps = json_object_get(pod, "apps"), *entry;
        bool found = false;
        size_t i;

        json_array_foreach(apps, i, entry) {
                json_t *owned, *app = app_of(podfd, entry, &owned), *port;
                size_t k;

                json_array_foreach(json_object_get(app, "ports"), k, port) {
                        const char *pn = json_string_value(json_object_get(port, "name"));
                        const char *proto = json_string_value(json_object_get(port, "protocol"));
                        unsigned num;

                        if (!pn || port_number(json_object_get(port, "port"), &num) < 0)
                                continue;
                        if (!strv_contains(*declared, pn))
                                strv_push(declared, pn);
                        if (strcmp(pn, name))
                                continue;
                        if (found && num != p->pod_port) {
                                json_decref(owned);
                                return -ENOTUNIQ;
                        }
                        found = true;
                        p->pod_port = num;
                        snprintf(p->proto, sizeof(p->proto), "%s",
                                 proto && (!strcmp(proto, "udp") || !strcmp(proto, "sctp")) ? proto : "tcp");
                }
                json_decref(owned);
        }
        return found ? 0 : -ENOENT;
}

int pod_ports_resolve(int podfd, const json_t *pod, struct pod_port **ret, size_t *ret_n, struct pod_err *err)
{
        const json_t *ports = json_object_get(pod, "ports"), *e;
        _cleanup_free_ struct pod_port *v = NULL;
        size_t i, n = 0;
        int r;

        if (ports && !json_is_array(ports) && !json_is_null(ports))
                return pod_err_set(err, -EINVAL, "pod manifest: \"ports\" is %s, expected an array", json_type_name(ports));
        if (json_array_size(ports) > POD_MAX_PORTS)
                return pod_err_set(err, -E2BIG, "pod manifest: %zu ports; at most %d are forwarded", json_array_size(ports),
                                   POD_MAX_PORTS);
        v = xcalloc(json_array_size(ports) + 1, sizeof(*v));
        json_array_foreach(ports, i, e) {
                struct pod_port *p = &v[n];
                const char *name = json_string_value(json_object_get(e, "name"));
                const json_t *ip = json_object_get(e, "hostIP"), *pp = json_object_get(e, "podPort");

                if (!json_is_object(e) || !name || !*name || strlen(name) >= sizeof(p->name))
                        return pod_err_set(err, -EINVAL, "pod manifest: ports[%zu] needs a \"name\"", i);
                snprintf(p->name, sizeof(p->name), "%s", name);
                if (port_number(json_object_get(e, "hostPort"), &p->host_port) < 0)
                        return pod_err_set(err, -EINVAL, "port \"%s\": \"hostPort\" must be a number from 1 to 65535", name);
                if (ip && !json_is_null(ip)) {
                        const char *s = json_string_value(ip);
                        if (!s || (*s && !valid_ip(s)))
                                return pod_err_set(err, -EINVAL, "port \"%s\": \"hostIP\" is not an IP address", name);
                        /* 0.0.0.0 is every address: the portmap plugin's "" */
                        if (strcmp(s, "0.0.0.0") && strcmp(s, "::"))
                                snprintf(p->host_ip, sizeof(p->host_ip), "%s", s);
                }
                if (pp && !json_is_null(pp)) {
                        const char *proto = json_string_value(json_object_get(pp, "protocol"));
                        if (port_number(json_object_get(pp, "port"), &p->pod_port) < 0)
                                return pod_err_set(err, -EINVAL, "port \"%s\": \"podPort\" needs a \"port\" from 1 to 65535", name);
                        if (proto && strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
                                return pod_err_set(err, -EINVAL, "port \"%s\": protocol \"%s\": expected tcp, udp or sctp", name, proto);
                        snprintf(p->proto, sizeof(p->proto), "%s", proto ? proto : "tcp");
                } else {
                        _cleanup_strv_ char **declared = NULL;
                        _cleanup_free_ char *list = NULL;

                        r = find_declared(podfd, pod, name, p, &declared);
                        if (r == -ENOTUNIQ)
                                return pod_err_set(err, -EINVAL, "port \"%s\": apps declare ports of that name with different numbers; "
                                                   "forward by number (--port=HOSTPORT:PODPORT)", name);
                        if (r < 0) {
                                for (size_t k = 0; declared && declared[k]; k++) {
                                        char *t = xasprintf("%s%s%s", list ? list : "", list ? ", " : "", declared[k]);
                                        free(list);
                                        list = t;
                                }
                                return pod_err_set(err, -ENOENT, "port \"%s\": no app of the pod declares a port of that name (%s%s); "
                                                   "forward by number (--port=HOSTPORT:PODPORT)", name,
                                                   list ? "declared: " : "none declared", list ? list : "");
                        }
                }
                for (size_t k = 0; k < n; k++)
                        if (v[k].host_port == p->host_port && !strcmp(v[k].proto, p->proto) &&
                            !strcmp(v[k].host_ip, p->host_ip))
                                return pod_err_set(err, -EINVAL, "ports \"%s\" and \"%s\" both forward host port %u/%s",
                                                   v[k].name, name, p->host_port, p->proto);
                n++;
        }
        *ret = n ? TAKE_PTR(v) : NULL;
        *ret_n = n;
        return 0;
}

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char)*s))
                        return false;
        return true;
}

/* Split s at ':' outside brackets into at most 3 tokens; brackets are removed. */
static int split_port(char *s, char **tok)
{
        int n = 0;
        char *p = s;

        while (n < 3) {
                char *end;
                if (*p == '[') {
                        char *close = strchr(p, ']');
                        if (!close || (close[1] && close[1] != ':'))
                                return -EINVAL;
                        *close = 0;
                        tok[n++] = p + 1;
                        if (!close[1])
                                return n;
                        p = close + 2;
                        continue;
                }
                tok[n++] = p;
                end = strchr(p, ':');
                if (!end)
                        return n;
                *end = 0;
                p = end + 1;
        }
        return -EINVAL;
}

static int number(const char *s, long *ret)
{
        return all_digits(s) ? parse_long(s, 1, 65535, ret) : -EINVAL;
}

int port_flag_parse(const char *s, json_t **ret, struct pod_err *err)
{
        _cleanup_free_ char *copy = xstrdup(s);
        char *tok[3], *slash = strrchr(copy, '/');
        const char *proto = "tcp", *ip = NULL;
        long host, pod;
        int n;

        if (slash && !strchr(slash, ':') && !strchr(slash, ']')) {
                *slash = 0;
                proto = slash + 1;
                if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
                        return pod_err_set(err, -EINVAL, "--port=%s: protocol \"%s\": expected tcp, udp or sctp", s, proto);
        }
        n = split_port(copy, tok);
        if (n < 2)
                goto bad;
        if ((n == 2 && all_digits(tok[0])) || (n == 3 && valid_ip(tok[0]))) {
                /* [HOSTIP:]HOSTPORT:PODPORT */
                if (n == 3)
                        ip = tok[0];
                if (number(tok[n - 2], &host) < 0 || number(tok[n - 1], &pod) < 0)
                        goto bad;
                _cleanup_free_ char *name = xasprintf("%s-%ld", proto, host);
                *ret = json_pack("{s:s,s:i,s:s,s:{s:s,s:s,s:i}}", "name", name, "hostPort", (json_int_t)host, "hostIP",
                                 ip ? ip : "0.0.0.0", "podPort", "name", name, "protocol", proto, "port", (json_int_t)pod);
                return 0;
        }
        /* NAME:[HOSTIP:]HOSTPORT */
        if (slash)
                return pod_err_set(err, -EINVAL, "--port=%s: a named port has its protocol from the app; drop /%s", s, proto);
        if (n == 3 && !valid_ip(tok[1]))
                return pod_err_set(err, -EINVAL, "--port=%s: \"%s\" is not an IP address", s, tok[1]);
        if (!*tok[0] || strlen(tok[0]) >= sizeof(((struct pod_port *)0)->name) || number(tok[n - 1], &host) < 0)
                goto bad;
        for (const char *c = tok[0]; *c; c++)
                if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-')
                        goto bad;
        *ret = json_pack("{s:s,s:i,s:s}", "name", tok[0], "hostPort", (json_int_t)host, "hostIP", n == 3 ? tok[1] : "0.0.0.0");
        return 0;
bad:
        return pod_err_set(err, -EINVAL, "--port=%s: expected [HOSTIP:]HOSTPORT:PODPORT[/tcp|/udp|/sctp] or NAME:[HOSTIP:]HOSTPORT, "
                           "ports from 1 to 65535 (NAME: an app's declared port)", s);
}
