/*
 * The names inside image archives (image/paths.c), as image/layer.c and
 * image/image.c check them before anything is written: an entry's name, a
 * hard link's target and a symlink's target, then the cleaned name looked
 * up in a stack of layers as image/tree.c does for etc/passwd (three small
 * layers made once in a temp directory, with a whiteout and an opaque
 * directory where this machine allows them).
 *
 * Input: NAME NUL TARGET.  Oracles: a clean name is relative, has no ".."
 * component and no trailing '/'; a symlink the check lets through does not
 * climb above rootfs/ when resolved lexically.
 */
#include "fuzz.h"
#include "common/fdutil.h"
#include "image/paths.h"
#include "image/tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

static char top[256];
static int layers[3] = { -1, -1, -1 };

static void cleanup(void)
{
        if (top[0])
                rm_rf_at(AT_FDCWD, top);
}

static void put(const char *path, const char *kind)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", top, path);
        _cleanup_free_ char *dir = xstrdup(p);

        *strrchr(dir, '/') = '\0';
        mkdir_p_at(AT_FDCWD, dir, 0755);
        if (!strcmp(kind, "dir"))
                mkdir(p, 0755);
        else if (!strcmp(kind, "file"))
                close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        else if (!strcmp(kind, "whiteout"))
                (void)mknod(p, S_IFCHR | 0600, makedev(0, 0));  /* needs root; else not there */
        else if (!strcmp(kind, "opaque"))
                (void)setxattr(p, TREE_OPAQUE_XATTR, "y", 1, 0);   /* needs trusted xattrs */
        else
                (void)symlink(kind, p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *tmp = getenv("TMPDIR") ?: "/tmp";

        snprintf(top, sizeof(top), "%s/fuzz-paths.XXXXXX", tmp);
        if (!mkdtemp(top))
                abort();
        atexit(cleanup);
        /* Bottom first: 2 is the lowest layer, 0 the top one. */
        put("2/etc/passwd", "file");
        put("2/etc/group", "file");
        put("2/usr/bin/sh", "file");
        put("2/a/b/c", "dir");
        put("2/f", "file");
        put("2/up", "..");
        put("2/root", "/");
        put("1/etc/group", "whiteout");
        put("1/a", "dir");
        put("1/a", "opaque");
        put("1/a/x", "file");
        put("1/f/g", "file");
        put("0/usr", "file");
        put("0/x/y", "file");
        put("0/etc/passwd", "up");
        for (int i = 0; i < 3; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%d", top, i);
                if ((layers[i] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                        abort();
        }
        return 0;
}

static void check_clean(const char *n)
{
        FUZZ_CHECK(n[0] != '/');
        FUZZ_CHECK(!*n || n[strlen(n) - 1] != '/');
        for (const char *p = n; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
                FUZZ_CHECK(strncmp(p, "..", 2) || (p[2] && p[2] != '/'));
}

/* Lexically, from the link's directory (components of linkname but its last, less rootfs/ itself). */
static bool escapes_lexically(const char *linkname, const char *target)
{
        _cleanup_free_ char *l = xstrdup(linkname);
        long depth = -1;
        char *save = NULL, *slash = strrchr(l, '/');

        if (target[0] == '/')
                return false;
        if (slash)
                *slash = '\0';
        else
                l[0] = '\0';
        for (char *c = strtok_r(l, "/", &save); c; c = strtok_r(NULL, "/", &save))
                if (strcmp(c, "."))
                        depth++;
        _cleanup_free_ char *t = xstrdup(target);
        for (char *c = strtok_r(t, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (!strcmp(c, "..")) {
                        if (--depth < 0)
                                return true;
                } else if (strcmp(c, ".")) {
                        depth++;
                }
        }
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t n;
        _cleanup_strv_ char **w = fuzz_split(data, size, '\0', &n);
        const char *target = n > 1 ? w[1] : "";
        struct pod_err err = { 0 };
        _cleanup_free_ char *name = image_clean_name("fuzz.tar", w[0], "entry", &err);
        _cleanup_free_ char *link = image_clean_name("fuzz.tar", target, "hard link target", &err);
        size_t at;

        if (link)
                check_clean(link);
        if (!name) {
                FUZZ_CHECK(err.code < 0);
                return 0;
        }
        check_clean(name);
        {
                /* An ACI's symlink, by its name in the archive (image.c) and in the tree (layer.c). */
                _cleanup_free_ char *rooted = xasprintf("rootfs/%s", name);
                bool esc = image_symlink_escapes(rooted, target);
                FUZZ_CHECK(esc || !escapes_lexically(rooted, target));
        }
        if (*name && tree_lookup(layers, 3, name, &at) == 0)
                FUZZ_CHECK(at < 3);
        return 0;
}
