/*
 * Images: an appc ACI file (a tar archive, optionally compressed, holding
 * `manifest` and `rootfs/`) or an unpacked ACI directory with the same two
 * entries.  Both are copied into the pod through libarchive, so one set of
 * checks covers them: no absolute names, no `..`, no hard link outside the
 * image, no symlink whose relative target climbs out of the rootfs, nothing
 * written through a symlink, no device nodes (the pod provides /dev).
 */
#ifndef POD_IMAGE_IMAGE_H
#define POD_IMAGE_IMAGE_H

#include "common/manifest.h"

/*
 * Copy the image at src into dest_dir (created; must not exist): dest_dir/manifest
 * and dest_dir/rootfs.  On failure dest_dir is removed again.
 */
int image_unpack(const char *src, const char *dest_dir, struct image_manifest **ret,
                 struct pod_err *err);

/* Read and parse only the image's manifest (no unpacking). */
int image_peek_manifest(const char *src, struct image_manifest **ret, struct pod_err *err);

#endif
