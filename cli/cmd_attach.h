/*
 * The attach relay of cmd_attach.c, shared with cmd_exec.c: an exec
 * session's stream is relayed the same way as an app's.
 */
#ifndef POD_CLI_CMD_ATTACH_H
#define POD_CLI_CMD_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "common/client.h"

/*
 * Relay an attach or exec stream until its EXIT (or a detach); the exit code
 * to use.  Does not return when the terminal goes away (SIGHUP, a hung-up tty
 * on stdin or stdout): the process then dies of SIGHUP.
 */
int attach_stream(struct ctl_conn *c, bool tty_mode, bool in_on, const unsigned char *keys, size_t n_keys,
                  const char *app, bool is_exec);

#endif
