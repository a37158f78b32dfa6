/*
 * Exec processes of a task (shim/exec.c).  Each function answers the call.
 */
#ifndef POD_SHIM_EXEC_H
#define POD_SHIM_EXEC_H

#include "containerd/task/v2/shim.pb-c.h"
#include "shim/shim.h"

struct shim_exec *shim_exec_find(struct task *t, const char *id);
void shim_exec_add(struct ttrpc_call *call, struct task *t, const Containerd__Task__V2__ExecProcessRequest *q);
void shim_exec_start(struct ttrpc_call *call, struct task *t, struct shim_exec *e);
void shim_exec_state(struct ttrpc_call *call, struct task *t, struct shim_exec *e);
void shim_exec_wait(struct ttrpc_call *call, struct shim_exec *e);
void shim_exec_kill(struct ttrpc_call *call, struct shim_exec *e, unsigned sig);
void shim_exec_delete(struct ttrpc_call *call, struct task *t, struct shim_exec *e);
void shim_exec_resize(struct ttrpc_call *call, struct shim_exec *e, unsigned rows, unsigned cols);
void shim_exec_close_stdin(struct shim_exec *e);
/* The task is going: every exec's session is closed and freed. */
void shim_exec_release_all(struct task *t);

#endif
