#include "common/args.h"

static const struct opt *find_opt(const struct opt *opts, size_t n, const char *name, size_t len)
{
        for (size_t i = 0; i < n; i++)
                if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
                        return &opts[i];
        return NULL;
}

/* Levenshtein distance of a[0..la) and b, capped: enough to rank near misses. */
static size_t edit_distance(const char *a, size_t la, const char *b)
{
        size_t lb = strlen(b), prev[64], cur[64];

        if (la >= ARRAY_SIZE(prev) || lb >= ARRAY_SIZE(prev))
                return SIZE_MAX;
        for (size_t j = 0; j <= lb; j++)
                prev[j] = j;
        for (size_t i = 1; i <= la; i++) {
                cur[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t del = prev[j] + 1, ins = cur[j - 1] + 1, sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
                        cur[j] = del < ins ? (del < sub ? del : sub) : (ins < sub ? ins : sub);
                }
                memcpy(prev, cur, (lb + 1) * sizeof(size_t));
        }
        return prev[lb];
}

const char *args_suggest(const char *name, size_t len, const struct opt *opts, size_t n_opts)
{
        const char *best = NULL;
        size_t best_d = SIZE_MAX;

        for (size_t i = 0; i < n_opts; i++) {
                size_t l = strlen(opts[i].name), d;
                if (l < 2 && len < 2)
                        continue;       /* one letter against another says nothing */
                d = edit_distance(name, len, opts[i].name);
                /* A cut-off long name ("--forc") is as good a guess as a typo. */
                if (len >= 3 && len < l && !strncmp(opts[i].name, name, len))
                        d = 1;
                if (d < best_d) {
                        best_d = d;
                        best = opts[i].name;
                }
        }
        return best_d <= (len <= 4 ? 1u : 2u) ? best : NULL;
}

static int set_bool(const struct opt *o, const char *val, struct pod_err *err)
{
        bool v = true;

        if (val) {
                if (!strcmp(val, "true") || !strcmp(val, "1"))
                        v = true;
                else if (!strcmp(val, "false") || !strcmp(val, "0"))
                        v = false;
                else
                        return pod_err_set(err, -EINVAL, "flag --%s: \"%s\" is not true or false", o->name, val);
        }
        *(bool *)o->target = v;
        return 0;
}

/* "-it": every letter a one-letter boolean flag (as getopt's bundling). */
static bool set_bundle(const char *letters, const struct opt *opts, size_t n_opts)
{
        const struct opt *o;

        if (strlen(letters) < 2)
                return false;
        for (const char *p = letters; *p; p++)
                if (!(o = find_opt(opts, n_opts, p, 1)) || o->type != OPT_BOOL)
                        return false;
        for (const char *p = letters; *p; p++)
                *(bool *)find_opt(opts, n_opts, p, 1)->target = true;
        return true;
}

/* The flag at argv[*i] (a word that starts with '-' and is not "-" or "--"); advances *i. */
static int parse_flag(int argc, char **argv, int *i, const struct opt *opts, size_t n_opts,
                      struct args_rest *rest, struct pod_err *err)
{
        const char *a = argv[*i], *name, *eq, *val = NULL;
        const struct opt *o;
        size_t len;
        int r;

        name = a + 1 + (a[1] == '-');
        if (*name == '-' || *name == '=' || !*name)
                return pod_err_set(err, -EINVAL, "bad flag syntax: %s", a);
        eq = strchr(name, '=');
        len = eq ? (size_t)(eq - name) : strlen(name);
        o = find_opt(opts, n_opts, name, len);
        if (!o && a[1] != '-' && !eq && set_bundle(name, opts, n_opts)) {
                (*i)++;
                return 0;
        }
        if (!o) {
                if (rest) {
                        rest->unknown = a;
                        rest->unknown_len = (size_t)(name - a) + len;
                        rest->suggest = args_suggest(name, len, opts, n_opts);
                }
                return pod_err_set(err, -EINVAL, "unknown flag: -%.*s%.*s", a[1] == '-' ? 1 : 0, "-", (int)len, name);
        }
        if (eq)
                val = eq + 1;
        if (o->type == OPT_BOOL) {
                if ((r = set_bool(o, val, err)) < 0)
                        return r;
                (*i)++;
                return 0;
        }
        if (!val) {
                if (*i + 1 >= argc)
                        return pod_err_set(err, -EINVAL, "flag --%s needs a value (--%s=VALUE)", o->name, o->name);
                val = argv[++*i];
        }
        if (o->type == OPT_STR)
                *(const char **)o->target = val;
        else
                strv_push((char ***)o->target, val);
        (*i)++;
        return 0;
}

int args_parse(int argc, char **argv, int *index, const struct opt *opts, size_t n_opts,
               struct pod_err *err)
{
        return args_parse_rest(argc, argv, index, opts, n_opts, NULL, err);
}

int args_parse_rest(int argc, char **argv, int *index, const struct opt *opts, size_t n_opts,
                    struct args_rest *rest, struct pod_err *err)
{
        int i = *index, r;

        while (i < argc) {
                const char *a = argv[i];

                if (a[0] != '-' || a[1] == '\0')
                        break;                          /* positional (or "-") */
                if (!strcmp(a, "--")) {
                        i++;
                        break;
                }
                if ((r = parse_flag(argc, argv, &i, opts, n_opts, rest, err)) < 0)
                        return r;
        }
        *index = i;
        return 0;
}

int args_parse_interleaved(int argc, char **argv, int start, const struct opt *opts, size_t n_opts,
                           struct args_rest *ret, struct pod_err *err)
{
        _cleanup_free_ char **pos = xcalloc((size_t)(argc > 0 ? argc : 1), sizeof(char *));
        struct args_rest rest = { .first = start };
        size_t np = 0;
        int i = start, r;

        while (i < argc) {
                const char *a = argv[i];

                if (!strcmp(a, "--")) {
                        rest.dashdash = true;
                        i++;
                        break;
                }
                if (a[0] != '-' || a[1] == '\0') {
                        pos[np++] = argv[i++];
                        continue;
                }
                if ((r = parse_flag(argc, argv, &i, opts, n_opts, &rest, err)) < 0) {
                        *ret = rest;
                        return r;
                }
        }
        /* Positionals first, then what followed "--"; flags (and "--") drop out. */
        memmove(argv + start + np, argv + i, (size_t)(argc - i) * sizeof(char *));
        memcpy(argv + start, pos, np * sizeof(char *));
        for (int k = start + (int)np + (argc - i); k < argc; k++)
                argv[k] = NULL;
        rest.n_pos = (int)np;
        rest.n_after = argc - i;
        *ret = rest;
        return 0;
}
