/*
 * Command-line flags in Go's `flag` syntax, which rkt's stage0 uses to call
 * stage1 and which podctl follows for familiarity:
 *   -f, --f          a boolean (or --f=true|false)
 *   --f=v, --f v     a value (-f=v and -f v too)
 * Parsing stops at the first positional argument or at "--" (consumed).
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

#endif
