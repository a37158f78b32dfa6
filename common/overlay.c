#include "common/overlay.h"

static bool hex64(const char *s)
{
        size_t i;

        for (i = 0; s[i]; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return i == 64;
}

int pod_overlay_parse(const char *text, struct pod_overlay *ret, struct pod_err *err)
{
        _cleanup_free_ char *copy = xstrdup(text);
        char *line, *save = NULL;
        size_t n = 0;
        bool header = false;

        *ret = (struct pod_overlay){ 0 };
        for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (!header) {
                        if (strcmp(line, "podinit-layers 1"))
                                goto bad;
                        header = true;
                } else if (str_startswith(line, "image ") && hex64(line + 6) && !ret->image[0]) {
                        snprintf(ret->image, sizeof(ret->image), "%s", line + 6);
                } else if (str_startswith(line, "lower ") && hex64(line + 6) && n < OVERLAY_MAX_LOWERS) {
                        strv_push(&ret->lowers, line + 6);
                        n++;
                } else {
                        goto bad;
                }
        }
        if (!header || !ret->image[0] || n == 0)
                goto bad;
        return 0;
bad:
        pod_overlay_done(ret);
        return pod_err_set(err, -EINVAL, "the app's layers file is damaged (expected \"podinit-layers 1\", an image id and 1 to %d lower trees)",
                           OVERLAY_MAX_LOWERS);
}

char *pod_overlay_format(const char *image, char *const *lowers)
{
        size_t len = 64 + strlen(image) + 8;
        char *out, *p;

        for (char *const *l = lowers; *l; l++)
                len += strlen(*l) + 8;
        out = p = xmalloc(len);
        p += sprintf(p, "podinit-layers 1\nimage %s\n", image);
        for (char *const *l = lowers; *l; l++)
                p += sprintf(p, "lower %s\n", *l);
        return out;
}

void pod_overlay_done(struct pod_overlay *o)
{
        strv_free(o->lowers);
        *o = (struct pod_overlay){ 0 };
}

int pod_overlay_options(const char *appdir, char *const *lowers_top, char **ret, struct pod_err *err)
{
        size_t olen = 2 * strlen(appdir) + 64, len;
        char *opts;

        for (char *const *l = lowers_top; *l; l++)
                olen += strlen(*l) + 1;
        opts = xmalloc(olen);
        len = (size_t)snprintf(opts, olen, "upperdir=%s/upper,workdir=%s/work,lowerdir=", appdir, appdir);
        for (char *const *l = lowers_top; *l; l++)
                len += (size_t)snprintf(opts + len, olen - len, "%s%s", l == lowers_top ? "" : ":", *l);
        if (len > OVERLAY_MAX_OPTIONS) {
                free(opts);
                return pod_err_set(err, -E2BIG, "the overlay's options are %zu bytes, more than mount(2)'s page: too many layers or too long a path (%s)",
                                   len, appdir);
        }
        *ret = opts;
        return 0;
}
