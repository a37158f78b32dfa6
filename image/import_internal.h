/*
 * What image/import.c and the format readers (image/import_oci.c: OCI
 * layouts and docker archives) share while one import runs.  Private to
 * image/.
 */
#ifndef POD_IMAGE_IMPORT_INTERNAL_H
#define POD_IMAGE_IMPORT_INTERNAL_H

#include <jansson.h>

#include "image/import.h"
#include "image/layer.h"

/* A tree of this import: unpacked in tmp/ (published at the end) or already in the store. */
struct tree_ref {
        char name[DIGEST_HEX_LEN + 1];
        char *tmp;              /* NULL: in the store already */
};

struct import {
        struct image_store *s;
        const struct image_import_opts *o;
        const char *path;       /* as the user gave it, for messages */
        char *tmp;              /* tmp/import-XXXXXX: everything of this import until it is published */
        unsigned seq;
        struct layer_limits lim;
        struct tree_ref *trees; /* bottom first */
        size_t n_trees;
        char **blob_hex;        /* JSON blobs to keep, with their data */
        char **blob_data;
        size_t *blob_len, n_blobs;
        /* The result. */
        char id[DIGEST_HEX_LEN + 1];
        const char *kind;
        char **names;
        json_t *manifest;
        char *platform, *created;
};

char *import_tmp_path(struct import *im, const char *what);
void import_progress(struct import *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Keep a JSON blob (data is taken) for the store. */
void import_keep_blob(struct import *im, const char *hex, char *data, size_t len);
/* The tree's directory, wherever it is now. */
char *import_tree_dir(struct import *im, const struct tree_ref *t);
/*
 * Unpack one layer read from fd into a tree.  want_hex (NULL: any) is the
 * digest its bytes must have, want_size (-1: any) their count; ret->hex is
 * what they had.  A layer already in the store is not read again (its tree
 * was checked when it was made).
 */
int import_add_layer(struct import *im, int fd, const char *what, const char *want_hex, int64_t want_size,
                     enum layer_kind kind, struct layer_result *ret, struct pod_err *err);
/* The appc name of an image called ref ("docker.io/library/nginx:1.25" -> "docker.io/library/nginx"). */
char *import_appc_name(const char *ref);

/* An OCI layout at lay (ref: the ref name to pick, or NULL; dirname names the image by default). */
int import_oci(struct import *im, int lay, const char *ref, const char *dirname, struct pod_err *err);
/* A docker archive unpacked at root (tag: the RepoTag to pick, or NULL). */
int import_docker(struct import *im, int root, const char *tag, struct pod_err *err);

#endif
