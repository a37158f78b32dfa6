/*
 * An OCI bundle (the OCI runtime spec's config.json, v1.0.x/1.1, as
 * containerd 1.6 writes it for `ctr run` and for its CRI plugin) turned into
 * podinit's one model: a struct stage0_app (the app's apps[] entry, its
 * volumes inline) plus what only the caller (the containerd shim) can act
 * on: the namespaces to join, the terminal, the hostname, the CRI
 * annotations that group containers into pods.
 *
 * Every field of the spec is honoured, mapped onto the model, ignored (each
 * for a stated reason: docs/kubernetes.md "OCI runtime spec fields") or
 * refused with an error that names the field and says what to do.  The
 * spec's own rule for properties it does not define is "ignore them", so
 * unknown fields are ignored, but never silently: each becomes a line in
 * ret->warnings for the shim to log; STAGE0_OCI_STRICT refuses them instead.
 *
 * The rootfs is not an image: it is a directory the caller has mounted
 * (root.path, relative to the bundle).  ret->app has no image and
 * app.rootfs names that directory (stage0/app.h, stage0/rootfs.h).  A shim
 * uses the result so:
 *
 *   stage0_oci_spec_load(bundle_fd, bundle, 0, &s, &err);   log s.warnings
 *   s.app.name = xstrdup(NAME); s.app.image = image name to show (optional)
 *   stage0_rootfs_mount_volumes(&s.app, &err);    its binds and tmpfs, inside s.rootfs
 *   a sandbox (the pod's first app):
 *     stage0_prepare() with s.app as the pod's app (mutable_pod), then
 *     stage0_rootfs_share(pod path) so later containers reach the pod, then launch;
 *     the launcher binds s.rootfs in the pod (nothing on the host)
 *   a container of a running pod:
 *     stage0_app_unpack(NULL, pod path, &s.app, &entry, &err);
 *     stage0_rootfs_attach(pod path, NAME, s.rootfs, &err);  then the app-add op with entry
 *   removal: the app-rm op, stage0_app_discard() (unmounts first), and the
 *     bundle's rootfs unmounted recursively (MNT_DETACH) by the shim
 *     (stage0_rootfs_unshare once the pod is gone)
 */
#ifndef POD_STAGE0_OCISPEC_H
#define POD_STAGE0_OCISPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "stage0/app.h"

/* config.json is read whole; containerd's with the default seccomp profile is ~20 KiB. */
#define STAGE0_OCI_MAX_BYTES (4u << 20)

/* The CRI plugin's annotations (containerd pkg/cri/annotations). */
#define OCI_ANN_CONTAINER_TYPE "io.kubernetes.cri.container-type"  /* "sandbox" or "container" */
#define OCI_ANN_SANDBOX_ID "io.kubernetes.cri.sandbox-id"
#define OCI_ANN_SANDBOX_NAME "io.kubernetes.cri.sandbox-name"
#define OCI_ANN_SANDBOX_NAMESPACE "io.kubernetes.cri.sandbox-namespace"
#define OCI_ANN_SANDBOX_UID "io.kubernetes.cri.sandbox-uid"
#define OCI_ANN_SANDBOX_LOG_DIR "io.kubernetes.cri.sandbox-log-directory"
#define OCI_ANN_CONTAINER_NAME "io.kubernetes.cri.container-name"
#define OCI_ANN_IMAGE_NAME "io.kubernetes.cri.image-name"

enum stage0_oci_kind {
        STAGE0_OCI_PLAIN,       /* no CRI annotation: `ctr run`, one container is one pod */
        STAGE0_OCI_SANDBOX,     /* CRI's pause container: it starts the pod */
        STAGE0_OCI_CONTAINER,   /* CRI container: an app added to its sandbox's pod */
};

enum stage0_oci_ns_type {
        OCI_NS_PID,
        OCI_NS_NETWORK,
        OCI_NS_MOUNT,
        OCI_NS_IPC,
        OCI_NS_UTS,
        OCI_NS_USER,
        OCI_NS_CGROUP,
        OCI_NS_TIME,
        OCI_NS_COUNT
};

/*
 * linux.namespaces[] of one type.  Not listed: the runtime's (the host's);
 * listed without a path: a new one; with a path: join that one.  Refused
 * at parse time: user and time namespaces, a host PID or IPC namespace
 * (a podinit pod always has its own).
 */
struct stage0_oci_ns {
        bool listed;
        char *path;             /* NULL: a new one (when listed) */
};

struct stage0_oci_spec {
        struct stage0_app app;          /* app.name: NULL, the caller sets it; app.image: NULL */
        enum stage0_oci_kind kind;
        char *oci_version;              /* "1.0.2-dev", ... */

        /* root: the absolute path of root.path (the bundle's path prepended when relative). */
        char *rootfs;                   /* also app.rootfs */
        bool rootfs_readonly;           /* root.readonly; also app.readonly_rootfs */

        /* process */
        bool terminal;                  /* process.terminal: app's stdin/out/err are a tty (annotations set) */
        unsigned short console_rows, console_cols;      /* process.consoleSize; 0: none given */
        bool has_umask;
        mode_t umask;                   /* process.user.umask (podinit: see docs/kubernetes.md) */

        char *hostname;                 /* NULL: none given */
        struct stage0_oci_ns ns[OCI_NS_COUNT];
        char *netns_path;               /* a copy of ns[OCI_NS_NETWORK].path, for convenience; NULL: none */
        char *cgroups_path;             /* linux.cgroupsPath, verbatim; NULL: none */
        struct kv *sysctl;              /* linux.sysctl (pod-level: only the sandbox's are applicable) */
        size_t n_sysctl;

        /* CRI (annotations); NULL where absent. */
        char *sandbox_id;
        char *sandbox_name, *sandbox_namespace, *sandbox_uid;
        char *sandbox_log_dir;
        char *container_name;
        char *image_name;

        /* Every annotation as given (including the CRI ones above), for the shim to keep. */
        struct kv *annotations;
        size_t n_annotations;

        /* Fields not applied that a user should know of: one human line each. */
        char **warnings;
        size_t n_warnings;
};

enum {
        STAGE0_OCI_STRICT = 1 << 0,     /* unknown fields are errors, not warnings */
};

/*
 * Read <bundle>/config.json (bundle_fd: the bundle directory; bundle: its
 * absolute path, for root.path and messages) and parse it.  On failure
 * *ret is untouched and err says which field and what to do.
 */
int stage0_oci_spec_load(int bundle_fd, const char *bundle, unsigned flags, struct stage0_oci_spec *ret,
                         struct pod_err *err);
/* The same from a buffer (need not be NUL-terminated); bundle: for a relative root.path (NULL: "."). */
int stage0_oci_spec_parse(const char *json, size_t len, const char *bundle, unsigned flags,
                          struct stage0_oci_spec *ret, struct pod_err *err);
void stage0_oci_spec_done(struct stage0_oci_spec *s);

const char *stage0_oci_ns_name(enum stage0_oci_ns_type t);     /* the spec's name: "network", ... */

#endif
