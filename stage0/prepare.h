/*
 * stage0: preparing a pod for podinit, as rkt's stage0 does -- a library
 * shared by podctl, the stage1 entrypoints and (later) the containerd shim,
 * and where the image store plugs in (stage0/images.h, a library of its own:
 * stage0/source.h).  It knows nothing of command lines: a caller describes
 * the pod in a struct stage0_pod and gets a pod directory podinit can run.
 *
 *   struct stage0_dir d;
 *   stage0_dir_create(dir, &d, &err);                     stage0/layout.h
 *   stage0_prepare(d.fd, d.prepare_path, &pod, &err);     images, pod manifest
 *   stage0_dir_commit(&d, uuid_file, &err);               now in pods/run
 *   (on any failure: stage0_dir_discard(&d))
 *
 * Everything that can be checked on the host is checked before the pod is
 * complete: images, the manifest (with podinit's own parser), each app's
 * user and group in its rootfs, the volumes its mounts name.
 */
#ifndef POD_STAGE0_PREPARE_H
#define POD_STAGE0_PREPARE_H

#include <stdbool.h>
#include <jansson.h>

#include "common/util.h"
#include "stage0/app.h"
#include "stage0/layout.h"

struct stage0_pod {
        struct stage0_app *apps;
        size_t n_apps;
        /*
         * A pod manifest file to use as it is (rkt's --pod-manifest): each of
         * its apps names its image (apps[].image.name), found among apps[].image
         * (only those are used); two apps may share one image.
         */
        char *manifest_path;
        bool mutable_pod;       /* apps are added and removed later (rkt's mutable pods) */
        json_t *volumes;        /* the manifest's "volumes" list (appc's schema), or NULL */
        json_t *ports;          /* the manifest's "ports" list (appc's ExposedPort), or NULL */
        char *resolv_conf;      /* the pod's resolv.conf (rkt's --dns), or NULL */
        char *stop_timeout;     /* a duration: how long apps get to stop (the pod's default) */
        char *exit_policy;      /* first-failure, highest or app:NAME (docs/lifecycle.md) */
        struct stage0_images *images;   /* where images come from (NULL: none, rootfs apps only); the caller's */
};

void stage0_pod_done(struct stage0_pod *p);

/*
 * Lay out the pod directory at podpath (podfd: the same directory), unpack
 * every app's image into it and write its pod manifest, "pod".  On failure
 * the directory is left as it is: the caller discards it.
 */
int stage0_prepare(int podfd, const char *podpath, const struct stage0_pod *pod, struct pod_err *err);

#endif
