/*
 * The value parsers every flag and annotation goes through (common/util.c
 * parse_long, parse_duration_ms, parse_size; common/policy.c signal_parse):
 * "10s", "500ms", "64Ki", "SIGTERM".  Each result must respect the bound it
 * was asked for.
 */
#include "fuzz.h"
#include "common/policy.h"

#include <limits.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = fuzz_str(data, size);
        uint64_t u, big;
        long v;
        int sig;

        if (parse_long(s, -1000, 1000, &v) == 0)
                FUZZ_CHECK(v >= -1000 && v <= 1000);
        if (parse_long(s, LONG_MIN, LONG_MAX, &v) == 0) {
                char back[32];
                snprintf(back, sizeof(back), "%ld", v);
                /* Strict: no sign but '-', no space; leading zeros are the only other spelling. */
                FUZZ_CHECK(strlen(s) >= strlen(back));
        }
        if (parse_duration_ms(s, &u) == 0 && str_startswith(s, "1ms"))
                FUZZ_CHECK(u >= 1);
        if (parse_size(s, 1u << 20, &u) == 0) {
                FUZZ_CHECK(u <= 1u << 20);
                FUZZ_CHECK(parse_size(s, UINT64_MAX, &big) == 0 && big == u);
        }
        if (signal_parse(s, &sig) == 0)
                FUZZ_CHECK(sig > 0 && sig < 65);
        return 0;
}
