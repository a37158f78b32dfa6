/*
 * Diagnostics to stderr with a program prefix.  Errors are logged once, at
 * the boundary that can tell the user what to do; module code returns errors
 * and only logs at debug level.
 */
#ifndef POD_COMMON_LOG_H
#define POD_COMMON_LOG_H

#include <stdbool.h>

void log_init(const char *prefix, bool debug);
bool log_debug_enabled(void);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
