/*
 * The local image store, under podctl's state directory (DIR/images):
 *
 *   blobs/sha256/<hex>   the JSON documents of OCI and docker images (index,
 *                        manifest, config), by digest; layer blobs are not
 *                        kept: their unpacked tree is
 *   trees/<hex>          one unpacked layer or ACI rootfs, by the layer's blob
 *                        digest (an ACI's: its content digest); built in
 *                        tmp/, synced, then renamed here; never written again
 *   images/<hex>.json    one record per image: its kind, trees, the appc
 *                        image manifest podinit runs, size, creation time
 *   refs/<name>          an image's name -> its id ('/' escaped as %2F)
 *   locks/<hex>          the image's in-use lock: every pod using the image
 *                        holds it shared; removing the image takes it
 *                        exclusively, so an image in use cannot go
 *   lock                 the store lock: imports and pod starts hold it
 *                        shared, `image rm` and `image gc` exclusively
 *   tmp/                 imports in progress (removed by gc)
 *
 * An image id is the sha256 of its OCI manifest, of its docker config, or
 * of its ACI content (image/tree.h tree_digest).  docs/images.md describes
 * the store for users.
 */
#ifndef POD_IMAGE_STORE_H
#define POD_IMAGE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "common/util.h"
#include "image/digest.h"

#define IMAGE_REF_MAX 255

struct image_store {
        char *path;             /* absolute */
        int fd;                 /* the store directory */
        int lock_fd;            /* "lock", flock'ed by image_store_lock */
};

struct image_record {
        char id[DIGEST_HEX_LEN + 1];
        char *kind;             /* "oci", "docker" or "aci" */
        char **layers;          /* tree names, bottom first */
        char **lowers;          /* what an overlay stacks, bottom first: layers, or a merged tree of the lowest ones and the rest */
        char **blobs;           /* blob hex digests the image keeps (manifest, config, index) */
        json_t *manifest;       /* the appc image manifest */
        char *platform, *created, *imported, *source;
        uint64_t size;          /* bytes of regular files in its layers */
        char **names;           /* its refs (filled by image_record_load) */
};

/* Open (and create when missing) the store at path. */
int image_store_open(const char *path, struct image_store *ret, struct pod_err *err);
void image_store_close(struct image_store *s);
/* flock the store lock: LOCK_SH or LOCK_EX (blocking; says so on stderr when it waits). */
int image_store_lock(struct image_store *s, int how, struct pod_err *err);
/* A new empty directory under tmp/ (absolute path). */
int image_store_mktemp(struct image_store *s, char **ret, struct pod_err *err);
/* Move a finished tree from tmp into trees/<name> (kept as is when another import got there first). */
int image_store_publish_tree(struct image_store *s, const char *tmp, const char *name, struct pod_err *err);
bool image_store_has_tree(struct image_store *s, const char *name);
/* The absolute path of trees/<name>. */
char *image_store_tree_path(const struct image_store *s, const char *name);
/* Store a JSON blob under its digest (verified by the caller). */
int image_store_put_blob(struct image_store *s, const char *hex, const char *data, size_t len, struct pod_err *err);

int image_record_write(struct image_store *s, const struct image_record *r, struct pod_err *err);
int image_record_load(struct image_store *s, const char *hex, struct image_record *ret, struct pod_err *err);
void image_record_done(struct image_record *r);
/* The record as `podctl image inspect` and `image list --json` show it (full: with app and annotations). */
json_t *image_record_json(const struct image_record *r, bool full);

/* Is name a valid image name ("example.com/busybox:1.36")? */
bool image_ref_valid(const char *name);
/* Point name at the image hex (moving it from another image). */
int image_ref_set(struct image_store *s, const char *name, const char *hex, struct pod_err *err);
/*
 * The image ref names: a name, a name without a tag for its ":latest", the
 * id ("sha256:<hex>" or "<hex>") or a unique id prefix of at least 12 hex
 * digits.  -ENOENT with a message saying what to do when there is none.
 */
int image_resolve(struct image_store *s, const char *ref, char ret_hex[DIGEST_HEX_LEN + 1], struct pod_err *err);

/*
 * Take the image's in-use lock shared (a pod uses it): *ret_fd holds it.
 * Without cloexec, the fd survives exec (podctl run hands it to the pod's
 * launcher).
 */
int image_lock_shared(struct image_store *s, const char *hex, bool cloexec, int *ret_fd, struct pod_err *err);

/* Every image, oldest import first. */
int image_list(struct image_store *s, struct image_record **ret, size_t *ret_n, struct pod_err *err);
void image_records_free(struct image_record *r, size_t n);
/* Remove the image ref names (takes the store lock itself); -EBUSY if a pod uses it. */
int image_remove(struct image_store *s, const char *ref, char ret_hex[DIGEST_HEX_LEN + 1], struct pod_err *err);

struct image_gc_stats {
        unsigned trees, blobs, temps, locks;
        uint64_t bytes;
};
/* Remove trees, blobs and lock files no image references, and tmp/ leftovers (takes the store lock itself). */
int image_gc(struct image_store *s, struct image_gc_stats *ret, struct pod_err *err);

#endif
