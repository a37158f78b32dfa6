/*
 * Supervision policy annotations (common/policy.h).  Every value is checked
 * here, so a typo is a setup error naming the annotation, never a policy
 * silently not applied.
 */
#include "common/policy.h"
#include "common/names.h"

#include <jansson.h>
#include <signal.h>
#include <string.h>

const char *restart_policy_name(enum restart_policy r)
{
        switch (r) {
        case RESTART_NEVER: return "never";
        case RESTART_ON_FAILURE: return "on-failure";
        case RESTART_ALWAYS: return "always";
        }
        return "?";
}

const char *ready_mode_name(enum ready_mode m)
{
        switch (m) {
        case READY_EXEC: return "exec";
        case READY_NOTIFY: return "notify";
        case READY_FD: return "fd";
        case READY_PROBE: return "probe";
        }
        return "?";
}

int signal_parse(const char *s, int *ret)
{
        long n;

        if (!s || !*s)
                return -EINVAL;
        if (parse_long(s, 1, SIGRTMAX, &n) == 0) {
                *ret = (int)n;
                return 0;
        }
        if (!strncmp(s, "SIG", 3))
                s += 3;
        for (int i = 1; i < NSIG; i++) {
                const char *abbrev = sigabbrev_np(i);
                if (abbrev && !strcmp(abbrev, s)) {
                        *ret = i;
                        return 0;
                }
        }
        return -EINVAL;
}

static int ann_duration(const struct kv *ann, size_t n_ann, const char *where, const char *name, bool zero_ok,
                        uint64_t *ret, struct pod_err *err)
{
        const char *v = kv_get(ann, n_ann, name);
        uint64_t ms;

        if (!v)
                return 0;
        if (parse_duration_ms(v, &ms) < 0 || ms > POLICY_MAX_DURATION_MS || (!zero_ok && ms == 0))
                return pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not a duration %sup to 24h (e.g. \"500ms\", \"10s\")",
                                   where, name, v, zero_ok ? "" : "above 0 ");
        *ret = ms;
        return 0;
}

/* "a,b,c" into a NULL-terminated list of app names (checked as names here,
 * as apps of the pod by the manifest parser). */
static int ann_names(const struct kv *ann, size_t n_ann, const char *where, const char *name, char ***ret,
                     struct pod_err *err)
{
        const char *v = kv_get(ann, n_ann, name);
        _cleanup_strv_ char **list = NULL;

        if (!v)
                return 0;
        for (const char *p = v; *p;) {
                const char *c = strchr(p, ',');
                size_t n = c ? (size_t)(c - p) : strlen(p);
                _cleanup_free_ char *one = strndup(p, n);

                if (!one)
                        return -ENOMEM;
                if (!acname_valid(one))
                        return pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not an app name (expected a comma-separated list such as \"db,cache\")",
                                           where, name, one);
                if (strv_contains(list, one))
                        return pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is listed twice", where, name, one);
                if (strv_length(list) >= POLICY_MAX_DEPS)
                        return pod_err_set(err, -E2BIG, "%s: %s: more than %d apps", where, name, POLICY_MAX_DEPS);
                strv_push(&list, one);
                p = c ? c + 1 : p + n;
        }
        if (!list)
                return pod_err_set(err, -EINVAL, "%s: %s: empty (leave the annotation out instead)", where, name);
        *ret = TAKE_PTR(list);
        return 0;
}

static int parse_code_map(const char *v, const char *where, struct app_policy *p, struct pod_err *err)
{
        for (const char *s = v; *s;) {
                const char *c = strchr(s, ',');
                size_t n = c ? (size_t)(c - s) : strlen(s);
                _cleanup_free_ char *one = strndup(s, n);
                char *eq = one ? strchr(one, '=') : NULL;
                long from, to;

                if (!one)
                        return -ENOMEM;
                if (!eq)
                        goto bad;
                *eq = '\0';
                if (parse_long(one, 0, 255, &from) < 0 || parse_long(eq + 1, 0, 255, &to) < 0)
                        goto bad;
                for (size_t k = 0; k < p->n_code_map; k++)
                        if (p->code_map[k].from == from)
                                return pod_err_set(err, -EINVAL, "%s: %s: code %ld is mapped twice", where, ANN_EXIT_CODE_MAP, from);
                if (p->n_code_map >= POLICY_MAX_CODE_MAP)
                        return pod_err_set(err, -E2BIG, "%s: %s: more than %d codes", where, ANN_EXIT_CODE_MAP,
                                           POLICY_MAX_CODE_MAP);
                p->code_map = xrealloc(p->code_map, (p->n_code_map + 1) * sizeof(*p->code_map));
                p->code_map[p->n_code_map++] = (struct code_map){ (int)from, (int)to };
                s = c ? c + 1 : s + n;
                continue;
        bad:
                return pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not a list of FROM=TO codes from 0 to 255 (e.g. \"143=0,130=0\")",
                                   where, ANN_EXIT_CODE_MAP, v);
        }
        return 0;
}

static int parse_probe(const char *v, const char *where, struct app_policy *p, struct pod_err *err)
{
        json_error_t jerr;
        json_t *j = json_loads(v, 0, &jerr), *it;
        size_t i;
        int r = 0;

        if (!json_is_array(j) || json_array_size(j) == 0) {
                r = -EINVAL;
                goto out;
        }
        json_array_foreach(j, i, it) {
                if (!json_is_string(it) || (i == 0 && json_string_value(it)[0] != '/')) {
                        r = -EINVAL;
                        goto out;
                }
                strv_push(&p->probe_argv, json_string_value(it));
        }
out:
        json_decref(j);
        if (r < 0)
                return pod_err_set(err, r, "%s: %s: expected a JSON list of strings starting with an absolute path, e.g. [\"/bin/test\",\"-e\",\"/run/ready\"]",
                                   where, ANN_READY_PROBE);
        return 0;
}

int app_policy_parse(const struct kv *ann, size_t n_ann, const char *where, struct app_policy *ret,
                     struct pod_err *err)
{
        struct app_policy p = {
                .restart = RESTART_NEVER,
                .backoff_ms = POLICY_DEFAULT_BACKOFF_MS,
                .backoff_max_ms = POLICY_DEFAULT_BACKOFF_MAX_MS,
                .reset_ms = POLICY_DEFAULT_RESET_MS,
                .stop_signal = SIGTERM,
                .ready = READY_EXEC,
                .ready_fd = -1,
                .probe_interval_ms = POLICY_DEFAULT_PROBE_INTERVAL_MS,
                .probe_timeout_ms = POLICY_DEFAULT_PROBE_TIMEOUT_MS,
        };
        const char *v;
        uint64_t n;
        int r;

        if ((v = kv_get(ann, n_ann, ANN_RESTART))) {
                int k = RESTART_ALWAYS;
                while (k >= RESTART_NEVER && strcmp(v, restart_policy_name((enum restart_policy)k)))
                        k--;
                if (k < RESTART_NEVER) {
                        r = pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not never, on-failure or always", where, ANN_RESTART, v);
                        goto fail;
                }
                p.restart = (enum restart_policy)k;
        }
        if ((r = ann_duration(ann, n_ann, where, ANN_RESTART_BACKOFF, true, &p.backoff_ms, err)) < 0 ||
            (r = ann_duration(ann, n_ann, where, ANN_RESTART_BACKOFF_MAX, true, &p.backoff_max_ms, err)) < 0 ||
            (r = ann_duration(ann, n_ann, where, ANN_RESTART_RESET, true, &p.reset_ms, err)) < 0)
                goto fail;
        if (p.backoff_max_ms < p.backoff_ms) {
                r = pod_err_set(err, -EINVAL, "%s: %s (%llums) is below %s (%llums)", where, ANN_RESTART_BACKOFF_MAX,
                                (unsigned long long)p.backoff_max_ms, ANN_RESTART_BACKOFF, (unsigned long long)p.backoff_ms);
                goto fail;
        }
        if ((v = kv_get(ann, n_ann, ANN_RESTART_MAX))) {
                long m;
                if (parse_long(v, 0, 1000000, &m) < 0) {
                        r = pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not a number from 0 (no limit) to 1000000", where,
                                        ANN_RESTART_MAX, v);
                        goto fail;
                }
                p.restart_max = (unsigned)m;
        }
        if ((v = kv_get(ann, n_ann, ANN_ESSENTIAL))) {
                if (!strcmp(v, "true"))
                        p.essential = ESSENTIAL_YES;
                else if (!strcmp(v, "false"))
                        p.essential = ESSENTIAL_NO;
                else {
                        r = pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not true or false", where, ANN_ESSENTIAL, v);
                        goto fail;
                }
        }
        if ((v = kv_get(ann, n_ann, ANN_EXIT_CODE_MAP)) && (r = parse_code_map(v, where, &p, err)) < 0)
                goto fail;
        if ((v = kv_get(ann, n_ann, ANN_STOP_SIGNAL)) && signal_parse(v, &p.stop_signal) < 0) {
                r = pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not a signal (e.g. SIGTERM, INT, 15)", where, ANN_STOP_SIGNAL, v);
                goto fail;
        }
        /* SIGKILL would make the stop timeout meaningless, and SIGSTOP (followed by the SIGCONT
         * every stop signal gets) would do nothing: neither asks the app to stop. */
        if (p.stop_signal == SIGKILL || p.stop_signal == SIGSTOP) {
                r = pod_err_set(err, -EINVAL, "%s: %s: \"%s\" cannot be a stop signal (SIGKILL gives the app no chance to stop, podinit sends it after the stop timeout; SIGSTOP only pauses it)",
                                where, ANN_STOP_SIGNAL, v);
                goto fail;
        }
        if ((r = ann_duration(ann, n_ann, where, ANN_APP_STOP_TIMEOUT, false, &p.stop_timeout_ms, err)) < 0)
                goto fail;
        if ((v = kv_get(ann, n_ann, ANN_READY))) {
                long fd;
                if (!strcmp(v, "exec"))
                        p.ready = READY_EXEC;
                else if (!strcmp(v, "notify"))
                        p.ready = READY_NOTIFY;
                else if (!strcmp(v, "probe"))
                        p.ready = READY_PROBE;
                else if (!strncmp(v, "fd:", 3) && parse_long(v + 3, 3, 1023, &fd) == 0) {
                        p.ready = READY_FD;
                        p.ready_fd = (int)fd;
                } else {
                        r = pod_err_set(err, -EINVAL, "%s: %s: \"%s\" is not exec, notify, fd:N (N from 3 to 1023) or probe",
                                        where, ANN_READY, v);
                        goto fail;
                }
        }
        if ((v = kv_get(ann, n_ann, ANN_READY_PROBE))) {
                if (p.ready != READY_PROBE) {
                        r = pod_err_set(err, -EINVAL, "%s: %s is set but %s is not \"probe\"", where, ANN_READY_PROBE, ANN_READY);
                        goto fail;
                }
                if ((r = parse_probe(v, where, &p, err)) < 0)
                        goto fail;
        } else if (p.ready == READY_PROBE) {
                r = pod_err_set(err, -EINVAL, "%s: %s is \"probe\": %s must give the command", where, ANN_READY, ANN_READY_PROBE);
                goto fail;
        }
        if ((r = ann_duration(ann, n_ann, where, ANN_READY_PROBE_INTERVAL, false, &p.probe_interval_ms, err)) < 0 ||
            (r = ann_duration(ann, n_ann, where, ANN_READY_PROBE_TIMEOUT, false, &p.probe_timeout_ms, err)) < 0)
                goto fail;
        n = 0;
        if ((r = ann_duration(ann, n_ann, where, ANN_WATCHDOG, false, &n, err)) < 0)
                goto fail;
        if (n && p.ready != READY_NOTIFY) {
                r = pod_err_set(err, -EINVAL, "%s: %s needs %s=notify (the app sends WATCHDOG=1 over NOTIFY_SOCKET)", where,
                                ANN_WATCHDOG, ANN_READY);
                goto fail;
        }
        p.watchdog_ms = n;
        if ((r = ann_names(ann, n_ann, where, ANN_AFTER, &p.after, err)) < 0 ||
            (r = ann_names(ann, n_ann, where, ANN_REQUIRES, &p.requires, err)) < 0)
                goto fail;
        /* requires implies after */
        for (char **q = p.requires; q && *q; q++)
                if (!strv_contains(p.after, *q))
                        strv_push(&p.after, *q);
        *ret = p;
        return 0;
fail:
        app_policy_done(&p);
        return r;
}

void app_policy_done(struct app_policy *p)
{
        free(p->code_map);
        strv_free(p->probe_argv);
        strv_free(p->after);
        strv_free(p->requires);
        p->code_map = NULL;
        p->n_code_map = 0;
        p->probe_argv = p->after = p->requires = NULL;
}

int app_policy_map_code(const struct app_policy *p, int code)
{
        for (size_t k = 0; k < p->n_code_map; k++)
                if (p->code_map[k].from == code)
                        return p->code_map[k].to;
        return code;
}

int exit_policy_parse(const char *v, enum exit_policy *ret, char **ret_app, struct pod_err *err)
{
        if (!strcmp(v, "first-failure")) {
                *ret = EXIT_FIRST_FAILURE;
                *ret_app = NULL;
        } else if (!strcmp(v, "highest")) {
                *ret = EXIT_HIGHEST;
                *ret_app = NULL;
        } else if (!strncmp(v, "app:", 4) && acname_valid(v + 4)) {
                *ret = EXIT_APP;
                *ret_app = xstrdup(v + 4);
        } else
                return pod_err_set(err, -EINVAL, "manifest: annotations: %s: \"%s\" is not first-failure, highest or app:NAME",
                                   ANN_EXIT_POLICY, v);
        return 0;
}

uint64_t policy_backoff_ms(const struct app_policy *p, unsigned n)
{
        uint64_t d = p->backoff_ms;

        for (unsigned i = 1; i < n && d < p->backoff_max_ms; i++)
                d *= 2;
        return d < p->backoff_max_ms ? d : p->backoff_max_ms;
}
