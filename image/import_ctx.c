/*
 * The parts of an import every format reader uses (image/import_internal.h):
 * its temporary paths, progress lines, the JSON blobs it keeps and the
 * layers it unpacks.
 */
#include "image/import_internal.h"
#include "image/store.h"

#include <stdarg.h>

char *import_tmp_path(struct import *im, const char *what)
{
        return xasprintf("%s/%s-%u", im->tmp, what, im->seq++);
}

void import_progress(struct import *im, const char *fmt, ...)
{
        va_list ap;

        if (!im->o->progress)
                return;
        va_start(ap, fmt);
        fprintf(stderr, "podctl: ");
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

void import_keep_blob(struct import *im, const char *hex, char *data, size_t len)
{
        for (size_t i = 0; i < im->n_blobs; i++)
                if (!strcmp(im->blob_hex[i], hex)) {
                        free(data);
                        return;
                }
        im->blob_hex = xrealloc(im->blob_hex, (im->n_blobs + 1) * sizeof(char *));
        im->blob_data = xrealloc(im->blob_data, (im->n_blobs + 1) * sizeof(char *));
        im->blob_len = xrealloc(im->blob_len, (im->n_blobs + 1) * sizeof(size_t));
        im->blob_hex[im->n_blobs] = xstrdup(hex);
        im->blob_data[im->n_blobs] = data;
        im->blob_len[im->n_blobs++] = len;
}

char *import_tree_dir(struct import *im, const struct tree_ref *t)
{
        return t->tmp ? xstrdup(t->tmp) : image_store_tree_path(im->s, t->name);
}

/* Does the whole blob at fd (read again from its start) differ from want_hex or want_size?  ret gets what it is. */
static bool blob_mismatch(int fd, const char *want_hex, int64_t want_size, struct layer_result *ret)
{
        struct digest d;
        char buf[65536];
        ssize_t n;
        off_t off = 0;

        digest_init(&d);
        while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
                digest_update(&d, buf, (size_t)n);
                off += n;
        }
        if (n < 0) {
                digest_done(&d);
                return false;
        }
        ret->size = d.bytes;
        digest_final(&d, ret->hex);
        return strcmp(ret->hex, want_hex) || (want_size >= 0 && (uint64_t)want_size != ret->size);
}

int import_add_layer(struct import *im, int fd, const char *what, const char *want_hex, int64_t want_size,
                     enum layer_kind kind, struct layer_result *ret, struct pod_err *err)
{
        _cleanup_free_ char *dest = NULL;
        struct tree_ref t = { 0 };
        int r;

        *ret = (struct layer_result){ 0 };
        if (want_hex && kind == LAYER_OCI && image_store_has_tree(im->s, want_hex)) {
                snprintf(ret->hex, sizeof(ret->hex), "%s", want_hex);
                snprintf(t.name, sizeof(t.name), "%s", want_hex);
                goto add;
        }
        dest = import_tmp_path(im, "tree");
        if ((r = layer_unpack(fd, what, dest, kind, &im->lim, ret, err)) < 0) {
                /* A blob that is not what its descriptor says: say that, not what it broke while unpacking. */
                if (want_hex && blob_mismatch(fd, want_hex, want_size, ret))
                        goto mismatch;
                return r;
        }
        if (want_hex && strcmp(ret->hex, want_hex)) {
mismatch:
                layer_result_done(ret);
                return pod_err_set(err, -EBADMSG, "%s: its content does not match its digest (it is sha256:%s): the image is corrupt; copy or fetch it again",
                                   what, ret->hex);
        }
        if (want_size >= 0 && (uint64_t)want_size != ret->size) {
                layer_result_done(ret);
                return pod_err_set(err, -EBADMSG, "%s: %llu bytes where the manifest says %lld: the image is corrupt or truncated",
                                   what, (unsigned long long)ret->size, (long long)want_size);
        }
        snprintf(t.name, sizeof(t.name), "%s", ret->hex);
        t.tmp = TAKE_PTR(dest);
add:
        im->trees = xrealloc(im->trees, (im->n_trees + 1) * sizeof(*im->trees));
        im->trees[im->n_trees++] = t;
        return 0;
}

char *import_appc_name(const char *ref)
{
        const char *slash = strrchr(ref, '/');
        const char *colon = strrchr(slash ? slash : ref, ':');
        char *n = colon ? strndup(ref, (size_t)(colon - ref)) : xstrdup(ref);

        for (char *p = n; *p; p++) {
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
                else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p)))
                        *p = '-';
        }
        if (!*n || !((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= '0' && n[0] <= '9'))) {
                free(n);
                n = xstrdup("image");
        }
        return n;
}
