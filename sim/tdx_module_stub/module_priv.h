/* The module's state and the helpers its leaves share (inside sim/tdx_module_stub). */
#ifndef VTSIM_TDX_MODULE_PRIV_H
#define VTSIM_TDX_MODULE_PRIV_H

#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"

/* Registers by ModRM number. */
enum { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI, R_R8, R_R9, R_R10, R_R11 };

struct tdx_tdmr {
	uint64_t base, size;
	uint64_t pamt_base[3], pamt_size[3];     /* by level: 4K, 2M, 1G */
	unsigned nrsvd;
	struct { uint64_t offset, size; } rsvd[TDX_MAX_RSVD_PER_TDMR];
	uint64_t init_upto;                      /* initialized below base + init_upto */
};

/* Key ownership table states (module.h's TDX_KOT_*). */
enum { KOT_FREE = TDX_KOT_FREE, KOT_ASSIGNED = TDX_KOT_ASSIGNED, KOT_FLUSHED = TDX_KOT_FLUSHED,
       KOT_RESERVED = TDX_KOT_RESERVED };

/* The module's global data: what every LP's leaves share. It lives where the
 * module keeps it, in its data region at the start of the SEAM range, which no
 * software outside SEAM can reach (the engines map the abort page there). */
struct tdx_global {
	enum tdx_sys_state sys_state;
	unsigned lp_init_count;
	bool lp_init[TDX_MAX_LPS];
	bool pkg_key_configured[TDX_MAX_PACKAGES];
	uint16_t global_hkid;
	unsigned ntdmrs;
	struct tdx_tdmr tdmr[TDX_MAX_TDMRS];
	uint8_t kot[TDX_MAX_HKIDS];
	/* Per KeyID, the packages whose caches still hold its lines (TDH.PHYMEM.CACHE.WB
	 * clears them after TDH.MNG.VPFLUSHDONE set them). */
	uint8_t wbinvd_pending[TDX_MAX_HKIDS];
	/* TDH.PHYMEM.CACHE.WB in progress per package (cache_wb.c): the next cache
	 * sub-block to write back (0: none in progress), and per KeyID the packages
	 * whose operation covers it (FLUSHED when the operation started). */
	uint8_t wbcache_next[TDX_MAX_PACKAGES];
	uint8_t wbcache_covers[TDX_MAX_HKIDS];
};

/* The module as the simulator holds it: how to reach the machine, and the
 * global data (in SEAM memory) through `g`. */
#define TDX_MAX_HELD_LOCKS 16
struct tdx_module {
	struct phys *pm;
	struct tdx_cpu_ops cpu;
	struct tdx_platform_info info;
	struct tdx_global *g;
	unsigned no_entropy;                     /* injected RND_NO_ENTROPY results left */
	unsigned busy;                           /* injected OPERAND_BUSY results left */
	/* The PAMT entries (their addresses) whose locks the running leaf holds. */
	uint64_t held[TDX_MAX_HELD_LOCKS];
	unsigned nheld;
	/* The TD MSRs the module switches that the LPs lack (td_msr.c), found at
	 * the first switch. */
	bool td_msr_probed;
	uint32_t td_msr_absent;
};

/* A leaf: registers in and out, the calling LP; returns the status for RAX. */
typedef uint64_t (*tdx_leaf_fn)(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);

/* Platform leaves (sys.c). */
uint64_t tdh_sys_init(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_sys_lp_init(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_sys_rd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_sys_rdall(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_sys_config(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_sys_key_config(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_sys_tdmr_init(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_sys_lp_shutdown(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_phymem_page_rdmd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);

/* What TDs may be (read by TDH.SYS.RD, enforced by TDH.MNG.INIT). */
#define TDX_ATTRIBUTES_FIXED0  0ull
#define TDX_ATTRIBUTES_FIXED1  ((1ull << 0) | (1ull << 28))   /* DEBUG, SEPT_VE_DISABLE */
#define TDX_XFAM_FIXED0        0x3ull                         /* x87, SSE */
#define TDX_XFAM_FIXED1        0x7ull                         /* x87, SSE, AVX */
#define TDX_TDR_PAGES          1
#define TDX_TDCS_PAGES         6   /* the S-EPT root is TDCS page 3 */
#define TDX_TDVPS_PAGES        6   /* TDVPR and 5 TDCX */
unsigned tdx_max_vcpus_per_td(const struct tdx_module *mod);
/* The CPUID leaves a TD's configuration sets (leaf | subleaf << 32) and the bits of
 * EAX..EDX (two qwords) that may be configured. */
unsigned tdx_cpuid_config_count(void);
void tdx_cpuid_config_at(unsigned i, uint64_t *leaf, uint64_t allowed[2]);

/* TD lifecycle leaves (td.c). */
uint64_t tdh_mng_create(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mng_key_config(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mng_addcx(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mng_vpflushdone(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mng_key_freeid(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mng_key_reclaimid(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_phymem_cache_wb(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_phymem_page_reclaim(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_phymem_page_wbinvd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mng_init(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mng_rd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_vp_create(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_vp_addcx(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_vp_init(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mr_finalize(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);

/* Global metadata (metadata.c): 0 and *value, or -1 for an unknown field id;
 * *next is the id that follows in the table (~0 after the last). */
int tdx_metadata_read(const struct tdx_module *mod, uint64_t field, uint64_t *value, uint64_t *next);
void tdx_metadata_first(uint64_t *id);

/* The PAMT (pamt.c). Page types and levels as the ABI numbers them. */
enum { PT_NDA = 0, PT_RSVD = 1, PT_REG = 3, PT_TDR = 4, PT_TDCX = 5, PT_TDVPR = 6, PT_EPT = 8 };
enum { PT_4KB = 0, PT_2MB = 1, PT_1GB = 2 };
struct pamt_entry {
	uint16_t lock;
	uint8_t type;
	uint64_t owner;              /* PA >> 12 of the owning TDR */
	uint64_t bepoch;
	uint8_t level;               /* where the PAMT walk found it (not stored) */
};
/* The lock in a 4 KiB page's PAMT entry (at `entry`): a leaf takes it on each
 * page operand and keeps it until it returns. False when someone else holds it
 * (another LP; here, a test through tdx_module_hold_page). */
bool pamt_lock(struct tdx_module *mod, uint64_t entry);
/* What the leaf took, released as it returns. */
void pamt_unlock_all(struct tdx_module *mod);
/* The TDMR holding `pa`, or NULL. */
const struct tdx_tdmr *tdx_tdmr_of(const struct tdx_module *mod, uint64_t pa);
/* Where the entry for the page at `pa` (at `level`) lives in the PAMT. */
uint64_t pamt_entry_addr(const struct tdx_tdmr *t, uint64_t pa, unsigned level);
/* The module's PAMT walk: the entry of the page holding `pa` (the 1 GiB or 2 MiB
 * entry when that is a leaf, PT_REG; else the 4 KiB one), its level in *level. */
uint64_t pamt_leaf_entry_addr(struct phys *pm, const struct tdx_tdmr *t, uint64_t pa, unsigned *level);
void pamt_get(struct phys *pm, uint64_t entry_addr, struct pamt_entry *e);
/* A large page (`level` 1 or 2) at `pa` in the PAMT: PROMOTE gives its entry the
 * type and owner of its 512 parts, whose entries become PT_NDA; DEMOTE gives them
 * back (epochs 0) and frees its entry. */
void pamt_promote(struct tdx_module *mod, uint64_t pa, unsigned level);
void pamt_demote(struct tdx_module *mod, uint64_t pa, unsigned level);
void pamt_put(struct phys *pm, uint64_t entry_addr, const struct pamt_entry *e);
/* Does [base, base+size) lie inside one CMR? */
bool tdx_in_cmrs(const struct tdx_module *mod, uint64_t base, uint64_t size);

static inline uint64_t tdx_err(uint64_t status, unsigned operand)
{
	return status | operand;
}

#endif
