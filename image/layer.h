/*
 * One layer archive (a tar, plain or compressed with anything libarchive
 * reads: gzip, zstd, xz, bzip2) unpacked into a new tree, its raw bytes
 * hashed as they are read, so a digest is verified by the same single pass
 * that unpacks.  OCI whiteouts become overlayfs's (image/tree.h).  An ACI
 * file is a layer too: its `manifest` entry is returned, `rootfs/` is the
 * tree.
 *
 * What the archive may not do (each refuses the whole image, with the
 * entry's name): an absolute name, a ".." component, a hard link whose
 * target is outside the tree or reached through a symlink, writing through
 * a symlink (libarchive's secure-extract options), more entries or more
 * bytes than the limits.  Device nodes are skipped (the pod provides /dev);
 * setuid and setgid bits, owners and xattrs are kept, except overlayfs's
 * own trusted.overlay.* xattrs, which only our whiteouts may set.
 */
#ifndef POD_IMAGE_LAYER_H
#define POD_IMAGE_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "image/digest.h"

/* Defaults of podctl image import --max-entries and --max-size (DESIGN rule 6). */
#define LAYER_DEFAULT_MAX_ENTRIES 1000000ull
#define LAYER_DEFAULT_MAX_BYTES (32ull << 30)

/* Limits for one image, counted across its layers. */
struct layer_limits {
        uint64_t max_entries, max_bytes;
        uint64_t entries, bytes;
};

enum layer_kind {
        LAYER_OCI,              /* a tar layer with OCI whiteouts */
        LAYER_ACI,              /* an ACI: manifest + rootfs/ */
};

struct layer_result {
        char hex[DIGEST_HEX_LEN + 1];   /* sha256 of the bytes read */
        uint64_t size;                  /* bytes read */
        bool compressed;                /* a filter was in the way (gzip, zstd...) */
        char *manifest;                 /* LAYER_ACI: the manifest's bytes (NUL-terminated) */
        size_t manifest_len;
};

/*
 * Unpack the archive read from fd (from its current offset to its end) into
 * dest, a directory that must not exist (created 0755).  what names the
 * archive in messages ("layer sha256:ab12... of busybox.tar").  On failure
 * dest may hold part of the tree: the caller removes it.
 */
int layer_unpack(int fd, const char *what, const char *dest, enum layer_kind kind, struct layer_limits *lim,
                 struct layer_result *ret, struct pod_err *err);

void layer_result_done(struct layer_result *r);

#endif
