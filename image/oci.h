/*
 * OCI image layouts and docker-archive manifests: parsers for the JSON
 * documents (index.json and nested indexes, image manifests, image configs,
 * docker save's manifest.json) and the mapping of an image config onto the
 * one pod model (DESIGN rule 7): an appc ImageManifest whose "app" section
 * podinit runs.  Pure functions over buffers: no files are read here
 * (image/import.c reads and verifies the blobs, then calls these).
 *
 * Media types accepted: OCI's (application/vnd.oci.image.*) and docker's
 * schema 2 (application/vnd.docker.distribution.manifest.v2+json,
 * ...manifest.list.v2+json, application/vnd.docker.container.image.v1+json,
 * application/vnd.docker.image.rootfs.diff.tar.gzip).  Anything else is an
 * error that names the media type.  docs/images.md lists them.
 */
#ifndef POD_IMAGE_OCI_H
#define POD_IMAGE_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "common/util.h"

/* The largest index, manifest or config document read (DESIGN rule 6). */
#define OCI_JSON_MAX (4u << 20)
/* An image manifest annotation: the first N words of app.exec are the OCI Entrypoint (stage0 keeps them under -- ARGS). */
#define ANN_ENTRYPOINT_WORDS "podinit.io/entrypoint-words"
/* Most layers in one image manifest (docker's limit is 127; overlay's stack 500). */
#define OCI_MAX_LAYERS 1000
/* Most manifests in one index, and how deep indexes may nest. */
#define OCI_MAX_INDEX_ENTRIES 10000
#define OCI_MAX_INDEX_DEPTH 8
/* Most ExposedPorts in one image config. */
#define OCI_MAX_PORTS 4096

enum oci_media {
        OCI_MEDIA_UNKNOWN,
        OCI_MEDIA_INDEX,        /* OCI image index or docker manifest list */
        OCI_MEDIA_MANIFEST,     /* OCI image manifest or docker schema 2 manifest */
        OCI_MEDIA_CONFIG,       /* OCI image config or docker container image config */
        OCI_MEDIA_LAYER_TAR,
        OCI_MEDIA_LAYER_GZIP,
        OCI_MEDIA_LAYER_ZSTD,
};

/* The kind of a media type string (NULL: OCI_MEDIA_UNKNOWN). */
enum oci_media oci_media_kind(const char *media_type);

struct oci_platform {
        char *os, *arch, *variant;      /* variant may be NULL */
};

struct oci_descriptor {
        char *media_type;               /* as given; NULL if absent */
        enum oci_media kind;
        char *digest;                   /* "sha256:<64 lower-case hex>" (checked) */
        int64_t size;                   /* >= 0 (checked) */
        bool has_platform;
        struct oci_platform platform;   /* index entries only */
        char *ref_name;                 /* annotation org.opencontainers.image.ref.name, or NULL */
};

struct oci_index {
        struct oci_descriptor *manifests;
        size_t n;
};

struct oci_manifest {
        struct oci_descriptor config;
        struct oci_descriptor *layers;  /* bottom first */
        size_t n_layers;
};

struct oci_config {
        struct oci_platform platform;   /* "os", "architecture", "variant" */
        char **entrypoint, **cmd, **env;        /* NULL-terminated; NULL if absent or empty */
        char *working_dir, *user, *stop_signal; /* NULL if absent or empty */
        char **exposed_ports;           /* keys of ExposedPorts: "80/tcp", "53/udp", "8080" */
        char **volumes;                 /* keys of Volumes: absolute paths */
        char **diff_ids;                /* rootfs.diff_ids, bottom first */
        char *created;                  /* RFC 3339, or NULL */
};

/* One entry of docker save's manifest.json. */
struct docker_archive_entry {
        char *config;                   /* path of the config in the archive */
        char **repo_tags;               /* NULL-terminated; NULL if none */
        char **layers;                  /* paths of the layer tars in the archive, bottom first */
        size_t n_layers;
};

/* "sha256:<64 lower-case hex>"; other algorithms are refused (docs/images.md). */
bool oci_digest_valid(const char *digest);

/* An ExposedPorts key: "80", "80/tcp", "53/udp", "9/sctp" (no protocol: tcp); -EINVAL otherwise. */
int oci_port_parse(const char *s, unsigned *ret_port, const char **ret_proto);
/*
 * A StopSignal as docker writes it ("SIGQUIT", "QUIT", "3", "SIGRTMIN+3");
 * -EINVAL if it is none, -EPERM for SIGKILL and SIGSTOP (refused as the
 * podinit.io/stop-signal annotation refuses them).
 */
int oci_stop_signal_parse(const char *s, int *ret);

/* "os/arch[/variant]" (e.g. linux/amd64, linux/arm64/v8; x86_64 and aarch64 are read as amd64 and arm64). */
int oci_platform_parse(const char *s, struct oci_platform *ret, struct pod_err *err);
/* This machine's platform (linux/amd64 on x86-64). */
void oci_platform_host(struct oci_platform *ret);
/* Does an index entry's platform match want (variant compared only when want has one; an arm
 * entry without one is v7, an arm64 entry v8)? */
bool oci_platform_match(const struct oci_platform *have, const struct oci_platform *want);
void oci_platform_done(struct oci_platform *p);

/*
 * The parsers: err names the field ("manifests[2].digest: not a sha256
 * digest").  what names the document in messages ("index.json",
 * "manifest sha256:ab12..."): the caller's name for it.
 */
int oci_index_parse(const char *json, size_t len, const char *what, struct oci_index *ret, struct pod_err *err);
int oci_manifest_parse(const char *json, size_t len, const char *what, struct oci_manifest *ret, struct pod_err *err);
int oci_config_parse(const char *json, size_t len, const char *what, struct oci_config *ret, struct pod_err *err);
int docker_archive_manifest_parse(const char *json, size_t len, struct docker_archive_entry **ret, size_t *ret_n,
                                  struct pod_err *err);

/*
 * Which entry of an index to use: among its manifests and nested indexes
 * (other artifacts are skipped) whose ref_name is ref (when ref is not
 * NULL), one whose platform matches want (NULL: any) before one with no
 * platform; two such entries for different blobs are the user's choice, an
 * error.  Errors name what was there: "no manifest for linux/arm64 in
 * index.json (it has linux/amd64, linux/s390x); choose one with --platform".
 */
int oci_index_select(const struct oci_index *idx, const char *what, const struct oci_platform *want, const char *ref,
                     size_t *ret_i, struct pod_err *err);

void oci_index_done(struct oci_index *idx);
void oci_manifest_done(struct oci_manifest *m);
void oci_config_done(struct oci_config *c);
void docker_archive_entries_free(struct docker_archive_entry *e, size_t n);

/*
 * The appc ImageManifest (acKind ImageManifest, acVersion 0.8.11) for an
 * image with config c named name: app.exec = Entrypoint + Cmd, environment
 * from Env (a later NAME replaces an earlier one), workingDirectory,
 * user/group (uid and gid: the caller resolved the config's User in the
 * image's /etc/passwd and /etc/group), ports from ExposedPorts ("80-tcp"),
 * mountPoints from Volumes ("volume-var-lib-data"), and the StopSignal
 * ("SIGQUIT") as the image annotation podinit.io/stop-signal, which the pod
 * app takes over.  docs/manifest.md "From an OCI image" lists each field.
 * An image with neither Entrypoint nor Cmd gets no exec (podctl run then
 * asks for --exec).  Errors (-EINVAL, -E2BIG) name the image and the field:
 * the config is checked again, as it may not come from oci_config_parse.
 */
int oci_config_to_appc(const struct oci_config *c, const char *name, uid_t uid, gid_t gid, json_t **ret,
                       struct pod_err *err);

#endif
