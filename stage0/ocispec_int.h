/*
 * Private to stage0/ocispec.c and ocispec_linux.c: the parse context and
 * the helpers both halves use.  Every message names the field by its JSON
 * path (process.user.uid, linux.resources.cpu.quota, mounts[2].type).
 */
#ifndef POD_STAGE0_OCISPEC_INT_H
#define POD_STAGE0_OCISPEC_INT_H

#include "stage0/ocispec.h"

struct oci_ctx {
        struct stage0_oci_spec *s;
        unsigned flags;
        struct pod_err *err;
        unsigned n_volumes;     /* inline volumes made so far: their names */
};

/* A line in s->warnings. */
void oci_warn(struct oci_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Each member of obj not in known (NULL-terminated): a warning, or with STAGE0_OCI_STRICT an error. */
int oci_check_known(struct oci_ctx *c, json_t *obj, const char *path, const char *const *known);
/* obj.key of the given type, or NULL if absent or null; -EINVAL "PATH.KEY: expected T, got U" otherwise. */
int oci_get(struct oci_ctx *c, json_t *obj, const char *path, const char *key, json_type type, json_t **ret);
int oci_get_bool(struct oci_ctx *c, json_t *obj, const char *path, const char *key, bool *ret);
/* An integer in [min, max]; *ret untouched when absent.  Returns 1 if present. */
int oci_get_int(struct oci_ctx *c, json_t *obj, const char *path, const char *key, long long min, long long max,
                long long *ret);
void oci_add_annotation(struct oci_ctx *c, const char *name, const char *value);
void oci_add_isolator(struct oci_ctx *c, const char *name, json_t *value);   /* steals value */

int oci_parse_linux(struct oci_ctx *c, json_t *linux_);

#endif
