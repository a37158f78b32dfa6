/*
 * Command-line flags in Go's `flag` syntax, which rkt's stage0 uses to call
 * stage1 and which podctl follows for familiarity:
 *   -f, --f          a boolean (or --f=true|false)
 *   --f=v, --f v     a value (-f=v and -f v too)
 *   -it              one-letter booleans bundled (-i -t), as getopt allows
 * args_parse stops at the first positional argument or at "--" (consumed);
 * args_parse_interleaved takes flags anywhere before "--" (podctl's verbs:
 * `podctl stop POD --force`), as GNU getopt permutes.
 */
#ifndef POD_COMMON_ARGS_H
#define POD_COMMON_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"

enum opt_type {
        OPT_BOOL,       /* target: bool * */
        OPT_STR,        /* target: const char ** (points into argv) */
        OPT_STRV,       /* target: char *** (repeatable, appended) */
};

struct opt {
        const char *name;       /* without dashes */
        enum opt_type type;
        void *target;
};

/*
 * Parse flags from argv[*index] on; on return *index is the first argument
 * not consumed.  Unknown flags and bad values are errors with a message.
 */
int args_parse(int argc, char **argv, int *index, const struct opt *opts, size_t n_opts,
               struct pod_err *err);

/* What args_parse_interleaved leaves. */
struct args_rest {
        int first;              /* argv index of the first positional */
        int n_pos;              /* positionals before "--": argv[first .. first+n_pos) */
        bool dashdash;          /* "--" was given ... */
        int n_after;            /* ... and these words followed it: argv[first+n_pos ..] */
        const char *unknown;    /* on an unknown flag: the word, its first unknown_len bytes the flag */
        size_t unknown_len;
        const char *suggest;    /* and the closest known flag's name (no dashes), or NULL */
};

/*
 * Parse flags anywhere in argv[start..argc) up to "--", permuting argv so
 * the positionals come first (in order), then the words after "--".
 * Slots past them are set to NULL.  On an unknown flag ret->unknown and
 * ret->suggest say which and what was probably meant.
 */
int args_parse_interleaved(int argc, char **argv, int start, const struct opt *opts, size_t n_opts,
                           struct args_rest *ret, struct pod_err *err);

/* args_parse, and on an unknown flag rest->unknown and rest->suggest as below. */
int args_parse_rest(int argc, char **argv, int *index, const struct opt *opts, size_t n_opts,
                    struct args_rest *rest, struct pod_err *err);

/* The known flag closest to name[0..len) (a typo or a cut-off name), or NULL. */
const char *args_suggest(const char *name, size_t len, const struct opt *opts, size_t n_opts);

#endif
