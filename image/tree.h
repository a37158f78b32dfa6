/*
 * Unpacked trees in the image store (image/store.h): one per layer or ACI
 * rootfs, never written after it is complete.  A layer's whiteouts are kept
 * in overlayfs's own format, so a tree can be an overlay lowerdir as it is:
 * a whiteout is a character device 0:0 under the hidden name, an opaque
 * directory has the xattr trusted.overlay.opaque="y".
 *
 * Where overlayfs is not used (podctl run --no-overlay, or a kernel without
 * it) the trees are merged into one directory, bottom layer first, applying
 * the whiteouts as overlayfs would; files are reflinked where the file
 * system can, else copied.  Nothing here follows a symlink of a tree: every
 * step works on directory fds with O_NOFOLLOW.
 */
#ifndef POD_IMAGE_TREE_H
#define POD_IMAGE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "common/util.h"
#include "image/digest.h"

#define TREE_OPAQUE_XATTR "trusted.overlay.opaque"

static inline bool tree_is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

/*
 * Apply the tree at src_fd onto the directory dst_fd: entries replace what
 * dst has under their name, whiteouts remove it, an opaque directory first
 * empties its counterpart.  The result has no whiteouts left (it is the
 * bottom of whatever sits on it).  Errors name the path.
 */
int tree_merge(int src_fd, int dst_fd, struct pod_err *err);

/*
 * The tree among layers (directory fds, top first) whose copy of path is
 * the one a merged view shows: *ret_i is its index.  -ENOENT if the view
 * has no path (absent, or hidden by a whiteout or an opaque directory).
 */
int tree_lookup(const int *layers, size_t n, const char *path, size_t *ret_i);

/*
 * A digest of the tree's content (names in byte order, types, modes, owners,
 * file contents, link targets; not times or xattrs): the id of an ACI
 * that podctl unpacked from a file or a directory, the same for both.
 */
int tree_digest(int fd, char hex[DIGEST_HEX_LEN + 1], uint64_t *ret_bytes, struct pod_err *err);

/* Bytes of regular files and the number of entries below fd (for image list). */
int tree_usage(int fd, uint64_t *ret_bytes, uint64_t *ret_entries);

#endif
