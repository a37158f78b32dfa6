/*
 * The device policy on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program,
 * written by hand (no libbpf), that allows exactly a list of device rules
 * and denies everything else, attached to an app's cgroup.  The v1
 * devices controller takes the same rules as text (common/cgroup.c).
 */
#ifndef POD_COMMON_DEVFILTER_H
#define POD_COMMON_DEVFILTER_H

#include <linux/bpf.h>
#include <stddef.h>

#include "common/cgroup.h"

/* The program for these rules; *ret is malloc'ed. */
int devfilter_build(const struct cg_device *devs, size_t n, struct bpf_insn **ret, size_t *ret_len);
/* Load the program and attach it to the cgroup directory fd (any fd of the directory). */
int devfilter_attach(int cgroup_fd, const struct cg_device *devs, size_t n, struct pod_err *err);

#endif
