/*
 * Platforms and the choice of one index entry (image/oci.h): which manifest
 * of a multi-platform image this machine runs, or the one the user named
 * with a ref name or --platform.  When the choice is not clear the error
 * lists what the index has, so the user can make it.
 */
#include "image/oci.h"

#include <string.h>

typedef struct pod_err E;

static char *dup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

/* Names people type: x86_64 and aarch64 are amd64 and arm64 in image indexes. */
static const char *arch_alias(const char *a)
{
        if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64"))
                return "amd64";
        if (!strcmp(a, "aarch64"))
                return "arm64";
        return a;
}

int oci_platform_parse(const char *s, struct oci_platform *ret, E *err)
{
        static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/";
        const char *a = strchr(s, '/'), *v = a ? strchr(a + 1, '/') : NULL;
        _cleanup_free_ char *arch = NULL;

        /* Two or three non-empty parts. */
        if (strspn(s, chars) != strlen(s) || !a || a == s || !a[1] || a[1] == '/' || (v && (!v[1] || strchr(v + 1, '/'))))
                return pod_err_set(err, -EINVAL, "\"%.64s\" is not a platform (OS/ARCH[/VARIANT], e.g. linux/amd64 or "
                                   "linux/arm/v7)", s);
        arch = v ? xasprintf("%.*s", (int)(v - a - 1), a + 1) : xstrdup(a + 1);
        ret->os = xasprintf("%.*s", (int)(a - s), s);
        ret->arch = xstrdup(arch_alias(arch));
        ret->variant = v ? xstrdup(v + 1) : NULL;
        return 0;
}

void oci_platform_host(struct oci_platform *ret)
{
        const char *arch, *variant = NULL;

#if defined(__x86_64__)
        arch = "amd64";
#elif defined(__aarch64__)
        arch = "arm64";
#elif defined(__arm__)
        arch = "arm";
#if defined(__ARM_ARCH) && __ARM_ARCH < 7
        variant = "v6";
#else
        variant = "v7";
#endif
#elif defined(__i386__)
        arch = "386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        arch = "ppc64le";
#elif defined(__s390x__)
        arch = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
        arch = "riscv64";
#else
        arch = "unknown";       /* matches only entries without a platform: --platform chooses */
#endif
        ret->os = xstrdup("linux");
        ret->arch = xstrdup(arch);
        ret->variant = dup_or_null(variant);
}

/* An entry without a variant is arm's v7 and arm64's v8, as containerd reads them. */
static const char *variant_of(const struct oci_platform *p)
{
        if (p->variant)
                return p->variant;
        if (p->arch && !strcmp(p->arch, "arm"))
                return "v7";
        if (p->arch && !strcmp(p->arch, "arm64"))
                return "v8";
        return NULL;
}

bool oci_platform_match(const struct oci_platform *have, const struct oci_platform *want)
{
        const char *hv = variant_of(have);

        if (!have->os || !have->arch || !want->os || !want->arch || strcmp(have->os, want->os) ||
            strcmp(have->arch, want->arch))
                return false;
        return !want->variant || (hv && !strcmp(hv, want->variant));
}

void oci_platform_done(struct oci_platform *p)
{
        free(p->os);
        free(p->arch);
        free(p->variant);
        memset(p, 0, sizeof(*p));
}

static void platform_str(const struct oci_platform *p, char *buf, size_t n)
{
        snprintf(buf, n, "%s/%s%s%s", p->os ?: "?", p->arch ?: "?", p->variant ? "/" : "", p->variant ?: "");
}

/* A short list for a message: distinct items, ", "-separated, "..." past a few hundred bytes. */
struct namelist {
        char buf[300];
        size_t len;
};

static void namelist_add(struct namelist *l, const char *s)
{
        char key[160];

        snprintf(key, sizeof(key), ", %s,", s);
        if (l->len && strstr(l->buf, key))
                return;
        if (l->len + strlen(key) + 8 >= sizeof(l->buf)) {
                if (!strstr(l->buf, "...,"))
                        l->len += (size_t)snprintf(l->buf + l->len - 1, sizeof(l->buf) - l->len + 1, ", ...,") - 1;
                return;
        }
        /* Kept as ", a, b," so that an item is found by its delimiters; shown without them. */
        memcpy(l->buf + (l->len ? l->len - 1 : 0), key, strlen(key) + 1);
        l->len = (l->len ? l->len - 1 : 0) + strlen(key);
}

static const char *namelist_str(struct namelist *l)
{
        if (!l->len)
                return "";
        l->buf[l->len - 1] = '\0';
        return l->buf + 2;
}

static bool selectable(const struct oci_descriptor *x, const char *ref)
{
        return (x->kind == OCI_MEDIA_INDEX || x->kind == OCI_MEDIA_MANIFEST) &&
               (!ref || (x->ref_name && !strcmp(x->ref_name, ref)));
}

/* 2: its platform matches, 1: it has none (an index.json entry naming a nested index), 0: no match. */
static int select_score(const struct oci_descriptor *x, const struct oci_platform *want)
{
        if (!x->has_platform)
                return 1;
        return !want || oci_platform_match(&x->platform, want) ? 2 : 0;
}

/*
 * The best-scoring entry wins: one whose platform matches is known to run
 * here, one without a platform (how an OCI layout's index.json names its
 * images and nested indexes) may.  Two winners are a choice only the user
 * can make, unless they are the same blob (one image under two ref names).
 */
int oci_index_select(const struct oci_index *idx, const char *what, const struct oci_platform *want, const char *ref,
                     size_t *ret_i, E *err)
{
        struct namelist l = {};
        size_t pick = 0, n_ref = 0;
        int best = 0;
        bool ambiguous = false;
        char ps[160];

        for (size_t i = 0; i < idx->n; i++) {
                const struct oci_descriptor *x = &idx->manifests[i];
                int s;
                if (!selectable(x, ref))
                        continue;
                n_ref++;
                s = select_score(x, want);
                if (s > best) {
                        best = s;
                        pick = i;
                        ambiguous = false;
                } else if (s && s == best && strcmp(x->digest, idx->manifests[pick].digest))
                        ambiguous = true;
        }
        if (best && !ambiguous) {
                *ret_i = pick;
                return 0;
        }
        for (size_t i = 0; i < idx->n; i++) {
                const struct oci_descriptor *x = &idx->manifests[i];
                if (!n_ref && x->ref_name)
                        namelist_add(&l, x->ref_name);
                else if (n_ref && selectable(x, ref) && select_score(x, want) == best) {
                        /* buildx's attestations are manifests for "unknown/unknown": not a choice. */
                        if (x->has_platform && !best && ((x->platform.os && !strcmp(x->platform.os, "unknown")) ||
                                                         (x->platform.arch && !strcmp(x->platform.arch, "unknown"))))
                                continue;
                        if (x->has_platform)
                                platform_str(&x->platform, ps, sizeof(ps));
                        else
                                snprintf(ps, sizeof(ps), "%s", x->ref_name ?: x->digest);
                        namelist_add(&l, ps);
                }
        }
        if (!n_ref && ref)
                return pod_err_set(err, -ENOENT, "no image named \"%s\" in %s (%s%s)", ref, what,
                                   l.len ? "it has " : "its entries have no names", namelist_str(&l));
        if (!n_ref)
                return pod_err_set(err, -ENOENT, "%s lists no image manifests", what);
        if (want)
                platform_str(want, ps, sizeof(ps));
        if (!best)
                return pod_err_set(err, -ENOENT, "no manifest for %s in %s (it has %s); choose one with --platform", ps, what,
                                   l.len ? namelist_str(&l) : "none for a known platform");
        if (best == 2)
                return pod_err_set(err, -EINVAL, "several manifests in %s match %s (%s); choose one with --platform", what,
                                   want ? ps : "any platform", namelist_str(&l));
        return pod_err_set(err, -EINVAL, "%s holds several images (%s); choose one by name", what, namelist_str(&l));
}
