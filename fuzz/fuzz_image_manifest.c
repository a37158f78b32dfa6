/*
 * The appc image manifest (common/manifest.c image_manifest_parse): the
 * `manifest` entry of an ACI, or what image/oci_appc.c makes of an OCI
 * config.  A parsed one is then given to a pod app without an app section,
 * as stage0 and podinit do (pod_app_take_image_app), and the pod's volumes
 * resolved against its mount points.
 */
#include "fuzz.h"
#include "common/manifest.h"
#include "common/resolve.h"
#include "common/log.h"

static const char pod_json[] =
        "{\"acKind\":\"PodManifest\",\"acVersion\":\"0.8.11\","
        "\"apps\":[{\"name\":\"app\",\"image\":{\"name\":\"example.com/app\"}}],"
        "\"volumes\":[{\"name\":\"data\",\"kind\":\"empty\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct image_manifest *im = NULL;
        struct pod_manifest *pod = NULL;
        struct pod_err err = { 0 };

        log_init("fuzz", false);
        if (image_manifest_parse((const char *)data, size, &im, &err) < 0) {
                FUZZ_CHECK(im == NULL && err.code < 0 && err.msg[0]);
                return 0;
        }
        FUZZ_CHECK(im->name != NULL);
        FUZZ_CHECK(pod_manifest_parse(pod_json, sizeof(pod_json) - 1, &pod, &err) == 0);
        if (pod_app_take_image_app(&pod->apps[0], im, &err) == 0 && pod->apps[0].app.exec)
                volumes_resolve(pod, &err);
        pod_manifest_free(pod);
        image_manifest_free(im);
        return 0;
}
