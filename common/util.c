#include "common/util.h"

#include <limits.h>
#include <time.h>

void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

void strvfreep(char ***v)
{
        strv_free(*v);
}

static int pod_err_vset(struct pod_err *err, int code, const char *fmt, va_list ap)
{
        if (err) {
                err->code = code;
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        }
        return code;
}

int pod_err_set(struct pod_err *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        pod_err_vset(err, code, fmt, ap);
        va_end(ap);
        return code;
}

int pod_err_prefix(struct pod_err *err, const char *fmt, ...)
{
        char prefix[256], old[sizeof(err->msg)];
        va_list ap;

        if (!err)
                return 0;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        /* Truncation is acceptable: the message is for humans. */
        size_t pl = strlen(prefix);
        if (pl > sizeof(err->msg) - 3)
                pl = sizeof(err->msg) - 3;
        memcpy(err->msg, prefix, pl);
        memcpy(err->msg + pl, ": ", 2);
        size_t rest = sizeof(err->msg) - pl - 3;
        size_t ol = strnlen(old, rest);
        memcpy(err->msg + pl + 2, old, ol);
        err->msg[pl + 2 + ol] = '\0';
        return err->code;
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                abort();
        return p;
}

void *xcalloc(size_t n, size_t m)
{
        void *p = calloc(n ? n : 1, m ? m : 1);
        if (!p)
                abort();
        return p;
}

void *xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                abort();
        return p;
}

char *xstrdup(const char *s)
{
        char *p = strdup(s);
        if (!p)
                abort();
        return p;
}

char *xasprintf(const char *fmt, ...)
{
        char *p;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&p, fmt, ap) < 0)
                abort();
        va_end(ap);
        return p;
}

size_t strv_length(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

char **strv_copy(char *const *v)
{
        size_t n = strv_length(v);
        char **c = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                c[i] = xstrdup(v[i]);
        return c;
}

void strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

int strv_push(char ***v, const char *s)
{
        size_t n = strv_length(*v);
        *v = xrealloc(*v, (n + 2) * sizeof(char *));
        (*v)[n] = xstrdup(s);
        (*v)[n + 1] = NULL;
        return 0;
}

bool strv_contains(char *const *v, const char *s)
{
        for (; v && *v; v++)
                if (!strcmp(*v, s))
                        return true;
        return false;
}

void strv_env_set(char ***envp, const char *name, const char *value, bool overwrite)
{
        size_t nl = strlen(name);
        char *kv;

        for (char **e = *envp; e && *e; e++)
                if (!strncmp(*e, name, nl) && (*e)[nl] == '=') {
                        if (overwrite) {
                                free(*e);
                                *e = xasprintf("%s=%s", name, value);
                        }
                        return;
                }
        kv = xasprintf("%s=%s", name, value);
        strv_push(envp, kv);
        free(kv);
}

const char *strv_env_get(char **envp, const char *name)
{
        size_t nl = strlen(name);

        for (char **e = envp; e && *e; e++)
                if (!strncmp(*e, name, nl) && (*e)[nl] == '=')
                        return *e + nl + 1;
        return NULL;
}

bool str_startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

int parse_long(const char *s, long min, long max, long *ret)
{
        char *end;
        long v;

        /* strtol would skip white space and accept '+': be strict. */
        if (!s || !((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end || end == s)
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int parse_duration_ms(const char *s, uint64_t *ret_ms)
{
        char *end;
        unsigned long long v;
        uint64_t mult;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        if (!*end || !strcmp(end, "s"))
                mult = 1000;
        else if (!strcmp(end, "ms"))
                mult = 1;
        else if (!strcmp(end, "m"))
                mult = 60000;
        else if (!strcmp(end, "h"))
                mult = 3600000;
        else
                return -EINVAL;
        if (v > UINT64_MAX / mult)
                return -ERANGE;
        *ret_ms = v * mult;
        return 0;
}

int parse_size(const char *s, uint64_t max, uint64_t *ret)
{
        static const struct {
                const char *suffix;
                uint64_t mult;
        } units[] = {
                { "", 1 },       { "B", 1 },           { "K", 1ull << 10 },  { "Ki", 1ull << 10 },
                { "KiB", 1ull << 10 }, { "k", 1ull << 10 }, { "M", 1ull << 20 }, { "Mi", 1ull << 20 },
                { "MiB", 1ull << 20 }, { "G", 1ull << 30 }, { "Gi", 1ull << 30 }, { "GiB", 1ull << 30 },
        };
        char *end;
        unsigned long long v;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno)
                return -ERANGE;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                if (!strcmp(end, units[i].suffix)) {
                        if (v > max / units[i].mult)
                                return -ERANGE;
                        *ret = v * units[i].mult;
                        return 0;
                }
        return -EINVAL;
}

static uint64_t clock_ns(clockid_t c)
{
        struct timespec ts;
        clock_gettime(c, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t now_mono_ns(void)
{
        return clock_ns(CLOCK_MONOTONIC);
}

uint64_t now_real_ns(void)
{
        return clock_ns(CLOCK_REALTIME);
}

void format_rfc3339(uint64_t real_ns, char *buf, size_t len)
{
        time_t sec = (time_t)(real_ns / 1000000000ull);
        struct tm tm;
        char date[32];

        gmtime_r(&sec, &tm);
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, len, "%s.%09lluZ", date, (unsigned long long)(real_ns % 1000000000ull));
}
