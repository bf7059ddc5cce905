/* Physical memory as the logical processors see it: RAM at [0, size), and an open
 * bus above it (reads all ones, writes ignored), as on a PC with nothing decoding
 * the address. */
#ifndef VTSIM_PHYS_H
#define VTSIM_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct phys {
	uint8_t *ram;
	uint64_t size;
	unsigned maxphyaddr;   /* physical-address width of the CPU model */
};

static inline bool phys_is_ram(const struct phys *pm, uint64_t pa, size_t n)
{
	return pa < pm->size && n <= pm->size - pa;
}

/* Reads n bytes; the parts outside RAM read as 0xff. */
static inline void phys_read(const struct phys *pm, uint64_t pa, void *buf, size_t n)
{
	uint8_t *out = (uint8_t *)buf;
	for (size_t i = 0; i < n; i++, pa++)
		out[i] = pa < pm->size ? pm->ram[pa] : 0xff;
}

static inline void phys_write(struct phys *pm, uint64_t pa, const void *buf, size_t n)
{
	const uint8_t *in = (const uint8_t *)buf;
	for (size_t i = 0; i < n; i++, pa++)
		if (pa < pm->size)
			pm->ram[pa] = in[i];
}

static inline uint64_t phys_read64(const struct phys *pm, uint64_t pa)
{
	uint64_t v;
	if (phys_is_ram(pm, pa, 8)) {
		memcpy(&v, pm->ram + pa, 8);
		return v;
	}
	phys_read(pm, pa, &v, 8);
	return v;
}

static inline uint32_t phys_read32(const struct phys *pm, uint64_t pa)
{
	uint32_t v;
	phys_read(pm, pa, &v, 4);
	return v;
}

static inline void phys_write64(struct phys *pm, uint64_t pa, uint64_t v)
{
	if (phys_is_ram(pm, pa, 8))
		memcpy(pm->ram + pa, &v, 8);
	else
		phys_write(pm, pa, &v, 8);
}
static inline void phys_write32(struct phys *pm, uint64_t pa, uint32_t v) { phys_write(pm, pa, &v, 4); }

#endif
