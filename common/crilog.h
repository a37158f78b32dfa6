/*
 * The Kubernetes CRI log record (docs/logging.md):
 *
 *   <timestamp> <stdout|stderr> <tags> <content>\n
 *
 * timestamp: RFC 3339 in UTC with 9 fraction digits ("2026-11-23T21:00:00.000000001Z");
 * tags:      ':'-separated; the first is F (the line ends here) or P (the
 *            line goes on in the next record of the same stream).  Records
 *            podinit writes about the log itself (bytes dropped, lines
 *            suppressed) carry a second tag, "podinit"; kubelet reads only
 *            the first tag.
 * content:   any bytes but '\n' ('\r' and invalid UTF-8 are kept as they are).
 *
 * The writer (logger/) and the reader (podctl logs) share this file.
 */
#ifndef POD_COMMON_CRILOG_H
#define POD_COMMON_CRILOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRI_TIMESTAMP_LEN 30            /* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" */
#define CRI_META_TAG "podinit"

/* Format real_ns as a CRI timestamp into buf (at least CRI_TIMESTAMP_LEN + 1
 * bytes); returns CRI_TIMESTAMP_LEN.  The date part is cached per second. */
size_t cri_timestamp(uint64_t real_ns, char *buf);

/* "<ts> <stream> <F|P>[:podinit] " for stream 1 (stdout) or 2 (stderr);
 * buf needs CRI_HEAD_MAX bytes; returns the length. */
#define CRI_HEAD_MAX (CRI_TIMESTAMP_LEN + 24)
size_t cri_head(const char *ts, int stream, bool partial, bool meta, char *buf);

struct cri_record {
        int64_t time_ns;                /* since the epoch */
        const char *ts;                 /* the timestamp as written */
        size_t ts_len;
        int stream;                     /* 1 stdout, 2 stderr */
        bool partial;                   /* P: no newline after the content */
        bool meta;                      /* written by podinit about the log */
        const char *content;
        size_t len;
};

/* Parse one record (without its '\n').  -EINVAL if it is not a CRI record. */
int cri_parse(const char *line, size_t len, struct cri_record *r);
/* Parse an RFC 3339 time ("Z" or "+hh:mm", 0-9 fraction digits) to ns since the epoch. */
int cri_parse_time(const char *s, size_t len, int64_t *ret_ns);

#endif
