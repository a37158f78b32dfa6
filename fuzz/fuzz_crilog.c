/*
 * The CRI log record (common/crilog.c): what `podctl logs` reads back from
 * a log file that anything on the host may have written to.  The input is
 * split into lines as the reader splits a file; each line is parsed as a
 * record, and its timestamp alone as an RFC 3339 time.  A record podinit
 * itself could have written (cri_timestamp, cri_head) must read back as it
 * was written.
 */
#include "fuzz.h"
#include "common/crilog.h"

static void line(const uint8_t *p, size_t len)
{
        /* An exact-size copy: reading one byte past the line is an ASan report. */
        _cleanup_free_ char *l = xmalloc(len ? len : 1);
        struct cri_record r;
        int64_t ns;

        memcpy(l, p, len);
        cri_parse_time(l, len, &ns);
        if (cri_parse(l, len, &r) < 0)
                return;
        FUZZ_CHECK(r.stream == 1 || r.stream == 2);
        FUZZ_CHECK(r.ts == l && r.ts_len < len);
        FUZZ_CHECK(r.content >= l && r.content + r.len == l + len);
        if (r.time_ns >= 0) {
                char ts[CRI_TIMESTAMP_LEN + 1], head[CRI_HEAD_MAX];
                struct cri_record back;
                size_t n = cri_timestamp((uint64_t)r.time_ns, ts);
                n = cri_head(ts, r.stream, r.partial, r.meta, head);
                FUZZ_CHECK(n < sizeof(head));
                FUZZ_CHECK(cri_parse(head, n, &back) == 0);
                FUZZ_CHECK(back.time_ns == r.time_ns && back.stream == r.stream && back.partial == r.partial &&
                           back.meta == r.meta && back.len == 0);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t start = 0;

        for (size_t i = 0; i <= size; i++)
                if (i == size || data[i] == '\n') {
                        line(data + start, i - start);
                        start = i + 1;
                }
        return 0;
}
