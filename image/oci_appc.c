/*
 * An OCI image config as an appc ImageManifest (image/oci.h), so that an OCI
 * or docker image runs through the one pod model (DESIGN rule 7): a pod app
 * takes the manifest's "app" section as it takes an ACI's, and its
 * annotations as far as podinit defines them (the stop signal).
 *
 * The config is checked again on the way, though oci_config_parse has
 * checked it: what comes out must parse as an image manifest whatever the
 * struct came from, and a message here names the image and the field.
 */
#include "image/oci.h"
#include "common/manifest.h"
#include "common/names.h"
#include "common/policy.h"
#include "common/volumes.h"

#include <ctype.h>
#include <signal.h>
#include <string.h>

typedef struct pod_err E;

#define _cleanup_json_ _cleanup_(json_decrefp)

/* jansson refuses strings that are not UTF-8 (those of a parsed config always are). */
static int append_str(json_t *arr, const char *s)
{
        json_t *j = json_string(s);

        return j && json_array_append_new(arr, j) == 0 ? 0 : -EINVAL;
}

/* Entrypoint then Cmd (docker's rule); NULL when both are empty. */
static int map_exec(const struct oci_config *c, const char *name, json_t **ret, E *err)
{
        size_t n = strv_length(c->entrypoint) + strv_length(c->cmd);
        _cleanup_json_ json_t *exec = NULL;

        *ret = NULL;
        if (n == 0)
                return 0;
        if (n > POD_MAX_ARGS)
                return pod_err_set(err, -E2BIG, "image %s: config.Entrypoint and config.Cmd: %zu arguments, at most %u allowed",
                                   name, n, POD_MAX_ARGS);
        exec = json_array();
        for (char **v = c->entrypoint; v && *v; v++)
                if (append_str(exec, *v) < 0)
                        return pod_err_set(err, -EINVAL, "image %s: config.Entrypoint: an argument is not UTF-8", name);
        for (char **v = c->cmd; v && *v; v++)
                if (append_str(exec, *v) < 0)
                        return pod_err_set(err, -EINVAL, "image %s: config.Cmd: an argument is not UTF-8", name);
        if (!*json_string_value(json_array_get(exec, 0)))
                return pod_err_set(err, -EINVAL, "image %s: config.%s[0]: the program to run is an empty string", name,
                                   c->entrypoint ? "Entrypoint" : "Cmd");
        *ret = TAKE_PTR(exec);
        return 0;
}

/* A later NAME replaces an earlier one, as it would in a shell (appc wants each name once). */
static int map_env(const struct oci_config *c, const char *name, json_t *app, E *err)
{
        _cleanup_json_ json_t *env = json_array();

        if (strv_length(c->env) > POD_MAX_ENV)
                return pod_err_set(err, -E2BIG, "image %s: config.Env: %zu entries, at most %u allowed", name,
                                   strv_length(c->env), POD_MAX_ENV);
        for (size_t i = 0; c->env && c->env[i]; i++) {
                const char *eq = strchr(c->env[i], '=');
                _cleanup_free_ char *var = eq ? xasprintf("%.*s", (int)(eq - c->env[i]), c->env[i]) : NULL;
                json_t *value, *it = NULL;
                size_t k;

                if (!var || !env_name_valid(var) || !(value = json_string(eq + 1)))
                        return pod_err_set(err, -EINVAL, "image %s: config.Env[%zu]: \"%.64s\" is not NAME=VALUE with a valid variable name",
                                           name, i, c->env[i]);
                json_array_foreach(env, k, it)
                        if (!strcmp(json_string_value(json_object_get(it, "name")), var))
                                break;
                if (k < json_array_size(env))
                        json_object_set_new(it, "value", value);
                else
                        json_array_append_new(env, json_pack("{s:s, s:o}", "name", var, "value", value));
        }
        if (json_array_size(env))
                json_object_set(app, "environment", env);
        return 0;
}

static bool has_name(json_t *list, const char *name)
{
        json_t *it;
        size_t i;

        json_array_foreach(list, i, it)
                if (!strcmp(json_string_value(json_object_get(it, "name")), name))
                        return true;
        return false;
}

/* "80/tcp" is the port named "80-tcp"; "8080" and "8080/tcp" are one port. */
static int map_ports(const struct oci_config *c, const char *name, json_t *app, E *err)
{
        _cleanup_json_ json_t *ports = json_array();

        for (size_t i = 0; c->exposed_ports && c->exposed_ports[i]; i++) {
                _cleanup_free_ char *pname = NULL;
                const char *proto;
                unsigned port;

                if (oci_port_parse(c->exposed_ports[i], &port, &proto) < 0)
                        return pod_err_set(err, -EINVAL, "image %s: config.ExposedPorts: \"%.64s\" is not a port (1 to 65535, optionally /tcp, /udp or /sctp)",
                                           name, c->exposed_ports[i]);
                pname = xasprintf("%u-%s", port, proto);
                if (has_name(ports, pname))
                        continue;
                json_array_append_new(ports, json_pack("{s:s, s:s, s:i, s:i, s:b}", "name", pname, "protocol", proto,
                                                       "port", (int)port, "count", 1, "socketActivated", 0));
        }
        if (json_array_size(ports))
                json_object_set(app, "ports", ports);
        return 0;
}

/*
 * "/var/lib/data" is the mount point "volume-var-lib-data": lower-case
 * letters and digits, every other run of characters one dash.  Paths that
 * come out the same ("/data", "/Data") get "-2", "-3", ... in order.
 */
static char *volume_name(const char *path, json_t *taken)
{
        char base[256] = "volume";
        size_t n = strlen(base);
        bool dash = true;

        for (const char *p = path; *p && n < 240; p++) {
                char ch = (char)tolower((unsigned char)*p);
                if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
                        if (dash)
                                base[n++] = '-';
                        base[n++] = ch;
                        dash = false;
                } else
                        dash = true;
        }
        base[n] = '\0';
        for (unsigned k = 2;; k++) {
                char *name = k == 2 && !has_name(taken, base) ? xstrdup(base) : xasprintf("%s-%u", base, k);
                if (!has_name(taken, name))
                        return name;
                free(name);
        }
}

static int map_volumes(const struct oci_config *c, const char *name, json_t *app, E *err)
{
        _cleanup_json_ json_t *mps = json_array();

        if (strv_length(c->volumes) > POD_MAX_VOLUMES)
                return pod_err_set(err, -E2BIG, "image %s: config.Volumes: %zu entries, at most %u allowed", name,
                                   strv_length(c->volumes), POD_MAX_VOLUMES);
        for (size_t i = 0; c->volumes && c->volumes[i]; i++) {
                _cleanup_free_ char *mname = NULL;
                json_t *mp;

                if (c->volumes[i][0] != '/')
                        return pod_err_set(err, -EINVAL, "image %s: config.Volumes: \"%.64s\" is not an absolute path", name,
                                           c->volumes[i]);
                mname = volume_name(c->volumes[i], mps);
                if (!acname_valid(mname))       /* by construction; checked because the pod parser will */
                        return pod_err_set(err, -EINVAL, "image %s: config.Volumes: \"%.64s\" gives no valid mount point name",
                                           name, c->volumes[i]);
                if (!(mp = json_pack("{s:s, s:s, s:b}", "name", mname, "path", c->volumes[i], "readOnly", 0)))
                        return pod_err_set(err, -EINVAL, "image %s: config.Volumes: a path is not UTF-8", name);
                json_array_append_new(mps, mp);
        }
        if (json_array_size(mps))
                json_object_set(app, "mountPoints", mps);
        return 0;
}

/* The signal by its name ("SIGQUIT"), which podinit.io/stop-signal reads; real-time ones by number. */
static int map_stop_signal(const struct oci_config *c, const char *name, json_t *im, E *err)
{
        const char *abbrev;
        char value[32];
        int sig, r;

        if (!c->stop_signal)
                return 0;
        r = oci_stop_signal_parse(c->stop_signal, &sig);
        if (r == -EPERM)
                return pod_err_set(err, -EINVAL, "image %s: config.StopSignal: \"%s\" cannot be a stop signal (SIGKILL gives the app no chance to stop; SIGSTOP only pauses it)",
                                   name, c->stop_signal);
        if (r < 0)
                return pod_err_set(err, -EINVAL, "image %s: config.StopSignal: \"%.64s\" is not a signal", name, c->stop_signal);
        abbrev = sigabbrev_np(sig);
        if (abbrev)
                snprintf(value, sizeof(value), "SIG%s", abbrev);
        else
                snprintf(value, sizeof(value), "%d", sig);
        json_object_set_new(im, "annotations", json_pack("[{s:s, s:s}]", "name", ANN_STOP_SIGNAL, "value", value));
        return 0;
}

int oci_config_to_appc(const struct oci_config *c, const char *name, uid_t uid, gid_t gid, json_t **ret, E *err)
{
        _cleanup_json_ json_t *app = json_object(), *im = NULL;
        json_t *exec;
        char id[16];
        int r;

        if (!name || !*name)
                return pod_err_set(err, -EINVAL, "image name: required");
        if ((r = map_exec(c, name, &exec, err)) < 0)
                return r;
        if (exec)
                json_object_set_new(app, "exec", exec);
        snprintf(id, sizeof(id), "%u", (unsigned)uid);
        json_object_set_new(app, "user", json_string(id));
        snprintf(id, sizeof(id), "%u", (unsigned)gid);
        json_object_set_new(app, "group", json_string(id));
        if (c->working_dir && *c->working_dir) {
                json_t *wd = c->working_dir[0] == '/' ? json_string(c->working_dir) : NULL;
                if (!wd)
                        return pod_err_set(err, -EINVAL, "image %s: config.WorkingDir: \"%.64s\" is not an absolute path", name,
                                           c->working_dir);
                json_object_set_new(app, "workingDirectory", wd);
        }
        if ((r = map_env(c, name, app, err)) < 0 || (r = map_ports(c, name, app, err)) < 0 ||
            (r = map_volumes(c, name, app, err)) < 0)
                return r;
        im = json_pack("{s:s, s:s, s:s, s:O}", "acKind", "ImageManifest", "acVersion", "0.8.11", "name", name, "app", app);
        if (!im)
                return pod_err_set(err, -EINVAL, "image name: \"%.64s\" is not UTF-8", name);
        if ((r = map_stop_signal(c, name, im, err)) < 0)
                return r;
        /* How many exec words are the Entrypoint: `podctl run IMAGE -- ARGS` replaces Cmd's, as docker does. */
        if (c->entrypoint && c->entrypoint[0]) {
                json_t *ann = json_object_get(im, "annotations");
                snprintf(id, sizeof(id), "%zu", strv_length(c->entrypoint));
                if (!ann)
                        json_object_set_new(im, "annotations", ann = json_array());
                json_array_append_new(ann, json_pack("{s:s, s:s}", "name", ANN_ENTRYPOINT_WORDS, "value", id));
        }
        *ret = TAKE_PTR(im);
        return 0;
}
