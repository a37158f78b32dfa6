/*
 * One app of a pod being prepared: its image unpacked into the pod under the
 * app's name (stage1/rootfs/opt/stage2/<name>) and its apps[] entry for the
 * pod manifest: the image's app section with the caller's overrides.
 *
 * struct stage0_app is plain data in the manifest's own terms (annotations,
 * isolators, mounts), filled by whoever starts a pod (podctl's flags, a
 * stage1 entrypoint, a shim's OCI spec) and owned by it: stage0_app_done()
 * frees what it holds.
 */
#ifndef POD_STAGE0_APP_H
#define POD_STAGE0_APP_H

#include <stdbool.h>
#include <jansson.h>

#include "common/manifest.h"
#include "common/util.h"

/*
 * An isolator that replaces the image's of its kind: capabilities and
 * seccomp replace both their retain and remove forms.  value NULL: the
 * image's are dropped and none is added (seccomp's default allow-list).
 */
struct stage0_isolator {
        char *name;             /* ISO_* */
        json_t *value;
};

struct stage0_mount {           /* apps[].mounts[]: a pod volume at path in the app */
        char *volume, *path;
        json_t *app_volume;     /* an inline volume (appc's Volume, named volume) for this mount: apps[].mounts[].appVolume; NULL: the pod's */
};

struct stage0_app {
        char *image;            /* a path (ACI file or directory, OCI layout, docker archive) or a store image */
        /*
         * No image: the app's root is this host directory (an OCI bundle's
         * rootfs, mounted by the caller), bound at the app's place
         * <pod>/stage1/rootfs/opt/stage2/<name>/rootfs on the host when the app
         * is unpacked (stage0/rootfs.h: how that reaches a running pod).
         * name and exec are then required; image, if set, is only the name
         * shown in status.  Its app manifest is synthesised from these fields.
         */
        char *rootfs;
        char *name;             /* NULL: derived from the image's name */
        char *exec;             /* replaces the image's program (and drops its arguments) */
        char **args;            /* replaces exec[1..]; NULL: as the image (or exec) has them */
        char *user, *group;     /* NULL: the image's, else "0" */
        char *workdir;          /* absolute; NULL: the image's */
        gid_t *supp_gids;       /* supplementaryGIDs, replacing the image's when has_supp_gids */
        size_t n_supp_gids;
        bool has_supp_gids;
        char **env;             /* NAME=VALUE, each setting or replacing the image's NAME */
        struct kv *annotations; /* in this order (I/O, logging, supervision, rlimits: docs/manifest.md) */
        size_t n_annotations;
        struct stage0_isolator *isolators;      /* applied in this order */
        size_t n_isolators;
        struct stage0_mount *mounts;
        size_t n_mounts;
        bool readonly_rootfs;
};

void stage0_app_done(struct stage0_app *a);

/*
 * Unpack the app's image into the pod directory at podpath and build its
 * apps[] entry (*ret).  The app's name must be new in the pod.  imgs says
 * where images come from (stage0/images.h); NULL: nowhere, only apps with
 * a->rootfs are accepted (stage0/source.h: a program without image code).
 */
struct stage0_images;
int stage0_app_unpack(struct stage0_images *imgs, const char *podpath, const struct stage0_app *a, json_t **ret,
                      struct pod_err *err);
/*
 * Unpack image as the app named want_name (NULL: from the image's name);
 * *ret_name is the name used, *ret_im the image's manifest.
 */
int stage0_image_unpack(struct stage0_images *imgs, const char *podpath, const char *image, const char *want_name,
                        char **ret_name, struct image_manifest **ret_im, struct pod_err *err);
/* The app's user and group, resolved in its unpacked rootfs, so a pod is never created with them wrong. */
int stage0_app_check_ids(int podfd, struct stage0_images *imgs, const struct pod_app *a, struct pod_err *err);
/* Remove an app's unpacked image (a failed `app add`). */
int stage0_app_discard(int podfd, const char *name);

#endif
