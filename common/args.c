#include "common/args.h"

static const struct opt *find_opt(const struct opt *opts, size_t n, const char *name, size_t len)
{
        for (size_t i = 0; i < n; i++)
                if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
                        return &opts[i];
        return NULL;
}

int args_parse(int argc, char **argv, int *index, const struct opt *opts, size_t n_opts,
               struct pod_err *err)
{
        int i = *index;

        while (i < argc) {
                const char *a = argv[i], *name, *eq, *val = NULL;
                const struct opt *o;
                size_t len;

                if (a[0] != '-' || a[1] == '\0')
                        break;                          /* positional (or "-") */
                if (!strcmp(a, "--")) {
                        i++;
                        break;
                }
                name = a + 1 + (a[1] == '-');
                if (*name == '-' || *name == '=' || !*name)
                        return pod_err_set(err, -EINVAL, "bad flag syntax: %s", a);
                eq = strchr(name, '=');
                len = eq ? (size_t)(eq - name) : strlen(name);
                o = find_opt(opts, n_opts, name, len);
                if (!o)
                        return pod_err_set(err, -EINVAL, "unknown flag: -%.*s%.*s", a[1] == '-' ? 1 : 0, "-",
                                           (int)len, name);
                if (eq)
                        val = eq + 1;
                if (o->type == OPT_BOOL) {
                        bool v = true;
                        if (val) {
                                if (!strcmp(val, "true") || !strcmp(val, "1"))
                                        v = true;
                                else if (!strcmp(val, "false") || !strcmp(val, "0"))
                                        v = false;
                                else
                                        return pod_err_set(err, -EINVAL, "flag --%s: \"%s\" is not true or false",
                                                           o->name, val);
                        }
                        *(bool *)o->target = v;
                        i++;
                        continue;
                }
                if (!val) {
                        if (i + 1 >= argc)
                                return pod_err_set(err, -EINVAL, "flag --%s needs a value (--%s=VALUE)",
                                                   o->name, o->name);
                        val = argv[++i];
                }
                if (o->type == OPT_STR)
                        *(const char **)o->target = val;
                else
                        strv_push((char ***)o->target, val);
                i++;
        }
        *index = i;
        return 0;
}
