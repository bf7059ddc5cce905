/* The few C library functions the freestanding build needs: the <string.h> ones
 * kvmlike and the compiler call, and a vsnprintf for printk (the conversions
 * kvmlike's messages use: %d %i %u %x %X %s %c %p %%, with '-', '0', a width and
 * the h, l, ll, z length modifiers). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kvmlike/native/lib.h"

/* String instructions: a C loop here could be turned back into a call to itself. */
void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	d += n - 1;
	s += n - 1;
	__asm__ volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* The output buffer: what fits is written, the rest only counted. */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

struct spec {
	bool left, zero;
	unsigned width;
};

static void put_padded(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	size_t pad = sp->width > n ? sp->width - n : 0;
	for (size_t i = 0; !sp->left && i < pad; i++)
		put(o, sp->zero ? '0' : ' ');
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	for (size_t i = 0; sp->left && i < pad; i++)
		put(o, ' ');
}

static void put_number(struct out *o, const struct spec *sp, uint64_t v, bool neg, unsigned base,
		       bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = 0;
	do {
		tmp[sizeof(tmp) - 1 - n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg) {
		if (sp->zero && sp->width) {
			put(o, '-');
			struct spec rest = *sp;
			rest.width = sp->width ? sp->width - 1 : 0;
			put_padded(o, &rest, tmp + sizeof(tmp) - n, n);
			return;
		}
		tmp[sizeof(tmp) - 1 - n++] = '-';
	}
	put_padded(o, sp, tmp + sizeof(tmp) - n, n);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		struct spec sp = { 0 };
		for (p++; *p == '-' || *p == '0'; p++) {
			sp.left |= *p == '-';
			sp.zero |= *p == '0';
		}
		for (; *p >= '0' && *p <= '9'; p++)
			sp.width = sp.width * 10 + (unsigned)(*p - '0');
		unsigned longs = 0;
		for (; *p == 'l' || *p == 'z' || *p == 'h'; p++)
			longs += *p != 'h';
		uint64_t u;
		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v = longs ? va_arg(ap, long long) : va_arg(ap, int);
			put_number(&o, &sp, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			u = longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
			put_number(&o, &sp, u, false, *p == 'u' ? 10 : 16, *p == 'X');
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_number(&o, &sp, (uint64_t)(uintptr_t)va_arg(ap, void *), false, 16, false);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			put_padded(&o, &sp, s, strlen(s));
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			put_padded(&o, &sp, &c, 1);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:                 /* unknown: shown as written */
			put(&o, '%');
			if (!*p)
				p--;
			else
				put(&o, *p);
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
