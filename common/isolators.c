#include "common/isolators.h"
#include "common/log.h"
#include "common/seccomp_sets.h"

#include <ctype.h>
#include <jansson.h>
#include <sys/capability.h>
#include <sys/prctl.h>

int caps_last(void)
{
        static int last = -1;
        if (last < 0) {
                /* The kernel's own number; libcap's compile-time CAP_LAST_CAP may be older or newer. */
                FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
                long v = CAP_LAST_CAP;
                if (f) {
                        if (fscanf(f, "%ld", &v) != 1)
                                v = CAP_LAST_CAP;
                        fclose(f);
                }
                last = v < 0 || v > 63 ? CAP_LAST_CAP : (int)v;
        }
        return last;
}

/* One name: "CAP_NET_ADMIN", "cap_net_admin" or "NET_ADMIN". */
static int cap_number(const char *name, size_t len, int *ret)
{
        char buf[64];
        cap_value_t v;
        size_t off = 0;

        if (len == 0 || len + 4 >= sizeof(buf))
                return -EINVAL;
        if (len < 4 || strncasecmp(name, "cap_", 4))
                off = (size_t)snprintf(buf, sizeof(buf), "cap_");
        for (size_t i = 0; i < len; i++)
                buf[off + i] = (char)tolower((unsigned char)name[i]);
        buf[off + len] = '\0';
        if (cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
                return -EINVAL;
        *ret = v;
        return 0;
}

int caps_parse_list(const char *s, uint64_t *ret, struct pod_err *err)
{
        uint64_t mask = 0;

        while (s && *s) {
                const char *comma = strchr(s, ',');
                size_t len = comma ? (size_t)(comma - s) : strlen(s);
                int n;
                if (cap_number(s, len, &n) < 0)
                        return pod_err_set(err, -EINVAL, "\"%.*s\" is not a capability (e.g. CAP_NET_ADMIN; see capabilities(7))",
                                           (int)len, s);
                mask |= 1ull << n;
                s = comma ? comma + 1 : NULL;
        }
        *ret = mask;
        return 0;
}

uint64_t caps_default_mask(void)
{
        uint64_t m = 0;
        (void)caps_parse_list(CAPS_DEFAULT_NAMES, &m, NULL);
        return m;
}

uint64_t isolators_bounding(const struct isolators *iso)
{
        if (iso->has_retain)
                return iso->retain;
        return caps_default_mask() & ~iso->remove;
}

/*
 * The capabilities this host can give, taken when the process starts: the
 * launcher's bounding set is the host's (or the one podinit was started
 * with), PID 1 is its clone, and PID 1 later drops what no app uses
 * (init/pid1.c), which must not count as "the host lacks it": an app added
 * later that asks for such a capability gets an error, not a warning.
 */
static uint64_t host_caps;

__attribute__((constructor)) static void host_caps_snapshot(void)
{
        for (int c = 0; c <= caps_last() && c < 64; c++)
                if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
                        host_caps |= 1ull << c;
}

uint64_t caps_host_mask(void)
{
        return host_caps;
}

uint64_t isolators_bounding_host(const struct isolators *iso, const char *app)
{
        uint64_t want = isolators_bounding(iso), missing = want & ~host_caps;

        /* rkt's stage1 gave the set to systemd, which dropped (with a note)
         * what the kernel does not know or its own bounding set lacks; so
         * does podinit, naming each capability the app asked for.  Default
         * ones missing (a container without CAP_AUDIT_WRITE) go quietly. */
        for (int c = 0; iso->has_retain && c < 64; c++)
                if (missing & (1ull << c)) {
                        char *name = cap_to_name(c), up[64];
                        size_t i = 0;
                        for (; name && name[i] && i + 1 < sizeof(up); i++)
                                up[i] = (char)toupper((unsigned char)name[i]);
                        up[i] = '\0';
                        log_warn("app %s: os/linux/capabilities-retain-set: %s is not available (%s); the app runs without it",
                                 app, up, c > caps_last() ? "newer than this kernel" : "not in the bounding set podinit was started with");
                        cap_free(name);
                }
        return want & host_caps;
}

static int parse_caps_set(json_t *value, const char *path, const char *name, uint64_t *ret, struct pod_err *err)
{
        json_t *set = json_is_object(value) ? json_object_get(value, "set") : NULL, *it;
        uint64_t mask = 0;
        size_t i;

        if (!json_is_array(set) || json_array_size(set) == 0)
                return pod_err_set(err, -EINVAL, "%s: %s: expected {\"set\": [\"CAP_...\", ...]} with at least one capability",
                                   path, name);
        json_array_foreach(set, i, it) {
                const char *s = json_string_value(it);
                int n;
                if (!s || cap_number(s, strlen(s), &n) < 0)
                        return pod_err_set(err, -EINVAL, "%s: %s: set[%zu]: %s%s%s is not a capability (e.g. CAP_NET_ADMIN)",
                                           path, name, i, s ? "\"" : "", s ? s : "a non-string", s ? "\"" : "");
                mask |= 1ull << n;
        }
        *ret = mask;
        return 0;
}

int sc_set_check(const char *set, bool retain, enum seccomp_mode *ret_mode, struct pod_err *err)
{
        enum seccomp_mode mode = retain ? SECCOMP_RETAIN : SECCOMP_REMOVE;
        size_t i = 0;

        if (!set || !*set)
                return pod_err_set(err, -EINVAL, "the set is empty (give at least one syscall name or @group)");
        if (strlen(set) >= SECCOMP_SET_MAX)
                return pod_err_set(err, -E2BIG, "the set is longer than %d bytes (use @groups)", SECCOMP_SET_MAX - 1);
        for (const char *s = set; s; i++) {
                const char *comma = strchr(s, ',');
                size_t len = comma ? (size_t)(comma - s) : strlen(s);
                enum seccomp_entry_kind kind;
                int r;

                if ((r = sc_entry_check(s, len, &kind, err)) < 0)
                        return pod_err_prefix(err, "set[%zu]", i);
                /* rkt: @appc.io/all in a retain-set means no filter at all, and
                 * @appc.io/empty in a remove-set the default allow-list. */
                if (retain && kind == SECCOMP_ENTRY_ALL)
                        mode = SECCOMP_UNCONFINED;
                else if (!retain && kind == SECCOMP_ENTRY_EMPTY && mode != SECCOMP_UNCONFINED)
                        mode = SECCOMP_DEFAULT;
                s = comma ? comma + 1 : NULL;
        }
        *ret_mode = mode;
        return 0;
}

static int parse_seccomp_set(json_t *value, const char *path, const char *name, struct isolators *iso, struct pod_err *err)
{
        json_t *set = json_is_object(value) ? json_object_get(value, "set") : NULL, *it;
        json_t *jerrno = json_is_object(value) ? json_object_get(value, "errno") : NULL;
        size_t i, len = 0;
        int r;

        if (!json_is_array(set) || json_array_size(set) == 0)
                return pod_err_set(err, -EINVAL, "%s: %s: expected {\"set\": [\"NAME\" or \"@group\", ...], \"errno\": \"EXXX\"} "
                                   "with at least one entry (errno is optional)", path, name);
        json_array_foreach(set, i, it) {
                const char *s = json_string_value(it);
                enum seccomp_entry_kind kind;
                size_t n = s ? strlen(s) : 0;

                if (!s)
                        return pod_err_set(err, -EINVAL, "%s: %s: set[%zu]: expected a syscall name or @group, not a %s",
                                           path, name, i, json_is_array(it) ? "list" : json_is_object(it) ? "object" : "non-string");
                if ((r = sc_entry_check(s, n, &kind, err)) < 0)
                        return pod_err_prefix(err, "%s: %s: set[%zu]", path, name, i);
                if (len + n + 1 >= sizeof(iso->seccomp_set))
                        return pod_err_set(err, -E2BIG, "%s: %s: the set is longer than %zu bytes (use @groups)", path, name,
                                           sizeof(iso->seccomp_set) - 1);
                if (len)
                        iso->seccomp_set[len++] = ',';
                memcpy(iso->seccomp_set + len, s, n + 1);
                len += n;
        }
        iso->seccomp_errno = 0;
        if (jerrno && !json_is_null(jerrno) && !(json_is_string(jerrno) && !*json_string_value(jerrno))) {
                const char *e = json_string_value(jerrno);
                if (!e || sc_errno_parse(e, &iso->seccomp_errno) < 0)
                        return pod_err_set(err, -EINVAL, "%s: %s: errno: %s%s%s is not an errno name (e.g. EPERM, ENOSYS; see errno(3))",
                                           path, name, e ? "\"" : "", e ? e : "a non-string", e ? "\"" : "");
        }
        if ((r = sc_set_check(iso->seccomp_set, !strcmp(name, ISO_SECCOMP_RETAIN), &iso->seccomp, err)) < 0)
                return pod_err_prefix(err, "%s: %s", path, name);
        return 0;
}

int k8s_quantity_parse(const char *s, bool millis, uint64_t *ret)
{
        static const struct { const char *suffix; unsigned bin; int dec; } sfx[] = {
                { "", 0, 0 },    { "Ki", 1, 0 }, { "Mi", 2, 0 }, { "Gi", 3, 0 },  { "Ti", 4, 0 },  { "Pi", 5, 0 },
                { "Ei", 6, 0 },  { "n", 0, -9 }, { "u", 0, -6 }, { "m", 0, -3 },  { "k", 0, 3 },   { "M", 0, 6 },
                { "G", 0, 9 },   { "T", 0, 12 }, { "P", 0, 15 }, { "E", 0, 18 },
        };
        unsigned __int128 v = 0;
        int e10 = millis ? 3 : 0, digits = 0;
        bool frac = false, inexact = false;
        const char *p = s;
        size_t k;

        if (!s || !*s)
                return -EINVAL;
        for (; (*p >= '0' && *p <= '9') || (*p == '.' && !frac); p++) {
                if (*p == '.') {
                        frac = true;
                        continue;
                }
                if (++digits > 30)
                        return -ERANGE;
                v = v * 10 + (unsigned)(*p - '0');
                if (frac)
                        e10--;
        }
        if (digits == 0)
                return -EINVAL;
        if ((*p == 'e' || *p == 'E') && p[1] >= '0' && p[1] <= '9') {
                long x = 0;
                for (p++; *p >= '0' && *p <= '9'; p++)
                        if ((x = x * 10 + (*p - '0')) > 40)
                                return -ERANGE;
                e10 += (int)x;
        }
        for (k = 0; k < ARRAY_SIZE(sfx); k++)
                if (!strcmp(p, sfx[k].suffix))
                        break;
        if (k == ARRAY_SIZE(sfx))
                return -EINVAL;
        e10 += sfx[k].dec;
        for (unsigned b = 0; b < sfx[k].bin; b++)
                if ((v *= 1024) > UINT64_MAX)
                        return -ERANGE;
        for (; e10 > 0; e10--)
                if ((v *= 10) > UINT64_MAX)
                        return v == 0 ? 0 : -ERANGE;
        for (; e10 < 0; e10++) {
                inexact |= v % 10 != 0;
                v /= 10;
        }
        if (inexact)
                v++;
        if (v > UINT64_MAX)
                return -ERANGE;
        *ret = (uint64_t)v;
        return 0;
}

/* {"limit": QUANTITY, "request": ignored}: *ret the limit, or 0 if there is none. */
static int parse_resource(json_t *value, const char *path, const char *name, bool millis, uint64_t max,
                          const char *example, uint64_t *ret, struct pod_err *err)
{
        json_t *lim = json_is_object(value) ? json_object_get(value, "limit") : NULL;
        const char *q = json_string_value(lim);
        uint64_t v;

        if (!json_is_object(value))
                return pod_err_set(err, -EINVAL, "%s: %s: expected {\"limit\": \"%s\"}", path, name, example);
        if (!lim || json_is_null(lim)) {
                *ret = 0;
                return 0;
        }
        if (!q || k8s_quantity_parse(q, millis, &v) < 0 || v == 0 || v > max)
                return pod_err_set(err, -EINVAL, "%s: %s: limit %s%s%s is not a %s quantity above 0 (e.g. \"%s\")", path,
                                   name, q ? "\"" : "", q ? q : "(not a string)", q ? "\"" : "",
                                   millis ? "CPU" : "memory", example);
        *ret = v;
        return 0;
}

int isolators_parse(json_t *list, const char *path, struct isolators *ret, struct pod_err *err)
{
        static const char *const ignored[] = {
                "os/linux/selinux-context", "os/unix/sysctl", "resource/block-bandwidth", "resource/block-iops",
                "resource/network-bandwidth",
        };
        struct isolators iso = { 0 };
        json_t *it;
        size_t i;
        int r, n_seccomp = 0;

        if (list && !json_is_null(list)) {
                if (!json_is_array(list))
                        return pod_err_set(err, -EINVAL, "%s: expected a list of isolators", path);
                json_array_foreach(list, i, it) {
                        const char *name = json_string_value(json_object_get(it, "name"));
                        json_t *value = json_object_get(it, "value");
                        bool known = false;

                        if (!json_is_object(it) || !name)
                                return pod_err_set(err, -EINVAL, "%s[%zu]: expected {\"name\": ..., \"value\": ...}", path, i);
                        if (!strcmp(name, ISO_CAPS_RETAIN)) {
                                if ((r = parse_caps_set(value, path, name, &iso.retain, err)) < 0)
                                        return r;
                                iso.has_retain = true;
                        } else if (!strcmp(name, ISO_CAPS_REMOVE)) {
                                if ((r = parse_caps_set(value, path, name, &iso.remove, err)) < 0)
                                        return r;
                                iso.has_remove = true;
                        } else if (!strcmp(name, ISO_NNP)) {
                                if (!json_is_boolean(value))
                                        return pod_err_set(err, -EINVAL, "%s: %s: expected true or false", path, name);
                                iso.nnp |= json_is_true(value);         /* rkt: any true wins */
                        } else if (!strcmp(name, ISO_OOM_SCORE_ADJ)) {
                                if (!json_is_integer(value) || json_integer_value(value) < -1000 ||
                                    json_integer_value(value) > 1000)
                                        return pod_err_set(err, -EINVAL, "%s: %s: expected an integer from -1000 to 1000", path, name);
                                iso.has_oom = true;
                                iso.oom_score_adj = (int)json_integer_value(value);
                        } else if (!strcmp(name, ISO_MEMORY)) {
                                if ((r = parse_resource(value, path, name, false, UINT64_MAX, "512Mi", &iso.memory_limit, err)) < 0)
                                        return r;
                                iso.has_memory = iso.memory_limit > 0;
                        } else if (!strcmp(name, ISO_CPU)) {
                                /* The quota is millicores × 100 µs: keep it within int64 (rkt's check). */
                                if ((r = parse_resource(value, path, name, true, (uint64_t)INT64_MAX / 1000, "500m", &iso.cpu_millis, err)) < 0)
                                        return r;
                                iso.has_cpu = iso.cpu_millis > 0;
                        } else if (!strcmp(name, ISO_CPU_SHARES)) {
                                if (!json_is_integer(value) || json_integer_value(value) < 2 || json_integer_value(value) > 262144)
                                        return pod_err_set(err, -EINVAL, "%s: %s: expected an integer from 2 to 262144", path, name);
                                iso.has_cpu_shares = true;
                                iso.cpu_shares = (uint64_t)json_integer_value(value);
                        } else if (!strcmp(name, ISO_SECCOMP_RETAIN) || !strcmp(name, ISO_SECCOMP_REMOVE)) {
                                /* appc allows one seccomp isolator per app; rkt's message. */
                                if (++n_seccomp > 1)
                                        return pod_err_set(err, -EINVAL, "%s: too many seccomp isolators specified (%s and %s are exclusive, and neither may repeat)",
                                                           path, ISO_SECCOMP_RETAIN, ISO_SECCOMP_REMOVE);
                                if ((r = parse_seccomp_set(value, path, name, &iso, err)) < 0)
                                        return r;
                        } else {
                                for (size_t k = 0; k < ARRAY_SIZE(ignored) && !known; k++)
                                        known = !strcmp(name, ignored[k]);
                                if (!known)
                                        return pod_err_set(err, -EINVAL, "%s[%zu]: unknown isolator \"%s\" (see docs/manifest.md, \"Isolators\")",
                                                           path, i, name);
                        }
                }
        }
        if (iso.has_retain && iso.has_remove)
                return pod_err_set(err, -EINVAL, "%s: cannot have both %s and %s", path, ISO_CAPS_RETAIN, ISO_CAPS_REMOVE);
        *ret = iso;
        return 0;
}
