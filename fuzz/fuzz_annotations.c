/*
 * An app's podinit.io/ annotations, each parsed on its own by the module
 * that owns it: resource limits (common/rlimits.c), the supervision policy
 * (common/policy.c: restart, backoff, stop signal, readiness, probes,
 * ordering, exit-code map) and the log settings (common/manifest.c
 * log_spec_parse), plus the pod's exit policy.  The input is lines
 * NAME=VALUE, the annotation list of one app.
 */
#include "fuzz.h"
#include "common/manifest.h"
#include "common/policy.h"
#include "common/rlimits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t n;
        _cleanup_strv_ char **lines = fuzz_split(data, size, '\n', &n);
        struct kv *ann = xcalloc(n + 1, sizeof(*ann));
        struct pod_err err = { 0 };
        struct app_rlimits rl;
        struct app_policy pol = { 0 };
        struct log_spec log = { 0 };
        enum exit_policy ep;
        char *exit_app = NULL;

        for (size_t i = 0; i < n; i++) {
                char *eq = strchr(lines[i], '=');
                ann[i].name = eq ? xasprintf("%.*s", (int)(eq - lines[i]), lines[i]) : xstrdup(lines[i]);
                ann[i].value = xstrdup(eq ? eq + 1 : "");
        }
        if (rlimits_parse(ann, n, "annotations", &rl, &err) == 0) {
                for (int r = 0; r < RLIMITS_N; r++)
                        if (rl.set & (1u << r))
                                FUZZ_CHECK(rl.lim[r].rlim_cur <= rl.lim[r].rlim_max);
                FUZZ_CHECK(rl.set < (1u << RLIMITS_N));
        }
        if (app_policy_parse(ann, n, "annotations", &pol, &err) == 0) {
                for (unsigned k = 1; k < 70; k += 7)
                        policy_backoff_ms(&pol, k);
                for (int c = 0; c < 256; c += 51)
                        app_policy_map_code(&pol, c);
                FUZZ_CHECK(pol.n_code_map <= POLICY_MAX_CODE_MAP);
                FUZZ_CHECK(strv_length(pol.after) <= 2 * POLICY_MAX_DEPS);       /* after, and requires added */
        }
        app_policy_done(&pol);
        if (log_spec_parse(ann, n, "annotations", &log, &err) == 0)
                FUZZ_CHECK(log.line_max >= 128 && log.line_max <= LOG_MAX_LINE_MAX && log.max_files >= 1);
        free(log.path);
        for (size_t i = 0; i < n; i++)
                if (!strcmp(ann[i].name, ANN_EXIT_POLICY) && exit_policy_parse(ann[i].value, &ep, &exit_app, &err) == 0) {
                        FUZZ_CHECK((ep == EXIT_APP) == (exit_app != NULL));
                        free(exit_app);
                        exit_app = NULL;
                }
        kv_free(ann, n);
        return 0;
}
