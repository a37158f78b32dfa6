#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

static char log_prefix[32] = "podinit";
static bool log_dbg;

void log_init(const char *prefix, bool debug)
{
        snprintf(log_prefix, sizeof(log_prefix), "%s", prefix);
        log_dbg = debug;
}

bool log_debug_enabled(void)
{
        return log_dbg;
}

static void vlog(const char *level, const char *fmt, va_list ap)
{
        char buf[2048];
        int saved = errno;
        int n = snprintf(buf, sizeof(buf), "%s: %s", log_prefix, level);
        if (n < 0 || (size_t)n >= sizeof(buf))
                n = 0;
        vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
        /* One write per message so lines from several processes do not interleave. */
        size_t len = strlen(buf);
        buf[len++] = '\n';
        fwrite(buf, 1, len, stderr);
        fflush(stderr);
        errno = saved;
}

#define DEFINE_LOG(name, level, cond)                 \
        void name(const char *fmt, ...)               \
        {                                             \
                va_list ap;                           \
                if (!(cond))                          \
                        return;                       \
                va_start(ap, fmt);                    \
                vlog(level, fmt, ap);                 \
                va_end(ap);                           \
        }

DEFINE_LOG(log_error, "", true)
DEFINE_LOG(log_warn, "warning: ", true)
DEFINE_LOG(log_info, "", true)
DEFINE_LOG(log_debug, "debug: ", log_dbg)
