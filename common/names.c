/*
 * Names and key-value lists (common/names.h): the bottom of the manifest
 * model, used by its parsers (manifest.c, policy.c, volumes.c) so that none
 * of them needs another.
 */
#include "common/names.h"
#include "common/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

bool acname_valid(const char *s)
{
        /* [a-z0-9]+(-[a-z0-9]+)* */
        bool prev_dash = true;
        size_t n = 0;
        if (!s || !*s)
                return false;
        for (; *s; s++, n++) {
                if (*s == '-') {
                        if (prev_dash)
                                return false;
                        prev_dash = true;
                } else if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) {
                        prev_dash = false;
                } else {
                        return false;
                }
        }
        return !prev_dash && n <= 253;
}

bool env_name_valid(const char *s)
{
        /* ^[A-Za-z_][A-Za-z_0-9.-]*$ */
        if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
                return false;
        for (s++; *s; s++)
                if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.' || *s == '-'))
                        return false;
        return true;
}

char *acname_from_image_name(const char *image_name)
{
        const char *base = strrchr(image_name, '/');
        char *out, *o;
        bool dash = true;

        base = base ? base + 1 : image_name;
        out = o = xmalloc(strlen(base) + 1);
        for (const char *p = base; *p; p++) {
                char c = (char)tolower((unsigned char)*p);
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                        *o++ = c;
                        dash = false;
                } else if (!dash) {
                        *o++ = '-';
                        dash = true;
                }
        }
        while (o > out && o[-1] == '-')
                o--;
        *o = '\0';
        if (!*out) {
                free(out);
                return xstrdup("app");
        }
        return out;
}

const char *kv_get(const struct kv *kv, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(kv[i].name, name))
                        return kv[i].value;
        return NULL;
}

void kv_free(struct kv *kv, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(kv[i].name);
                free(kv[i].value);
        }
        free(kv);
}
