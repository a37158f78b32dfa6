/* Unit tests for common/args.c: Go `flag` syntax. */
#include "test.h"
#include "common/args.h"

struct flags {
        bool debug, quiet;
        const char *net, *name;
        char **volume;
};

static void opts_for(struct flags *f, struct opt o[5])
{
        memset(f, 0, sizeof(*f));
        o[0] = (struct opt){ "debug", OPT_BOOL, &f->debug };
        o[1] = (struct opt){ "quiet", OPT_BOOL, &f->quiet };
        o[2] = (struct opt){ "net", OPT_STR, &f->net };
        o[3] = (struct opt){ "name", OPT_STR, &f->name };
        o[4] = (struct opt){ "volume", OPT_STRV, &f->volume };
}

/* Parse a NULL-terminated list of words starting at index 0. */
#define PARSE(f, idx, err, ...)                                                     \
        ({                                                                          \
                char *_argv[] = { __VA_ARGS__, NULL };                              \
                struct opt _o[5];                                                   \
                opts_for((f), _o);                                                  \
                *(idx) = 0;                                                         \
                args_parse((int)ARRAY_SIZE(_argv) - 1, _argv, (idx), _o, 5, (err)); \
        })

TEST(args_value_forms)
{
        /* Every accepted spelling of a value flag. */
        static const char *const forms[][2] = {
                { "--net=host", NULL }, { "-net=host", NULL },
                { "--net", "host" }, { "-net", "host" },
        };
        struct flags f;
        struct pod_err err = { 0 };
        int idx;

        for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
                char a0[32], a1[32];
                char *argv[] = { a0, a1, "pos", NULL };
                struct opt o[5];
                int argc;

                snprintf(a0, sizeof(a0), "%s", forms[i][0]);
                if (forms[i][1]) {
                        snprintf(a1, sizeof(a1), "%s", forms[i][1]);
                        argc = 3;
                } else {
                        argv[1] = "pos";
                        argv[2] = NULL;
                        argc = 2;
                }
                opts_for(&f, o);
                idx = 0;
                ASSERT_EQ(0, args_parse(argc, argv, &idx, o, 5, &err));
                ASSERT_STREQ("host", f.net);
                ASSERT_EQ(argc - 1, idx);
                ASSERT_STREQ("pos", argv[idx]);
        }
        /* The value may be empty, contain '=' or look like a flag. */
        ASSERT_EQ(0, PARSE(&f, &idx, &err, "--name=", "--net=a=b"));
        ASSERT_STREQ("", f.name);
        ASSERT_STREQ("a=b", f.net);
        ASSERT_EQ(2, idx);
        ASSERT_EQ(0, PARSE(&f, &idx, &err, "--net", "--debug"));
        ASSERT_STREQ("--debug", f.net);
        ASSERT(!f.debug);
        ASSERT_EQ(2, idx);
}

TEST(args_bool_forms)
{
        struct flags f;
        struct pod_err err = { 0 };
        int idx;

        ASSERT_EQ(0, PARSE(&f, &idx, &err, "-debug"));
        ASSERT(f.debug && !f.quiet);
        ASSERT_EQ(0, PARSE(&f, &idx, &err, "--debug", "--quiet"));
        ASSERT(f.debug && f.quiet);
        ASSERT_EQ(0, PARSE(&f, &idx, &err, "--debug=true", "-quiet=1"));
        ASSERT(f.debug && f.quiet);
        ASSERT_EQ(0, PARSE(&f, &idx, &err, "--debug", "--debug=false", "--quiet=0"));
        ASSERT(!f.debug && !f.quiet);
        ASSERT_EQ(3, idx);
        /* A bool never takes the next word: "false" is the first positional. */
        ASSERT_EQ(0, PARSE(&f, &idx, &err, "--debug", "false"));
        ASSERT(f.debug);
        ASSERT_EQ(1, idx);
}

TEST(args_bool_bad_value)
{
        struct flags f;
        struct pod_err err = { 0 };
        int idx;

        ASSERT_EQ(-EINVAL, PARSE(&f, &idx, &err, "--debug=maybe"));
        ASSERT_CONTAINS(err.msg, "--debug");
        ASSERT_CONTAINS(err.msg, "\"maybe\" is not true or false");
        ASSERT_EQ(-EINVAL, err.code);
        ASSERT_EQ(-EINVAL, PARSE(&f, &idx, &err, "--quiet="));
        ASSERT_CONTAINS(err.msg, "is not true or false");
}

TEST(args_stops_at_positional_and_dashdash)
{
        struct flags f;
        struct pod_err err = { 0 };
        int idx;
        char *argv[] = { "podctl", "--debug", "--", "--quiet", NULL };
        struct opt o[5];

        ASSERT_EQ(0, PARSE(&f, &idx, &err, "--debug", "run", "--quiet"));
        ASSERT(f.debug && !f.quiet);
        ASSERT_EQ(1, idx);

        /* "--" is consumed; what follows is left alone. */
        ASSERT_EQ(0, PARSE(&f, &idx, &err, "--debug", "--", "--quiet"));
        ASSERT(f.debug && !f.quiet);
        ASSERT_EQ(2, idx);

        /* A lone "-" is a positional (stdin, by convention). */
        ASSERT_EQ(0, PARSE(&f, &idx, &err, "-", "--debug"));
        ASSERT(!f.debug);
        ASSERT_EQ(0, idx);

        /* Parsing can start in the middle of argv, as after a subcommand. */
        opts_for(&f, o);
        idx = 1;
        ASSERT_EQ(0, args_parse(4, argv, &idx, o, 5, &err));
        ASSERT(f.debug && !f.quiet);
        ASSERT_EQ(3, idx);

        /* Nothing to parse. */
        idx = 4;
        ASSERT_EQ(0, args_parse(4, argv, &idx, o, 5, &err));
        ASSERT_EQ(4, idx);
}

TEST(args_strv_repeated)
{
        struct flags f;
        struct pod_err err = { 0 };
        int idx;

        ASSERT_EQ(0, PARSE(&f, &idx, &err, "--volume=a", "-volume", "b", "--net=x", "--volume", "c=d", "rest"));
        ASSERT_EQ(3, strv_length(f.volume));
        ASSERT_STREQ("a", f.volume[0]);
        ASSERT_STREQ("b", f.volume[1]);
        ASSERT_STREQ("c=d", f.volume[2]);
        ASSERT_STREQ("x", f.net);
        ASSERT_EQ(6, idx);
        strv_free(f.volume);

        /* The last OPT_STR wins. */
        ASSERT_EQ(0, PARSE(&f, &idx, &err, "--net=one", "--net=two"));
        ASSERT_STREQ("two", f.net);
}

TEST(args_unknown_flag)
{
        struct flags f;
        struct pod_err err = { 0 };
        int idx;

        ASSERT_EQ(-EINVAL, PARSE(&f, &idx, &err, "--debug", "--bogus=1"));
        ASSERT_STREQ("unknown flag: --bogus", err.msg);
        ASSERT_EQ(-EINVAL, PARSE(&f, &idx, &err, "-nope"));
        ASSERT_STREQ("unknown flag: -nope", err.msg);
        /* A prefix of a known flag is not that flag. */
        ASSERT_EQ(-EINVAL, PARSE(&f, &idx, &err, "--deb"));
        ASSERT_STREQ("unknown flag: --deb", err.msg);
        ASSERT_EQ(-EINVAL, PARSE(&f, &idx, &err, "--debugx"));
        ASSERT_STREQ("unknown flag: --debugx", err.msg);
}

TEST(args_missing_value)
{
        struct flags f;
        struct pod_err err = { 0 };
        int idx;

        ASSERT_EQ(-EINVAL, PARSE(&f, &idx, &err, "--debug", "--net"));
        ASSERT_CONTAINS(err.msg, "--net");
        ASSERT_CONTAINS(err.msg, "needs a value");
        ASSERT(f.net == NULL);
        ASSERT_EQ(-EINVAL, PARSE(&f, &idx, &err, "-volume"));
        ASSERT_CONTAINS(err.msg, "needs a value");
        ASSERT(f.volume == NULL);
}

TEST(args_bad_flag_syntax)
{
        static const char *const bad[] = { "---", "---debug", "--=x", "-=x" };
        struct pod_err err;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                char w[16];
                char *argv[] = { w, NULL };
                struct flags f;
                struct opt o[5];
                int idx = 0;

                snprintf(w, sizeof(w), "%s", bad[i]);
                memset(&err, 0, sizeof(err));
                opts_for(&f, o);
                ASSERT_EQ(-EINVAL, args_parse(1, argv, &idx, o, 5, &err));
                ASSERT_CONTAINS(err.msg, "bad flag syntax");
                ASSERT_CONTAINS(err.msg, bad[i]);
        }
}

/* podctl's verbs: flags before or after the positionals, up to "--". */
TEST(args_interleaved)
{
        struct flags f;
        struct opt o[5];
        struct args_rest rest;
        struct pod_err err = { 0 };
        char *argv[] = { "stop", "POD", "--debug", "--net", "x", "two", "--", "--quiet", "cmd", NULL };

        opts_for(&f, o);
        ASSERT_EQ(0, args_parse_interleaved(9, argv, 1, o, 5, &rest, &err));
        ASSERT(f.debug);
        ASSERT(!f.quiet);               /* after "--": not a flag */
        ASSERT_STREQ("x", f.net);
        ASSERT_EQ(1, rest.first);
        ASSERT_EQ(2, rest.n_pos);
        ASSERT(rest.dashdash);
        ASSERT_EQ(2, rest.n_after);
        ASSERT_STREQ("POD", argv[1]);
        ASSERT_STREQ("two", argv[2]);
        ASSERT_STREQ("--quiet", argv[3]);
        ASSERT_STREQ("cmd", argv[4]);
        ASSERT(argv[5] == NULL);

        /* No "--", no positionals. */
        char *argv2[] = { "list", "--quiet", NULL };
        opts_for(&f, o);
        ASSERT_EQ(0, args_parse_interleaved(2, argv2, 1, o, 5, &rest, &err));
        ASSERT(f.quiet);
        ASSERT_EQ(0, rest.n_pos);
        ASSERT(!rest.dashdash);
        ASSERT_EQ(0, rest.n_after);
}

/* -dq is -d -q when both are one-letter booleans (exec -it). */
TEST(args_bundled_short_flags)
{
        bool i = false, t = false;
        const char *app = NULL, *x = NULL;
        struct opt o[] = { { "i", OPT_BOOL, &i }, { "t", OPT_BOOL, &t }, { "app", OPT_STR, &app }, { "x", OPT_STR, &x } };
        struct args_rest rest;
        struct pod_err err = { 0 };
        char *argv[] = { "exec", "-it", "POD", NULL };
        char *argv2[] = { "exec", "-ti", NULL };
        char *argv3[] = { "exec", "-ix", NULL };       /* x takes a value: not a bundle */
        char *argv4[] = { "exec", "--it", NULL };      /* two dashes: a long name */

        ASSERT_EQ(0, args_parse_interleaved(3, argv, 1, o, 3, &rest, &err));
        ASSERT(i && t);
        ASSERT_EQ(1, rest.n_pos);
        i = t = false;
        ASSERT_EQ(0, args_parse_interleaved(2, argv2, 1, o, 3, &rest, &err));
        ASSERT(i && t);
        ASSERT_EQ(-EINVAL, args_parse_interleaved(2, argv3, 1, o, 4, &rest, &err));
        ASSERT_EQ(-EINVAL, args_parse_interleaved(2, argv4, 1, o, 3, &rest, &err));
        ASSERT_STREQ("unknown flag: --it", err.msg);
}

/* An unknown flag names itself and the flag probably meant. */
TEST(args_unknown_flag_suggestion)
{
        bool force = false, no_wait = false;
        const char *app = NULL;
        struct opt o[] = { { "force", OPT_BOOL, &force }, { "no-wait", OPT_BOOL, &no_wait }, { "app", OPT_STR, &app } };
        struct args_rest rest;
        struct pod_err err = { 0 };
        char *argv[] = { "stop", "POD", "--forse", NULL };
        char *argv2[] = { "stop", "--bogus=1", NULL };

        ASSERT_EQ(-EINVAL, args_parse_interleaved(3, argv, 1, o, 3, &rest, &err));
        ASSERT_EQ(7, (int)rest.unknown_len);
        ASSERT(!strncmp(rest.unknown, "--forse", rest.unknown_len));
        ASSERT_STREQ("force", rest.suggest);
        ASSERT_EQ(-EINVAL, args_parse_interleaved(2, argv2, 1, o, 3, &rest, &err));
        ASSERT_EQ(7, (int)rest.unknown_len);
        ASSERT(rest.suggest == NULL);
        ASSERT_STREQ("no-wait", args_suggest("nowait", 6, o, 3));
        ASSERT_STREQ("force", args_suggest("forc", 4, o, 3));
        ASSERT(args_suggest("zzz", 3, o, 3) == NULL);
}
