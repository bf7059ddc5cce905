/* The TD lifecycle leaves of the module (TDX module ABI; Linux's KVM order): a TD
 * is created on a TDR page with a private HKID (TDH.MNG.CREATE), its key is
 * programmed on every package (TDH.MNG.KEY.CONFIG), TDCS pages are added
 * (TDH.MNG.ADDCX) and initialized from TD_PARAMS (TDH.MNG.INIT); vCPUs are created
 * (TDH.VP.CREATE/ADDCX/INIT) and the measurement finalized (TDH.MR.FINALIZE);
 * teardown flushes (TDH.MNG.VPFLUSHDONE, TDH.PHYMEM.CACHE.WB), frees the HKID
 * (TDH.MNG.KEY.FREEID) and reclaims every page (TDH.PHYMEM.PAGE.RECLAIM,
 * TDH.PHYMEM.PAGE.WBINVD). Every TD-scope leaf goes through td_enter_leaf: the TDR
 * checks, then the OP_STATE lookup table. Page ownership is in the PAMT. */
#include "sim/tdx_module_stub/td.h"

#include "sim/cpu/keyed_mem.h"

#include <string.h>

#define TDCS_PAGES TDX_TDCS_PAGES

uint64_t td_keyed(const struct tdx_module *mod, uint64_t pa, unsigned keyid)
{
	return pa | (uint64_t)keyid << mod->info.keyid_shift;
}

/* The module's MAX_PA: an HPA operand at or above 2^52 is refused whatever the
 * CPU's MAXPHYADDR. */
#define TDX_MAX_PA 52

bool td_shared_hpa_ok(const struct tdx_module *mod, uint64_t pa, uint64_t size)
{
	uint64_t hkid_mask = ((1ull << mod->info.keyid_bits) - 1) << mod->info.keyid_shift;
	uint64_t addr = pa & ~hkid_mask, seam = mod->info.seam_base;
	if (pa >> TDX_MAX_PA)
		return false;
	if (addr < seam + mod->info.seam_size && seam < addr + size)
		return false;                    /* the module's own memory */
	return (pa & hkid_mask) >> mod->info.keyid_shift < mod->info.first_tdx_keyid;
}

void tdr_get(struct tdx_module *mod, uint64_t pa, struct tdr *t)
{
	phys_read(mod->pm, td_keyed(mod, pa, mod->g->global_hkid), t, sizeof(*t));
}

void tdr_put(struct tdx_module *mod, uint64_t pa, const struct tdr *t)
{
	phys_write(mod->pm, td_keyed(mod, pa, mod->g->global_hkid), t, sizeof(*t));
}

void tdcs_get(struct tdx_module *mod, const struct tdr *t, struct tdcs *c)
{
	phys_read(mod->pm, td_keyed(mod, t->tdcx[0], t->hkid), c, sizeof(*c));
}

void tdcs_put(struct tdx_module *mod, const struct tdr *t, const struct tdcs *c)
{
	phys_write(mod->pm, td_keyed(mod, t->tdcx[0], t->hkid), c, sizeof(*c));
}

void tdvps_get(struct tdx_module *mod, const struct tdr *t, uint64_t tdvpr, struct tdvps *v)
{
	phys_read(mod->pm, td_keyed(mod, tdvpr, t->hkid), v, sizeof(*v));
}

void tdvps_put(struct tdx_module *mod, const struct tdr *t, uint64_t tdvpr, const struct tdvps *v)
{
	phys_write(mod->pm, td_keyed(mod, tdvpr, t->hkid), v, sizeof(*v));
}

void td_zero_page(struct tdx_module *mod, uint64_t pa)
{
	static const uint8_t zero[4096];
	phys_write(mod->pm, pa, zero, sizeof(zero));
}

uint64_t td_page_operand(struct tdx_module *mod, uint64_t pa, unsigned op, int want_type,
			 uint64_t *entry, struct pamt_entry *e)
{
	if ((pa & 0xfff) || (pa >> mod->info.keyid_shift))
		return tdx_err(TDX_OPERAND_INVALID, op);
	const struct tdx_tdmr *t = tdx_tdmr_of(mod, pa);
	if (!t || pa - t->base >= t->init_upto)
		return tdx_err(TDX_OPERAND_ADDR_RANGE_ERROR, op);
	/* The page's PAMT entry is locked next: held elsewhere, the leaf gives up. */
	*entry = pamt_entry_addr(t, pa, PT_4KB);
	if (mod->busy || !pamt_lock(mod, *entry)) {
		if (mod->busy)
			mod->busy--;
		return tdx_err(TDX_OPERAND_BUSY, op);
	}
	/* The type is the page's: a 4 KiB page inside a 2 MiB one is that page. */
	unsigned level;
	*entry = pamt_leaf_entry_addr(mod->pm, t, pa, &level);
	pamt_get(mod->pm, *entry, e);
	e->level = (uint8_t)level;
	if (want_type >= 0 && e->type != want_type)
		return tdx_err(TDX_PAGE_METADATA_INCORRECT, op);
	return TDX_SUCCESS;
}

uint64_t td_free_2m_operand(struct tdx_module *mod, uint64_t pa, unsigned op, uint64_t *entry)
{
	const uint64_t size = 1ull << 21;
	if ((pa & (size - 1)) || (pa >> mod->info.keyid_shift))
		return tdx_err(TDX_OPERAND_INVALID, op);
	const struct tdx_tdmr *t = tdx_tdmr_of(mod, pa);
	if (!t || pa - t->base >= t->init_upto || t->init_upto - (pa - t->base) < size)
		return tdx_err(TDX_OPERAND_ADDR_RANGE_ERROR, op);
	*entry = pamt_entry_addr(t, pa, PT_2MB);
	if (mod->busy || !pamt_lock(mod, *entry)) {
		if (mod->busy)
			mod->busy--;
		return tdx_err(TDX_OPERAND_BUSY, op);
	}
	struct pamt_entry e;
	for (unsigned level = PT_1GB; level > PT_4KB; level--) {
		pamt_get(mod->pm, pamt_entry_addr(t, pa, level), &e);
		if (e.type != PT_NDA)
			return tdx_err(TDX_PAGE_METADATA_INCORRECT, op);
	}
	for (uint64_t off = 0; off < size; off += 4096) {
		pamt_get(mod->pm, pamt_entry_addr(t, pa + off, PT_4KB), &e);
		if (e.type != PT_NDA)
			return tdx_err(TDX_PAGE_METADATA_INCORRECT, op);
	}
	return TDX_SUCCESS;
}

/* The TDR operand of a TD-scope leaf. */
static uint64_t tdr_operand(struct tdx_module *mod, uint64_t pa, unsigned op, struct tdr *t)
{
	uint64_t entry;
	struct pamt_entry e;
	uint64_t r = td_page_operand(mod, pa, op, PT_TDR, &entry, &e);
	if (!r)
		tdr_get(mod, pa, t);
	return r;
}

/* The OP_STATE lookup: the OP_STATEs each TD-scope leaf may run in (the module's
 * seamcall state table, without the migration states). */
#define U (1u << OP_UNINITIALIZED)
#define I (1u << OP_INITIALIZED)
#define R (1u << OP_RUNNABLE)
static const uint8_t op_state_allowed[64] = {
	[TDH_VP_ENTER] = R,            [TDH_MNG_ADDCX] = U,           [TDH_MEM_PAGE_ADD] = I,
	[TDH_MEM_SEPT_ADD] = I | R,    [TDH_VP_ADDCX] = I,            [TDH_MEM_PAGE_AUG] = I | R,
	[TDH_MEM_RANGE_BLOCK] = I | R, [TDH_VP_CREATE] = I,           [TDH_MNG_RD] = I | R,
	[TDH_MR_EXTEND] = I,           [TDH_MR_FINALIZE] = I,         [TDH_VP_FLUSH] = U | I | R,
	[TDH_MNG_INIT] = U,            [TDH_VP_INIT] = I,             [TDH_MEM_SEPT_RD] = I | R,
	[TDH_VP_RD] = I | R,           [TDH_MEM_PAGE_REMOVE] = I | R, [TDH_MEM_SEPT_REMOVE] = I | R,
	[TDH_MEM_TRACK] = I | R,       [TDH_MEM_RANGE_UNBLOCK] = I | R, [TDH_VP_WR] = I | R,
	[TDH_MEM_RD] = I | R,          [TDH_MEM_WR] = I | R,          [TDH_MNG_WR] = I | R,
	[TDH_MEM_PAGE_DEMOTE] = I | R, [TDH_MEM_PAGE_PROMOTE] = I | R,
};
#undef U
#undef I
#undef R

bool td_tlb_tracking_required(uint32_t op_state)
{
	return op_state == OP_RUNNABLE;
}

uint64_t td_enter_leaf(struct tdx_module *mod, unsigned leaf, uint64_t tdr, unsigned op,
		       struct tdr *t, struct tdcs *c)
{
	uint64_t r = tdr_operand(mod, tdr, op, t);
	if (r)
		return r;
	/* A fatal TD can still be torn down: its vCPUs flushed. A TDR the host wrote
	 * (KeyID 0) is a machine check for the module: the TD is fatal too. */
	if ((t->fatal || keyed_mem_page_poisoned(mod->pm, tdr)) && leaf != TDH_VP_FLUSH)
		return TDX_TD_FATAL;
	if (t->lifecycle != TD_KEYS_CONFIGURED)
		return TDX_TD_KEYS_NOT_CONFIGURED;
	if (t->num_tdcx < TDCS_PAGES)
		return TDX_TDCS_NOT_ALLOCATED;
	tdcs_get(mod, t, c);
	if (c->op_state >= OP_NR_STATES || !(op_state_allowed[leaf & 63] & (1u << c->op_state)))
		return TDX_OP_STATE_INCORRECT;
	return TDX_SUCCESS;
}

uint64_t td_enter_vcpu_leaf(struct tdx_module *mod, unsigned leaf, uint64_t tdvpr, unsigned op,
			    struct tdvps *v, struct tdr *t, struct tdcs *c)
{
	uint64_t entry;
	struct pamt_entry e;
	uint64_t r = td_page_operand(mod, tdvpr, op, PT_TDVPR, &entry, &e);
	if (r)
		return r;
	/* The TDVPR is keyed with its TD's HKID, in the TDR that owns it. */
	tdr_get(mod, e.owner << 12, t);
	tdvps_get(mod, t, tdvpr, v);
	return td_enter_leaf(mod, leaf, e.owner << 12, op, t, c);
}

static bool no_entropy(struct tdx_module *mod)
{
	if (!mod->no_entropy)
		return false;
	mod->no_entropy--;
	return true;
}

uint64_t tdh_mng_create(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	uint64_t pa = gpr[R_RCX], hkid = gpr[R_RDX], entry;
	struct pamt_entry e;
	uint64_t r = td_page_operand(mod, pa, TDX_OPERAND_ID_RCX, PT_NDA, &entry, &e);
	if (r)
		return r;
	if ((hkid >> 16) || hkid < mod->info.first_tdx_keyid ||
	    hkid >= mod->info.first_tdx_keyid + mod->info.nr_tdx_keyids || hkid == mod->g->global_hkid)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if (mod->g->kot[hkid] != KOT_FREE)
		return tdx_err(TDX_HKID_NOT_FREE, TDX_OPERAND_ID_RDX);
	if (no_entropy(mod))          /* the TD's UUID is random */
		return TDX_RND_NO_ENTROPY;
	keyed_mem_make_private(mod->pm, pa, mod->g->global_hkid);   /* and zeroed */
	struct tdr t = { .lifecycle = TD_HKID_ASSIGNED, .hkid = (uint32_t)hkid };
	tdr_put(mod, pa, &t);
	e = (struct pamt_entry){ .type = PT_TDR, .owner = 0 };
	pamt_put(mod->pm, entry, &e);
	mod->g->kot[hkid] = KOT_ASSIGNED;
	keyed_mem_key_reset(mod->pm, (unsigned)hkid);
	return TDX_SUCCESS;
}

uint64_t tdh_mng_key_config(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	uint64_t pa = gpr[R_RCX], r = tdr_operand(mod, pa, TDX_OPERAND_ID_RCX, &t);
	if (r)
		return r;
	if (t.fatal)
		return TDX_TD_FATAL;
	if (t.lifecycle != TD_HKID_ASSIGNED)
		return TDX_LIFECYCLE_STATE_INCORRECT;
	unsigned pkg = mod->info.package_of_lp[lp];
	if (t.pkg_configured & (1ull << pkg))
		return TDX_KEY_CONFIGURED;
	if (no_entropy(mod))          /* the key is generated here */
		return TDX_KEY_GENERATION_FAILED;
	t.pkg_configured |= 1ull << pkg;
	if (t.pkg_configured == (1ull << mod->info.nr_packages) - 1)
		t.lifecycle = TD_KEYS_CONFIGURED;
	tdr_put(mod, pa, &t);
	return TDX_SUCCESS;
}

uint64_t tdh_mng_addcx(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	uint64_t tdr = gpr[R_RDX], page = gpr[R_RCX], entry;
	uint64_t r = tdr_operand(mod, tdr, TDX_OPERAND_ID_RDX, &t);
	if (r)
		return r;
	if (t.fatal)
		return TDX_TD_FATAL;
	if (t.lifecycle != TD_KEYS_CONFIGURED)
		return TDX_TD_KEYS_NOT_CONFIGURED;
	if (t.num_tdcx >= TDCS_PAGES)
		return TDX_TDCX_NUM_INCORRECT;
	struct pamt_entry e;
	if ((r = td_page_operand(mod, page, TDX_OPERAND_ID_RCX, PT_NDA, &entry, &e)))
		return r;
	keyed_mem_make_private(mod->pm, page, t.hkid);
	e = (struct pamt_entry){ .type = PT_TDCX, .owner = tdr >> 12 };
	pamt_put(mod->pm, entry, &e);
	t.tdcx[t.num_tdcx++] = page;
	t.chldcnt++;
	tdr_put(mod, tdr, &t);
	return TDX_SUCCESS;
}

uint64_t tdh_mng_vpflushdone(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	uint64_t pa = gpr[R_RCX], r = tdr_operand(mod, pa, TDX_OPERAND_ID_RCX, &t);
	if (r)
		return r;
	if (t.lifecycle != TD_KEYS_CONFIGURED && t.lifecycle != TD_HKID_ASSIGNED)
		return TDX_LIFECYCLE_STATE_INCORRECT;
	if (t.num_tdcx == TDCS_PAGES) {
		struct tdcs c;
		tdcs_get(mod, &t, &c);
		if (c.num_assoc_vcpus)       /* a vCPU still has state on some LP */
			return TDX_FLUSHVP_NOT_DONE;
	}
	mod->g->kot[t.hkid] = KOT_FLUSHED;
	mod->g->wbinvd_pending[t.hkid] = (uint8_t)((1u << mod->info.nr_packages) - 1);
	t.lifecycle = TD_BLOCKED;
	tdr_put(mod, pa, &t);
	return TDX_SUCCESS;
}

uint64_t tdh_mng_key_freeid(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	uint64_t pa = gpr[R_RCX], r = tdr_operand(mod, pa, TDX_OPERAND_ID_RCX, &t);
	if (r)
		return r;
	if (t.lifecycle != TD_BLOCKED)
		return TDX_LIFECYCLE_STATE_INCORRECT;
	if (mod->g->wbinvd_pending[t.hkid])
		return TDX_WBCACHE_NOT_COMPLETE;
	mod->g->kot[t.hkid] = KOT_FREE;
	t.lifecycle = TD_TEARDOWN;
	tdr_put(mod, pa, &t);
	return TDX_SUCCESS;
}

uint64_t tdh_mng_key_reclaimid(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	return TDX_SUCCESS;          /* kept for compatibility: does nothing */
}

uint64_t tdh_phymem_page_reclaim(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	uint64_t pa = gpr[R_RCX], entry;
	struct pamt_entry e;
	uint64_t r = td_page_operand(mod, pa, TDX_OPERAND_ID_RCX, -1, &entry, &e);
	if (r)
		return r;
	if (e.type == PT_NDA || e.type == PT_RSVD)
		return tdx_err(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_RCX);
	uint64_t tdr_pa = e.type == PT_TDR ? pa : e.owner << 12;
	struct tdr t;
	tdr_get(mod, tdr_pa, &t);
	if (t.lifecycle != TD_TEARDOWN)
		return TDX_LIFECYCLE_STATE_INCORRECT;
	if (e.type == PT_TDR && t.chldcnt)
		return TDX_TD_ASSOCIATED_PAGES_EXIST;
	/* A large page is reclaimed whole, by its first address. */
	uint64_t pages = 1ull << (9 * e.level);
	if (pa & (pages * 4096 - 1))
		return tdx_err(TDX_PAGE_METADATA_INCORRECT, TDX_OPERAND_ID_RCX);
	gpr[R_RCX] = e.type;
	gpr[R_RDX] = e.owner << 12;
	gpr[R_R8] = e.level;
	if (e.type != PT_TDR) {
		t.chldcnt -= pages;
		tdr_put(mod, tdr_pa, &t);
	}
	e = (struct pamt_entry){ .type = PT_NDA };
	pamt_put(mod->pm, entry, &e);
	for (uint64_t i = 0; i < pages; i++)
		keyed_mem_make_shared(mod->pm, pa + 4096 * i);   /* private pages left at teardown */
	return TDX_SUCCESS;
}

uint64_t tdh_phymem_page_wbinvd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	/* The operand carries the KeyID the page was used with. */
	uint64_t keyed = gpr[R_RCX];
	uint64_t pa = keyed & ((1ull << mod->info.keyid_shift) - 1), entry;
	uint64_t hkid = keyed >> mod->info.keyid_shift;
	struct pamt_entry e;
	if (hkid >= TDX_MAX_HKIDS)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	uint64_t r = td_page_operand(mod, pa, TDX_OPERAND_ID_RCX, PT_NDA, &entry, &e);
	return r;
}

/* ---- TDH.MNG.INIT: TD_PARAMS, and the TDCS it fills ------------------------------ */

/* TD_PARAMS (1 KiB): offsets of the ABI. */
enum {
	TDP_ATTRIBUTES = 0, TDP_XFAM = 8, TDP_MAX_VCPUS = 16, TDP_NUM_L2_VMS = 18,
	TDP_MSR_CONFIG = 19, TDP_EPTP_CONTROLS = 24, TDP_CONFIG_FLAGS = 32, TDP_TSC_FREQ = 40,
	TDP_CPUID_VALUES = 256,
};
#define OPID_ATTRIBUTES    64
#define OPID_XFAM          65
#define OPID_EXEC_CONTROLS 66
#define OPID_EPTP_CONTROLS 67
#define OPID_MAX_VCPUS     68
#define OPID_CPUID_CONFIG  69
#define OPID_TSC_FREQUENCY 70
#define OPID_NUM_L2_VMS    71
#define OPID_ARCH_CAP      72

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static uint64_t rd(const uint8_t *p, unsigned off, unsigned size)
{
	uint64_t v = 0;
	memcpy(&v, p + off, size);
	return v;
}

/* TD_PARAMS against what the module allows; fills the TDCS. */
static uint64_t check_td_params(struct tdx_module *mod, const uint8_t *p, struct tdcs *c,
				uint64_t gpr[16])
{
	c->attributes = rd(p, TDP_ATTRIBUTES, 8);
	if ((c->attributes & TDX_ATTRIBUTES_FIXED0) != TDX_ATTRIBUTES_FIXED0 ||
	    (c->attributes & ~TDX_ATTRIBUTES_FIXED1))
		return tdx_err(TDX_OPERAND_INVALID, OPID_ATTRIBUTES);
	c->xfam = rd(p, TDP_XFAM, 8);
	if ((c->xfam & TDX_XFAM_FIXED0) != TDX_XFAM_FIXED0 || (c->xfam & ~TDX_XFAM_FIXED1))
		return tdx_err(TDX_OPERAND_INVALID, OPID_XFAM);
	c->max_vcpus = (uint16_t)rd(p, TDP_MAX_VCPUS, 2);
	if (!c->max_vcpus || c->max_vcpus > tdx_max_vcpus_per_td(mod))
		return tdx_err(TDX_OPERAND_INVALID, OPID_MAX_VCPUS);
	if (rd(p, TDP_NUM_L2_VMS, 1))
		return tdx_err(TDX_OPERAND_INVALID, OPID_NUM_L2_VMS);
	if (rd(p, TDP_MSR_CONFIG, 1) & ~1ull)
		return tdx_err(TDX_OPERAND_INVALID, OPID_ARCH_CAP);
	if (!all_zero(p + 20, 4) || !all_zero(p + 42, 80 - 42) || !all_zero(p + 232, 256 - 232))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	/* Write-back S-EPT with a 4-level walk: 5-level (GPAW 52) is not offered. */
	c->eptp_controls = rd(p, TDP_EPTP_CONTROLS, 8);
	if (c->eptp_controls != (6 | 3 << 3))
		return tdx_err(TDX_OPERAND_INVALID, OPID_EPTP_CONTROLS);
	c->config_flags = rd(p, TDP_CONFIG_FLAGS, 8);
	if (c->config_flags & ~(6ull))      /* FLEXIBLE_PENDING_VE, NO_RBP_MOD; no GPAW 52 */
		return tdx_err(TDX_OPERAND_INVALID, OPID_EXEC_CONTROLS);
	memcpy(c->mrconfigid, p + 80, 48);
	memcpy(c->mrowner, p + 128, 48);
	memcpy(c->mrownerconfig, p + 176, 48);
	c->tsc_frequency = (uint16_t)rd(p, TDP_TSC_FREQ, 2);
	if (c->tsc_frequency < 4 || c->tsc_frequency > 400)
		return tdx_err(TDX_OPERAND_INVALID, OPID_TSC_FREQUENCY);
	for (unsigned i = 0; i < tdx_cpuid_config_count() && i < 8; i++) {
		uint64_t leaf, allowed[2];
		tdx_cpuid_config_at(i, &leaf, allowed);
		for (int q = 0; q < 2; q++) {
			c->cpuid[i][q] = rd(p, TDP_CPUID_VALUES + 16 * i + 8 * q, 8);
			if (c->cpuid[i][q] & ~allowed[q]) {
				gpr[R_RCX] = leaf;          /* which leaf and subleaf was refused */
				return tdx_err(TDX_OPERAND_INVALID, OPID_CPUID_CONFIG);
			}
		}
	}
	return TDX_SUCCESS;
}

uint64_t tdh_mng_init(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	struct tdcs c;
	uint64_t tdr = gpr[R_RCX], params = gpr[R_RDX];
	uint64_t r = td_enter_leaf(mod, TDH_MNG_INIT, tdr, TDX_OPERAND_ID_RCX, &t, &c);
	if (r)
		return r;
	if ((params & 0x3ff) || (params >> mod->info.keyid_shift) || !phys_is_ram(mod->pm, params, 1024))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	uint8_t p[1024];
	phys_read(mod->pm, params, p, sizeof(p));
	memset(&c, 0, sizeof(c));
	if ((r = check_td_params(mod, p, &c, gpr)))
		return r;
	c.op_state = OP_INITIALIZED;
	c.hkid = t.hkid;
	sept_table_init(mod, &t, t.tdcx[TDCS_SEPT_ROOT_PAGE]);
	td_msr_bitmap_init(mod, &t, &c);
	c.tsc_multiplier = 1ull << 48;       /* the TD's TSC runs at the host's rate */
	c.td_epoch = 1;                      /* a block in epoch 1 is untracked until 2 */
	td_mrtd_init(&c);
	tdcs_put(mod, &t, &c);
	return TDX_SUCCESS;
}

/* TDH.MNG.RD of the TDCS fields KVM reads after TDH.MNG.INIT. */
uint64_t tdh_mng_rd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	struct tdcs c;
	uint64_t r = td_enter_leaf(mod, TDH_MNG_RD, gpr[R_RCX], TDX_OPERAND_ID_RCX, &t, &c);
	gpr[R_R8] = 0;
	if (r)
		return r;
	uint64_t id = gpr[R_RDX];
	switch (id) {
	case 0x110000000000000Aull: gpr[R_R8] = c.tsc_offset; break;      /* TDCS_EXEC TSC_OFFSET */
	case 0x110000000000000Bull: gpr[R_R8] = c.tsc_multiplier; break;  /* TSC_MULTIPLIER */
	default:
		/* CPUID_VALUES: class 0x14, non-architectural; size and context bits
		 * not checked. */
		if ((id & (0xbfull << 56 | 0xff000000ull)) != (0x94ull << 56))
			return TDX_METADATA_FIELD_ID_INCORRECT;
		if ((r = td_cpuid_md_read(mod, lp, &c, (uint32_t)(id & 0xffffff), &gpr[R_R8])))
			return r;
	}
	gpr[R_RDX] = ~0ull;
	return TDX_SUCCESS;
}

/* ---- vCPUs: TDH.VP.CREATE, TDH.VP.ADDCX, TDH.VP.INIT; TDH.MR.FINALIZE ------------- */

uint64_t tdh_vp_create(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	struct tdcs c;
	uint64_t tdr = gpr[R_RDX], page = gpr[R_RCX], entry;
	uint64_t r = td_enter_leaf(mod, TDH_VP_CREATE, tdr, TDX_OPERAND_ID_RDX, &t, &c);
	if (r)
		return r;
	struct pamt_entry e;
	if ((r = td_page_operand(mod, page, TDX_OPERAND_ID_RCX, PT_NDA, &entry, &e)))
		return r;
	keyed_mem_make_private(mod->pm, page, t.hkid);
	struct tdvps v = { .state = VCPU_UNINITIALIZED, .tdr = tdr };
	tdvps_put(mod, &t, page, &v);
	e = (struct pamt_entry){ .type = PT_TDVPR, .owner = tdr >> 12 };
	pamt_put(mod->pm, entry, &e);
	t.chldcnt++;
	tdr_put(mod, tdr, &t);
	return TDX_SUCCESS;
}

uint64_t tdh_vp_addcx(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	struct tdcs c;
	struct tdvps v;
	uint64_t tdvpr = gpr[R_RDX], page = gpr[R_RCX], entry;
	uint64_t r = td_enter_vcpu_leaf(mod, TDH_VP_ADDCX, tdvpr, TDX_OPERAND_ID_RDX, &v, &t, &c);
	if (r)
		return r;
	if (v.state != VCPU_UNINITIALIZED)
		return TDX_VCPU_STATE_INCORRECT;
	if (v.num_tdcx >= TDVPS_TDCX)
		return TDX_TDCX_NUM_INCORRECT;
	struct pamt_entry e;
	if ((r = td_page_operand(mod, page, TDX_OPERAND_ID_RCX, PT_NDA, &entry, &e)))
		return r;
	keyed_mem_make_private(mod->pm, page, t.hkid);          /* and zeroed */
	e = (struct pamt_entry){ .type = PT_TDCX, .owner = v.tdr >> 12 };
	pamt_put(mod->pm, entry, &e);
	v.tdcx[v.num_tdcx++] = page;
	tdvps_put(mod, &t, tdvpr, &v);
	t.chldcnt++;
	tdr_put(mod, v.tdr, &t);
	return TDX_SUCCESS;
}

uint64_t tdh_vp_init(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	struct tdcs c;
	struct tdvps v;
	uint64_t tdvpr = gpr[R_RCX];
	bool v1 = (gpr[R_RAX] >> 16) & 0xff;
	uint64_t r = td_enter_vcpu_leaf(mod, TDH_VP_INIT, tdvpr, TDX_OPERAND_ID_RCX, &v, &t, &c);
	if (r)
		return r;
	if (v.state != VCPU_UNINITIALIZED)
		return TDX_VCPU_STATE_INCORRECT;
	if (v.num_tdcx < TDVPS_TDCX)
		return TDX_TDCX_NUM_INCORRECT;
	if (c.num_vcpus >= c.max_vcpus)
		return TDX_MAX_VCPUS_EXCEEDED;
	/* Version 1 names the x2APIC ID (Linux uses it); version 0 takes the index. */
	if (v1 && (gpr[R_R8] >> 32))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	v.vcpu_index = c.num_vcpus++;
	v.x2apic_id = v1 ? (uint32_t)gpr[R_R8] : v.vcpu_index;
	v.initial_rcx = gpr[R_RDX];
	td_msr_vcpu_init(&v);
	td_xstate_vcpu_init(mod, &t, &v);
	v.state = VCPU_READY;
	tdvps_put(mod, &t, tdvpr, &v);
	tdcs_put(mod, &t, &c);
	return TDX_SUCCESS;
}

uint64_t tdh_mr_finalize(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	struct tdcs c;
	uint64_t r = td_enter_leaf(mod, TDH_MR_FINALIZE, gpr[R_RCX], TDX_OPERAND_ID_RCX, &t, &c);
	if (r)
		return r;
	if (!c.num_vcpus)
		return TDX_NO_VCPUS;
	td_mrtd_finalize(&c);
	c.op_state = OP_RUNNABLE;
	tdcs_put(mod, &t, &c);
	return TDX_SUCCESS;
}
