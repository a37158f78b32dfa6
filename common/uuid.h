/* Random RFC 4122 version-4 UUIDs for pods, and UUID syntax checks. */
#ifndef POD_COMMON_UUID_H
#define POD_COMMON_UUID_H

#include <stdbool.h>

#define UUID_STR_LEN 37 /* 36 characters and the NUL */

int uuid_generate_v4(char out[UUID_STR_LEN]);
bool uuid_valid(const char *s);

#endif
