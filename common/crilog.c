#include "common/crilog.h"
#include "common/util.h"

#include <time.h>

size_t cri_timestamp(uint64_t real_ns, char *buf)
{
        /* Formatting the date is most of the cost of a record: PID 1 has one
         * thread, so a one-entry cache of the current second is safe. */
        static time_t cached_sec = (time_t)-1;
        static char cached[20];         /* "YYYY-MM-DDTHH:MM:SS" */
        time_t sec = (time_t)(real_ns / 1000000000ull);
        uint32_t ns = (uint32_t)(real_ns % 1000000000ull);

        if (sec != cached_sec) {
                struct tm tm;
                gmtime_r(&sec, &tm);
                strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
                cached_sec = sec;
        }
        memcpy(buf, cached, 19);
        buf[19] = '.';
        for (int i = 28; i >= 20; i--) {
                buf[i] = (char)('0' + ns % 10);
                ns /= 10;
        }
        buf[29] = 'Z';
        buf[30] = '\0';
        return CRI_TIMESTAMP_LEN;
}

size_t cri_head(const char *ts, int stream, bool partial, bool meta, char *buf)
{
        char *p = buf;

        memcpy(p, ts, CRI_TIMESTAMP_LEN);
        p += CRI_TIMESTAMP_LEN;
        if (stream == 2) {
                memcpy(p, " stderr ", 8);
        } else {
                memcpy(p, " stdout ", 8);
        }
        p += 8;
        *p++ = partial ? 'P' : 'F';
        if (meta) {
                *p++ = ':';
                memcpy(p, CRI_META_TAG, sizeof(CRI_META_TAG) - 1);
                p += sizeof(CRI_META_TAG) - 1;
        }
        *p++ = ' ';
        return (size_t)(p - buf);
}

static int digits(const char *s, size_t n, int *ret)
{
        int v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return 0;
}

int cri_parse_time(const char *s, size_t len, int64_t *ret_ns)
{
        int y, mo, d, h, mi, sec, off = 0;
        int64_t frac = 0, ns;
        size_t i = 19, nd = 0;
        struct tm tm = { 0 };
        time_t t;

        if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
            s[16] != ':')
                return -EINVAL;
        if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 || digits(s + 8, 2, &d) < 0 ||
            digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &sec) < 0)
                return -EINVAL;
        if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
                return -EINVAL;
        if (s[i] == '.') {
                for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
                        if (nd < 9)
                                frac = frac * 10 + (s[i] - '0');
                if (nd == 0)
                        return -EINVAL;
                for (size_t k = nd; k < 9; k++)
                        frac *= 10;
        }
        if (i < len && (s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
                off = 0;
        } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
                int oh, om;
                if (digits(s + i + 1, 2, &oh) < 0 || digits(s + i + 4, 2, &om) < 0 || oh > 23 || om > 59)
                        return -EINVAL;
                off = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
        } else {
                return -EINVAL;
        }
        {
                /* Records come in runs of one second: timegm() once per second. */
                static char last[19];
                static time_t last_t;
                static bool have_last;
                if (have_last && !memcmp(last, s, 19)) {
                        t = last_t;
                } else {
                        tm.tm_year = y - 1900;
                        tm.tm_mon = mo - 1;
                        tm.tm_mday = d;
                        tm.tm_hour = h;
                        tm.tm_min = mi;
                        tm.tm_sec = sec;
                        t = timegm(&tm);
                        memcpy(last, s, 19);
                        last_t = t;
                        have_last = true;
                }
        }
        /* int64_t nanoseconds end in 2262: a later year is out of range, not an overflow. */
        if (__builtin_mul_overflow((int64_t)t - off, 1000000000ll, &ns) || __builtin_add_overflow(ns, frac, &ns))
                return -ERANGE;
        *ret_ns = ns;
        return 0;
}

int cri_parse(const char *line, size_t len, struct cri_record *r)
{
        const char *sp1, *sp2, *sp3, *end = line + len;

        sp1 = memchr(line, ' ', len);
        if (!sp1)
                return -EINVAL;
        sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
        if (!sp2)
                return -EINVAL;
        sp3 = memchr(sp2 + 1, ' ', (size_t)(end - sp2 - 1));
        if (!sp3)
                return -EINVAL;
        if (cri_parse_time(line, (size_t)(sp1 - line), &r->time_ns) < 0)
                return -EINVAL;
        r->ts = line;
        r->ts_len = (size_t)(sp1 - line);
        if (sp2 - sp1 - 1 == 6 && !memcmp(sp1 + 1, "stdout", 6))
                r->stream = 1;
        else if (sp2 - sp1 - 1 == 6 && !memcmp(sp1 + 1, "stderr", 6))
                r->stream = 2;
        else
                return -EINVAL;
        /* tags: the first is F or P; "podinit" among the rest marks our own records */
        if (sp3 - sp2 - 1 < 1 || (sp2[1] != 'F' && sp2[1] != 'P') || (sp3 - sp2 - 1 > 1 && sp2[2] != ':'))
                return -EINVAL;
        r->partial = sp2[1] == 'P';
        r->meta = false;
        for (const char *t = sp2 + 2; t < sp3;) {
                const char *next = memchr(t + 1, ':', (size_t)(sp3 - t - 1));
                const char *stop = next ? next : sp3;
                if ((size_t)(stop - t - 1) == sizeof(CRI_META_TAG) - 1 &&
                    !memcmp(t + 1, CRI_META_TAG, sizeof(CRI_META_TAG) - 1))
                        r->meta = true;
                t = stop;
        }
        r->content = sp3 + 1;
        r->len = (size_t)(end - sp3 - 1);
        return 0;
}
