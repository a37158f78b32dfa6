/*
 * An OCI bundle's config.json (stage0/ocispec.c, ocispec_linux.c), as
 * containerd hands it to the shim: the input is the whole document, parsed
 * leniently and then strictly.
 *
 * Oracles: strict mode never accepts what lenient mode refuses, nor warns
 * more; and a spec that parses becomes,
 * through stage0_app_unpack (an app with no image, in a scratch pod
 * directory), an apps[] entry podinit's own manifest parser accepts --
 * unless the spec passes podinit.io/ annotations through, whose values only
 * that parser checks.
 */
#include "fuzz.h"
#include "common/fdutil.h"
#include "common/manifest.h"
#include "stage0/app.h"
#include "stage0/ocispec.h"

#include <fcntl.h>
#include <unistd.h>

static char pod[4096];
static int podfd = -1;

static void pod_dir(void)
{
        char p[4200];

        if (podfd >= 0)
                return;
        snprintf(pod, sizeof(pod), "%s/fuzz-ocispec-%d", getenv("TMPDIR") ?: "/tmp", (int)getpid());
        snprintf(p, sizeof(p), "%s/stage1/rootfs/opt/stage2", pod);
        if (mkdir_p_at(AT_FDCWD, p, 0755) < 0 || (podfd = open(pod, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                abort();
}

static bool passes_annotations(const struct stage0_oci_spec *s)
{
        for (size_t i = 0; i < s->n_annotations; i++)
                if (str_startswith(s->annotations[i].name, "podinit.io/"))
                        return true;
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct stage0_oci_spec s, strict;
        struct pod_err err = { 0 };
        json_t *entry = NULL;
        int lenient_r, strict_r;

        lenient_r = stage0_oci_spec_parse((const char *)data, size, "/bundle", 0, &s, &err);
        strict_r = stage0_oci_spec_parse((const char *)data, size, "/bundle", STAGE0_OCI_STRICT, &strict, &err);
        FUZZ_CHECK(!(lenient_r < 0 && strict_r == 0));
        if (strict_r == 0) {
                FUZZ_CHECK(strict.n_warnings <= s.n_warnings);
                stage0_oci_spec_done(&strict);
        }
        if (lenient_r < 0)
                return 0;
        FUZZ_CHECK(s.rootfs && s.app.rootfs && s.app.exec && s.app.user && s.app.group);
        pod_dir();
        s.app.name = xstrdup("app");
        if (stage0_app_unpack(NULL, pod, &s.app, &entry, &err) == 0) {
                struct pod_app pa = { 0 };
                int r = pod_app_parse(entry, "apps[0]", &pa, &err);
                if (r < 0 && !passes_annotations(&s))
                        fuzz_report("fuzz check failed: a spec that parses makes an entry podinit refuses: %s", err.msg);
                FUZZ_CHECK(r == 0 || passes_annotations(&s));
                pod_app_done(&pa);
                json_decref(entry);
        }
        stage0_app_discard(podfd, "app");
        stage0_oci_spec_done(&s);
        return 0;
}
