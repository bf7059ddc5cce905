/* The part of <string.h> kvmlike uses, for the freestanding build (lib.c). */
#ifndef KVMLIKE_NATIVE_STRING_H
#define KVMLIKE_NATIVE_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
