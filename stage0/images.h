/*
 * Where an app's image comes from and how its root is made (docs/images.md):
 *
 *   - an unpacked ACI directory given as a path: copied into the pod (as
 *     before the store existed; `podctl image import DIR` stores it);
 *   - any other path (an ACI file, an OCI layout, a docker archive): imported
 *     into the store first, then as a store image;
 *   - a store image (a name or id): the app's root is an overlay of the
 *     store's trees with its upper and work directories in the pod (PID 1
 *     mounts it: common/overlay.h), or, with --no-overlay or where overlayfs
 *     is missing, a merged copy of the trees.
 *
 * A store image is locked shared (store locks/<id>) from here until the pod
 * exits: the fds are not close-on-exec, so podctl run hands them to the
 * launcher, and PID 1 takes its own when it mounts the app.
 */
#ifndef POD_STAGE0_IMAGES_H
#define POD_STAGE0_IMAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/manifest.h"
#include "common/util.h"
#include "image/store.h"
#include "stage0/source.h"

/*
 * podstage0img: what the rest of stage0 (podstage0) reaches only through
 * src.ops (stage0/source.h), so that a program preparing rootfs apps only
 * (the containerd shim) links no image code.
 */
struct stage0_images {
        struct stage0_image_source src; /* first: stage0_image_ops_of() reads it through the pointer */
        const char *store_path; /* NULL: no store, image paths only (the rkt stage1 entrypoints) */
        bool no_overlay;        /* podctl run --no-overlay */
        bool quiet;             /* no import progress */
        /* Private. */
        bool opened;
        struct image_store store;
        int overlay;            /* -1: not probed yet, 0: copies, 1: overlays */
        int *locks;             /* one per image, however many apps use it */
        char **locked;          /* their ids */
        size_t n_locks;
};

_Static_assert(offsetof(struct stage0_images, src) == 0, "struct stage0_images must begin with its source");

extern const struct stage0_image_ops stage0_images_ops;

#define STAGE0_IMAGES_INIT { .src = { &stage0_images_ops }, .overlay = -1 }

/*
 * Put image into the pod directory as the directory dest (which must not
 * exist): dest/manifest and dest/rootfs, plus dest/layers, upper and work
 * for an overlay.  *ret_im: the image's manifest.
 */
int stage0_images_place(struct stage0_images *im, const char *podpath, const char *image, const char *dest,
                        struct image_manifest **ret_im, struct pod_err *err);
/*
 * Write <pod>/image-store (PID 1 binds the store's trees into the pod before
 * it leaves the host's view) when an app uses the store, or always.
 */
int stage0_images_note_store(struct stage0_images *im, int podfd, bool always, struct pod_err *err);
/* The store's trees an overlay app stacks, top first, opened (for user lookups); -ENOENT: not an overlay app.
 * The store is im's if it has one open, else the one the pod notes (stage0_images_note_store). */
int stage0_images_app_layers(struct stage0_images *im, int podfd, const char *app, int **ret_fds, size_t *ret_n,
                             struct pod_err *err);
/* The trees holding an overlay app's etc/passwd and etc/group (struct stage0_image_ops.id_dirs). */
int stage0_images_id_dirs(struct stage0_images *im, int podfd, const char *app, int *ret_passwd_dir, int *ret_group_dir,
                          struct pod_err *err);
/* Close the store and release the locks (after exec the launcher holds its copies). */
void stage0_images_done(struct stage0_images *im);

#endif
