/*
 * What the fuzz targets share (fuzz/README.md).  Each fuzz_<name>.c defines
 * LLVMFuzzerTestOneInput for one kind of outside input and frees all it
 * made: the build runs them under ASan's leak check.
 */
#ifndef POD_FUZZ_FUZZ_H
#define POD_FUZZ_FUZZ_H

#include <sanitizer/common_interface_defs.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string (it ends at an embedded NUL, as a flag or an annotation would). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
        char *s = xmalloc(size + 1);

        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/* The input cut at every NUL (or at every sep) into a NULL-terminated vector; *ret_n words. */
static inline char **fuzz_split(const uint8_t *data, size_t size, char sep, size_t *ret_n)
{
        char **v = xcalloc(size + 2, sizeof(char *));
        size_t n = 0, start = 0;

        for (size_t i = 0; i <= size; i++)
                if (i == size || data[i] == (uint8_t)sep || data[i] == 0) {
                        v[n] = xmalloc(i - start + 1);
                        memcpy(v[n], data + start, i - start);
                        v[n][i - start] = '\0';
                        n++;
                        start = i + 1;
                }
        *ret_n = n;
        return v;
}

/*
 * A message where the sanitizers write theirs: scripts/fuzz.sh runs with
 * -close_fd_mask=2 (the product's warnings would flood the log), which
 * leaves stderr closed but the sanitizers' report fd open.
 */
__attribute__((format(printf, 1, 2))) static inline void fuzz_report(const char *fmt, ...)
{
        char buf[2048];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        __sanitizer_report_error_summary(buf);
}

/* An oracle failed: a bug even without a sanitizer report. */
#define FUZZ_CHECK(cond)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fuzz_report("fuzz check failed: %s:%d: %s", __FILE__, __LINE__, #cond);    \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

#endif
