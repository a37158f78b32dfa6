/* Shared by the isolator tests: parse an isolator list given as JSON text. */
#ifndef POD_TEST_ISOTEST_H
#define POD_TEST_ISOTEST_H

#include "test.h"
#include "common/isolators.h"

#include <jansson.h>

static inline int parse(const char *json, struct isolators *iso, struct pod_err *err)
{
        json_error_t je;
        json_t *j = json_loads(json, JSON_DECODE_ANY, &je);
        int r;

        if (!j)
                FAIL_AT("bad test JSON: %s", je.text);
        memset(err, 0, sizeof(*err));
        r = isolators_parse(j, "apps[0].app.isolators", iso, err);
        json_decref(j);
        return r;
}

#endif
