/* Physical memory as the logical processors see it: RAM at [0, size), and an open
 * bus above it (reads all ones, writes ignored), as on a PC with nothing decoding
 * the address. On a TDX platform a KeyID in the address bits from keyid_shift up
 * selects a view of RAM (keyed_mem.h): TD-private pages hold their data only in
 * their KeyID's view, so KeyID 0 never shows it. */
#ifndef VTSIM_PHYS_H
#define VTSIM_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct keyed_mem;
struct phys_dirty;

struct phys {
	uint8_t *ram;
	uint64_t size;
	unsigned maxphyaddr;   /* physical-address width of the CPU model */
	struct keyed_mem *keyed;   /* KeyID views (NULL: no TDX) */
	unsigned keyid_shift;
	uint8_t **key_view;    /* [KeyID]: that KeyID's view of RAM, or NULL */
	unsigned nr_key_views;
	struct phys_dirty *dirty;   /* the armed snapshot's write log, or NULL */
};

/* Logs a write of [pa, pa + n) for the armed snapshot (sim/cpu/snapshot.c). */
void phys_dirty_note(struct phys *pm, uint64_t pa, size_t n);
/* A write fault on the write-protected page `pfn` of RAM (view 0) or of KeyID
 * `view`'s view (the keyed_mem handler calls it): true when the armed snapshot
 * protected it; the page is logged and writable. */
bool phys_dirty_fault(struct phys *pm, unsigned view, uint64_t pfn);

/* The host byte behind `pa`: RAM, a KeyID's view of it, or NULL (open bus). */
static inline uint8_t *phys_byte(const struct phys *pm, uint64_t pa)
{
	if (pa < pm->size)
		return pm->ram + pa;
	if (!pm->key_view)
		return NULL;
	uint64_t key = pa >> pm->keyid_shift, off = pa & ((1ull << pm->keyid_shift) - 1);
	if (key < pm->nr_key_views && pm->key_view[key] && off < pm->size)
		return pm->key_view[key] + off;
	return NULL;
}

static inline bool phys_is_ram(const struct phys *pm, uint64_t pa, size_t n)
{
	if (pa < pm->size)
		return n <= pm->size - pa;
	uint8_t *b = phys_byte(pm, pa);
	return b && n <= pm->size - (pa & ((1ull << pm->keyid_shift) - 1));
}

/* Reads n bytes; the parts outside RAM read as 0xff. */
static inline void phys_read(const struct phys *pm, uint64_t pa, void *buf, size_t n)
{
	uint8_t *out = (uint8_t *)buf;
	if (phys_is_ram(pm, pa, n)) {
		memcpy(out, phys_byte(pm, pa), n);
		return;
	}
	for (size_t i = 0; i < n; i++, pa++) {
		const uint8_t *b = phys_byte(pm, pa);
		out[i] = b ? *b : 0xff;
	}
}

static inline void phys_write(struct phys *pm, uint64_t pa, const void *buf, size_t n)
{
	const uint8_t *in = (const uint8_t *)buf;
	if (pm->dirty)
		phys_dirty_note(pm, pa, n);
	if (phys_is_ram(pm, pa, n)) {
		memcpy(phys_byte(pm, pa), in, n);
		return;
	}
	for (size_t i = 0; i < n; i++, pa++) {
		uint8_t *b = phys_byte(pm, pa);
		if (b)
			*b = in[i];
	}
}

static inline uint64_t phys_read64(const struct phys *pm, uint64_t pa)
{
	uint64_t v;
	if (pa < pm->size && 8 <= pm->size - pa) {
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
	if (pa < pm->size && 8 <= pm->size - pa && !pm->dirty)
		memcpy(pm->ram + pa, &v, 8);
	else
		phys_write(pm, pa, &v, 8);
}
static inline void phys_write32(struct phys *pm, uint64_t pa, uint32_t v) { phys_write(pm, pa, &v, 4); }

#endif
