#include "common/pidtab.h"
#include "common/util.h"

static size_t slot_of(const struct pidtab *t, pid_t pid)
{
        return ((size_t)(uint32_t)pid * 2654435761u) & (t->cap - 1);
}

void pidtab_init(struct pidtab *t)
{
        t->cap = 64;
        t->n = 0;
        t->slots = xcalloc(t->cap, sizeof(*t->slots));
}

void pidtab_done(struct pidtab *t)
{
        free(t->slots);
        t->slots = NULL;
        t->cap = t->n = 0;
}

static void grow(struct pidtab *t)
{
        struct pidtab_slot *old = t->slots;
        size_t oldcap = t->cap;

        t->cap *= 2;
        t->slots = xcalloc(t->cap, sizeof(*t->slots));
        t->n = 0;
        for (size_t i = 0; i < oldcap; i++)
                if (old[i].pid)
                        pidtab_put(t, old[i].pid, old[i].owner);
        free(old);
}

int pidtab_put(struct pidtab *t, pid_t pid, void *owner)
{
        size_t i;

        if (pid <= 0)
                return -EINVAL;
        if ((t->n + 1) * 4 > t->cap * 3)
                grow(t);
        for (i = slot_of(t, pid); t->slots[i].pid; i = (i + 1) & (t->cap - 1))
                if (t->slots[i].pid == pid)
                        return -EEXIST;
        t->slots[i].pid = pid;
        t->slots[i].owner = owner;
        t->n++;
        return 0;
}

void *pidtab_get(const struct pidtab *t, pid_t pid)
{
        if (pid <= 0 || !t->cap)
                return NULL;
        for (size_t i = slot_of(t, pid); t->slots[i].pid; i = (i + 1) & (t->cap - 1))
                if (t->slots[i].pid == pid)
                        return t->slots[i].owner;
        return NULL;
}

void *pidtab_take(struct pidtab *t, pid_t pid)
{
        size_t i, j;
        void *owner;

        if (pid <= 0 || !t->cap)
                return NULL;
        for (i = slot_of(t, pid); t->slots[i].pid != pid; i = (i + 1) & (t->cap - 1))
                if (!t->slots[i].pid)
                        return NULL;
        owner = t->slots[i].owner;
        /* Backward-shift: pull later entries of the probe run into the hole. */
        for (j = (i + 1) & (t->cap - 1); t->slots[j].pid; j = (j + 1) & (t->cap - 1)) {
                size_t home = slot_of(t, t->slots[j].pid);
                bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
                if (movable) {
                        t->slots[i] = t->slots[j];
                        i = j;
                }
        }
        t->slots[i].pid = 0;
        t->slots[i].owner = NULL;
        t->n--;
        return owner;
}
