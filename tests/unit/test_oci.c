/*
 * Unit tests for image/oci.c, oci_platform.c and oci_appc.c: the OCI and
 * docker documents (index, manifest, config, docker save's manifest.json),
 * the choice of an index entry, and the mapping of a config onto an appc
 * image manifest.  JSON is written with single quotes (J() turns them into
 * double quotes) so that the documents stay readable.
 */
#include "test.h"
#include "image/oci.h"
#include "common/manifest.h"
#include "common/policy.h"
#include "common/util.h"

#include <signal.h>

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define DD "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define DE "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define DF "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_D_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_D_V2 "application/vnd.docker.distribution.manifest.v2+json"
#define MT_D_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_D_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* A descriptor: 'mediaType', 'digest' and 'size' 1, then the rest (may be empty). */
#define DESC(mt, digest, rest) "{'mediaType':'" mt "','digest':'" digest "','size':1" rest "}"
#define PLAT(os, arch) ",'platform':{'os':'" os "','architecture':'" arch "'}"
#define PLATV(os, arch, v) ",'platform':{'os':'" os "','architecture':'" arch "','variant':'" v "'}"
#define REF(name) ",'annotations':{'org.opencontainers.image.ref.name':'" name "'}"
#define INDEX(entries) "{'schemaVersion':2,'mediaType':'" MT_INDEX "','manifests':[" entries "]}"
#define MANIFEST(config, layers) "{'schemaVersion':2,'mediaType':'" MT_MANIFEST "','config':" config ",'layers':[" layers "]}"
#define ROOTFS ",'rootfs':{'type':'layers','diff_ids':['" DA "']}"
#define CONFIG(cfg) "{'architecture':'amd64','os':'linux','config':{" cfg "}" ROOTFS "}"

/* The document with ' for ", in one of a few rotating buffers (enough for one assertion's needs). */
static const char *J(const char *s)
{
        static char bufs[4][65536];
        static unsigned k;
        char *b = bufs[k++ % 4];
        size_t i;

        for (i = 0; s[i] && i < sizeof(bufs[0]) - 1; i++)
                b[i] = s[i] == '\'' ? '"' : s[i];
        b[i] = '\0';
        return b;
}

enum doc_kind { DOC_INDEX, DOC_MANIFEST, DOC_CONFIG, DOC_ARCHIVE };

/* Parse json as kind (its storage freed again on success); the parser's result. */
static int parse_doc(enum doc_kind kind, const char *json, size_t len, struct pod_err *err)
{
        int r = -1;

        memset(err, 0, sizeof(*err));
        if (kind == DOC_INDEX) {
                struct oci_index idx;
                if ((r = oci_index_parse(json, len, "index.json", &idx, err)) == 0)
                        oci_index_done(&idx);
        } else if (kind == DOC_MANIFEST) {
                struct oci_manifest m;
                if ((r = oci_manifest_parse(json, len, "manifest " DA, &m, err)) == 0)
                        oci_manifest_done(&m);
        } else if (kind == DOC_CONFIG) {
                struct oci_config c;
                if ((r = oci_config_parse(json, len, "config " DB, &c, err)) == 0)
                        oci_config_done(&c);
        } else {
                struct docker_archive_entry *e;
                size_t n;
                if ((r = docker_archive_manifest_parse(json, len, &e, &n, err)) == 0)
                        docker_archive_entries_free(e, n);
        }
        return r;
}

struct bad_doc {
        const char *json;       /* with ' for " */
        int code;
        const char *msg;        /* a substring of the message */
};

static void expect_errors(enum doc_kind kind, const struct bad_doc *bad, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *json = J(bad[i].json);
                struct pod_err err;
                int r = parse_doc(kind, json, strlen(json), &err);
                if (r != bad[i].code || err.code != r || !strstr(err.msg, bad[i].msg))
                        FAIL_AT("%s: returned %d \"%s\", expected %d and \"%s\"", json, r, err.msg, bad[i].code, bad[i].msg);
        }
}

TEST(oci_media_kinds)
{
        static const struct { const char *type; enum oci_media kind; } t[] = {
                { MT_INDEX, OCI_MEDIA_INDEX }, { MT_D_LIST, OCI_MEDIA_INDEX },
                { MT_MANIFEST, OCI_MEDIA_MANIFEST }, { MT_D_V2, OCI_MEDIA_MANIFEST },
                { MT_CONFIG, OCI_MEDIA_CONFIG }, { MT_D_CONFIG, OCI_MEDIA_CONFIG },
                { "application/vnd.oci.image.layer.v1.tar", OCI_MEDIA_LAYER_TAR },
                { MT_LAYER_GZ, OCI_MEDIA_LAYER_GZIP },
                { "application/vnd.oci.image.layer.v1.tar+zstd", OCI_MEDIA_LAYER_ZSTD },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar", OCI_MEDIA_LAYER_TAR },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", OCI_MEDIA_LAYER_GZIP },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", OCI_MEDIA_LAYER_ZSTD },
                { MT_D_LAYER, OCI_MEDIA_LAYER_GZIP },
                { "application/vnd.docker.image.rootfs.diff.tar", OCI_MEDIA_LAYER_TAR },
                { "application/vnd.docker.distribution.manifest.v1+json", OCI_MEDIA_UNKNOWN },
                { "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", OCI_MEDIA_UNKNOWN },
                { "application/vnd.oci.image.layer.v1.tar+GZIP", OCI_MEDIA_UNKNOWN },
                { "", OCI_MEDIA_UNKNOWN },
        };

        for (size_t i = 0; i < ARRAY_SIZE(t); i++)
                if (oci_media_kind(t[i].type) != t[i].kind)
                        FAIL_AT("%s: kind %d, expected %d", t[i].type, oci_media_kind(t[i].type), t[i].kind);
        ASSERT_EQ(OCI_MEDIA_UNKNOWN, oci_media_kind(NULL));
}

TEST(oci_digest_valid_table)
{
        static const char *const bad[] = {
                "", "sha256:", "sha256:abc", DA "a", "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "sha256:gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "sha512:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "SHA256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                " sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        };

        ASSERT(oci_digest_valid(DA));
        ASSERT(oci_digest_valid("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        ASSERT(!oci_digest_valid(NULL));
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                if (oci_digest_valid(bad[i]))
                        FAIL_AT("\"%s\" accepted", bad[i]);
}

TEST(oci_index_oci_layout)
{
        /* An OCI layout's index.json: ref names, no platforms, fields podinit ignores. */
        const char *json = J("{'schemaVersion':2,'mediaType':'" MT_INDEX "','annotations':{'x':'y'},'manifests':["
                             DESC(MT_MANIFEST, DA, ",'urls':[],'annotations':{'org.opencontainers.image.ref.name':'latest','other':7}") ","
                             DESC(MT_INDEX, DB, REF("multi")) ","
                             "{'mediaType':'application/vnd.example+json','digest':'" DC "','size':0,'artifactType':'x'}]}");
        struct oci_index idx;
        struct pod_err err = {};

        ASSERT_EQ(0, oci_index_parse(json, strlen(json), "index.json", &idx, &err));
        ASSERT_EQ(3, idx.n);
        ASSERT_STREQ(MT_MANIFEST, idx.manifests[0].media_type);
        ASSERT_EQ(OCI_MEDIA_MANIFEST, idx.manifests[0].kind);
        ASSERT_STREQ(DA, idx.manifests[0].digest);
        ASSERT_EQ(1, idx.manifests[0].size);
        ASSERT(!idx.manifests[0].has_platform);
        ASSERT(idx.manifests[0].platform.os == NULL);
        ASSERT_STREQ("latest", idx.manifests[0].ref_name);
        ASSERT_EQ(OCI_MEDIA_INDEX, idx.manifests[1].kind);
        ASSERT_STREQ("multi", idx.manifests[1].ref_name);
        /* Artifacts of other kinds are listed (and never chosen). */
        ASSERT_EQ(OCI_MEDIA_UNKNOWN, idx.manifests[2].kind);
        ASSERT_EQ(0, idx.manifests[2].size);
        ASSERT(idx.manifests[2].ref_name == NULL);
        oci_index_done(&idx);
        ASSERT(idx.manifests == NULL);
        oci_index_done(&idx);   /* twice is harmless */

        /* mediaType is optional at the top; an empty index is a valid document. */
        json = J("{'schemaVersion':2,'manifests':[]}");
        ASSERT_EQ(0, oci_index_parse(json, strlen(json), "index.json", &idx, &err));
        ASSERT_EQ(0, idx.n);
        oci_index_done(&idx);
}

TEST(oci_index_docker_manifest_list)
{
        const char *json = J("{'schemaVersion':2,'mediaType':'" MT_D_LIST "','manifests':["
                             DESC(MT_D_V2, DA, PLAT("linux", "amd64")) ","
                             "{'mediaType':'" MT_D_V2 "','digest':'" DB "','size':528,'platform':{'architecture':'arm',"
                             "'os':'linux','variant':'v7','os.features':[],'features':['sse4']}}]}");
        struct oci_index idx;
        struct pod_err err = {};

        ASSERT_EQ(0, oci_index_parse(json, strlen(json), "manifest list", &idx, &err));
        ASSERT_EQ(2, idx.n);
        ASSERT(idx.manifests[0].has_platform);
        ASSERT_STREQ("linux", idx.manifests[0].platform.os);
        ASSERT_STREQ("amd64", idx.manifests[0].platform.arch);
        ASSERT(idx.manifests[0].platform.variant == NULL);
        ASSERT_EQ(OCI_MEDIA_MANIFEST, idx.manifests[1].kind);
        ASSERT_EQ(528, idx.manifests[1].size);
        ASSERT_STREQ("arm", idx.manifests[1].platform.arch);
        ASSERT_STREQ("v7", idx.manifests[1].platform.variant);
        oci_index_done(&idx);
}

TEST(oci_index_errors)
{
        static const struct bad_doc bad[] = {
                { "{", -EINVAL, "index.json: invalid JSON at line" },
                { "[]", -EINVAL, "index.json: expected a JSON object, got a list" },
                { "{'schemaVersion':2,'manifests':[],'manifests':[]}", -EINVAL, "index.json: invalid JSON" },
                { "{'schemaVersion':2}", -EINVAL, "index.json: manifests: required" },
                { "{'schemaVersion':2,'config':{},'layers':[]}", -EINVAL,
                  "manifests: required (this is an image manifest, not an index)" },
                { "{'schemaVersion':2,'manifests':{}}", -EINVAL, "index.json: manifests: expected a list, got an object" },
                { "{'manifests':[]}", -EINVAL, "index.json: schemaVersion: required (2)" },
                { "{'schemaVersion':'2','manifests':[]}", -EINVAL, "schemaVersion: expected 2, got a string" },
                { "{'schemaVersion':3,'manifests':[]}", -EINVAL, "index.json: schemaVersion: 3 is not supported (podinit reads version 2)" },
                { "{'schemaVersion':1,'manifests':[]}", -EOPNOTSUPP, "index.json: a docker schema 1 manifest" },
                { "{'schemaVersion':2,'mediaType':'application/vnd.docker.distribution.manifest.v1+json','manifests':[]}",
                  -EOPNOTSUPP, "convert the image to schema 2 or OCI first (e.g. skopeo copy" },
                { "{'schemaVersion':2,'mediaType':'application/vnd.docker.distribution.manifest.v1+prettyjws'}",
                  -EOPNOTSUPP, "docker schema 1" },
                { "{'schemaVersion':2,'mediaType':'" MT_MANIFEST "','manifests':[]}", -EINVAL,
                  "index.json: mediaType: " MT_MANIFEST " is an image manifest, not an image index" },
                { "{'schemaVersion':2,'mediaType':'application/foo','manifests':[]}", -EINVAL,
                  "mediaType: application/foo is not an image index" },
                { "{'schemaVersion':2,'mediaType':7,'manifests':[]}", -EINVAL, "mediaType: expected a string, got an integer" },
                { INDEX("'x'"), -EINVAL, "index.json: manifests[0]: expected a descriptor object, got a string" },
                { INDEX("{'digest':'" DA "','size':1}"), -EINVAL, "manifests[0].mediaType: required" },
                { INDEX("{'mediaType':'" MT_MANIFEST "','size':1}"), -EINVAL, "manifests[0].digest: required" },
                { INDEX("{'mediaType':'" MT_MANIFEST "','digest':7,'size':1}"), -EINVAL,
                  "manifests[0].digest: expected a string, got an integer" },
                { INDEX(DESC(MT_MANIFEST, DA, "") "," DESC(MT_MANIFEST, "sha512:abcd", "")), -EOPNOTSUPP,
                  "manifests[1].digest: \"sha512:abcd\": sha512 digests are not supported (podinit verifies sha256 only)" },
                { INDEX(DESC(MT_MANIFEST, "sha256:ABCD", "")), -EINVAL,
                  "manifests[0].digest: \"sha256:ABCD\" is not a sha256 digest (\"sha256:\" and 64 lower-case hex digits)" },
                { INDEX(DESC(MT_MANIFEST, "aaaa", "")), -EINVAL, "is not a sha256 digest" },
                { INDEX("{'mediaType':'" MT_MANIFEST "','digest':'" DA "'}"), -EINVAL, "manifests[0].size: required" },
                { INDEX("{'mediaType':'" MT_MANIFEST "','digest':'" DA "','size':-1}"), -EINVAL,
                  "manifests[0].size: -1 is not a byte count (an integer >= 0)" },
                { INDEX("{'mediaType':'" MT_MANIFEST "','digest':'" DA "','size':1.5}"), -EINVAL,
                  "manifests[0].size: expected a byte count (an integer >= 0), got a number" },
                { INDEX("{'mediaType':'" MT_MANIFEST "','digest':'" DA "','size':'1'}"), -EINVAL, "got a string" },
                { INDEX(DESC(MT_MANIFEST, DA, ",'platform':'linux/amd64'")), -EINVAL,
                  "manifests[0].platform: expected an object, got a string" },
                { INDEX(DESC(MT_MANIFEST, DA, ",'platform':{'architecture':'amd64'}")), -EINVAL,
                  "index.json: manifests[0].platform.os: required" },
                { INDEX(DESC(MT_MANIFEST, DA, ",'platform':{'os':'linux','architecture':''}")), -EINVAL,
                  "manifests[0].platform.architecture: required" },
                { INDEX(DESC(MT_MANIFEST, DA, ",'platform':{'os':'linux','architecture':5}")), -EINVAL,
                  "manifests[0].platform.architecture: expected a string, got an integer" },
                { INDEX(DESC(MT_MANIFEST, DA, ",'platform':{'os':'linux','architecture':'arm','variant':7}")), -EINVAL,
                  "manifests[0].platform.variant: expected a string" },
                { INDEX(DESC(MT_MANIFEST, DA, ",'annotations':[]")), -EINVAL,
                  "manifests[0].annotations: expected an object, got a list" },
                { INDEX(DESC(MT_MANIFEST, DA, ",'annotations':{'org.opencontainers.image.ref.name':1}")), -EINVAL,
                  "manifests[0].annotations.org.opencontainers.image.ref.name: expected a string, got an integer" },
        };

        expect_errors(DOC_INDEX, bad, ARRAY_SIZE(bad));
}

TEST(oci_manifest_oci_and_docker)
{
        const char *json = J("{'schemaVersion':2,'mediaType':'" MT_MANIFEST "','config':" DESC(MT_CONFIG, DA, "") ","
                             "'layers':[" DESC(MT_LAYER_GZ, DB, "") ","
                             DESC("application/vnd.oci.image.layer.v1.tar", DC, "") ","
                             DESC("application/vnd.oci.image.layer.v1.tar+zstd", DD, "") ","
                             DESC("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", DE, ",'urls':['https://x']") "],"
                             "'annotations':{'a':'b'},'subject':{}}");
        struct oci_manifest m;
        struct pod_err err = {};

        ASSERT_EQ(0, oci_manifest_parse(json, strlen(json), "manifest", &m, &err));
        ASSERT_EQ(OCI_MEDIA_CONFIG, m.config.kind);
        ASSERT_STREQ(DA, m.config.digest);
        ASSERT_EQ(4, m.n_layers);
        ASSERT_STREQ(DB, m.layers[0].digest);
        ASSERT_EQ(OCI_MEDIA_LAYER_GZIP, m.layers[0].kind);
        ASSERT_EQ(OCI_MEDIA_LAYER_TAR, m.layers[1].kind);
        ASSERT_EQ(OCI_MEDIA_LAYER_ZSTD, m.layers[2].kind);
        ASSERT_EQ(OCI_MEDIA_LAYER_GZIP, m.layers[3].kind);
        ASSERT_STREQ("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", m.layers[3].media_type);
        ASSERT(!m.layers[0].has_platform && m.layers[0].ref_name == NULL);
        oci_manifest_done(&m);

        /* Docker schema 2, as a registry serves it (and with no mediaType at the top, as OCI allows). */
        json = J("{'schemaVersion':2,'mediaType':'" MT_D_V2 "','config':" DESC(MT_D_CONFIG, DA, "") ","
                 "'layers':[" DESC(MT_D_LAYER, DB, "") "," DESC(MT_D_LAYER, DC, "") "]}");
        ASSERT_EQ(0, oci_manifest_parse(json, strlen(json), "manifest", &m, &err));
        ASSERT_STREQ(MT_D_CONFIG, m.config.media_type);
        ASSERT_EQ(2, m.n_layers);
        ASSERT_EQ(OCI_MEDIA_LAYER_GZIP, m.layers[1].kind);
        oci_manifest_done(&m);
        json = J("{'schemaVersion':2,'config':" DESC(MT_CONFIG, DA, "") ",'layers':[]}");
        ASSERT_EQ(0, oci_manifest_parse(json, strlen(json), "manifest", &m, &err));
        ASSERT_EQ(0, m.n_layers);
        oci_manifest_done(&m);
}

TEST(oci_manifest_errors)
{
        static const struct bad_doc bad[] = {
                { "[]", -EINVAL, "manifest " DA ": expected a JSON object, got a list" },
                { "{'schemaVersion':2,'layers':[]}", -EINVAL, "manifest " DA ": config: required" },
                { "{'schemaVersion':2,'manifests':[]}", -EINVAL, "config: required (this is an image index, not a manifest)" },
                { "{'schemaVersion':2,'config':" DESC(MT_CONFIG, DA, "") "}", -EINVAL, "layers: required" },
                { "{'schemaVersion':2,'config':" DESC(MT_CONFIG, DA, "") ",'layers':{}}", -EINVAL,
                  "layers: expected a list, got an object" },
                { "{'schemaVersion':2,'config':'x','layers':[]}", -EINVAL, "config: expected a descriptor object, got a string" },
                { MANIFEST(DESC(MT_CONFIG, "sha256:x", ""), ""), -EINVAL, "config.digest: \"sha256:x\" is not a sha256 digest" },
                { MANIFEST(DESC("application/vnd.cncf.helm.config.v1+json", DA, ""), ""), -EINVAL,
                  "config: media type application/vnd.cncf.helm.config.v1+json is not a container image config" },
                { MANIFEST(DESC(MT_LAYER_GZ, DA, ""), ""), -EINVAL, "is not a container image config" },
                { MANIFEST(DESC(MT_CONFIG, DA, ""), DESC(MT_LAYER_GZ, DB, "") "," DESC(MT_LAYER_GZ, DB, "") ","
                           DESC(MT_LAYER_GZ, DB, "") "," DESC("application/foo", DC, "")), -EINVAL,
                  "manifest " DA ": layers[3]: media type application/foo is not a layer podinit can unpack" },
                { MANIFEST(DESC(MT_CONFIG, DA, ""), DESC("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", DB, "")),
                  -EINVAL, "layers[0]: media type application/vnd.docker.image.rootfs.foreign.diff.tar.gzip is not a layer" },
                { MANIFEST(DESC(MT_CONFIG, DA, ""), DESC(MT_CONFIG, DB, "")), -EINVAL, "layers[0]: media type " MT_CONFIG },
                { MANIFEST(DESC(MT_CONFIG, DA, ""), DESC(MT_LAYER_GZ, DB, ",'size':2")), -EINVAL,
                  "duplicate object key" },
                { MANIFEST(DESC(MT_CONFIG, DA, ""), "{'mediaType':'" MT_LAYER_GZ "','digest':'" DB "','size':-5}"), -EINVAL,
                  "layers[0].size: -5 is not a byte count" },
                { MANIFEST(DESC(MT_CONFIG, DA, ""), "{'digest':'" DB "','size':5}"), -EINVAL, "layers[0].mediaType: required" },
                { "{'schemaVersion':2,'mediaType':'" MT_INDEX "','manifests':[]}", -EINVAL,
                  "mediaType: " MT_INDEX " is an image index, not an image manifest" },
                { "{'schemaVersion':2,'mediaType':'" MT_D_CONFIG "','config':{},'layers':[]}", -EINVAL,
                  "mediaType: " MT_D_CONFIG " is not an image manifest" },
                /* Signed schema 1 manifests have no mediaType at all. */
                { "{'schemaVersion':1,'name':'busybox','tag':'latest','fsLayers':[],'signatures':[]}", -EOPNOTSUPP,
                  "a docker schema 1 manifest, which podinit does not read" },
                { "{'schemaVersion':2,'mediaType':'application/vnd.docker.distribution.manifest.v1+json'}", -EOPNOTSUPP,
                  "skopeo copy docker://IMAGE oci:DIR" },
                { "{'schemaVersion':0,'config':{},'layers':[]}", -EINVAL, "schemaVersion: 0 is not supported" },
        };

        expect_errors(DOC_MANIFEST, bad, ARRAY_SIZE(bad));
}

TEST(oci_config_oci_and_docker)
{
        const char *json = J("{'created':'2024-01-02T03:04:05Z','author':'me','architecture':'arm64','variant':'v8','os':'linux',"
                             "'config':{'User':'nginx:nginx','ExposedPorts':{'80/tcp':{},'53/udp':{},'8080':{}},"
                             "'Env':['PATH=/usr/local/sbin:/usr/bin','EMPTY=','EQ=a=b'],'Entrypoint':['/docker-entrypoint.sh'],"
                             "'Cmd':['nginx','-g','daemon off;'],'Volumes':{'/var/cache/nginx':{},'/data':{}},"
                             "'WorkingDir':'/srv','Labels':{'maintainer':'x'},'StopSignal':'SIGQUIT','ArgsEscaped':true},"
                             "'rootfs':{'type':'layers','diff_ids':['" DA "','" DB "']},"
                             "'history':[{'created_by':'x','empty_layer':true}]}");
        struct oci_config c;
        struct pod_err err = {};

        ASSERT_EQ(0, oci_config_parse(json, strlen(json), "config", &c, &err));
        ASSERT_STREQ("linux", c.platform.os);
        ASSERT_STREQ("arm64", c.platform.arch);
        ASSERT_STREQ("v8", c.platform.variant);
        ASSERT_STREQ("2024-01-02T03:04:05Z", c.created);
        ASSERT_STREQ("nginx:nginx", c.user);
        ASSERT_EQ(3, strv_length(c.exposed_ports));
        ASSERT_STREQ("80/tcp", c.exposed_ports[0]);
        ASSERT_STREQ("8080", c.exposed_ports[2]);
        ASSERT_EQ(3, strv_length(c.env));
        ASSERT_STREQ("EQ=a=b", c.env[2]);
        ASSERT_EQ(1, strv_length(c.entrypoint));
        ASSERT_EQ(3, strv_length(c.cmd));
        ASSERT_STREQ("daemon off;", c.cmd[2]);
        ASSERT_EQ(2, strv_length(c.volumes));
        ASSERT_STREQ("/var/cache/nginx", c.volumes[0]);
        ASSERT_STREQ("/srv", c.working_dir);
        ASSERT_STREQ("SIGQUIT", c.stop_signal);
        ASSERT_EQ(2, strv_length(c.diff_ids));
        ASSERT_STREQ(DB, c.diff_ids[1]);
        oci_config_done(&c);

        /* Docker's: null Entrypoint, empty strings, container_config ignored. */
        json = J("{'architecture':'amd64','os':'linux','docker_version':'20.10',"
                 "'config':{'User':'','Env':null,'Entrypoint':null,'Cmd':['sh'],'WorkingDir':'','StopSignal':'',"
                 "'ExposedPorts':null,'Volumes':null,'OnBuild':null},"
                 "'container_config':{'Cmd':['/bin/sh','-c','#(nop) CMD [\\'sh\\']'],'Env':['no-equals-sign']},"
                 "'rootfs':{'type':'layers','diff_ids':['" DC "']}}");
        ASSERT_EQ(0, oci_config_parse(json, strlen(json), "config", &c, &err));
        ASSERT(c.entrypoint == NULL && c.env == NULL && c.exposed_ports == NULL && c.volumes == NULL);
        ASSERT(c.user == NULL && c.working_dir == NULL && c.stop_signal == NULL && c.created == NULL);
        ASSERT(c.platform.variant == NULL);
        ASSERT_EQ(1, strv_length(c.cmd));
        oci_config_done(&c);

        /* No "config" at all (a base layer image), and an empty diff_ids list. */
        json = J("{'architecture':'amd64','os':'linux','rootfs':{'type':'layers','diff_ids':[]}}");
        ASSERT_EQ(0, oci_config_parse(json, strlen(json), "config", &c, &err));
        ASSERT(c.cmd == NULL && c.diff_ids == NULL);
        oci_config_done(&c);
}

TEST(oci_config_errors)
{
        static const struct bad_doc bad[] = {
                { "[1]", -EINVAL, "config " DB ": expected a JSON object, got a list" },
                { "{'architecture':'amd64'" ROOTFS "}", -EINVAL, "config " DB ": os: required" },
                { "{'os':'linux'" ROOTFS "}", -EINVAL, "architecture: required" },
                { "{'os':'linux','architecture':''" ROOTFS "}", -EINVAL, "architecture: required" },
                { "{'os':'linux','architecture':'amd64','variant':8" ROOTFS "}", -EINVAL, "variant: expected a string, got an integer" },
                { "{'os':'linux','architecture':'amd64','created':5" ROOTFS "}", -EINVAL, "created: expected a string" },
                { "{'os':'linux','architecture':'amd64'}", -EINVAL, "rootfs: required" },
                { "{'os':'linux','architecture':'amd64','rootfs':[]}", -EINVAL, "rootfs: expected an object, got a list" },
                { "{'os':'linux','architecture':'amd64','rootfs':{'diff_ids':[]}}", -EINVAL, "rootfs.type: required" },
                { "{'os':'linux','architecture':'amd64','rootfs':{'type':'tar','diff_ids':[]}}", -EINVAL,
                  "rootfs.type: \"tar\" is not \"layers\"" },
                { "{'os':'linux','architecture':'amd64','rootfs':{'type':'layers','diff_ids':{}}}", -EINVAL,
                  "rootfs.diff_ids: expected a list of strings, got an object" },
                { "{'os':'linux','architecture':'amd64','rootfs':{'type':'layers','diff_ids':[1]}}", -EINVAL,
                  "rootfs.diff_ids: expected a list of strings, item 0 is an integer" },
                { "{'os':'linux','architecture':'amd64','rootfs':{'type':'layers','diff_ids':['" DA "','sha256:1']}}", -EINVAL,
                  "rootfs.diff_ids[1]: \"sha256:1\" is not a sha256 digest" },
                { "{'os':'linux','architecture':'amd64','rootfs':{'type':'layers','diff_ids':['sha384:ab']}}", -EOPNOTSUPP,
                  "rootfs.diff_ids[0]: \"sha384:ab\": sha384 digests are not supported" },
                { "{'os':'linux','architecture':'amd64','config':[]" ROOTFS "}", -EINVAL, "config: expected an object, got a list" },
                { CONFIG("'User':0"), -EINVAL, "config.User: expected a string, got an integer" },
                { CONFIG("'Entrypoint':'/bin/sh -c x'"), -EINVAL, "config.Entrypoint: expected a list of strings, got a string" },
                { CONFIG("'Cmd':['x',1]"), -EINVAL, "config.Cmd: expected a list of strings, item 1 is an integer" },
                { CONFIG("'Env':['A=1','NOVALUE']"), -EINVAL, "config.Env[1]: \"NOVALUE\" is not NAME=VALUE with a valid variable name" },
                { CONFIG("'Env':['1X=y']"), -EINVAL, "config.Env[0]: \"1X=y\" is not NAME=VALUE" },
                { CONFIG("'Env':['=y']"), -EINVAL, "config.Env[0]: \"=y\" is not NAME=VALUE" },
                { CONFIG("'Env':[null]"), -EINVAL, "config.Env: expected a list of strings, item 0 is null" },
                { CONFIG("'ExposedPorts':['80/tcp']"), -EINVAL, "config.ExposedPorts: expected an object, got a list" },
                { CONFIG("'ExposedPorts':{'0/tcp':{}}"), -EINVAL,
                  "config.ExposedPorts: \"0/tcp\" is not a port (1 to 65535, optionally /tcp, /udp or /sctp)" },
                { CONFIG("'ExposedPorts':{'80/tcp':{},'65536':{}}"), -EINVAL, "\"65536\" is not a port" },
                { CONFIG("'ExposedPorts':{'80/icmp':{}}"), -EINVAL, "\"80/icmp\" is not a port" },
                { CONFIG("'ExposedPorts':{'http':{}}"), -EINVAL, "\"http\" is not a port" },
                { CONFIG("'ExposedPorts':{'8000-8010/tcp':{}}"), -EINVAL, "\"8000-8010/tcp\" is not a port" },
                { CONFIG("'Volumes':{'/ok':{},'data':{}}"), -EINVAL, "config.Volumes: \"data\" is not an absolute path" },
                { CONFIG("'Volumes':'/data'"), -EINVAL, "config.Volumes: expected an object, got a string" },
                { CONFIG("'WorkingDir':'srv'"), -EINVAL, "config.WorkingDir: \"srv\" is not an absolute path" },
                { CONFIG("'StopSignal':'SIGKILL'"), -EINVAL, "config.StopSignal: \"SIGKILL\" cannot be a stop signal" },
                { CONFIG("'StopSignal':'STOP'"), -EINVAL, "SIGSTOP only pauses it" },
                { CONFIG("'StopSignal':'SIGWHAT'"), -EINVAL,
                  "config.StopSignal: \"SIGWHAT\" is not a signal (e.g. SIGQUIT, TERM, 15, SIGRTMIN+3)" },
        };

        expect_errors(DOC_CONFIG, bad, ARRAY_SIZE(bad));
}

TEST(oci_docker_archive_manifest)
{
        const char *json = J("[{'Config':'4f2c1a.json','RepoTags':['busybox:latest','busybox:1.36'],"
                             "'Layers':['0a1b/layer.tar','blobs/sha256/" "ab" "']},"
                             "{'Config':'blobs/sha256/cd','RepoTags':null,'Layers':[],'LayerSources':{}}]");
        struct docker_archive_entry *e;
        struct pod_err err = {};
        size_t n;

        ASSERT_EQ(0, docker_archive_manifest_parse(json, strlen(json), &e, &n, &err));
        ASSERT_EQ(2, n);
        ASSERT_STREQ("4f2c1a.json", e[0].config);
        ASSERT_EQ(2, strv_length(e[0].repo_tags));
        ASSERT_STREQ("busybox:1.36", e[0].repo_tags[1]);
        ASSERT_EQ(2, e[0].n_layers);
        ASSERT_STREQ("0a1b/layer.tar", e[0].layers[0]);
        ASSERT_STREQ("blobs/sha256/ab", e[0].layers[1]);
        ASSERT(e[0].layers[2] == NULL);
        ASSERT_STREQ("blobs/sha256/cd", e[1].config);
        ASSERT(e[1].repo_tags == NULL);
        ASSERT_EQ(0, e[1].n_layers);
        docker_archive_entries_free(e, n);
        docker_archive_entries_free(NULL, 0);

        /* Names that only look like "..": fine. */
        json = J("[{'Config':'..a/.../b..','Layers':['x/..y/z']}]");
        ASSERT_EQ(0, docker_archive_manifest_parse(json, strlen(json), &e, &n, &err));
        docker_archive_entries_free(e, n);
}

TEST(oci_docker_archive_errors)
{
        static const struct bad_doc bad[] = {
                { "{}", -EINVAL, "manifest.json: expected a JSON list, got an object" },
                { "[", -EINVAL, "manifest.json: invalid JSON" },
                { "[]", -EINVAL, "manifest.json: lists no images" },
                { "['x']", -EINVAL, "manifest.json: [0]: expected an object, got a string" },
                { "[{'Layers':[]}]", -EINVAL, "manifest.json: [0].Config: required" },
                { "[{'Config':1,'Layers':[]}]", -EINVAL, "[0].Config: expected a string, got an integer" },
                { "[{'Config':'/etc/passwd','Layers':[]}]", -EINVAL,
                  "[0].Config: \"/etc/passwd\" is not a relative path inside the archive" },
                { "[{'Config':'../x.json','Layers':[]}]", -EINVAL, "[0].Config: \"../x.json\" is not a relative path" },
                { "[{'Config':'a/../../x.json','Layers':[]}]", -EINVAL, "is not a relative path" },
                { "[{'Config':'a/..','Layers':[]}]", -EINVAL, "is not a relative path" },
                { "[{'Config':'c.json'}]", -EINVAL, "[0].Layers: required: a list of paths" },
                { "[{'Config':'c.json','Layers':'l.tar'}]", -EINVAL, "[0].Layers: required: a list of paths" },
                { "[{'Config':'c.json','Layers':[5]}]", -EINVAL, "[0].Layers: expected a list of strings, item 0 is an integer" },
                { "[{'Config':'c.json','Layers':['a/layer.tar']},{'Config':'c.json','Layers':['a/layer.tar','/abs.tar']}]",
                  -EINVAL, "manifest.json: [1].Layers[1]: \"/abs.tar\" is not a relative path inside the archive" },
                { "[{'Config':'c.json','Layers':['x/../../etc']}]", -EINVAL, "[0].Layers[0]: \"x/../../etc\"" },
                { "[{'Config':'c.json','Layers':['']}]", -EINVAL, "[0].Layers[0]: \"\" is not a relative path" },
                { "[{'Config':'c.json','Layers':[],'RepoTags':'busybox'}]", -EINVAL,
                  "[0].RepoTags: expected a list of strings, got a string" },
        };

        expect_errors(DOC_ARCHIVE, bad, ARRAY_SIZE(bad));
}

/* A document of about len bytes: every parser refuses it before reading it. */
TEST(oci_size_limit)
{
        size_t n = OCI_JSON_MAX + 1;
        char *s = xmalloc(n + 1);
        char want[64];

        memset(s, ' ', n);
        s[0] = '{';
        s[n - 1] = '}';
        s[n] = '\0';
        snprintf(want, sizeof(want), "%u-byte limit", OCI_JSON_MAX);
        for (int k = DOC_INDEX; k <= DOC_ARCHIVE; k++) {
                struct pod_err err;
                ASSERT_EQ(-EFBIG, parse_doc((enum doc_kind)k, s, n, &err));
                ASSERT_CONTAINS(err.msg, want);
                ASSERT_CONTAINS(err.msg, "4194305 bytes");
        }
        {
                /* At the limit it is read (and then found wanting for other reasons). */
                struct pod_err err;
                ASSERT_EQ(-EINVAL, parse_doc(DOC_INDEX, s + 1, n - 1, &err));
                ASSERT_CONTAINS(err.msg, "invalid JSON");
        }
        free(s);
}

/* A JSON document: head, then count copies of item (",'"-separated), then tail. */
static char *repeat(const char *head, const char *item, size_t count, const char *tail)
{
        size_t hl = strlen(head), il = strlen(item), tl = strlen(tail), len = 0;
        char *s = xmalloc(hl + count * (il + 1) + tl + 1);

        memcpy(s, head, hl);
        len = hl;
        for (size_t i = 0; i < count; i++) {
                if (i)
                        s[len++] = ',';
                memcpy(s + len, item, il);
                len += il;
        }
        memcpy(s + len, tail, tl + 1);
        for (char *p = s; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return s;
}

/* Counted items past each limit; the item is unique where the JSON needs unique keys. */
TEST(oci_count_limits)
{
        static const struct {
                enum doc_kind kind;
                const char *head, *item, *tail;
                size_t limit;
                const char *msg;
        } t[] = {
                { DOC_INDEX, "{'schemaVersion':2,'manifests':[", DESC(MT_MANIFEST, DA, ""), "]}", OCI_MAX_INDEX_ENTRIES,
                  "manifests: 10001 entries, at most 10000 allowed" },
                { DOC_MANIFEST, "{'schemaVersion':2,'config':" DESC(MT_CONFIG, DA, "") ",'layers':[", DESC(MT_LAYER_GZ, DB, ""),
                  "]}", OCI_MAX_LAYERS, "layers: 1001 layers, at most 1000 allowed" },
                { DOC_CONFIG, "{'os':'linux','architecture':'amd64','rootfs':{'type':'layers','diff_ids':[", "'" DA "'", "]}}",
                  OCI_MAX_LAYERS, "rootfs.diff_ids: 1001 entries, at most 1000 allowed" },
                { DOC_CONFIG, "{'os':'linux','architecture':'amd64'" ROOTFS ",'config':{'Env':[", "'A=1'", "]}}", POD_MAX_ENV,
                  "config.Env: 4097 entries, at most 4096 allowed" },
                { DOC_CONFIG, "{'os':'linux','architecture':'amd64'" ROOTFS ",'config':{'Cmd':[", "'x'", "]}}", POD_MAX_ARGS,
                  "config.Cmd: 4097 entries, at most 4096 allowed" },
                { DOC_ARCHIVE, "[{'Config':'c.json','Layers':[", "'l.tar'", "]}]", OCI_MAX_LAYERS,
                  "[0].Layers: 1001 entries, at most 1000 allowed" },
                { DOC_ARCHIVE, "[", "{'Config':'c.json','Layers':[]}", "]", OCI_MAX_INDEX_ENTRIES,
                  "manifest.json: 10001 images, at most 10000 allowed" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
                for (size_t extra = 0; extra < 2; extra++) {
                        char *s = repeat(t[i].head, t[i].item, t[i].limit + extra, t[i].tail);
                        struct pod_err err;
                        int r = parse_doc(t[i].kind, s, strlen(s), &err);
                        if (extra == 0 && r != 0)
                                FAIL_AT("%s: %zu items at the limit refused: %s", t[i].msg, t[i].limit, err.msg);
                        if (extra == 1 && (r != -E2BIG || !strstr(err.msg, t[i].msg)))
                                FAIL_AT("past the limit: %d \"%s\", expected \"%s\"", r, err.msg, t[i].msg);
                        free(s);
                }
        }
}

/* Keys of an object past a limit: ExposedPorts and Volumes. */
TEST(oci_count_limits_object_keys)
{
        static const struct { const char *key; size_t limit; const char *msg; } t[] = {
                { "ExposedPorts", OCI_MAX_PORTS, "config.ExposedPorts: 4097 entries, at most 4096 allowed" },
                { "Volumes", POD_MAX_VOLUMES, "config.Volumes: 257 entries, at most 256 allowed" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(t); i++)
                for (size_t extra = 0; extra < 2; extra++) {
                        size_t n = t[i].limit + extra, len = 0, cap = 64 * n + 256;
                        char *s = xmalloc(cap);
                        struct pod_err err;
                        int r;

                        len += (size_t)snprintf(s, cap, "{'os':'linux','architecture':'amd64'" ROOTFS ",'config':{'%s':{",
                                                t[i].key);
                        for (size_t k = 0; k < n; k++) {
                                if (k)
                                        s[len++] = ',';
                                /* Ports and paths 1..n: unique keys, all valid. */
                                if (i == 0)
                                        len += (size_t)snprintf(s + len, cap - len, "'%zu/tcp':{}", k + 1);
                                else
                                        len += (size_t)snprintf(s + len, cap - len, "'/v%zu':{}", k + 1);
                        }
                        snprintf(s + len, cap - len, "}}}");
                        for (char *p = s; *p; p++)
                                if (*p == '\'')
                                        *p = '"';
                        r = parse_doc(DOC_CONFIG, s, strlen(s), &err);
                        if (extra == 0 && r != 0)
                                FAIL_AT("%s at the limit refused: %s", t[i].key, err.msg);
                        if (extra == 1 && (r != -E2BIG || !strstr(err.msg, t[i].msg)))
                                FAIL_AT("%s past the limit: %d \"%s\"", t[i].key, r, err.msg);
                        free(s);
                }
}

TEST(oci_platform_parse_and_match)
{
        static const char *const bad[] = { "", "linux", "/amd64", "linux/", "linux//v7", "linux/arm/v7/x", "linux/amd 64",
                                           "linux/amd64/", "//", "linux/arm64\n" };
        struct oci_platform p = {}, h = {};
        struct pod_err err = {};

        ASSERT_EQ(0, oci_platform_parse("linux/amd64", &p, &err));
        ASSERT_STREQ("linux", p.os);
        ASSERT_STREQ("amd64", p.arch);
        ASSERT(p.variant == NULL);
        oci_platform_done(&p);
        ASSERT(p.os == NULL);
        ASSERT_EQ(0, oci_platform_parse("linux/arm/v7", &p, &err));
        ASSERT_STREQ("v7", p.variant);
        oci_platform_done(&p);
        ASSERT_EQ(0, oci_platform_parse("linux/x86_64", &p, &err));
        ASSERT_STREQ("amd64", p.arch);
        oci_platform_done(&p);
        ASSERT_EQ(0, oci_platform_parse("linux/aarch64", &p, &err));
        ASSERT_STREQ("arm64", p.arch);
        oci_platform_done(&p);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                if (oci_platform_parse(bad[i], &p, &err) != -EINVAL)
                        FAIL_AT("\"%s\" accepted", bad[i]);
                ASSERT_CONTAINS(err.msg, "is not a platform (OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm/v7)");
                ASSERT(p.os == NULL);
        }

        {
                struct oci_platform amd64 = { "linux", "amd64", NULL }, arm = { "linux", "arm", NULL },
                                    arm7 = { "linux", "arm", "v7" }, arm6 = { "linux", "arm", "v6" },
                                    arm64 = { "linux", "arm64", NULL }, arm64v8 = { "linux", "arm64", "v8" },
                                    win = { "windows", "amd64", NULL }, amd64v2 = { "linux", "amd64", "v2" };
                ASSERT(oci_platform_match(&amd64, &amd64));
                ASSERT(!oci_platform_match(&win, &amd64));
                ASSERT(!oci_platform_match(&arm64, &amd64));
                /* The variant counts only when the wanted platform has one... */
                ASSERT(oci_platform_match(&arm7, &arm));
                ASSERT(oci_platform_match(&arm6, &arm));
                ASSERT(oci_platform_match(&arm7, &arm7));
                ASSERT(!oci_platform_match(&arm6, &arm7));
                ASSERT(!oci_platform_match(&amd64, &amd64v2));
                /* ...and an entry without one is arm v7 or arm64 v8. */
                ASSERT(oci_platform_match(&arm, &arm7));
                ASSERT(!oci_platform_match(&arm, &arm6));
                ASSERT(oci_platform_match(&arm64, &arm64v8));
                ASSERT(oci_platform_match(&arm64v8, &arm64));
        }

        oci_platform_host(&h);
        ASSERT_STREQ("linux", h.os);
#if defined(__x86_64__)
        ASSERT_STREQ("amd64", h.arch);
        ASSERT(h.variant == NULL);
#elif defined(__aarch64__)
        ASSERT_STREQ("arm64", h.arch);
#endif
        oci_platform_done(&h);
}

/* The index in json; oci_index_select's result for want ("" for none) and ref. */
static int select_in(const char *json, const char *want, const char *ref, size_t *ret_i, struct pod_err *err)
{
        struct oci_index idx;
        struct oci_platform p = {};
        int r;

        memset(err, 0, sizeof(*err));
        json = J(json);
        if (oci_index_parse(json, strlen(json), "index.json", &idx, err) < 0)
                FAIL_AT("index refused: %s", err->msg);
        if (*want && oci_platform_parse(want, &p, err) < 0)
                FAIL_AT("platform %s refused: %s", want, err->msg);
        r = oci_index_select(&idx, "index.json", *want ? &p : NULL, ref, ret_i, err);
        oci_platform_done(&p);
        oci_index_done(&idx);
        return r;
}

static const char multi_arch[] = INDEX(
        DESC(MT_MANIFEST, DA, PLAT("linux", "amd64")) ","
        DESC(MT_MANIFEST, DB, PLATV("linux", "arm64", "v8")) ","
        DESC(MT_MANIFEST, DC, PLATV("linux", "arm", "v7")) ","
        DESC(MT_MANIFEST, DD, PLATV("linux", "arm", "v6")) ","
        DESC(MT_MANIFEST, DE, PLAT("windows", "amd64")) ","
        DESC("application/vnd.example+json", DE, PLAT("linux", "riscv64")) ","
        DESC(MT_MANIFEST, DF, PLAT("unknown", "unknown")));

TEST(oci_index_select_platform)
{
        static const struct { const char *want; size_t i; } good[] = {
                { "linux/amd64", 0 }, { "linux/arm64", 1 }, { "linux/arm64/v8", 1 }, { "linux/aarch64", 1 },
                { "linux/arm/v7", 2 }, { "linux/arm/v6", 3 }, { "windows/amd64", 4 },
        };
        struct pod_err err;
        size_t i;

        for (size_t k = 0; k < ARRAY_SIZE(good); k++) {
                i = 99;
                if (select_in(multi_arch, good[k].want, NULL, &i, &err) < 0 || i != good[k].i)
                        FAIL_AT("%s: entry %zu (%s), expected %zu", good[k].want, i, err.msg, good[k].i);
        }
        /* Only manifests and indexes are chosen: the riscv64 entry is an artifact. */
        ASSERT_EQ(-ENOENT, select_in(multi_arch, "linux/riscv64", NULL, &i, &err));
        ASSERT_STREQ("no manifest for linux/riscv64 in index.json (it has linux/amd64, linux/arm64/v8, linux/arm/v7, "
                     "linux/arm/v6, windows/amd64); choose one with --platform", err.msg);
        ASSERT_EQ(-EINVAL, select_in(multi_arch, "linux/arm", NULL, &i, &err));
        ASSERT_STREQ("several manifests in index.json match linux/arm (linux/arm/v7, linux/arm/v6); choose one with --platform",
                     err.msg);
        ASSERT_EQ(-EINVAL, select_in(multi_arch, "", NULL, &i, &err));
        ASSERT_CONTAINS(err.msg, "several manifests in index.json match any platform (linux/amd64, ");

        /* An arm entry without a variant is v7; an entry with a platform beats one without. */
        ASSERT_EQ(0, select_in(INDEX(DESC(MT_MANIFEST, DA, PLAT("linux", "arm"))), "linux/arm/v7", NULL, &i, &err));
        ASSERT_EQ(-ENOENT, select_in(INDEX(DESC(MT_MANIFEST, DA, PLAT("linux", "arm"))), "linux/arm/v6", NULL, &i, &err));
        ASSERT_STREQ("no manifest for linux/arm/v6 in index.json (it has linux/arm); choose one with --platform", err.msg);
        ASSERT_EQ(0, select_in(INDEX(DESC(MT_MANIFEST, DA, "") "," DESC(MT_MANIFEST, DB, PLAT("linux", "amd64"))),
                               "linux/amd64", NULL, &i, &err));
        ASSERT_EQ(1, i);
        /* The same platform twice for one blob is one choice; for two blobs, none. */
        ASSERT_EQ(0, select_in(INDEX(DESC(MT_MANIFEST, DA, PLAT("linux", "amd64")) "," DESC(MT_MANIFEST, DA, PLAT("linux", "amd64"))),
                               "linux/amd64", NULL, &i, &err));
        ASSERT_EQ(0, i);
        ASSERT_EQ(-EINVAL, select_in(INDEX(DESC(MT_MANIFEST, DA, PLAT("linux", "amd64")) "," DESC(MT_MANIFEST, DB, PLAT("linux", "amd64"))),
                                     "linux/amd64", NULL, &i, &err));
        ASSERT_CONTAINS(err.msg, "match linux/amd64 (linux/amd64)");
}

/* An OCI layout's index.json: images by ref name, one of them a nested multi-platform index. */
static const char layout[] = INDEX(
        DESC(MT_MANIFEST, DA, REF("latest")) ","
        DESC(MT_MANIFEST, DA, REF("1.0")) ","
        DESC(MT_INDEX, DB, REF("multi")) ","
        DESC(MT_MANIFEST, DC, PLAT("linux", "amd64") REF("amd64-only")));

TEST(oci_index_select_ref_and_nested)
{
        struct pod_err err;
        size_t i = 99;

        ASSERT_EQ(0, select_in(layout, "linux/amd64", "latest", &i, &err));
        ASSERT_EQ(0, i);
        ASSERT_EQ(0, select_in(layout, "linux/amd64", "1.0", &i, &err));
        ASSERT_EQ(1, i);
        ASSERT_EQ(0, select_in(layout, "linux/s390x", "multi", &i, &err));
        ASSERT_EQ(2, i);
        ASSERT_EQ(0, select_in(layout, "linux/amd64", "amd64-only", &i, &err));
        ASSERT_EQ(3, i);
        ASSERT_EQ(-ENOENT, select_in(layout, "linux/arm64", "amd64-only", &i, &err));
        ASSERT_STREQ("no manifest for linux/arm64 in index.json (it has linux/amd64); choose one with --platform", err.msg);
        ASSERT_EQ(-ENOENT, select_in(layout, "linux/amd64", "nope", &i, &err));
        ASSERT_STREQ("no image named \"nope\" in index.json (it has latest, 1.0, multi, amd64-only)", err.msg);
        /* Without a name: the platform entry wins over the unnamed-platform ones when it matches... */
        ASSERT_EQ(0, select_in(layout, "linux/amd64", NULL, &i, &err));
        ASSERT_EQ(3, i);
        /* ...else it is the user's choice. */
        ASSERT_EQ(-EINVAL, select_in(layout, "linux/arm64", NULL, &i, &err));
        ASSERT_STREQ("index.json holds several images (latest, 1.0, multi); choose one by name", err.msg);
        /* One image under two names is no choice at all. */
        ASSERT_EQ(0, select_in(INDEX(DESC(MT_MANIFEST, DA, REF("latest")) "," DESC(MT_MANIFEST, DA, REF("1.0"))),
                               "linux/amd64", NULL, &i, &err));
        ASSERT_EQ(0, i);
        /* Unnamed entries: digests in the message. */
        ASSERT_EQ(-EINVAL, select_in(INDEX(DESC(MT_MANIFEST, DA, "") "," DESC(MT_MANIFEST, DB, "")), "linux/amd64", NULL, &i, &err));
        ASSERT_STREQ("index.json holds several images (" DA ", " DB "); choose one by name", err.msg);
        ASSERT_EQ(-ENOENT, select_in(INDEX(DESC(MT_MANIFEST, DA, "")), "linux/amd64", "latest", &i, &err));
        ASSERT_STREQ("no image named \"latest\" in index.json (its entries have no names)", err.msg);
        ASSERT_EQ(-ENOENT, select_in(INDEX(""), "linux/amd64", NULL, &i, &err));
        ASSERT_STREQ("index.json lists no image manifests", err.msg);
        ASSERT_EQ(-ENOENT, select_in(INDEX(DESC(MT_CONFIG, DA, "")), "linux/amd64", NULL, &i, &err));
        ASSERT_STREQ("index.json lists no image manifests", err.msg);

        /* The nested index, then chosen by platform: what an importer does with "multi". */
        ASSERT_EQ(0, select_in(multi_arch, "linux/arm64", NULL, &i, &err));
        ASSERT_EQ(1, i);
}

/* Many platforms: the list in the message is cut short, not the message. */
TEST(oci_index_select_long_list)
{
        char *s = xmalloc(200000), ent[256];
        size_t len = 0, i;
        struct pod_err err;

        len += (size_t)sprintf(s, "{'schemaVersion':2,'manifests':[");
        for (int k = 0; k < 200; k++) {
                snprintf(ent, sizeof(ent), "%s" DESC(MT_MANIFEST, DA, ",'platform':{'os':'linux','architecture':'arch%d'}"),
                         k ? "," : "", k);
                len += (size_t)sprintf(s + len, "%s", ent);
        }
        sprintf(s + len, "]}");
        ASSERT_EQ(-ENOENT, select_in(s, "linux/amd64", NULL, &i, &err));
        ASSERT_CONTAINS(err.msg, "no manifest for linux/amd64 in index.json (it has linux/arch0, linux/arch1, ");
        ASSERT_CONTAINS(err.msg, ", ...); choose one with --platform");
        free(s);
}

TEST(oci_port_and_stop_signal_parse)
{
        static const struct { const char *s; unsigned port; const char *proto; } ports[] = {
                { "80", 80, "tcp" }, { "80/tcp", 80, "tcp" }, { "53/udp", 53, "udp" }, { "9/sctp", 9, "sctp" },
                { "65535/tcp", 65535, "tcp" }, { "1", 1, "tcp" },
        };
        static const char *const bad_ports[] = { "", "0", "65536", "80/", "/tcp", "80/TCP", "+80", " 80", "80 ", "80/tcp/x",
                                                 "8000-8010", "-1", "1e3", "123456789" };
        static const struct { const char *s; int sig; } sigs[] = {
                { "SIGQUIT", SIGQUIT }, { "QUIT", SIGQUIT }, { "3", SIGQUIT }, { "SIGWINCH", SIGWINCH }, { "15", SIGTERM },
                { "SIGRTMIN", 34 }, { "SIGRTMIN+3", 37 }, { "RTMIN+30", 64 }, { "SIGRTMAX", 64 }, { "RTMAX-2", 62 },
        };
        static const char *const bad_sigs[] = { "", "0", "65", "sigquit", "SIG", "SIGRTMIN+31", "SIGRTMIN+", "RTMIN-1",
                                                "SIGRTMAX+1", "RTMIN+x" };
        unsigned port;
        const char *proto;
        int sig;

        for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
                if (oci_port_parse(ports[i].s, &port, &proto) < 0)
                        FAIL_AT("%s refused", ports[i].s);
                ASSERT_EQ(ports[i].port, port);
                ASSERT_STREQ(ports[i].proto, proto);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad_ports); i++)
                if (oci_port_parse(bad_ports[i], &port, &proto) != -EINVAL)
                        FAIL_AT("port \"%s\" accepted", bad_ports[i]);
        for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
                sig = 0;
                if (oci_stop_signal_parse(sigs[i].s, &sig) < 0 || sig != sigs[i].sig)
                        FAIL_AT("%s: %d, expected %d", sigs[i].s, sig, sigs[i].sig);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad_sigs); i++)
                if (oci_stop_signal_parse(bad_sigs[i], &sig) != -EINVAL)
                        FAIL_AT("signal \"%s\" accepted", bad_sigs[i]);
        ASSERT_EQ(-EPERM, oci_stop_signal_parse("SIGKILL", &sig));
        ASSERT_EQ(-EPERM, oci_stop_signal_parse("9", &sig));
        ASSERT_EQ(-EPERM, oci_stop_signal_parse("STOP", &sig));
}

static char *appc_of(const char *config_json, const char *name, uid_t uid, gid_t gid, struct pod_err *err, int *ret_r)
{
        struct oci_config c;
        json_t *j = NULL;
        char *s = NULL;
        const char *json = J(config_json);

        memset(err, 0, sizeof(*err));
        if (oci_config_parse(json, strlen(json), "config", &c, err) < 0)
                FAIL_AT("config refused: %s", err->msg);
        *ret_r = oci_config_to_appc(&c, name, uid, gid, &j, err);
        if (*ret_r == 0) {
                s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
                json_decref(j);
        }
        oci_config_done(&c);
        return s;
}

TEST(oci_appc_mapping)
{
        struct pod_err err;
        struct image_manifest *im = NULL;
        struct app_policy pol;
        int r;
        char *s = appc_of(CONFIG("'User':'www','Entrypoint':['/docker-entrypoint.sh'],'Cmd':['nginx','-g','daemon off;'],"
                                 "'Env':['PATH=/usr/bin:/bin','NGINX_VERSION=1.25','PATH=/opt/bin','EQ=a=b'],"
                                 "'WorkingDir':'/srv','StopSignal':'QUIT',"
                                 "'ExposedPorts':{'80/tcp':{},'8080':{},'8080/tcp':{},'53/udp':{}},"
                                 "'Volumes':{'/var/lib/data':{},'/var/cache/nginx/':{},'/Data':{},'/data':{},'/':{}}"),
                          "example.com/nginx", 101, 102, &err, &r);

        ASSERT_EQ(0, r);
        ASSERT_STREQ("{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\","
                     "\"annotations\":[{\"name\":\"podinit.io/stop-signal\",\"value\":\"SIGQUIT\"},"
                     "{\"name\":\"podinit.io/entrypoint-words\",\"value\":\"1\"}],"
                     "\"app\":{"
                     "\"environment\":[{\"name\":\"PATH\",\"value\":\"/opt/bin\"},{\"name\":\"NGINX_VERSION\",\"value\":\"1.25\"},"
                     "{\"name\":\"EQ\",\"value\":\"a=b\"}],"
                     "\"exec\":[\"/docker-entrypoint.sh\",\"nginx\",\"-g\",\"daemon off;\"],"
                     "\"group\":\"102\","
                     "\"mountPoints\":[{\"name\":\"volume-var-lib-data\",\"path\":\"/var/lib/data\",\"readOnly\":false},"
                     "{\"name\":\"volume-var-cache-nginx\",\"path\":\"/var/cache/nginx/\",\"readOnly\":false},"
                     "{\"name\":\"volume-data\",\"path\":\"/Data\",\"readOnly\":false},"
                     "{\"name\":\"volume-data-2\",\"path\":\"/data\",\"readOnly\":false},"
                     "{\"name\":\"volume\",\"path\":\"/\",\"readOnly\":false}],"
                     "\"ports\":[{\"count\":1,\"name\":\"80-tcp\",\"port\":80,\"protocol\":\"tcp\",\"socketActivated\":false},"
                     "{\"count\":1,\"name\":\"8080-tcp\",\"port\":8080,\"protocol\":\"tcp\",\"socketActivated\":false},"
                     "{\"count\":1,\"name\":\"53-udp\",\"port\":53,\"protocol\":\"udp\",\"socketActivated\":false}],"
                     "\"user\":\"101\",\"workingDirectory\":\"/srv\"},"
                     "\"name\":\"example.com/nginx\"}", s);

        /* What podinit reads back: the image manifest model, and the annotation as the pod app's policy. */
        ASSERT_EQ(0, image_manifest_parse(s, strlen(s), &im, &err));
        ASSERT_STREQ("example.com/nginx", im->name);
        ASSERT(im->has_app);
        ASSERT_EQ(4, strv_length(im->app.exec));
        ASSERT_STREQ("101", im->app.user);
        ASSERT_STREQ("102", im->app.group);
        ASSERT_STREQ("/srv", im->app.workdir);
        ASSERT_STREQ("/opt/bin", kv_get(im->app.env, im->app.n_env, "PATH"));
        ASSERT_EQ(5, im->app.n_mount_points);
        ASSERT_STREQ("volume-data-2", im->app.mount_points[3].name);
        ASSERT_EQ(0, app_policy_parse(im->annotations, im->n_annotations, "x", &pol, &err));
        ASSERT_EQ(SIGQUIT, pol.stop_signal);
        app_policy_done(&pol);
        image_manifest_free(im);
        free(s);

        /* A real-time stop signal goes by number; a name with SIG stays as it is. */
        s = appc_of(CONFIG("'Cmd':['/sbin/init'],'StopSignal':'SIGRTMIN+3'"), "systemd", 0, 0, &err, &r);
        ASSERT_EQ(0, r);
        ASSERT_CONTAINS(s, "{\"name\":\"podinit.io/stop-signal\",\"value\":\"37\"}");
        ASSERT_CONTAINS(s, "\"exec\":[\"/sbin/init\"]");
        ASSERT_EQ(0, image_manifest_parse(s, strlen(s), &im, &err));
        ASSERT_EQ(0, app_policy_parse(im->annotations, im->n_annotations, "x", &pol, &err));
        ASSERT_EQ(37, pol.stop_signal);
        app_policy_done(&pol);
        image_manifest_free(im);
        free(s);
}

TEST(oci_appc_minimal_and_no_exec)
{
        struct pod_err err;
        struct image_manifest *im = NULL;
        int r;
        char *s = appc_of("{'architecture':'amd64','os':'linux'" ROOTFS "}", "scratch-base", 0, 0, &err, &r);

        /* No Entrypoint and no Cmd: no exec, so `podctl run` asks for one; no empty lists either. */
        ASSERT_EQ(0, r);
        ASSERT_STREQ("{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"app\":{\"group\":\"0\",\"user\":\"0\"},"
                     "\"name\":\"scratch-base\"}", s);
        ASSERT_EQ(0, image_manifest_parse(s, strlen(s), &im, &err));
        ASSERT(im->has_app && im->app.exec == NULL);
        image_manifest_free(im);
        free(s);
        /* Entrypoint alone, Cmd alone. */
        s = appc_of(CONFIG("'Entrypoint':['/bin/app','--serve'],'Cmd':null"), "a", 0, 0, &err, &r);
        ASSERT_CONTAINS(s, "\"exec\":[\"/bin/app\",\"--serve\"]");
        free(s);
        s = appc_of(CONFIG("'Entrypoint':[],'Cmd':['sh']"), "a", 0, 0, &err, &r);
        ASSERT_CONTAINS(s, "\"exec\":[\"sh\"]");
        ASSERT(!strstr(s, "annotations"));
        free(s);
}

TEST(oci_appc_errors)
{
        static char *huge[POD_MAX_ARGS + 2];
        const struct {
                struct oci_config c;
                const char *msg;
        } bad[] = {
                { { .entrypoint = (char *[]){ "", "x", NULL } }, "image img: config.Entrypoint[0]: the program to run is an empty string" },
                { { .cmd = (char *[]){ "", NULL } }, "image img: config.Cmd[0]: the program to run is an empty string" },
                { { .cmd = (char *[]){ "\xff", NULL } }, "config.Cmd: an argument is not UTF-8" },
                { { .env = (char *[]){ "A=1", "NOEQ", NULL } }, "image img: config.Env[1]: \"NOEQ\" is not NAME=VALUE" },
                { { .env = (char *[]){ "A=\xff", NULL } }, "config.Env[0]" },
                { { .exposed_ports = (char *[]){ "http", NULL } }, "image img: config.ExposedPorts: \"http\" is not a port" },
                { { .volumes = (char *[]){ "data", NULL } }, "image img: config.Volumes: \"data\" is not an absolute path" },
                { { .volumes = (char *[]){ "/\xff", NULL } }, "config.Volumes: a path is not UTF-8" },
                { { .working_dir = "srv" }, "image img: config.WorkingDir: \"srv\" is not an absolute path" },
                { { .stop_signal = "SIGKILL" }, "image img: config.StopSignal: \"SIGKILL\" cannot be a stop signal" },
                { { .stop_signal = "NOPE" }, "image img: config.StopSignal: \"NOPE\" is not a signal" },
        };
        struct oci_config c = {};
        struct pod_err err = {};
        json_t *j = NULL;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                if (oci_config_to_appc(&bad[i].c, "img", 0, 0, &j, &err) != -EINVAL || !strstr(err.msg, bad[i].msg))
                        FAIL_AT("case %zu: \"%s\", expected \"%s\"", i, err.msg, bad[i].msg);
                ASSERT(j == NULL);
        }
        ASSERT_EQ(-EINVAL, oci_config_to_appc(&c, NULL, 0, 0, &j, &err));
        ASSERT_STREQ("image name: required", err.msg);
        ASSERT_EQ(-EINVAL, oci_config_to_appc(&c, "", 0, 0, &j, &err));
        ASSERT_EQ(-EINVAL, oci_config_to_appc(&c, "\xfe", 0, 0, &j, &err));
        ASSERT_CONTAINS(err.msg, "is not UTF-8");
        /* Entrypoint and Cmd each within the limit, together past it. */
        for (size_t i = 0; i < POD_MAX_ARGS + 1; i++)
                huge[i] = "x";
        c.entrypoint = (char *[]){ "/bin/x", NULL };
        c.cmd = huge + 1;
        ASSERT_EQ(-E2BIG, oci_config_to_appc(&c, "img", 0, 0, &j, &err));
        ASSERT_STREQ("image img: config.Entrypoint and config.Cmd: 4097 arguments, at most 4096 allowed", err.msg);
        c.cmd = huge + 2;
        ASSERT_EQ(0, oci_config_to_appc(&c, "img", 0, 0, &j, &err));
        ASSERT_EQ(4096, json_array_size(json_object_get(json_object_get(j, "app"), "exec")));
        json_decref(j);
}
