/*
 * appc isolators (common/isolators.c): an app's `isolators` list as JSON,
 * and the strings podctl's flags hand to the same checks (--caps-retain,
 * --seccomp, --memory, --cpu): capability lists, seccomp sets and
 * Kubernetes quantities.
 */
#include "fuzz.h"
#include "common/isolators.h"

#include <jansson.h>

static void strings(const char *s)
{
        struct pod_err err = { 0 };
        enum seccomp_mode mode;
        uint64_t v;

        caps_parse_list(s, &v, &err);
        sc_set_check(s, true, &mode, &err);
        sc_set_check(s, false, &mode, &err);
        if (k8s_quantity_parse(s, false, &v) == 0) {
                uint64_t milli;
                /* Thousandths of the same quantity are never fewer (fractions round up). */
                if (k8s_quantity_parse(s, true, &milli) == 0)
                        FUZZ_CHECK(milli >= v);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = fuzz_str(data, size);
        struct isolators iso = { 0 };
        struct pod_err err = { 0 };
        json_t *list;

        strings(s);
        list = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        if (!list)
                return 0;
        if (isolators_parse(list, "isolators", &iso, &err) == 0) {
                FUZZ_CHECK(strnlen(iso.seccomp_set, sizeof(iso.seccomp_set)) < sizeof(iso.seccomp_set));
                isolators_bounding(&iso);
        } else {
                FUZZ_CHECK(err.code < 0 && err.msg[0]);
        }
        json_decref(list);
        return 0;
}
