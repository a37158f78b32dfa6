/*
 * OCI and docker image documents (image/oci.h): index.json and nested
 * indexes, image manifests, image configs and docker save's manifest.json,
 * parsed from buffers the caller has read and verified, and an image config
 * mapped onto an appc ImageManifest, the one model podinit runs.
 *
 * Everything handed out is checked here (digests, sizes, media types, paths,
 * ports, signals, counts), so the importer never acts on a value nobody
 * looked at.  A message starts with the caller's name for the document and
 * the field's path ("index.json: manifests[2].digest: ..."), as the pod
 * manifest parser's do.  Fields podinit does not use are ignored.
 */
#include "image/oci.h"
#include "common/manifest.h"
#include "common/names.h"
#include "common/policy.h"
#include "common/volumes.h"

#include <signal.h>
#include <stdarg.h>
#include <string.h>

typedef struct pod_err E;

#define _cleanup_json_ _cleanup_(json_decrefp)

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_V2 "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define ANN_REF_NAME "org.opencontainers.image.ref.name"

static const struct {
        const char *type;
        enum oci_media kind;
} media_types[] = {
        { MT_OCI_INDEX, OCI_MEDIA_INDEX },
        { MT_DOCKER_LIST, OCI_MEDIA_INDEX },
        { MT_OCI_MANIFEST, OCI_MEDIA_MANIFEST },
        { MT_DOCKER_V2, OCI_MEDIA_MANIFEST },
        { "application/vnd.oci.image.config.v1+json", OCI_MEDIA_CONFIG },
        { "application/vnd.docker.container.image.v1+json", OCI_MEDIA_CONFIG },
        { "application/vnd.oci.image.layer.v1.tar", OCI_MEDIA_LAYER_TAR },
        { "application/vnd.oci.image.layer.v1.tar+gzip", OCI_MEDIA_LAYER_GZIP },
        { "application/vnd.oci.image.layer.v1.tar+zstd", OCI_MEDIA_LAYER_ZSTD },
        /* "Non-distributable" only restricts pushing the blob elsewhere; unpacking is the same. */
        { "application/vnd.oci.image.layer.nondistributable.v1.tar", OCI_MEDIA_LAYER_TAR },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", OCI_MEDIA_LAYER_GZIP },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", OCI_MEDIA_LAYER_ZSTD },
        { "application/vnd.docker.image.rootfs.diff.tar", OCI_MEDIA_LAYER_TAR },
        { "application/vnd.docker.image.rootfs.diff.tar.gzip", OCI_MEDIA_LAYER_GZIP },
};

enum oci_media oci_media_kind(const char *media_type)
{
        for (size_t i = 0; media_type && i < ARRAY_SIZE(media_types); i++)
                if (!strcmp(media_types[i].type, media_type))
                        return media_types[i].kind;
        return OCI_MEDIA_UNKNOWN;
}

static bool is_layer(enum oci_media k)
{
        return k == OCI_MEDIA_LAYER_TAR || k == OCI_MEDIA_LAYER_GZIP || k == OCI_MEDIA_LAYER_ZSTD;
}

bool oci_digest_valid(const char *digest)
{
        if (!digest || strncmp(digest, "sha256:", 7) || strlen(digest) != 7 + 64)
                return false;
        for (const char *p = digest + 7; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

/* The document being parsed: every message starts with its name. */
struct doc {
        const char *what;
        E *err;
};

static int bad(const struct doc *d, int code, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int bad(const struct doc *d, int code, const char *field, const char *fmt, ...)
{
        char msg[400];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (field && *field)
                return pod_err_set(d->err, code, "%s: %s: %s", d->what, field, msg);
        return pod_err_set(d->err, code, "%s: %s", d->what, msg);
}

/* "path.key", or "key" at the top of the document. */
static const char *join(char *buf, size_t n, const char *path, const char *key)
{
        snprintf(buf, n, "%s%s%s", path, *path ? "." : "", key);
        return buf;
}

static int load(const char *json, size_t len, const struct doc *d, json_type want, json_t **ret)
{
        json_error_t je;
        json_t *root;

        if (len > OCI_JSON_MAX)
                return pod_err_set(d->err, -EFBIG, "%s is %zu bytes, larger than the %u-byte limit", d->what, len,
                                   OCI_JSON_MAX);
        root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
        if (!root)
                return pod_err_set(d->err, -EINVAL, "%s: invalid JSON at line %d column %d: %s", d->what, je.line,
                                   je.column, je.text);
        if (json_typeof(root) != want) {
                int r = bad(d, -EINVAL, NULL, "expected %s, got %s", want == JSON_OBJECT ? "a JSON object" : "a JSON list",
                            json_type_name(root));
                json_decref(root);
                return r;
        }
        *ret = root;
        return 0;
}

/* An object member (absent or null: NULL, an error if required). */
static int get_obj(const struct doc *d, json_t *obj, const char *path, const char *key, bool required, json_t **ret)
{
        json_t *v = json_object_get(obj, key);
        char f[160];

        if (!v || json_is_null(v)) {
                if (required)
                        return bad(d, -EINVAL, join(f, sizeof(f), path, key), "required");
                *ret = NULL;
                return 0;
        }
        if (!json_is_object(v))
                return bad(d, -EINVAL, join(f, sizeof(f), path, key), "expected an object, got %s", json_type_name(v));
        *ret = v;
        return 0;
}

/* A string member, borrowed (absent, null or empty: NULL, an error if required). */
static int get_str(const struct doc *d, json_t *obj, const char *path, const char *key, bool required,
                   const char **ret)
{
        json_t *v = json_object_get(obj, key);
        char f[160];

        if (v && !json_is_null(v) && !json_is_string(v))
                return bad(d, -EINVAL, join(f, sizeof(f), path, key), "expected a string, got %s", json_type_name(v));
        if (!v || json_is_null(v) || !*json_string_value(v)) {
                if (required)
                        return bad(d, -EINVAL, join(f, sizeof(f), path, key), "required");
                *ret = NULL;
                return 0;
        }
        *ret = json_string_value(v);
        return 0;
}

static char *dup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

/* A list of strings (absent, null or empty: NULL), at most max. */
static int get_strv(const struct doc *d, json_t *obj, const char *path, const char *key, size_t max, char ***ret)
{
        json_t *v = json_object_get(obj, key), *it;
        _cleanup_strv_ char **l = NULL;
        char f[160];
        size_t i;

        join(f, sizeof(f), path, key);
        if (!v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0)) {
                *ret = NULL;
                return 0;
        }
        if (!json_is_array(v))
                return bad(d, -EINVAL, f, "expected a list of strings, got %s", json_type_name(v));
        if (json_array_size(v) > max)
                return bad(d, -E2BIG, f, "%zu entries, at most %zu allowed", json_array_size(v), max);
        l = xcalloc(json_array_size(v) + 1, sizeof(char *));
        json_array_foreach(v, i, it) {
                if (!json_is_string(it))
                        return bad(d, -EINVAL, f, "expected a list of strings, item %zu is %s", i, json_type_name(it));
                l[i] = xstrdup(json_string_value(it));
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* The keys of an object used as a set ({"80/tcp": {}}), at most max. */
static int get_keys(const struct doc *d, json_t *obj, const char *path, const char *key, size_t max, char ***ret)
{
        _cleanup_strv_ char **l = NULL;
        const char *k;
        json_t *v, *it;
        char f[160];
        size_t i = 0;
        int r;

        if ((r = get_obj(d, obj, path, key, false, &v)) < 0)
                return r;
        if (!v || json_object_size(v) == 0) {
                *ret = NULL;
                return 0;
        }
        if (json_object_size(v) > max)
                return bad(d, -E2BIG, join(f, sizeof(f), path, key), "%zu entries, at most %zu allowed",
                           json_object_size(v), max);
        l = xcalloc(json_object_size(v) + 1, sizeof(char *));
        json_object_foreach(v, k, it)
                l[i++] = xstrdup(k);
        *ret = TAKE_PTR(l);
        return 0;
}

static int check_digest(const struct doc *d, const char *field, const char *digest)
{
        const char *colon = strchr(digest, ':');

        if (oci_digest_valid(digest))
                return 0;
        if (colon && colon != digest && (size_t)(colon - digest) < 32 && strncmp(digest, "sha256:", 7))
                return bad(d, -EOPNOTSUPP, field, "\"%.80s\": %.*s digests are not supported (podinit verifies sha256 only)",
                           digest, (int)(colon - digest), digest);
        return bad(d, -EINVAL, field, "\"%.80s\" is not a sha256 digest (\"sha256:\" and 64 lower-case hex digits)",
                   digest);
}

static int platform_parse_json(const struct doc *d, json_t *j, const char *path, struct oci_platform *p)
{
        const char *os, *arch, *variant;
        int r;

        if ((r = get_str(d, j, path, "os", true, &os)) < 0 || (r = get_str(d, j, path, "architecture", true, &arch)) < 0 ||
            (r = get_str(d, j, path, "variant", false, &variant)) < 0)
                return r;
        p->os = xstrdup(os);
        p->arch = xstrdup(arch);
        p->variant = dup_or_null(variant);
        return 0;
}

static void descriptor_done(struct oci_descriptor *x)
{
        free(x->media_type);
        free(x->digest);
        free(x->ref_name);
        oci_platform_done(&x->platform);
        memset(x, 0, sizeof(*x));
}

/* A content descriptor; index entries (index) may carry a platform and a ref name. */
static int descriptor_parse(const struct doc *d, json_t *j, const char *path, bool index, struct oci_descriptor *x)
{
        const char *mt, *digest, *ref = NULL;
        json_t *size, *plat = NULL, *ann = NULL;
        char f[160];
        int r;

        if (!json_is_object(j))
                return bad(d, -EINVAL, path, "expected a descriptor object, got %s", json_type_name(j));
        if ((r = get_str(d, j, path, "mediaType", true, &mt)) < 0 || (r = get_str(d, j, path, "digest", true, &digest)) < 0 ||
            (r = check_digest(d, join(f, sizeof(f), path, "digest"), digest)) < 0)
                return r;
        size = json_object_get(j, "size");
        join(f, sizeof(f), path, "size");
        if (!size)
                return bad(d, -EINVAL, f, "required");
        if (!json_is_integer(size))
                return bad(d, -EINVAL, f, "expected a byte count (an integer >= 0), got %s", json_type_name(size));
        if (json_integer_value(size) < 0)
                return bad(d, -EINVAL, f, "%lld is not a byte count (an integer >= 0)", (long long)json_integer_value(size));
        if (index) {
                if ((r = get_obj(d, j, path, "platform", false, &plat)) < 0 ||
                    (r = get_obj(d, j, path, "annotations", false, &ann)) < 0 ||
                    (ann && (r = get_str(d, ann, join(f, sizeof(f), path, "annotations"), ANN_REF_NAME, false, &ref)) < 0))
                        return r;
                if (plat && (r = platform_parse_json(d, plat, join(f, sizeof(f), path, "platform"), &x->platform)) < 0)
                        return r;
        }
        x->media_type = xstrdup(mt);
        x->kind = oci_media_kind(mt);
        x->digest = xstrdup(digest);
        x->size = (int64_t)json_integer_value(size);
        x->has_platform = plat != NULL;
        x->ref_name = dup_or_null(ref);
        return 0;
}

/*
 * schemaVersion 2 and, when given, a mediaType of the kind wanted.  Docker's
 * schema 1 is refused by name rather than as an unknown type: it is another
 * format (layers listed top first, the config spread over v1Compatibility
 * strings) that docker itself deprecated, and one skopeo command converts it.
 */
static int check_header(const struct doc *d, json_t *root, enum oci_media want)
{
        const char *want_name = want == OCI_MEDIA_INDEX ? "an image index" : "an image manifest";
        json_t *sv = json_object_get(root, "schemaVersion");
        const char *mt;
        int r;

        if ((r = get_str(d, root, "", "mediaType", false, &mt)) < 0)
                return r;
        if ((mt && (!strcmp(mt, MT_DOCKER_V1) || !strcmp(mt, MT_DOCKER_V1_SIGNED))) ||
            (json_is_integer(sv) && json_integer_value(sv) == 1))
                return bad(d, -EOPNOTSUPP, NULL, "a docker schema 1 manifest, which podinit does not read; convert the image to "
                           "schema 2 or OCI first (e.g. skopeo copy docker://IMAGE oci:DIR)");
        if (mt && oci_media_kind(mt) != want) {
                enum oci_media k = oci_media_kind(mt);
                if (k == OCI_MEDIA_INDEX || k == OCI_MEDIA_MANIFEST)
                        return bad(d, -EINVAL, "mediaType", "%s is %s, not %s", mt,
                                   k == OCI_MEDIA_INDEX ? "an image index" : "an image manifest", want_name);
                return bad(d, -EINVAL, "mediaType", "%.100s is not %s", mt, want_name);
        }
        if (!sv)
                return bad(d, -EINVAL, "schemaVersion", "required (2)");
        if (!json_is_integer(sv))
                return bad(d, -EINVAL, "schemaVersion", "expected 2, got %s", json_type_name(sv));
        if (json_integer_value(sv) != 2)
                return bad(d, -EINVAL, "schemaVersion", "%lld is not supported (podinit reads version 2)",
                           (long long)json_integer_value(sv));
        return 0;
}

int oci_index_parse(const char *json, size_t len, const char *what, struct oci_index *ret, E *err)
{
        const struct doc d = { what, err };
        _cleanup_json_ json_t *root = NULL;
        struct oci_index idx = {};
        json_t *list, *it;
        size_t i;
        int r;

        if ((r = load(json, len, &d, JSON_OBJECT, &root)) < 0 || (r = check_header(&d, root, OCI_MEDIA_INDEX)) < 0)
                return r;
        list = json_object_get(root, "manifests");
        if (!list || json_is_null(list))
                return bad(&d, -EINVAL, "manifests", "required%s",
                           json_object_get(root, "layers") ? " (this is an image manifest, not an index)" : "");
        if (!json_is_array(list))
                return bad(&d, -EINVAL, "manifests", "expected a list, got %s", json_type_name(list));
        if (json_array_size(list) > OCI_MAX_INDEX_ENTRIES)
                return bad(&d, -E2BIG, "manifests", "%zu entries, at most %u allowed", json_array_size(list),
                           OCI_MAX_INDEX_ENTRIES);
        idx.manifests = xcalloc(json_array_size(list) + 1, sizeof(*idx.manifests));
        idx.n = json_array_size(list);
        json_array_foreach(list, i, it) {
                char p[48];
                snprintf(p, sizeof(p), "manifests[%zu]", i);
                if ((r = descriptor_parse(&d, it, p, true, &idx.manifests[i])) < 0) {
                        oci_index_done(&idx);
                        return r;
                }
        }
        *ret = idx;
        return 0;
}

int oci_manifest_parse(const char *json, size_t len, const char *what, struct oci_manifest *ret, E *err)
{
        const struct doc d = { what, err };
        _cleanup_json_ json_t *root = NULL;
        struct oci_manifest m = {};
        json_t *cfg, *layers, *it;
        size_t i;
        int r;

        if ((r = load(json, len, &d, JSON_OBJECT, &root)) < 0 || (r = check_header(&d, root, OCI_MEDIA_MANIFEST)) < 0)
                return r;
        cfg = json_object_get(root, "config");
        if (!cfg || json_is_null(cfg))
                return bad(&d, -EINVAL, "config", "required%s",
                           json_object_get(root, "manifests") ? " (this is an image index, not a manifest)" : "");
        layers = json_object_get(root, "layers");
        if (!layers || json_is_null(layers))
                return bad(&d, -EINVAL, "layers", "required");
        if (!json_is_array(layers))
                return bad(&d, -EINVAL, "layers", "expected a list, got %s", json_type_name(layers));
        if (json_array_size(layers) > OCI_MAX_LAYERS)
                return bad(&d, -E2BIG, "layers", "%zu layers, at most %u allowed", json_array_size(layers), OCI_MAX_LAYERS);
        if ((r = descriptor_parse(&d, cfg, "config", false, &m.config)) < 0)
                return r;
        if (m.config.kind != OCI_MEDIA_CONFIG) {
                r = bad(&d, -EINVAL, "config", "media type %s is not a container image config (an artifact that is not a "
                        "container image?)", m.config.media_type);
                goto fail;
        }
        m.layers = xcalloc(json_array_size(layers) + 1, sizeof(*m.layers));
        m.n_layers = json_array_size(layers);
        json_array_foreach(layers, i, it) {
                char p[48];
                snprintf(p, sizeof(p), "layers[%zu]", i);
                if ((r = descriptor_parse(&d, it, p, false, &m.layers[i])) < 0)
                        goto fail;
                if (!is_layer(m.layers[i].kind)) {
                        r = bad(&d, -EINVAL, p, "media type %s is not a layer podinit can unpack", m.layers[i].media_type);
                        goto fail;
                }
        }
        *ret = m;
        return 0;
fail:
        oci_manifest_done(&m);
        return r;
}

/* Docker's EXPOSE without a protocol means tcp. */
int oci_port_parse(const char *s, unsigned *ret_port, const char **ret_proto)
{
        static const char *const protos[] = { "tcp", "udp", "sctp" };
        const char *slash = strchr(s, '/');
        char num[8];
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        long port;

        if (n == 0 || n >= sizeof(num))
                return -EINVAL;
        memcpy(num, s, n);
        num[n] = '\0';
        if (parse_long(num, 1, 65535, &port) < 0)
                return -EINVAL;
        for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
                if (!slash || !strcmp(slash + 1, protos[i])) {
                        *ret_port = (unsigned)port;
                        *ret_proto = protos[i];
                        return 0;
                }
        return -EINVAL;
}

/* Real-time signals count from SIGRTMIN, glibc's 34 (docker's too). */
int oci_stop_signal_parse(const char *s, int *ret)
{
        const char *n = str_startswith(s, "SIG") ? s + 3 : s;
        long off;
        int sig;

        if (str_startswith(n, "RTMIN+") && parse_long(n + 6, 0, SIGRTMAX - SIGRTMIN, &off) == 0)
                sig = SIGRTMIN + (int)off;
        else if (str_startswith(n, "RTMAX-") && parse_long(n + 6, 0, SIGRTMAX - SIGRTMIN, &off) == 0)
                sig = SIGRTMAX - (int)off;
        else if (!strcmp(n, "RTMIN") || !strcmp(n, "RTMAX"))
                sig = n[3] == 'I' ? SIGRTMIN : SIGRTMAX;
        else if (signal_parse(s, &sig) < 0)
                return -EINVAL;
        if (sig == SIGKILL || sig == SIGSTOP)
                return -EPERM;
        *ret = sig;
        return 0;
}

static int check_stop_signal(const struct doc *d, const char *field, const char *s)
{
        int sig, r = oci_stop_signal_parse(s, &sig);

        if (r == -EPERM)
                return bad(d, -EINVAL, field, "\"%s\" cannot be a stop signal (SIGKILL gives the app no chance to stop; "
                           "SIGSTOP only pauses it)", s);
        if (r < 0)
                return bad(d, -EINVAL, field, "\"%.64s\" is not a signal (e.g. SIGQUIT, TERM, 15, SIGRTMIN+3)", s);
        return 0;
}

/* The "config" section of an image config: what the app runs and how. */
static int parse_exec_config(const struct doc *d, json_t *cfg, struct oci_config *c)
{
        const char *user, *wd, *sig;
        char f[64];
        int r;

        if ((r = get_str(d, cfg, "config", "User", false, &user)) < 0 ||
            (r = get_str(d, cfg, "config", "WorkingDir", false, &wd)) < 0 ||
            (r = get_str(d, cfg, "config", "StopSignal", false, &sig)) < 0 ||
            (r = get_strv(d, cfg, "config", "Entrypoint", POD_MAX_ARGS, &c->entrypoint)) < 0 ||
            (r = get_strv(d, cfg, "config", "Cmd", POD_MAX_ARGS, &c->cmd)) < 0 ||
            (r = get_strv(d, cfg, "config", "Env", POD_MAX_ENV, &c->env)) < 0 ||
            (r = get_keys(d, cfg, "config", "ExposedPorts", OCI_MAX_PORTS, &c->exposed_ports)) < 0 ||
            (r = get_keys(d, cfg, "config", "Volumes", POD_MAX_VOLUMES, &c->volumes)) < 0)
                return r;
        if (wd && wd[0] != '/')
                return bad(d, -EINVAL, "config.WorkingDir", "\"%s\" is not an absolute path", wd);
        if (sig && (r = check_stop_signal(d, "config.StopSignal", sig)) < 0)
                return r;
        c->user = dup_or_null(user);
        c->working_dir = dup_or_null(wd);
        c->stop_signal = dup_or_null(sig);
        for (size_t i = 0; c->env && c->env[i]; i++) {
                const char *eq = strchr(c->env[i], '=');
                _cleanup_free_ char *name = eq ? xasprintf("%.*s", (int)(eq - c->env[i]), c->env[i]) : NULL;
                if (!name || !env_name_valid(name)) {
                        snprintf(f, sizeof(f), "config.Env[%zu]", i);
                        return bad(d, -EINVAL, f, "\"%.64s\" is not NAME=VALUE with a valid variable name", c->env[i]);
                }
        }
        for (size_t i = 0; c->exposed_ports && c->exposed_ports[i]; i++) {
                unsigned port;
                const char *proto;
                if (oci_port_parse(c->exposed_ports[i], &port, &proto) < 0)
                        return bad(d, -EINVAL, "config.ExposedPorts", "\"%.64s\" is not a port (1 to 65535, optionally "
                                   "/tcp, /udp or /sctp)", c->exposed_ports[i]);
        }
        for (size_t i = 0; c->volumes && c->volumes[i]; i++)
                if (c->volumes[i][0] != '/')
                        return bad(d, -EINVAL, "config.Volumes", "\"%.64s\" is not an absolute path", c->volumes[i]);
        return 0;
}

int oci_config_parse(const char *json, size_t len, const char *what, struct oci_config *ret, E *err)
{
        const struct doc d = { what, err };
        _cleanup_json_ json_t *root = NULL;
        struct oci_config c = {};
        json_t *cfg, *rootfs;
        const char *os, *arch, *variant, *created, *type;
        int r;

        if ((r = load(json, len, &d, JSON_OBJECT, &root)) < 0)
                return r;
        if ((r = get_str(&d, root, "", "os", true, &os)) < 0 || (r = get_str(&d, root, "", "architecture", true, &arch)) < 0 ||
            (r = get_str(&d, root, "", "variant", false, &variant)) < 0 ||
            (r = get_str(&d, root, "", "created", false, &created)) < 0 ||
            (r = get_obj(&d, root, "", "config", false, &cfg)) < 0 ||
            (r = get_obj(&d, root, "", "rootfs", true, &rootfs)) < 0 ||
            (r = get_str(&d, rootfs, "rootfs", "type", true, &type)) < 0)
                return r;
        if (strcmp(type, "layers"))
                return bad(&d, -EINVAL, "rootfs.type", "\"%.64s\" is not \"layers\"", type);
        c.platform.os = xstrdup(os);
        c.platform.arch = xstrdup(arch);
        c.platform.variant = dup_or_null(variant);
        c.created = dup_or_null(created);
        if ((r = get_strv(&d, rootfs, "rootfs", "diff_ids", OCI_MAX_LAYERS, &c.diff_ids)) < 0 ||
            (cfg && (r = parse_exec_config(&d, cfg, &c)) < 0))
                goto fail;
        for (size_t i = 0; c.diff_ids && c.diff_ids[i]; i++) {
                char f[48];
                snprintf(f, sizeof(f), "rootfs.diff_ids[%zu]", i);
                if ((r = check_digest(&d, f, c.diff_ids[i])) < 0)
                        goto fail;
        }
        *ret = c;
        return 0;
fail:
        oci_config_done(&c);
        return r;
}

/* Relative, not empty, no ".." component: a name inside the archive. */
static bool archive_path_valid(const char *p)
{
        if (!*p || *p == '/' || strlen(p) >= 4096)
                return false;
        for (const char *c = p; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
                if (!strncmp(c, "..", 2) && (c[2] == '/' || c[2] == '\0'))
                        return false;
        return true;
}

static int archive_entry_parse(const struct doc *d, json_t *it, const char *p, struct docker_archive_entry *e)
{
        const char *config;
        char f[96];
        int r;

        if (!json_is_object(it))
                return bad(d, -EINVAL, p, "expected an object, got %s", json_type_name(it));
        if ((r = get_str(d, it, p, "Config", true, &config)) < 0)
                return r;
        if (!archive_path_valid(config))
                return bad(d, -EINVAL, join(f, sizeof(f), p, "Config"), "\"%.80s\" is not a relative path inside the archive",
                           config);
        e->config = xstrdup(config);
        if ((r = get_strv(d, it, p, "RepoTags", OCI_MAX_INDEX_ENTRIES, &e->repo_tags)) < 0)
                return r;
        if (!json_is_array(json_object_get(it, "Layers")))
                return bad(d, -EINVAL, join(f, sizeof(f), p, "Layers"), "required: a list of paths");
        if ((r = get_strv(d, it, p, "Layers", OCI_MAX_LAYERS, &e->layers)) < 0)
                return r;
        e->n_layers = strv_length(e->layers);
        for (size_t i = 0; i < e->n_layers; i++)
                if (!archive_path_valid(e->layers[i])) {
                        snprintf(f, sizeof(f), "%s.Layers[%zu]", p, i);
                        return bad(d, -EINVAL, f, "\"%.80s\" is not a relative path inside the archive", e->layers[i]);
                }
        return 0;
}

int docker_archive_manifest_parse(const char *json, size_t len, struct docker_archive_entry **ret, size_t *ret_n, E *err)
{
        const struct doc d = { "manifest.json", err };
        _cleanup_json_ json_t *root = NULL;
        struct docker_archive_entry *e;
        json_t *it;
        size_t i, n;
        int r;

        if ((r = load(json, len, &d, JSON_ARRAY, &root)) < 0)
                return r;
        n = json_array_size(root);
        if (n == 0)
                return bad(&d, -EINVAL, NULL, "lists no images");
        if (n > OCI_MAX_INDEX_ENTRIES)
                return bad(&d, -E2BIG, NULL, "%zu images, at most %u allowed", n, OCI_MAX_INDEX_ENTRIES);
        e = xcalloc(n, sizeof(*e));
        json_array_foreach(root, i, it) {
                char p[32];
                snprintf(p, sizeof(p), "[%zu]", i);
                if ((r = archive_entry_parse(&d, it, p, &e[i])) < 0) {
                        docker_archive_entries_free(e, n);
                        return r;
                }
        }
        *ret = e;
        *ret_n = n;
        return 0;
}

void oci_index_done(struct oci_index *idx)
{
        for (size_t i = 0; idx->manifests && i < idx->n; i++)
                descriptor_done(&idx->manifests[i]);
        free(idx->manifests);
        memset(idx, 0, sizeof(*idx));
}

void oci_manifest_done(struct oci_manifest *m)
{
        descriptor_done(&m->config);
        for (size_t i = 0; m->layers && i < m->n_layers; i++)
                descriptor_done(&m->layers[i]);
        free(m->layers);
        memset(m, 0, sizeof(*m));
}

void oci_config_done(struct oci_config *c)
{
        oci_platform_done(&c->platform);
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        strv_free(c->env);
        strv_free(c->exposed_ports);
        strv_free(c->volumes);
        strv_free(c->diff_ids);
        free(c->working_dir);
        free(c->user);
        free(c->stop_signal);
        free(c->created);
        memset(c, 0, sizeof(*c));
}

void docker_archive_entries_free(struct docker_archive_entry *e, size_t n)
{
        for (size_t i = 0; e && i < n; i++) {
                free(e[i].config);
                strv_free(e[i].repo_tags);
                strv_free(e[i].layers);
        }
        free(e);
}
