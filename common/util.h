/*
 * Small helpers every component uses: cleanup attributes, ownership steals,
 * error conversion and bounded string formatting.
 *
 * Conventions (see docs/architecture.md): functions return 0 or a negative
 * errno; outputs are named ret_* and written only on success; x_free(NULL) is
 * a no-op.  Human context for an error travels in a caller-owned struct
 * pod_err, never in a heap object.
 */
#ifndef POD_COMMON_UTIL_H
#define POD_COMMON_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef container_of
#define container_of(ptr, type, member) \
        ((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/* Transfer ownership out of a cleanup-managed local. */
#define TAKE_PTR(p) ({ typeof(p) _tp = (p); (p) = NULL; _tp; })
#define TAKE_FD(fd) ({ int _tf = (fd); (fd) = -1; _tf; })

/* Negative errno from a libc call that returns -1 and sets errno. */
#define RET_NERRNO(expr) ({ long _r = (long)(expr); _r < 0 ? -errno : (int)_r; })

static inline void freep(void *p) { free(*(void **)p); }
void closep(int *fd);
void fclosep(FILE **f);
void strvfreep(char ***v);

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_strv_ _cleanup_(strvfreep)

/* Human-readable context for a failure, owned by the caller. */
struct pod_err {
        int code;               /* negative errno, or 0 */
        char msg[512];
};

/* Record a message in err (if non-NULL) and return code (negative errno). */
int pod_err_set(struct pod_err *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Prefix an existing message with more context ("what we were doing: ..."). */
int pod_err_prefix(struct pod_err *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Allocation that cannot fail silently: abort on OOM (setup paths only). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* NULL-terminated string vectors. */
size_t strv_length(char *const *v);
char **strv_copy(char *const *v);
void strv_free(char **v);
int strv_push(char ***v, const char *s);
bool strv_contains(char *const *v, const char *s);
/* An environment vector: set NAME=VALUE (replacing an existing NAME only if overwrite). */
void strv_env_set(char ***envp, const char *name, const char *value, bool overwrite);
/* The value of NAME in an environment vector, or NULL. */
const char *strv_env_get(char **envp, const char *name);

bool str_startswith(const char *s, const char *prefix);
/* Parse a decimal integer in [min,max]; 0 or -EINVAL/-ERANGE. */
int parse_long(const char *s, long min, long max, long *ret);
/* Parse a duration: "10", "10s", "500ms", "2m"; result in milliseconds. */
int parse_duration_ms(const char *s, uint64_t *ret_ms);
/* Parse a byte count: "4096", "64K", "10Mi", "1GiB" (K, M, G are powers of 1024), at most max. */
int parse_size(const char *s, uint64_t max, uint64_t *ret);

/* Monotonic and real-time clocks in nanoseconds. */
uint64_t now_mono_ns(void);
uint64_t now_real_ns(void);
/* RFC 3339 UTC timestamp with nanoseconds into buf (>= 40 bytes). */
void format_rfc3339(uint64_t real_ns, char *buf, size_t len);

#endif
