/*
 * An app whose root is an overlay of image-store trees: stage0 writes
 * <pod>/stage1/rootfs/opt/stage2/<app>/layers and <pod>/image-store, PID 1
 * reads them and mounts the overlay in the pod's mount namespace
 * (docs/images.md "Pods").  The layers file, one item per line:
 *
 *   podinit-layers 1
 *   image <hex>          the image's id: its in-use lock is locks/<hex>
 *   lower <hex>          a tree, top first (as overlayfs's lowerdir lists them)
 *
 * <pod>/image-store holds the store's absolute path.
 */
#ifndef POD_COMMON_OVERLAY_H
#define POD_COMMON_OVERLAY_H

#include "common/util.h"

#define OVERLAY_LAYERS_FILE "layers"
#define OVERLAY_STORE_FILE "image-store"
#define OVERLAY_MAX_FILE (64u * 1024u)
#define OVERLAY_MAX_LOWERS 500          /* overlayfs's own stack limit */

struct pod_overlay {
        char image[65];
        char **lowers;          /* top first */
};

int pod_overlay_parse(const char *text, struct pod_overlay *ret, struct pod_err *err);
/* The file's text (the caller frees it). */
char *pod_overlay_format(const char *image, char *const *lowers_top_first);
void pod_overlay_done(struct pod_overlay *o);
/*
 * overlayfs's mount options for an app whose directory is appdir (upper/
 * and work/ in it): lowerdir names the trees relative to the store's trees/
 * (the caller mounts from there), so that they fit in mount(2)'s page.
 * -E2BIG if they do not.
 */
#define OVERLAY_MAX_OPTIONS 4095
int pod_overlay_options(const char *appdir, char *const *lowers_top, char **ret, struct pod_err *err);

#endif
