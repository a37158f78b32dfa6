/*
 * The verbs' entry points, one cmd_<verb>.c each: podctl.c's dispatch table
 * calls them (and cmd_app.c calls run for `app sandbox` and app add).  Each
 * takes the verb's own argv (argv[0] is the verb) and returns podctl's exit
 * code.
 */
#ifndef POD_CLI_VERBS_H
#define POD_CLI_VERBS_H

int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_reopen_log(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_app(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_exec(int argc, char **argv);
/* cmd_run.c: podctl app add (shares run's image and flag handling). */
int cmd_app_add(int argc, char **argv);

#endif
