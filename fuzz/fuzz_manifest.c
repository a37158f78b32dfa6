/*
 * The pod manifest (common/manifest.c): what rkt's stage0 and podctl write
 * and podinit reads.  A parsed pod then goes the way the launcher takes it
 * without touching files: start order, volumes resolved into mounts, each
 * app's log and stream settings.
 */
#include "fuzz.h"
#include "common/manifest.h"
#include "common/resolve.h"
#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pod_manifest *m = NULL;
        struct pod_err err = { 0 };

        log_init("fuzz", false);
        if (pod_manifest_parse((const char *)data, size, &m, &err) < 0) {
                FUZZ_CHECK(m == NULL && err.code < 0 && err.msg[0]);
                return 0;
        }
        FUZZ_CHECK(m->n_apps <= POD_MAX_APPS);
        if (volumes_resolve(m, &err) == 0)
                for (size_t i = 0; i < m->n_apps; i++) {
                        const struct pod_app *a = &m->apps[i];
                        for (size_t k = 0; k < a->n_mounts; k++)
                                FUZZ_CHECK(a->mounts[k].volume && a->mounts[k].target);
                        volume_targets_under(a->mounts, a->n_mounts, "/");
                        pod_app_logs(a);
                        for (int s = 0; s < IO_STREAMS; s++)
                                FUZZ_CHECK(io_mode_name(a->io[s]) != NULL);
                }
        FUZZ_CHECK(pod_manifest_check_order(m, &err) == 0);
        pod_manifest_free(m);
        return 0;
}
