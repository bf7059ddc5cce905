/* The PAMT: 16 bytes of metadata per page and level, in the areas the VMM gave
 * each TDMR at TDH.SYS.CONFIG: a 16-bit lock, the page type, the 40-bit owner
 * (the TDR's PA >> 12) and the page's blocking epoch. */
#include "sim/tdx_module_stub/module_priv.h"

#include <string.h>

const struct tdx_tdmr *tdx_tdmr_of(const struct tdx_module *mod, uint64_t pa)
{
	for (unsigned i = 0; i < mod->g->ntdmrs; i++) {
		const struct tdx_tdmr *t = &mod->g->tdmr[i];
		if (pa >= t->base && pa - t->base < t->size)
			return t;
	}
	return NULL;
}

uint64_t pamt_entry_addr(const struct tdx_tdmr *t, uint64_t pa, unsigned level)
{
	return t->pamt_base[level] + ((pa - t->base) >> (12 + 9 * level)) * 16;
}

uint64_t pamt_leaf_entry_addr(struct phys *pm, const struct tdx_tdmr *t, uint64_t pa, unsigned *level)
{
	for (unsigned l = PT_1GB; l > PT_4KB; l--) {
		uint64_t at = pamt_entry_addr(t, pa, l);
		if ((uint8_t)(phys_read64(pm, at) >> 16) == PT_REG) {
			*level = l;
			return at;
		}
	}
	*level = PT_4KB;
	return pamt_entry_addr(t, pa, PT_4KB);
}

void pamt_get(struct phys *pm, uint64_t at, struct pamt_entry *e)
{
	uint8_t b[16];
	phys_read(pm, at, b, sizeof(b));
	uint64_t lo, hi;
	memcpy(&lo, b, 8);
	memcpy(&hi, b + 8, 8);
	e->lock = (uint16_t)lo;
	e->type = (uint8_t)(lo >> 16);
	e->owner = lo >> 24;
	e->bepoch = hi;
	e->level = PT_4KB;
}

void pamt_put(struct phys *pm, uint64_t at, const struct pamt_entry *e)
{
	uint64_t lo = e->lock | (uint64_t)e->type << 16 | (e->owner & 0xffffffffffull) << 24;
	phys_write64(pm, at, lo);
	phys_write64(pm, at + 8, e->bepoch);
}

void pamt_promote(struct tdx_module *mod, uint64_t pa, unsigned level)
{
	const struct tdx_tdmr *t = tdx_tdmr_of(mod, pa);
	uint64_t part = 1ull << (12 + 9 * (level - 1));
	struct pamt_entry e, nda = { .type = PT_NDA };
	pamt_get(mod->pm, pamt_entry_addr(t, pa, level - 1), &e);
	struct pamt_entry merged = { .type = e.type, .owner = e.owner };
	for (unsigned i = 0; i < 512; i++)
		pamt_put(mod->pm, pamt_entry_addr(t, pa + i * part, level - 1), &nda);
	pamt_put(mod->pm, pamt_entry_addr(t, pa, level), &merged);
}

void pamt_demote(struct tdx_module *mod, uint64_t pa, unsigned level)
{
	const struct tdx_tdmr *t = tdx_tdmr_of(mod, pa);
	uint64_t part = 1ull << (12 + 9 * (level - 1)), at = pamt_entry_addr(t, pa, level);
	struct pamt_entry e, nda = { .type = PT_NDA };
	pamt_get(mod->pm, at, &e);
	struct pamt_entry each = { .type = e.type, .owner = e.owner };
	for (unsigned i = 0; i < 512; i++)
		pamt_put(mod->pm, pamt_entry_addr(t, pa + i * part, level - 1), &each);
	pamt_put(mod->pm, at, &nda);
}

bool tdx_in_cmrs(const struct tdx_module *mod, uint64_t base, uint64_t size)
{
	for (unsigned i = 0; i < mod->info.ncmrs; i++) {
		uint64_t b = mod->info.cmr[i].base, s = mod->info.cmr[i].size;
		if (base >= b && size <= s && base - b <= s - size)
			return true;
	}
	return false;
}

#define PAMT_LOCK_EXCLUSIVE 0x8000u

static void pamt_set_lock(struct phys *pm, uint64_t entry, uint16_t lock)
{
	uint64_t lo = phys_read64(pm, entry);
	phys_write64(pm, entry, (lo & ~0xffffull) | lock);
}

bool pamt_lock(struct tdx_module *mod, uint64_t entry)
{
	for (unsigned i = 0; i < mod->nheld; i++)
		if (mod->held[i] == entry)
			return true;                 /* this leaf's already */
	if ((uint16_t)phys_read64(mod->pm, entry))
		return false;
	if (mod->nheld == TDX_MAX_HELD_LOCKS)
		return true;                         /* no leaf takes this many pages */
	pamt_set_lock(mod->pm, entry, PAMT_LOCK_EXCLUSIVE);
	mod->held[mod->nheld++] = entry;
	return true;
}

void pamt_unlock_all(struct tdx_module *mod)
{
	for (unsigned i = 0; i < mod->nheld; i++)
		pamt_set_lock(mod->pm, mod->held[i], 0);
	mod->nheld = 0;
}

int tdx_module_hold_page(struct tdx_module *mod, uint64_t pa, bool hold)
{
	const struct tdx_tdmr *t = tdx_tdmr_of(mod, pa);
	if ((pa & 0xfff) || !t || pa - t->base >= t->init_upto)
		return -1;
	pamt_set_lock(mod->pm, pamt_entry_addr(t, pa, PT_4KB), hold ? PAMT_LOCK_EXCLUSIVE : 0);
	return 0;
}

void tdx_module_pamt_census(const struct tdx_module *mod, uint64_t count[256])
{
	memset(count, 0, 256 * sizeof(count[0]));
	for (unsigned i = 0; i < mod->g->ntdmrs; i++) {
		const struct tdx_tdmr *t = &mod->g->tdmr[i];
		for (uint64_t off = 0; off < t->size; off += 4096) {
			struct pamt_entry e;
			unsigned level;
			pamt_get(mod->pm, pamt_leaf_entry_addr(mod->pm, t, t->base + off, &level), &e);
			count[e.type]++;             /* a large page counts each 4 KiB of it */
		}
	}
}
