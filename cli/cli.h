/*
 * What every podctl verb shares (cli/cli.c): the global options, the one
 * flag parser and the verbs' usage texts.  The bottom of podctl: it calls
 * no verb, and every verb may call it.
 */
#ifndef POD_CLI_CLI_H
#define POD_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "common/args.h"
#include "common/util.h"

struct global {
        const char *dir;        /* --dir, default /var/lib/podinit */
        bool debug;
};

extern struct global g;

/*
 * Every verb's flags go through cli_parse(): flags before or after the
 * positionals (up to "--"), -h/--help prints the verb's usage to stdout
 * (returns 1: exit 0), an unknown flag is one line with the likely meant
 * flag (returns -EINVAL: exit 2).  On 0, rest says where the positionals are.
 */
int cli_parse(const char *verb, int argc, char **argv, const struct opt *opts, size_t n_opts,
              struct args_rest *rest);
/* A usage error: "podctl: VERB: MESSAGE", the verb's synopsis and where its help is. */
void cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The verb's usage text ("app start" is app's); nothing for an unknown verb. */
void cli_usage(const char *verb, FILE *f);
/* podctl's own usage: the global flags and every verb with its summary. */
void cli_usage_all(FILE *f);
/* Is verb (or its first word) one of podctl's verbs? */
bool cli_verb_known(const char *verb);

#endif
