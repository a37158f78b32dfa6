/*
 * Importing an image into the store (image/store.h): an OCI image layout
 * (a directory, or a tar of one; "PATH:REF" picks a ref name in it), a
 * docker-archive tar (`docker save`, `skopeo copy ... docker-archive:`), an
 * ACI file or an ACI directory.  Every blob is checked against its digest
 * and size while it is read; a layer is unpacked once (image/layer.h) and
 * only published into the store when the whole image is good, so a failed
 * import leaves the store as it was.  docs/images.md.
 */
#ifndef POD_IMAGE_IMPORT_H
#define POD_IMAGE_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/util.h"
#include "image/digest.h"
#include "image/store.h"

/* More layers than this are stacked by overlay as one merged tree of the lowest ones and the rest (docs/images.md). */
#define IMAGE_MAX_LOWERS 48

struct image_import_opts {
        const char *name;               /* the name to give it; NULL: from the image */
        const char *platform;           /* os/arch[/variant]; NULL: this machine's */
        uint64_t max_entries, max_bytes;        /* 0: the defaults (image/layer.h) */
        bool progress;                  /* say what it does on stderr (podctl: on a terminal) */
};

/* Is path an image podctl imports (an existing file, or a directory other than an unpacked ACI)? */
bool image_path_importable(const char *path);

int image_import(struct image_store *s, const char *path, const struct image_import_opts *o,
                 char ret_hex[DIGEST_HEX_LEN + 1], struct pod_err *err);

#endif
