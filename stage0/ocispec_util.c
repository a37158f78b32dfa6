/*
 * The helpers both halves of the OCI runtime spec mapping use
 * (stage0/ocispec_int.h): typed member access whose messages name the
 * field by its JSON path, the unknown-field rule, and the app's
 * annotations and isolators being built.
 */
#include "stage0/ocispec_int.h"
#include "common/manifest.h"

#include <stdarg.h>

void oci_warn(struct oci_ctx *c, const char *fmt, ...)
{
        struct stage0_oci_spec *s = c->s;
        va_list ap;
        char *line;

        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
                abort();
        va_end(ap);
        s->warnings = xrealloc(s->warnings, (s->n_warnings + 2) * sizeof(char *));
        s->warnings[s->n_warnings++] = line;
        s->warnings[s->n_warnings] = NULL;
}

int oci_check_known(struct oci_ctx *c, json_t *obj, const char *path, const char *const *known)
{
        const char *key;
        json_t *v;

        json_object_foreach(obj, key, v) {
                bool found = false;
                for (size_t i = 0; known[i] && !found; i++)
                        found = !strcmp(known[i], key);
                if (found)
                        continue;
                if (c->flags & STAGE0_OCI_STRICT)
                        return pod_err_set(c->err, -EINVAL, "%s%s%s: not a field podinit knows (strict mode refuses it; "
                                           "remove it)", path, *path ? "." : "", key);
                oci_warn(c, "%s%s%s: not a field podinit knows; ignored", path, *path ? "." : "", key);
        }
        return 0;
}

static const char *type_name(json_type t)
{
        switch (t) {
        case JSON_OBJECT: return "an object";
        case JSON_ARRAY: return "a list";
        case JSON_STRING: return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL: return "a number";
        case JSON_TRUE: case JSON_FALSE: return "true or false";
        default: return "null";
        }
}

int oci_get(struct oci_ctx *c, json_t *obj, const char *path, const char *key, json_type type, json_t **ret)
{
        json_t *v = json_object_get(obj, key);

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v)))
                return pod_err_set(c->err, -EINVAL, "%s%s%s: expected %s, got %s", path, *path ? "." : "", key,
                                   type_name(type), json_type_name(v));
        *ret = v;
        return 0;
}

int oci_get_bool(struct oci_ctx *c, json_t *obj, const char *path, const char *key, bool *ret)
{
        json_t *v;
        int r = oci_get(c, obj, path, key, JSON_TRUE, &v);

        if (r == 0 && v)
                *ret = json_is_true(v);
        return r;
}

int oci_get_int(struct oci_ctx *c, json_t *obj, const char *path, const char *key, long long min, long long max,
                long long *ret)
{
        json_t *v;
        int r = oci_get(c, obj, path, key, JSON_INTEGER, &v);

        if (r < 0 || !v)
                return r;
        if (json_integer_value(v) < min || json_integer_value(v) > max)
                return pod_err_set(c->err, -ERANGE, "%s.%s: %lld is out of range (%lld to %lld)", path, key,
                                   (long long)json_integer_value(v), min, max);
        *ret = json_integer_value(v);
        return 1;
}

void oci_add_annotation(struct oci_ctx *c, const char *name, const char *value)
{
        struct stage0_app *a = &c->s->app;

        for (size_t i = 0; i < a->n_annotations; i++)
                if (!strcmp(a->annotations[i].name, name)) {
                        free(a->annotations[i].value);
                        a->annotations[i].value = xstrdup(value);
                        return;
                }
        a->annotations = xrealloc(a->annotations, (a->n_annotations + 1) * sizeof(*a->annotations));
        a->annotations[a->n_annotations++] = (struct kv){ xstrdup(name), xstrdup(value) };
}

void oci_add_isolator(struct oci_ctx *c, const char *name, json_t *value)
{
        struct stage0_app *a = &c->s->app;

        a->isolators = xrealloc(a->isolators, (a->n_isolators + 1) * sizeof(*a->isolators));
        a->isolators[a->n_isolators++] = (struct stage0_isolator){ xstrdup(name), value };
}

