#include "image/paths.h"

/*
 * Normalise an entry name: strip leading "./" and trailing "/".  Refuse
 * absolute names and any ".." component.  Returns NULL (and sets err) when
 * the name is unacceptable.
 */
char *image_clean_name(const char *archive, const char *name, const char *what, struct pod_err *err)
{
        char *n, *p;

        /* The archive's root itself, as "/" (umoci writes it so), "./" or ".". */
        if (name[strspn(name, "/.")] == '\0' && !strstr(name, ".."))
                return xstrdup("");
        if (name[0] == '/') {
                pod_err_set(err, -EPERM, "%s: %s \"%s\" is an absolute path; refusing the image", archive,
                            what, name);
                return NULL;
        }
        while (name[0] == '.' && name[1] == '/')
                name += 2 + strspn(name + 2, "/");      /* ".//etc" is "etc", not "/etc" */
        n = xstrdup(name);
        for (size_t l = strlen(n); l > 0 && n[l - 1] == '/'; l--)
                n[l - 1] = '\0';
        for (p = n; p; ) {
                char *slash = strchr(p, '/');
                size_t len = slash ? (size_t)(slash - p) : strlen(p);
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        pod_err_set(err, -EPERM, "%s: %s \"%s\" contains \"..\"; refusing the image", archive,
                                    what, name);
                        free(n);
                        return NULL;
                }
                p = slash ? slash + 1 : NULL;
        }
        return n;
}

/* Does a relative symlink target, taken from the link's directory, climb above rootfs/? */
bool image_symlink_escapes(const char *linkname, const char *target)
{
        int depth = 0;
        const char *p, *sl;

        if (target[0] == '/')
                return false;   /* absolute targets resolve inside the app's chroot */
        /* depth of the link's directory below rootfs/: its components, but "" and "." ("a//b", "a/./b") */
        for (p = linkname; (sl = strchr(p, '/')); p = sl + 1)
                depth += sl > p && !(sl - p == 1 && p[0] == '.');
        depth--;                /* "rootfs/x" lives at depth 0 */
        for (p = target; *p; ) {
                const char *slash = strchr(p, '/');
                size_t len = slash ? (size_t)(slash - p) : strlen(p);
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        if (--depth < 0)
                                return true;
                } else if (len > 0 && !(len == 1 && p[0] == '.')) {
                        depth++;
                }
                p = slash ? slash + 1 : p + len;
        }
        return false;
}

