/*
 * A list of writers waiting for a destination (the console, a log file) to
 * have room again.  Each waiter is embedded in its owner and is on at most
 * one list at a time; waking the list empties it before calling anyone, so
 * a resume() may wait again.
 */
#ifndef POD_LOGGER_WAITER_H
#define POD_LOGGER_WAITER_H

#include <stdbool.h>
#include <stddef.h>

struct waiter {
        void (*resume)(struct waiter *w);
        struct waiter *next;
        bool waiting;
};

static inline void waiter_add(struct waiter **list, struct waiter *w)
{
        if (w->waiting)
                return;
        w->waiting = true;
        w->next = *list;
        *list = w;
}

static inline void waiter_remove(struct waiter **list, struct waiter *w)
{
        if (!w->waiting)
                return;
        for (struct waiter **p = list; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        w->next = NULL;
        w->waiting = false;
}

static inline void waiter_wake_all(struct waiter **list)
{
        struct waiter *w = *list, *next;

        *list = NULL;
        for (; w; w = next) {
                next = w->next;
                w->next = NULL;
                w->waiting = false;
                w->resume(w);
        }
}

#endif
