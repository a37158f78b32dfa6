/*
 * OCI and docker image documents (image/oci.c, image/oci_platform.c,
 * image/oci_appc.c): index.json and nested indexes, image manifests, image
 * configs, docker save's manifest.json, each read from an image someone
 * else built.  The input is tried as each of them (they are told apart by
 * their fields, as the importer does not: it knows what it expects).
 *
 * Oracles: an index's chosen entry is one it lists; a config's appc image
 * manifest (what podinit runs) must parse as one (common/manifest.c).
 */
#include "fuzz.h"
#include "common/manifest.h"
#include "image/oci.h"

#include <signal.h>

static void index_doc(const char *s, size_t n, const struct oci_platform *host)
{
        struct oci_index idx;
        struct pod_err err = { 0 };
        size_t at;

        if (oci_index_parse(s, n, "index.json", &idx, &err) < 0)
                return;
        if (oci_index_select(&idx, "index.json", host, NULL, &at, &err) == 0)
                FUZZ_CHECK(at < idx.n);
        if (oci_index_select(&idx, "index.json", NULL, NULL, &at, &err) == 0)
                FUZZ_CHECK(at < idx.n);
        for (size_t i = 0; i < idx.n && i < 4; i++)
                if (idx.manifests[i].ref_name &&
                    oci_index_select(&idx, "index.json", NULL, idx.manifests[i].ref_name, &at, &err) == 0)
                        FUZZ_CHECK(at < idx.n);
        oci_index_done(&idx);
}

static void config_doc(const char *s, size_t n)
{
        struct oci_config c;
        struct pod_err err = { 0 };
        json_t *appc = NULL;

        if (oci_config_parse(s, n, "config", &c, &err) < 0)
                return;
        if (oci_config_to_appc(&c, "example.com/fuzz:latest", 1000, 1000, &appc, &err) == 0) {
                _cleanup_free_ char *text = json_dumps(appc, JSON_COMPACT);
                struct image_manifest *im = NULL;
                struct pod_err err2 = { 0 };
                if (image_manifest_parse(text, strlen(text), &im, &err2) < 0) {
                        fuzz_report("the appc manifest of a valid config is refused: %s: %.1000s", err2.msg, text);
                        FUZZ_CHECK(!"oci_config_to_appc's output parses");
                }
                image_manifest_free(im);
                json_decref(appc);
        }
        oci_config_done(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *s = (const char *)data;
        _cleanup_free_ char *str = fuzz_str(data, size);
        struct oci_platform host, p;
        struct oci_manifest m;
        struct docker_archive_entry *e = NULL;
        struct pod_err err = { 0 };
        size_t n_e = 0;
        unsigned port;
        const char *proto;
        int sig;

        oci_platform_host(&host);
        index_doc(s, size, &host);
        if (oci_manifest_parse(s, size, "manifest", &m, &err) == 0) {
                FUZZ_CHECK(m.n_layers <= OCI_MAX_LAYERS);
                oci_manifest_done(&m);
        }
        config_doc(s, size);
        if (docker_archive_manifest_parse(s, size, &e, &n_e, &err) == 0)
                docker_archive_entries_free(e, n_e);
        /* The strings a flag or a config field gives: --platform, ExposedPorts keys, StopSignal. */
        if (oci_platform_parse(str, &p, &err) == 0) {
                FUZZ_CHECK(p.os && p.arch);
                oci_platform_match(&p, &host);
                oci_platform_done(&p);
        }
        if (oci_port_parse(str, &port, &proto) == 0)
                FUZZ_CHECK(port >= 1 && port <= 65535 && proto);
        if (oci_stop_signal_parse(str, &sig) == 0)
                FUZZ_CHECK(sig > 0 && sig <= SIGRTMAX && sig != SIGKILL && sig != SIGSTOP);
        oci_digest_valid(str);
        oci_platform_done(&host);
        return 0;
}
