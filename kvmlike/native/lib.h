/* The freestanding build's formatted output (lib.c); <string.h>'s functions are
 * declared in native/include/string.h. */
#ifndef KVMLIKE_NATIVE_LIB_H
#define KVMLIKE_NATIVE_LIB_H

#include <stdarg.h>
#include <stddef.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
