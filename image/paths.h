/*
 * Checks on the names inside an image archive, shared by every format
 * (ACI, OCI and docker layers): a name is relative, has no ".." component,
 * and lands inside the tree it is unpacked into.
 */
#ifndef POD_IMAGE_PATHS_H
#define POD_IMAGE_PATHS_H

#include <stdbool.h>

#include "common/util.h"

/*
 * The entry name normalised: leading "./" and trailing "/" stripped
 * ("" for the archive's "./").  NULL, with err naming the archive ("image
 * busybox.aci") and what ("entry", "hard link target"), for an absolute
 * name or a ".." component.
 */
char *image_clean_name(const char *archive, const char *name, const char *what, struct pod_err *err);

/*
 * Does a relative symlink target, taken from the directory of linkname
 * (a clean name below the tree's top directory `rootfs/`), climb above it?
 * Absolute targets do not: they resolve inside the app's root.
 */
bool image_symlink_escapes(const char *linkname, const char *target);

#endif
