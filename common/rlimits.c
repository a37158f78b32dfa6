#include "common/rlimits.h"
#include "common/manifest.h"

#include <strings.h>

static const char *const names[RLIMITS_N] = {
        [RLIMIT_CPU] = "cpu",         [RLIMIT_FSIZE] = "fsize",           [RLIMIT_DATA] = "data",
        [RLIMIT_STACK] = "stack",     [RLIMIT_CORE] = "core",             [RLIMIT_RSS] = "rss",
        [RLIMIT_NPROC] = "nproc",     [RLIMIT_NOFILE] = "nofile",         [RLIMIT_MEMLOCK] = "memlock",
        [RLIMIT_AS] = "as",           [RLIMIT_LOCKS] = "locks",           [RLIMIT_SIGPENDING] = "sigpending",
        [RLIMIT_MSGQUEUE] = "msgqueue", [RLIMIT_NICE] = "nice",           [RLIMIT_RTPRIO] = "rtprio",
        [RLIMIT_RTTIME] = "rttime",
};

/* Limits counted in bytes, which also take a size with a unit. */
static const uint32_t byte_limits = 1u << RLIMIT_FSIZE | 1u << RLIMIT_DATA | 1u << RLIMIT_STACK |
                                    1u << RLIMIT_CORE | 1u << RLIMIT_RSS | 1u << RLIMIT_MEMLOCK |
                                    1u << RLIMIT_AS | 1u << RLIMIT_MSGQUEUE;

int rlimit_from_name(const char *name)
{
        if (!strncasecmp(name, "RLIMIT_", 7))
                name += 7;
        for (int r = 0; r < RLIMITS_N; r++)
                if (!strcasecmp(name, names[r]))
                        return r;
        return -EINVAL;
}

const char *rlimit_name(int resource)
{
        return resource >= 0 && resource < RLIMITS_N ? names[resource] : "?";
}

static int one_value(int resource, const char *s, size_t len, rlim_t *ret)
{
        char buf[32];
        uint64_t v;

        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (!strcmp(buf, "unlimited") || !strcmp(buf, "infinity")) {
                *ret = RLIM_INFINITY;
                return 0;
        }
        if (byte_limits & (1u << resource)) {
                if (parse_size(buf, UINT64_MAX - 1, &v) < 0)
                        return -EINVAL;
        } else {
                char *end;
                if (buf[0] < '0' || buf[0] > '9')
                        return -EINVAL;
                errno = 0;
                v = strtoull(buf, &end, 10);
                if (errno || *end)
                        return -EINVAL;
        }
        if ((rlim_t)v == RLIM_INFINITY)
                return -ERANGE;
        *ret = (rlim_t)v;
        return 0;
}

int rlimit_value_parse(int resource, const char *s, struct rlimit *ret)
{
        const char *colon = strchr(s, ':');
        struct rlimit rl;

        if (resource < 0 || resource >= RLIMITS_N)
                return -EINVAL;
        if (one_value(resource, s, colon ? (size_t)(colon - s) : strlen(s), &rl.rlim_cur) < 0)
                return -EINVAL;
        rl.rlim_max = rl.rlim_cur;
        if (colon && one_value(resource, colon + 1, strlen(colon + 1), &rl.rlim_max) < 0)
                return -EINVAL;
        /* RLIM_INFINITY is the largest value, so one comparison covers it. */
        if (rl.rlim_cur > rl.rlim_max)
                return -ERANGE;
        *ret = rl;
        return 0;
}

int rlimits_parse(const struct kv *ann, size_t n_ann, const char *where, struct app_rlimits *ret,
                  struct pod_err *err)
{
        struct app_rlimits out = { 0 };

        for (size_t i = 0; i < n_ann; i++) {
                const char *name = ann[i].name, *v = ann[i].value;
                int res, r;

                if (!str_startswith(name, ANN_RLIMIT_PREFIX))
                        continue;
                res = rlimit_from_name(name + strlen(ANN_RLIMIT_PREFIX));
                if (res < 0)
                        return pod_err_set(err, -EINVAL,
                                           "%s: %s: unknown limit \"%s\" (one of cpu, fsize, data, stack, core, rss, nproc, "
                                           "nofile, memlock, as, locks, sigpending, msgqueue, nice, rtprio, rttime)",
                                           where, name, name + strlen(ANN_RLIMIT_PREFIX));
                if ((r = rlimit_value_parse(res, v, &out.lim[res])) < 0)
                        return pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not SOFT[:HARD] %s(e.g. \"1024:4096\", \"unlimited\")%s",
                                           where, name, v, (byte_limits & (1u << res)) ? "bytes " : "",
                                           r == -ERANGE ? "; the soft limit cannot be above the hard one" : "");
                out.set |= 1u << res;
        }
        *ret = out;
        return 0;
}
