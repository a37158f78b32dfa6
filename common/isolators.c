#include "common/isolators.h"

#include <ctype.h>
#include <jansson.h>
#include <sys/capability.h>

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

static void note_unimplemented(struct isolators *iso, const char *name)
{
        size_t len = strlen(iso->unimplemented);
        if (strstr(iso->unimplemented, name))
                return;
        snprintf(iso->unimplemented + len, sizeof(iso->unimplemented) - len, "%s%s", len ? ", " : "", name);
}

int isolators_parse(json_t *list, const char *path, struct isolators *ret, struct pod_err *err)
{
        static const char *const later[] = {
                "os/linux/seccomp-retain-set", "os/linux/seccomp-remove-set", "resource/memory", "resource/cpu",
                "os/linux/cpu-shares",
        };
        static const char *const ignored[] = {
                "os/linux/selinux-context", "os/unix/sysctl", "resource/block-bandwidth", "resource/block-iops",
                "resource/network-bandwidth",
        };
        struct isolators iso = { 0 };
        json_t *it;
        size_t i;
        int r;

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
                        } else {
                                for (size_t k = 0; k < ARRAY_SIZE(later) && !known; k++)
                                        if (!strcmp(name, later[k])) {
                                                note_unimplemented(&iso, name);
                                                known = true;
                                        }
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
