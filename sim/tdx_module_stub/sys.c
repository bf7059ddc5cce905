/* The platform leaves: TDH.SYS.INIT, LP.INIT, RD, CONFIG, KEY.CONFIG, TDMR.INIT,
 * LP.SHUTDOWN and TDH.PHYMEM.PAGE.RDMD, each with its checks in the module's
 * order and the status (with operand id) each failure gives. */
#include "sim/tdx_module_stub/module_priv.h"

#include <stdlib.h>
#include <string.h>

#define GIB (1ull << 30)

static bool aligned(uint64_t v, uint64_t a)
{
	return !(v & (a - 1));
}

/* An HPA operand: aligned, and no KeyID bits. */
static bool hpa_ok(const struct tdx_module *mod, uint64_t pa, uint64_t align)
{
	return aligned(pa, align) && !(pa >> mod->info.keyid_shift);
}

/* The module's global lock, which LP.INIT, CONFIG and KEY.CONFIG take: held
 * elsewhere (injected contention: one leaf runs at a time here), they give up. */
static bool global_lock_held(struct tdx_module *mod)
{
	if (!mod->busy)
		return false;
	mod->busy--;
	return true;
}

uint64_t tdh_sys_init(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	if (mod->g->sys_state != TDX_SYS_STATE_SYSINIT_PENDING)
		return TDX_SYS_INIT_NOT_PENDING;
	if (gpr[R_RCX])
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);   /* attributes: none defined */
	/* RCX..R10 would describe a CPUID mismatch: there is none. */
	for (int r = R_RCX; r <= R_R10; r++)
		if (r != R_RSP && r != R_RBP && r != R_RBX && r != R_RSI && r != R_RDI)
			gpr[r] = 0;
	mod->g->sys_state = TDX_SYS_STATE_SYSINIT_DONE;
	return TDX_SUCCESS;
}

uint64_t tdh_sys_lp_init(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	if (mod->g->sys_state != TDX_SYS_STATE_SYSINIT_DONE)
		return TDX_SYS_LP_INIT_NOT_PENDING;
	if (global_lock_held(mod))
		return TDX_SYS_BUSY;
	if (mod->g->lp_init[lp])
		return TDX_SYS_LP_INIT_DONE;
	mod->g->lp_init[lp] = true;
	mod->g->lp_init_count++;
	return TDX_SUCCESS;
}

uint64_t tdh_sys_rd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	uint64_t field = gpr[R_RDX], value, next;
	/* The outputs say "nothing" until a field is read. */
	gpr[R_RDX] = ~0ull;
	gpr[R_R8] = 0;
	if (!mod->g->lp_init[lp])
		return TDX_SYS_LP_INIT_NOT_DONE;
	if (field == ~0ull) {
		/* The null id starts a walk: RDX = the first field's id. */
		tdx_metadata_first(&gpr[R_RDX]);
		return TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT;
	}
	if (tdx_metadata_read(mod, field, &value, &next))
		return TDX_METADATA_FIELD_ID_INCORRECT;
	gpr[R_R8] = value;
	gpr[R_RDX] = next;
	return TDX_SUCCESS;
}

/* TDH.SYS.RDALL: from the field R8 names (the null id: the first) on, as many
 * global fields as fit in the 4 KiB metadata list at RDX. The list is a header
 * (list_buff_size and num_sequences, 16 bits each, then 32 reserved) and
 * sequences, each a field id heading its elements; here each sequence is one
 * field of one element. R8 returns the id of the first field not in the list, or
 * the null id when all are. */
uint64_t tdh_sys_rdall(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	uint64_t list = gpr[R_RDX], field = gpr[R_R8], value, next;
	gpr[R_R8] = ~0ull;
	if (!mod->g->lp_init[lp])
		return TDX_SYS_LP_INIT_NOT_DONE;
	if ((list & 0xfff) || (list >> mod->info.keyid_shift) || !phys_is_ram(mod->pm, list, 4096))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if (field == ~0ull)
		tdx_metadata_first(&field);
	if (tdx_metadata_read(mod, field, &value, &next))
		return TDX_METADATA_FIELD_ID_INCORRECT;
	uint8_t page[4096] = { 0 };
	uint16_t size = 8, n = 0;
	for (;;) {
		memcpy(page + size, &field, 8);
		memcpy(page + size + 8, &value, 8);
		size += 16;
		n++;
		field = next;
		if (field == ~0ull || size + 16 > sizeof(page) ||
		    tdx_metadata_read(mod, field, &value, &next))
			break;
	}
	memcpy(page, &size, 2);
	memcpy(page + 2, &n, 2);
	phys_write(mod->pm, list, page, sizeof(page));
	gpr[R_R8] = field;
	return TDX_SUCCESS;
}

/* ---- TDH.SYS.CONFIG ------------------------------------------------------------ */

/* TDMR_INFO: base, size, then the PAMT areas 1G, 2M, 4K (base, size each), then
 * the reserved areas (offset, size); 512-byte aligned. */
static void read_tdmr_info(struct phys *pm, uint64_t pa, struct tdx_tdmr *t)
{
	t->base = phys_read64(pm, pa);
	t->size = phys_read64(pm, pa + 8);
	for (int lvl = PT_1GB, k = 0; lvl >= PT_4KB; lvl--, k++) {
		t->pamt_base[lvl] = phys_read64(pm, pa + 16 + 16 * k);
		t->pamt_size[lvl] = phys_read64(pm, pa + 24 + 16 * k);
	}
	t->nrsvd = 0;
	for (unsigned i = 0; i < TDX_MAX_RSVD_PER_TDMR; i++) {
		uint64_t off = phys_read64(pm, pa + 64 + 16 * i), size = phys_read64(pm, pa + 72 + 16 * i);
		if (!size)
			break;          /* a zero size ends the list */
		t->rsvd[t->nrsvd].offset = off;
		t->rsvd[t->nrsvd].size = size;
		t->nrsvd++;
	}
	t->init_upto = 0;
}

/* Is [a, b) covered by the CMRs (which may be adjacent)? */
static bool covered_by_cmrs(const struct tdx_module *mod, uint64_t a, uint64_t b)
{
	while (a < b) {
		unsigned i;
		for (i = 0; i < mod->info.ncmrs; i++) {
			uint64_t cb = mod->info.cmr[i].base, ce = cb + mod->info.cmr[i].size;
			if (a >= cb && a < ce) {
				a = ce;
				break;
			}
		}
		if (i == mod->info.ncmrs)
			return false;
	}
	return true;
}

/* Calls fn on each part of the TDMR outside its reserved areas; stops at the
 * first that fn refuses. */
static bool each_usable_part(const struct tdx_tdmr *t, const void *ctx,
			     bool (*fn)(const void *ctx, uint64_t a, uint64_t b))
{
	uint64_t at = t->base;
	for (unsigned i = 0; i <= t->nrsvd; i++) {
		uint64_t end = i < t->nrsvd ? t->base + t->rsvd[i].offset : t->base + t->size;
		if (end > at && !fn(ctx, at, end))
			return false;
		if (i < t->nrsvd)
			at = t->base + t->rsvd[i].offset + t->rsvd[i].size;
	}
	return true;
}

static bool part_in_cmrs(const void *ctx, uint64_t a, uint64_t b)
{
	return covered_by_cmrs(ctx, a, b);
}

struct range { uint64_t a, b; };

static bool part_misses(const void *ctx, uint64_t a, uint64_t b)
{
	const struct range *r = ctx;
	return r->b <= a || b <= r->a;
}

/* A TDMR_INFO error with its details, as the module reports them: the TDMR's
 * index in byte 0, then the reserved area's index or the PAMT's level, then the
 * other TDMR's index where two are involved. */
static uint64_t tdmr_err(uint64_t status, unsigned i, unsigned b1, unsigned b2)
{
	return status | (i & 0xff) | (b1 & 0xff) << 8 | (b2 & 0xff) << 16;
}

static uint64_t check_reserved(const struct tdx_tdmr *t, unsigned i)
{
	uint64_t prev_end = 0;
	for (unsigned k = 0; k < t->nrsvd; k++) {
		uint64_t off = t->rsvd[k].offset, size = t->rsvd[k].size;
		if (!aligned(off, 4096) || !aligned(size, 4096) || off > t->size || size > t->size - off)
			return tdmr_err(TDX_INVALID_RESERVED_IN_TDMR, i, k, 0);
		if (off < prev_end)
			return tdmr_err(TDX_NON_ORDERED_RESERVED_IN_TDMR, i, k, 0);
		prev_end = off + size;
	}
	return TDX_SUCCESS;
}

/* The module checks a TDMR's PAMT areas largest level first. */
static const int pamt_levels[3] = { PT_1GB, PT_2MB, PT_4KB };

static bool ranges_overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

/* Does PAMT area [b, b+s) reach into the usable part of TDMR t? */
static bool pamt_in_usable(const struct tdx_tdmr *t, uint64_t b, uint64_t s)
{
	struct range r = { b, b + s };
	return !each_usable_part(t, &r, part_misses);
}

/* TDMR i's PAMT areas (TDMRs 0..i-1 passed already), in the module's order: each
 * area's address and size, no overlap with another PAMT area, none in the usable
 * part of a TDMR, all in convertible memory. */
static uint64_t check_pamt(const struct tdx_module *mod, const struct tdx_tdmr *t, unsigned i)
{
	const struct tdx_tdmr *ti = &t[i];
	for (int k = 0; k < 3; k++) {
		int lvl = pamt_levels[k];
		uint64_t need = (ti->size >> (12 + 9 * lvl)) * 16;
		uint64_t b = ti->pamt_base[lvl], s = ti->pamt_size[lvl];
		if (!hpa_ok(mod, b, 4096) || !aligned(s, 4096) || s < need || b + s < b)
			return tdmr_err(TDX_INVALID_PAMT, i, lvl, 0);
	}
	for (unsigned j = 0; j < i; j++)
		for (int lvl = PT_4KB; lvl <= PT_1GB; lvl++)
			for (int lj = PT_4KB; lj <= PT_1GB; lj++)
				if (ranges_overlap(ti->pamt_base[lvl], ti->pamt_size[lvl],
						   t[j].pamt_base[lj], t[j].pamt_size[lj]))
					return tdmr_err(TDX_PAMT_OVERLAP, i, lvl, j);
	for (int a = PT_4KB; a < PT_1GB; a++)
		for (int b = a + 1; b <= PT_1GB; b++)
			if (ranges_overlap(ti->pamt_base[a], ti->pamt_size[a], ti->pamt_base[b], ti->pamt_size[b]))
				return tdmr_err(TDX_PAMT_OVERLAP, i, a, i);
	for (unsigned j = 0; j <= i; j++) {
		for (int lvl = PT_4KB; lvl <= PT_1GB; lvl++)
			if (pamt_in_usable(&t[j], ti->pamt_base[lvl], ti->pamt_size[lvl]))
				return tdmr_err(TDX_PAMT_OVERLAP, i, lvl, j);
		if (j < i)
			for (int lvl = PT_4KB; lvl <= PT_1GB; lvl++)
				if (pamt_in_usable(ti, t[j].pamt_base[lvl], t[j].pamt_size[lvl]))
					return tdmr_err(TDX_PAMT_OVERLAP, j, lvl, i);
	}
	for (int k = 0; k < 3; k++) {
		int lvl = pamt_levels[k];
		uint64_t b = ti->pamt_base[lvl], s = ti->pamt_size[lvl];
		if (!covered_by_cmrs(mod, b, b + s))
			return tdmr_err(TDX_PAMT_OUTSIDE_CMRS, i, lvl, 0);
	}
	return TDX_SUCCESS;
}

static uint64_t config_tdmrs(struct tdx_module *mod, uint64_t array, unsigned n, struct tdx_tdmr *t);

uint64_t tdh_sys_config(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	if (mod->g->sys_state != TDX_SYS_STATE_SYSINIT_DONE || mod->g->lp_init_count != mod->info.nr_lps)
		return TDX_SYS_CONFIG_NOT_PENDING;
	if (global_lock_held(mod))
		return TDX_SYS_BUSY;
	uint64_t array = gpr[R_RCX], n = gpr[R_RDX], hkid = gpr[R_R8];
	if (!hpa_ok(mod, array, 512) || !phys_is_ram(mod->pm, array, 8 * (n ? n : 1)))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (n < 1 || n > TDX_MAX_TDMRS)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if (hkid < mod->info.first_tdx_keyid || hkid >= mod->info.first_tdx_keyid + mod->info.nr_tdx_keyids)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	struct tdx_tdmr *t = calloc(n, sizeof(*t));   /* large: off the stack */
	if (!t)
		return TDX_SYS_BUSY;
	uint64_t r = config_tdmrs(mod, array, (unsigned)n, t);
	if (!r) {
		memcpy(mod->g->tdmr, t, sizeof(t[0]) * n);
		mod->g->ntdmrs = (unsigned)n;
		mod->g->global_hkid = (uint16_t)hkid;
		mod->g->kot[hkid] = KOT_RESERVED;
		mod->g->sys_state = TDX_SYS_STATE_SYSCONFIG_DONE;
	}
	free(t);
	return r;
}

/* Reads and checks the n TDMR_INFO entries of the array, in order. */
static uint64_t config_tdmrs(struct tdx_module *mod, uint64_t array, unsigned n, struct tdx_tdmr *t)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t pa = phys_read64(mod->pm, array + 8 * i);
		if (!hpa_ok(mod, pa, 512) || !phys_is_ram(mod->pm, pa, 512))
			return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_TDMR_INFO_PA);
		read_tdmr_info(mod->pm, pa, &t[i]);
		if (!t[i].size || !aligned(t[i].base, GIB) || !aligned(t[i].size, GIB) ||
		    t[i].base + t[i].size < t[i].base || ((t[i].base + t[i].size - 1) >> mod->info.keyid_shift))
			return tdmr_err(TDX_INVALID_TDMR, i, 0, 0);
		if (i && t[i].base < t[i - 1].base + t[i - 1].size)
			return tdmr_err(TDX_NON_ORDERED_TDMR, i, 0, 0);
		uint64_t r = check_reserved(&t[i], i);
		if (r)
			return r;
		if (!each_usable_part(&t[i], mod, part_in_cmrs))
			return tdmr_err(TDX_TDMR_OUTSIDE_CMRS, i, 0, 0);
		if ((r = check_pamt(mod, t, i)))
			return r;
	}
	return TDX_SUCCESS;
}

uint64_t tdh_sys_key_config(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	if (mod->g->sys_state != TDX_SYS_STATE_SYSCONFIG_DONE)
		return TDX_SYS_KEY_CONFIG_NOT_PENDING;
	if (global_lock_held(mod))
		return TDX_SYS_BUSY;
	unsigned pkg = mod->info.package_of_lp[lp];
	if (mod->g->pkg_key_configured[pkg])
		return TDX_KEY_CONFIGURED;
	if (mod->no_entropy) {                  /* the key is random: the DRNG may be dry */
		mod->no_entropy--;
		return TDX_RND_NO_ENTROPY;
	}
	mod->g->pkg_key_configured[pkg] = true;
	for (unsigned p = 0; p < mod->info.nr_packages; p++)
		if (!mod->g->pkg_key_configured[p])
			return TDX_SUCCESS;
	mod->g->sys_state = TDX_SYS_STATE_READY;
	return TDX_SUCCESS;
}

/* ---- TDH.SYS.TDMR.INIT and the PAMT it fills ------------------------------------- */

static bool in_reserved(const struct tdx_tdmr *t, uint64_t pa)
{
	for (unsigned i = 0; i < t->nrsvd; i++)
		if (pa - t->base >= t->rsvd[i].offset && pa - t->base - t->rsvd[i].offset < t->rsvd[i].size)
			return true;
	return false;
}

/* The PAMT of one 1 GiB chunk: every page free, those in reserved areas reserved. */
static void init_chunk(struct tdx_module *mod, struct tdx_tdmr *t, uint64_t chunk)
{
	struct pamt_entry e = { 0 };
	for (uint64_t pa = chunk; pa < chunk + GIB; pa += 4096) {
		e.type = in_reserved(t, pa) ? PT_RSVD : PT_NDA;
		pamt_put(mod->pm, pamt_entry_addr(t, pa, PT_4KB), &e);
	}
	e.type = PT_NDA;
	for (uint64_t pa = chunk; pa < chunk + GIB; pa += 2ull << 20)
		pamt_put(mod->pm, pamt_entry_addr(t, pa, PT_2MB), &e);
	pamt_put(mod->pm, pamt_entry_addr(t, chunk, PT_1GB), &e);
}

uint64_t tdh_sys_tdmr_init(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	uint64_t base = gpr[R_RCX];
	struct tdx_tdmr *t = NULL;
	for (unsigned i = 0; i < mod->g->ntdmrs; i++)
		if (mod->g->tdmr[i].base == base)
			t = &mod->g->tdmr[i];
	if (!t)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (t->init_upto == t->size) {
		gpr[R_RDX] = t->base + t->size;
		return TDX_TDMR_ALREADY_INITIALIZED;
	}
	init_chunk(mod, t, t->base + t->init_upto);
	t->init_upto += GIB;
	gpr[R_RDX] = t->base + t->init_upto;
	return TDX_SUCCESS;
}

uint64_t tdh_sys_lp_shutdown(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	mod->g->sys_state = TDX_SYS_STATE_SHUTDOWN;
	return TDX_SUCCESS;
}

uint64_t tdh_phymem_page_rdmd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	uint64_t pa = gpr[R_RCX];
	if (!hpa_ok(mod, pa, 4096))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	const struct tdx_tdmr *t = tdx_tdmr_of(mod, pa);
	if (!t || pa - t->base >= t->init_upto)
		return tdx_err(TDX_OPERAND_ADDR_RANGE_ERROR, TDX_OPERAND_ID_RCX);
	struct pamt_entry e;
	unsigned level;
	pamt_get(mod->pm, pamt_leaf_entry_addr(mod->pm, t, pa, &level), &e);
	gpr[R_RCX] = e.type;
	gpr[R_RDX] = e.owner << 12;
	gpr[R_R8] = level;
	gpr[R_R9] = e.type == PT_REG || e.type == PT_EPT ? e.bepoch : 0;
	gpr[R_R10] = gpr[R_R11] = 0;
	return TDX_SUCCESS;
}
