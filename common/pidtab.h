/*
 * pid -> owner table for the one reaper (DESIGN rule 1).  PID 1 inserts a
 * child's pid right after fork, before control returns to the loop, so that
 * the SIGCHLD handler can always tell an app from an orphan.
 * Open addressing with linear probing and backward-shift deletion.
 */
#ifndef POD_COMMON_PIDTAB_H
#define POD_COMMON_PIDTAB_H

#include <stddef.h>
#include <sys/types.h>

struct pidtab {
        struct pidtab_slot {
                pid_t pid;      /* 0 = empty */
                void *owner;
        } *slots;
        size_t cap;             /* power of two */
        size_t n;
};

void pidtab_init(struct pidtab *t);
void pidtab_done(struct pidtab *t);
/* 0, or -EEXIST if pid is already present, -EINVAL for pid <= 0. */
int pidtab_put(struct pidtab *t, pid_t pid, void *owner);
void *pidtab_get(const struct pidtab *t, pid_t pid);
/* Remove and return the owner (NULL if absent). */
void *pidtab_take(struct pidtab *t, pid_t pid);

#endif
