/*
 * The pod directory, as rkt's stage0 hands it to stage1 (docs/stage1-abi.md):
 * created under <dir>/pods/prepare/<uuid> and locked, laid out for podinit,
 * then moved to <dir>/pods/run/<uuid> once complete (or removed whole).
 * Also where the stage1 binary, podinit, is found.
 *
 *   stage0_dir_create()     a new UUID, its prepare directory, the lock
 *   stage0_dir_layout()     stage1/manifest, rkt/status and the other fixed entries
 *   stage0_dir_commit()     move it to pods/run (and save its UUID where asked)
 *   stage0_dir_discard()    on any failure: remove it, so nothing is left behind
 */
#ifndef POD_STAGE0_LAYOUT_H
#define POD_STAGE0_LAYOUT_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/util.h"
#include "common/uuid.h"

struct stage0_dir {
        char uuid[UUID_STR_LEN];
        char *prepare_path;     /* <dir>/pods/prepare/<uuid> */
        char *run_path;         /* <dir>/pods/run/<uuid> */
        int fd;                 /* the pod directory, flock(LOCK_EX) held: podinit inherits it */
        bool committed;         /* moved to run_path */
};

/* A new pod directory under <dir>/pods/prepare, locked; messages name the path. */
int stage0_dir_create(const char *dir, struct stage0_dir *ret, struct pod_err *err);
/* The entries every pod has before its apps: stage1's manifest and the rkt/ directories. */
int stage0_dir_layout(int podfd, struct pod_err *err);
/*
 * Move the prepared pod to pods/run.  uuid_file (rkt's --uuid-file-save), if
 * set, then gets the UUID; if that fails, the pod goes back to pods/prepare.
 */
int stage0_dir_commit(struct stage0_dir *d, const char *uuid_file, struct pod_err *err);
/* Close the lock and remove the pod (moved back from pods/run first if it got there); rm's result. */
int stage0_dir_discard(struct stage0_dir *d);
/* Free the paths and close the lock if still held (d->fd: -1 once taken). */
void stage0_dir_done(struct stage0_dir *d);

/* path's new contents, text, written atomically; the message names path. */
int stage0_write_text(int dirfd, const char *path, const char *text, mode_t mode, struct pod_err *err);

/*
 * The podinit binary: $PODINIT, else next to this program, else
 * ../lib/podinit/podinit from it (an installed tree).  NULL if none.
 */
const char *stage0_find_podinit(void);

#endif
