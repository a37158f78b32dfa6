/* Entrypoint dispatch: which entrypoint argv[0] names (stage1/entry.h). */
#include "stage1/entry.h"

#include <string.h>

static const struct {
        const char *name;       /* the file name in the stage1 image */
        s1_entry_fn fn;
} entries[] = {
        { "enter", s1_enter },         { "gc", s1_gc },
        { "stop", s1_stop },           { "app_add", s1_app_add },
        { "app_start", s1_app_start }, { "app_stop", s1_app_stop },
        { "app_rm", s1_app_rm },       { "attach", s1_attach },
};

s1_entry_fn stage1_entrypoint(const char *argv0)
{
        const char *base = argv0 ? strrchr(argv0, '/') : NULL;

        base = base ? base + 1 : argv0;
        for (size_t i = 0; base && i < ARRAY_SIZE(entries); i++)
                if (!strcmp(base, entries[i].name))
                        return entries[i].fn;
        return NULL;
}
