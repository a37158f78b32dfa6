/*
 * Names and key-value lists shared by the manifest model's parsers: appc's
 * ACName rule, environment variable names, annotation lists.
 */
#ifndef POD_COMMON_NAMES_H
#define POD_COMMON_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* An annotation or environment entry (both strings owned). */
struct kv {
        char *name;
        char *value;
};

/* The value of the first entry called name, or NULL. */
const char *kv_get(const struct kv *kv, size_t n, const char *name);
void kv_free(struct kv *kv, size_t n);
/* appc's ACName: [a-z0-9]+(-[a-z0-9]+)*, at most 253 characters. */
bool acname_valid(const char *s);
/* ^[A-Za-z_][A-Za-z_0-9.-]*$ */
bool env_name_valid(const char *s);
/* Lower-case, '-'-separated ACName derived from an image name ("example.com/busy_box" -> "busy-box"). */
char *acname_from_image_name(const char *image_name);

#endif
