/*
 * Where stage0 gets an app's image from, as seen by the rest of stage0.
 *
 * stage0 is two libraries: podstage0 (the pod directory, rootfs apps, the
 * pod manifest, the OCI runtime spec, host mounts) and podstage0img
 * (stage0/images.h: image paths and the image store, through image/ with
 * libarchive and libcrypto).  The containerd shim only ever prepares apps
 * whose root is a host directory, and a process that links the image code
 * maps those libraries (about 600 kB of private memory per shim, one shim
 * per pod), so podstage0 reaches images only through this table of
 * functions, which podstage0img fills (STAGE0_IMAGES_INIT).  A caller
 * without images passes NULL wherever a struct stage0_images is asked for:
 * an app that names an image is then refused.
 */
#ifndef POD_STAGE0_SOURCE_H
#define POD_STAGE0_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/manifest.h"
#include "common/util.h"

/*
 * How many words of an OCI image's exec are its Entrypoint (the rest, its
 * Cmd, are what -- ARGS replace): an annotation of the image manifest
 * image/oci.h writes.  Defined there too; stage0/images.c sees both, and a
 * macro redefined differently does not compile with -Werror.
 */
#define ANN_ENTRYPOINT_WORDS "podinit.io/entrypoint-words"

struct stage0_images;           /* stage0/images.h; begins with a struct stage0_image_source */

struct stage0_image_ops {
        /*
         * Put image into the pod directory as the directory dest (which must
         * not exist): dest/manifest and dest/rootfs, plus dest/layers, upper
         * and work for an overlay.  *ret_im: the image's manifest.
         */
        int (*place)(struct stage0_images *im, const char *podpath, const char *image, const char *dest,
                     struct image_manifest **ret_im, struct pod_err *err);
        /* The image's manifest, without unpacking it (--pod-manifest names images by it). */
        int (*peek_manifest)(struct stage0_images *im, const char *image, struct image_manifest **ret_im,
                             struct pod_err *err);
        /* Note for PID 1 where the store is, if an app uses it (or always): stage0_images_note_store. */
        int (*note_store)(struct stage0_images *im, int podfd, bool always, struct pod_err *err);
        /*
         * For an app whose root is an overlay of the store's trees (not
         * mounted on the host): the directories holding its etc/passwd and
         * etc/group (the topmost tree that has each), opened O_PATH; the
         * caller closes both (they may be the same directory).  -ENOENT: not
         * an overlay app.
         */
        int (*id_dirs)(struct stage0_images *im, int podfd, const char *app, int *ret_passwd_dir,
                       int *ret_group_dir, struct pod_err *err);
};

struct stage0_image_source {
        const struct stage0_image_ops *ops;
};

/* im's table (NULL for NULL): a struct stage0_images begins with its source (checked in stage0/images.h). */
static inline const struct stage0_image_ops *stage0_image_ops_of(struct stage0_images *im)
{
        return im ? ((const struct stage0_image_source *)(const void *)im)->ops : NULL;
}

#endif
