/* The TDX module under random SEAMCALL sequences, issued the way a host VMM issues
 * them (include/vtsim/hosted.h) on a --tdx machine restored to its boot. Next to every
 * call runs a small model of what the TDX module ABI says the platform leaves
 * must answer, and each answer is checked against it:
 *
 *  - the call reaches the module exactly when the LP is in VMX operation (#UD
 *    otherwise, "stopped" for an LP the machine does not have);
 *  - RAX is 0 or a status of the module's table (bits 63:32), and bit 63 is set
 *    exactly for the codes that are not informational;
 *  - the platform leaves give the status the model predicts (the full 64 bits,
 *    operand id included), and leave RBX, RSI, RDI and R12-R15 alone;
 *  - TDH.SYS.CONFIG succeeds exactly when the TDMR_INFO array obeys the ABI rules
 *    (an independent checker below reads it from RAM as the module does);
 *  - the platform state only moves forward (LP.SHUTDOWN ends it) and always
 *    equals the model's; TD leaves never move it;
 *  - after SYS_READY, TDH.PHYMEM.PAGE.RDMD of an initialized page gives PT_RSVD
 *    inside a reserved area and PT_NDA elsewhere, no owner, 4K, no epoch (while no
 *    TD leaf has succeeded: a TD could own pages), and TDH.SYS.TDMR.INIT walks each
 *    TDMR 1 GiB per call;
 *  - the global metadata Linux reads is there and agrees with the platform MSRs
 *    (the CMRs are the RAM around SEAMRR below the reserved area).
 *  - after every call the key ownership table agrees with the TDs the module has
 *    (the TDR pages created and not reclaimed; tdx_module_kot_check), and after
 *    every TD leaf that did not fail, no page private to a KeyID reads other than
 *    zeros through KeyID 0 or another TDX KeyID (tests/fuzz/tdx_oracles.h, shared
 *    with fuzz_td_leaves).
 * An oracle failure prints what differed on stderr and aborts. With
 * FUZZ_SEAMCALL_TRACE set in the environment every call is printed as it returns
 * (to see what an input does).
 *
 * Input format (all integers little endian):
 *
 *   byte 0  bits 1:0  number of LPs - 1 (1..4)
 *           bits 3:2  RAM: 66 MiB (one CMR: the least --tdx takes), 96, 100 or
 *                     128 MiB (two CMRs)
 *           bits 6:4  Linux's bring-up done first, up to: 0 nothing, 1 SYS.INIT,
 *                     2 and 6 LP.INIT everywhere, 3 and 7 SYS.CONFIG,
 *                     4 KEY.CONFIG (SYS_READY), 5 one TDMR.INIT
 *   byte 1  bits 2:0  RND_NO_ENTROPY answers injected for KEY.CONFIG
 *           bits 4:3  TDMRs in the bring-up's configuration - 1 (1..3)
 *   then up to MAX_RECORDS records of 24 bytes:
 *     0      LP: bits 1:0 mod the LP count; 0xFD = VMXON, 0xFE = VMXOFF on LP 0
 *            instead of a SEAMCALL, 0xFF = SEAMCALL on an LP that does not exist
 *     1      leaf: an index into leaf_pick[] (biased toward the platform leaves)
 *     2      bits 1:0  version: 0, 0, 1, or byte 3
 *            bit 2     byte 3 into RAX bits 31:24 (reserved, must be 0)
 *            bits 5:3  operand template (per leaf, see operands())
 *     3      aux
 *     4-7    A: mutation selectors, small indices
 *     8-15   V: a value, or what picks an address
 *     16-23  W: a second value
 *   For TDH.SYS.CONFIG, templates 0-4 first write a well-formed TDMR_INFO array
 *   (aux picks 1-3 TDMRs of 1 GiB from 0, each PAMT in the low CMR and reserved,
 *   every part outside the CMRs reserved), then mutate 0, 1 or 2 of its words or
 *   the registers; templates 5-7 pass raw registers over whatever RAM holds. RAM is
 *   written only until SYS.CONFIG succeeds: after that the PAMT may be anywhere the
 *   configuration put it, and the host writing it would corrupt what RDMD reads.
 *   Other leaves take addresses from pick_addr() (RAM pages, the CMRs, TDMR bases,
 *   the SEAM range, PAMT pages, the edges of the configured reserved areas...);
 *   TD leaves also the pages of the last TD created (its TDR first) and TDX KeyIDs.
 *
 * Each input starts from a booted machine of its configuration (LP count, RAM
 * size): the first input that picks one creates it (hosted start, every LP in
 * VMX operation) and takes a snapshot, every input restores it (booted_machine;
 * FUZZ_RESET_COST=1 prints what the restores cost at exit), so that an input
 * reproduces alone. What costs is TDH.SYS.TDMR.INIT: one 1 GiB chunk is 256 Ki
 * PAMT entries, written bytewise, about 250 ms under libFuzzer's comparison
 * tracing. An input initializes at most MAX_CHUNKS chunks (a TDMR.INIT record that
 * would do more is skipped). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cpu/machine.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "tests/fuzz/reset_cost.h"
#include "tests/fuzz/tdx_oracles.h"
#include "vtsim/hosted.h"
#include "vtsim/vtsim.h"

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define PAGE 4096ull
#define MAX_TDRS 64               /* more TDs than an input's records can create */

#define MAX_RECORDS  64
#define RECORD_SIZE  24
#define MAX_LPS      4
#define MAX_TDMRS    64         /* TDMRs SYS.CONFIG takes (metadata MAX_TDMRS) */
#define MAX_RSVD     16         /* reserved areas a 512-byte TDMR_INFO holds */
#define PLAN_MAX     3          /* TDMRs in a template */
#define MAX_CHUNKS   1          /* TDMR.INIT calls that initialize, per input */

/* SEAMCALL leaves (RAX 15:0). */
enum {
	TDH_VP_ENTER = 0, TDH_MNG_ADDCX = 1, TDH_MEM_PAGE_ADD = 2, TDH_MNG_KEY_CONFIG = 8,
	TDH_MNG_CREATE = 9, TDH_VP_CREATE = 10, TDH_MNG_RD = 11, TDH_MNG_VPFLUSHDONE = 19,
	TDH_MNG_KEY_FREEID = 20, TDH_MNG_INIT = 21, TDH_PHYMEM_PAGE_RDMD = 24,
	TDH_MNG_KEY_RECLAIMID = 27, TDH_PHYMEM_PAGE_RECLAIM = 28, TDH_SYS_KEY_CONFIG = 31,
	TDH_SYS_INIT = 33, TDH_SYS_RD = 34, TDH_SYS_LP_INIT = 35, TDH_SYS_TDMR_INIT = 36,
	TDH_PHYMEM_CACHE_WB = 40, TDH_PHYMEM_PAGE_WBINVD = 41, TDH_SYS_LP_SHUTDOWN = 44,
	TDH_SYS_CONFIG = 45,
};

/* Leaf selector -> leaf: the platform leaves most of the time, a few TD leaves
 * (named by the module, refused before SYS_READY), and numbers the module does
 * not name (5 and 23 are ABI leaves it lacks). */
static const uint16_t leaf_pick[] = {
	TDH_SYS_INIT, TDH_SYS_INIT, TDH_SYS_INIT, TDH_SYS_INIT,
	TDH_SYS_LP_INIT, TDH_SYS_LP_INIT, TDH_SYS_LP_INIT, TDH_SYS_LP_INIT, TDH_SYS_LP_INIT,
	TDH_SYS_RD, TDH_SYS_RD, TDH_SYS_RD, TDH_SYS_RD, TDH_SYS_RD, TDH_SYS_RD,
	TDH_SYS_CONFIG, TDH_SYS_CONFIG, TDH_SYS_CONFIG, TDH_SYS_CONFIG, TDH_SYS_CONFIG,
	TDH_SYS_CONFIG, TDH_SYS_CONFIG, TDH_SYS_CONFIG, TDH_SYS_CONFIG, TDH_SYS_CONFIG,
	TDH_SYS_KEY_CONFIG, TDH_SYS_KEY_CONFIG, TDH_SYS_KEY_CONFIG, TDH_SYS_KEY_CONFIG,
	TDH_SYS_TDMR_INIT, TDH_SYS_TDMR_INIT, TDH_SYS_TDMR_INIT, TDH_SYS_TDMR_INIT,
	TDH_SYS_TDMR_INIT, TDH_SYS_TDMR_INIT,
	TDH_PHYMEM_PAGE_RDMD, TDH_PHYMEM_PAGE_RDMD, TDH_PHYMEM_PAGE_RDMD, TDH_PHYMEM_PAGE_RDMD,
	TDH_PHYMEM_PAGE_RDMD, TDH_PHYMEM_PAGE_RDMD, TDH_PHYMEM_PAGE_RDMD, TDH_PHYMEM_PAGE_RDMD,
	TDH_PHYMEM_PAGE_RDMD, TDH_PHYMEM_PAGE_RDMD,
	TDH_SYS_LP_SHUTDOWN,
	TDH_VP_ENTER, TDH_MEM_PAGE_ADD, TDH_MNG_KEY_CONFIG, TDH_MNG_CREATE, TDH_VP_CREATE,
	TDH_MNG_RD, TDH_MNG_INIT, TDH_PHYMEM_PAGE_RECLAIM,
	5, 23, 46, 0x7fff,
	TDH_MNG_CREATE, TDH_MNG_CREATE, TDH_MNG_ADDCX, TDH_MNG_ADDCX, TDH_MNG_VPFLUSHDONE,
	TDH_MNG_KEY_FREEID, TDH_MNG_KEY_RECLAIMID, TDH_PHYMEM_CACHE_WB, TDH_PHYMEM_PAGE_WBINVD,
	TDH_PHYMEM_PAGE_RECLAIM,
};
#define NLEAF_PICK (sizeof(leaf_pick) / sizeof(leaf_pick[0]))

/* Global metadata field ids: sim/tdx_module_stub/md_fields.h. */
#include "sim/tdx_module_stub/md_fields.h"

/* The fields Linux cannot do without (get_tdx_sys_info): each read must succeed. */
static const uint64_t md_required[] = {
	MD_MINOR_VERSION, MD_MAJOR_VERSION, MD_UPDATE_VERSION, MD_TDX_FEATURES0,
	MD_NUM_CMRS, MD_CMR_BASE(0), MD_CMR_SIZE(0), MD_MAX_TDMRS, MD_MAX_RESERVED_PER_TDMR,
	MD_PAMT_4K_ENTRY_SIZE, MD_PAMT_2M_ENTRY_SIZE, MD_PAMT_1G_ENTRY_SIZE,
	MD_TDR_BASE_SIZE, MD_TDCS_BASE_SIZE, MD_TDVPS_BASE_SIZE,
	MD_ATTRIBUTES_FIXED0, MD_ATTRIBUTES_FIXED1, MD_XFAM_FIXED0, MD_XFAM_FIXED1,
	MD_NUM_CPUID_CONFIG, MD_MAX_VCPUS_PER_TD, MD_CPUID_CONFIG_LEAVES(0),
	MD_CPUID_CONFIG_VALUES(0, 0), MD_CPUID_CONFIG_VALUES(0, 1),
};
#define NMD_REQUIRED (sizeof(md_required) / sizeof(md_required[0]))

/* Ids a module may or may not have: the rest of the CMR array and the CPUID
 * configuration, and ids near real ones. */
static const uint64_t md_optional[] = {
	MD_CMR_BASE(1), MD_CMR_SIZE(1), MD_CMR_BASE(2), MD_CMR_SIZE(5), MD_CMR_BASE(31),
	MD_CPUID_CONFIG_LEAVES(2), MD_CPUID_CONFIG_VALUES(2, 1), MD_CPUID_CONFIG_VALUES(3, 0),
	0x0800000100000006ull, 0x9100000100000013ull, 0, 0x8000000000000000ull,
};
#define NMD_OPTIONAL (sizeof(md_optional) / sizeof(md_optional[0]))

#define MSR_IA32_VMX_BASIC                0x480
#define MSR_IA32_MKTME_KEYID_PARTITIONING 0x87
#define MSR_IA32_TME_ACTIVATE             0x982
#define MSR_IA32_SEAMRR_PHYS_BASE         0x1400
#define MSR_IA32_SEAMRR_PHYS_MASK         0x1401
#define CR4_VMXE                          (1ull << 13)

/* Where the host's structures go: all in the low CMR (it starts at 0 and is at
 * least 32 MiB), the PAMTs above the TDMR_INFO area. */
#define VMXON_PA(lp)     (0x10000ull + (lp) * PAGE)
#define ARRAY_PA         0x40000ull
#define INFO_PA(i)       (0x41000ull + (i) * 0x200ull)
#define INFO_SIZE        0x200ull
#define PAMT_PA(k)       (8 * MIB + (k) * 5 * MIB)

enum { L4K, L2M, L1G };                      /* PAMT levels */
enum { PT_NDA = 0, PT_RSVD = 1 };            /* page types */

/* A TDMR as the TDMR_INFO in RAM describes it. */
struct tdmr {
	uint64_t base, size;
	uint64_t pamt_base[3], pamt_size[3];     /* by level */
	unsigned nrsvd;
	struct { uint64_t offset, size; } rsvd[MAX_RSVD];
};

/* What the model expects of one call. */
enum expect_kind {
	EXPECT_EXACT,        /* this status */
	EXPECT_CONFIG,       /* SYS.CONFIG: success iff the checker accepts */
	EXPECT_MD,           /* SYS.RD of an id the module may not have */
	EXPECT_ANY,          /* a TD leaf: whatever the module says, if known */
};

struct fz {
	struct vtsim_machine *m;
	uint8_t *ram;
	uint64_t ram_size, reserved_base, seamrr_base, seamrr_size;
	unsigned nr_lps, keyid_shift;
	uint64_t first_keyid, nr_keyids;
	unsigned ncmrs;
	struct { uint64_t base, size; } cmr[2];
	unsigned package[MAX_LPS];
	bool vmx_on[MAX_LPS];

	/* The model of the module. */
	enum tdx_sys_state state;
	bool lp_init[MAX_LPS];
	bool pkg_keyed[MAX_LPS];
	unsigned no_entropy;
	bool configured;                 /* a SYS.CONFIG succeeded: RAM is the module's now */
	unsigned ntdmrs;
	struct tdmr tdmr[MAX_TDMRS];
	uint64_t init_done[MAX_TDMRS];   /* bytes initialized from the base */
	bool td_touched;                 /* a TD leaf succeeded: pages may have owners */
	unsigned ntd_pages;
	uint64_t td_pages[8];            /* pages TD leaves took (TDR first), for the next ones */
	unsigned ntdrs;
	uint64_t tdrs[MAX_TDRS];         /* every TD the module has: TDR pages created, not reclaimed */
	uint64_t walk_next;              /* the last next-field id SYS.RD handed out */
	bool walk_from_module;           /* ... by the module: a field it must have */
	unsigned plan_n;                 /* TDMRs of the last template written */
	unsigned chunks_left;            /* TDMR.INIT calls that may still initialize */
};

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "fuzz_seamcall: oracle: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

static bool trace;

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static bool in_ram(const struct fz *f, uint64_t pa, uint64_t n)
{
	return pa < f->ram_size && n <= f->ram_size - pa;
}

static void ram_put64(struct fz *f, uint64_t pa, uint64_t v)
{
	if (in_ram(f, pa, 8))
		memcpy(f->ram + pa, &v, 8);
}

static uint64_t ram_get64(const struct fz *f, uint64_t pa)
{
	return in_ram(f, pa, 8) ? rd64(f->ram + pa) : ~0ull;
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static const char *sname(uint64_t st)
{
	const char *n = tdx_status_name(st);
	return n ? n : "?";
}

/* ---- the machine ------------------------------------------------------------------ */

static void vmxon(struct fz *f, unsigned lp, bool first)
{
	struct vtsim_vmx_operands ops = { .mem = true };
	struct vtsim_vmx_result r;
	uint64_t pa = VMXON_PA(lp);
	if (first) {
		uint64_t basic, cr4;
		if (vtsim_hosted_rdmsr(f->m, lp, MSR_IA32_VMX_BASIC, &basic) ||
		    vtsim_hosted_read_cr(f->m, lp, 4, &cr4) ||
		    vtsim_hosted_write_cr(f->m, lp, 4, cr4 | CR4_VMXE))
			fail("setup: VMX_BASIC or CR4.VMXE refused on LP %u", lp);
		uint32_t rev = (uint32_t)basic & 0x7fffffff;
		memcpy(f->ram + pa, &rev, 4);
	}
	memcpy(ops.data, &pa, 8);
	vtsim_vmx(f->m, lp, VTSIM_VMXON, &ops, &r);
	if (first && r.outcome != VTSIM_VMSUCCEED)
		fail("setup: VMXON on LP %u: outcome %d", lp, (int)r.outcome);
	/* A second VMXON in VMX operation fails and leaves the LP in it; after VMXOFF
	 * it may fail if the configuration put a PAMT over the region. */
	if (r.outcome == VTSIM_VMSUCCEED)
		f->vmx_on[lp] = true;
}

static void vmxoff(struct fz *f, unsigned lp)
{
	struct vtsim_vmx_operands ops = { 0 };
	struct vtsim_vmx_result r;
	vtsim_vmx(f->m, lp, VTSIM_VMXOFF, &ops, &r);
	if (r.outcome == VTSIM_VMSUCCEED)
		f->vmx_on[lp] = false;
	else if (f->vmx_on[lp] && r.outcome != VTSIM_VMX_STOPPED)
		fail("VMXOFF in VMX root operation with no current VMCS: outcome %d", (int)r.outcome);
}

/* The platform as the host learns it: KeyIDs, KeyID bits and SEAMRR from the
 * MSRs and CPUID, the CMRs as the RAM around SEAMRR below the reserved area, and
 * each LP's package from CPUID leaf 0BH. */
static void learn_platform(struct fz *f)
{
	uint64_t part, act, base, mask;
	uint32_t r[4];
	if (vtsim_hosted_rdmsr(f->m, 0, MSR_IA32_MKTME_KEYID_PARTITIONING, &part) ||
	    vtsim_hosted_rdmsr(f->m, 0, MSR_IA32_TME_ACTIVATE, &act) ||
	    vtsim_hosted_rdmsr(f->m, 0, MSR_IA32_SEAMRR_PHYS_BASE, &base) ||
	    vtsim_hosted_rdmsr(f->m, 0, MSR_IA32_SEAMRR_PHYS_MASK, &mask))
		fail("setup: a TDX platform MSR #GPs");
	f->first_keyid = (part & 0xffffffff) + 1;
	f->nr_keyids = part >> 32;
	vtsim_hosted_cpuid(f->m, 0, 0x80000008, 0, r);
	f->keyid_shift = (r[0] & 0xff) - (unsigned)((act >> 32) & 0xf);
	unsigned maxpa = r[0] & 0xff;
	f->seamrr_base = base & ~0x1ffffffull & ((1ull << maxpa) - 1);
	f->seamrr_size = (~(mask & ~0xfffull) + 1) & ((1ull << maxpa) - 1);
	f->reserved_base = vtsim_machine_reserved_base(f->m);
	if (f->nr_keyids < 2 || f->keyid_shift < 32 || f->keyid_shift >= 52 ||
	    f->seamrr_size < 32 * MIB || f->seamrr_base + f->seamrr_size > f->reserved_base)
		fail("setup: platform keyids %llu shift %u seamrr %llx+%llx reserved %llx",
		     (unsigned long long)f->nr_keyids, f->keyid_shift, (unsigned long long)f->seamrr_base,
		     (unsigned long long)f->seamrr_size, (unsigned long long)f->reserved_base);
	f->ncmrs = 0;
	if (f->seamrr_base) {
		f->cmr[f->ncmrs].base = 0;
		f->cmr[f->ncmrs++].size = f->seamrr_base;
	}
	if (f->seamrr_base + f->seamrr_size < f->reserved_base) {
		f->cmr[f->ncmrs].base = f->seamrr_base + f->seamrr_size;
		f->cmr[f->ncmrs].size = f->reserved_base - f->cmr[f->ncmrs].base;
		f->ncmrs++;
	}
	if (f->ncmrs == 0 || f->cmr[0].base != 0 || f->cmr[0].size < 32 * MIB)
		fail("setup: the low CMR is not [0, >= 32 MiB)");
	for (unsigned lp = 0; lp < f->nr_lps; lp++) {
		vtsim_hosted_cpuid(f->m, lp, 0x0b, 1, r);
		f->package[lp] = r[3] >> (r[0] & 0x1f);
		if (f->package[lp] >= MAX_LPS)
			fail("setup: LP %u in package %u", lp, f->package[lp]);
	}
}

static bool all_packages_keyed(const struct fz *f)
{
	for (unsigned lp = 0; lp < f->nr_lps; lp++)
		if (!f->pkg_keyed[f->package[lp]])
			return false;
	return true;
}

static bool all_lps_init(const struct fz *f)
{
	for (unsigned lp = 0; lp < f->nr_lps; lp++)
		if (!f->lp_init[lp])
			return false;
	return true;
}

/* ---- TDMR_INFO: the template and the checker -------------------------------------- */

static uint64_t pamt_need(uint64_t tdmr_size, unsigned level)
{
	return (tdmr_size >> (12 + 9 * level)) * 16;     /* 16-byte entries */
}

static void add_rsvd(struct tdmr *t, uint64_t off, uint64_t size)
{
	if (t->nrsvd < MAX_RSVD && size) {
		t->rsvd[t->nrsvd].offset = off;
		t->rsvd[t->nrsvd].size = size;
		t->nrsvd++;
	}
}

/* Reserves [a, b) clipped to the TDMR. */
static void reserve_range(struct tdmr *t, uint64_t a, uint64_t b)
{
	if (a < t->base)
		a = t->base;
	if (b > t->base + t->size)
		b = t->base + t->size;
	if (a < b)
		add_rsvd(t, a - t->base, b - a);
}

/* The configuration Linux would make of this platform: n TDMRs of 1 GiB from 0,
 * TDMR k's PAMT at PAMT_PA(k) (all in the low CMR), the PAMTs and every part
 * outside the CMRs reserved, in ascending order. */
static void plan(const struct fz *f, struct tdmr *t, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		memset(&t[k], 0, sizeof(t[k]));
		t[k].base = k * GIB;
		t[k].size = GIB;
		uint64_t at = PAMT_PA(k);
		for (int l = L4K; l <= L1G; l++) {
			t[k].pamt_base[l] = at;
			t[k].pamt_size[l] = round_up(pamt_need(GIB, l), PAGE);
			at += t[k].pamt_size[l];
		}
	}
	for (unsigned k = 0; k < n; k++) {
		/* Walk the TDMR upward: PAMT blocks and CMR holes, both sorted. */
		uint64_t at = t[k].base, end = t[k].base + t[k].size;
		unsigned next_pamt = 0;
		while (at < end) {
			uint64_t hole_end = end, cmr_end = 0;
			bool in_cmr = false;
			for (unsigned c = 0; c < f->ncmrs; c++) {
				if (at >= f->cmr[c].base && at < f->cmr[c].base + f->cmr[c].size) {
					in_cmr = true;
					cmr_end = f->cmr[c].base + f->cmr[c].size;
				} else if (f->cmr[c].base > at && f->cmr[c].base < hole_end) {
					hole_end = f->cmr[c].base;
				}
			}
			if (!in_cmr) {
				reserve_range(&t[k], at, hole_end);
				at = hole_end;
				continue;
			}
			/* Inside a CMR: reserve the PAMT blocks that start in it. */
			while (next_pamt < n && t[next_pamt].pamt_base[L4K] < at)
				next_pamt++;
			for (; next_pamt < n && t[next_pamt].pamt_base[L4K] < cmr_end && t[next_pamt].pamt_base[L4K] < end; next_pamt++) {
				uint64_t pb = t[next_pamt].pamt_base[L4K];
				uint64_t pe = t[next_pamt].pamt_base[L1G] + t[next_pamt].pamt_size[L1G];
				reserve_range(&t[k], pb, pe);
			}
			at = cmr_end < end ? cmr_end : end;
		}
	}
}

static void write_info(struct fz *f, uint64_t pa, const struct tdmr *t)
{
	memset(f->ram + pa, 0, INFO_SIZE);
	ram_put64(f, pa + 0, t->base);
	ram_put64(f, pa + 8, t->size);
	/* The PAMT areas in the order 1G, 2M, 4K. */
	for (int l = L1G, k = 0; l >= L4K; l--, k++) {
		ram_put64(f, pa + 16 + 16 * k, t->pamt_base[l]);
		ram_put64(f, pa + 24 + 16 * k, t->pamt_size[l]);
	}
	for (unsigned i = 0; i < t->nrsvd; i++) {
		ram_put64(f, pa + 64 + 16 * i, t->rsvd[i].offset);
		ram_put64(f, pa + 72 + 16 * i, t->rsvd[i].size);
	}
}

static void write_template(struct fz *f, unsigned n)
{
	struct tdmr t[PLAN_MAX];
	plan(f, t, n);
	for (unsigned i = 0; i < n; i++) {
		write_info(f, INFO_PA(i), &t[i]);
		ram_put64(f, ARRAY_PA + 8 * i, INFO_PA(i));
	}
	f->plan_n = n;
}

/* Reads TDMR_INFO at pa (512 bytes of RAM). */
static void parse_info(const struct fz *f, uint64_t pa, struct tdmr *t)
{
	const uint8_t *p = f->ram + pa;
	memset(t, 0, sizeof(*t));
	t->base = rd64(p);
	t->size = rd64(p + 8);
	for (int l = L1G, k = 0; l >= L4K; l--, k++) {
		t->pamt_base[l] = rd64(p + 16 + 16 * k);
		t->pamt_size[l] = rd64(p + 24 + 16 * k);
	}
	for (unsigned i = 0; i < MAX_RSVD; i++) {
		uint64_t off = rd64(p + 64 + 16 * i), size = rd64(p + 72 + 16 * i);
		if (!size)
			break;           /* a null entry ends the list */
		t->rsvd[i].offset = off;
		t->rsvd[i].size = size;
		t->nrsvd++;
	}
}

/* Is [a, b) convertible: covered by the union of the CMRs? */
static bool convertible(const struct fz *f, uint64_t a, uint64_t b)
{
	while (a < b) {
		bool moved = false;
		for (unsigned c = 0; c < f->ncmrs; c++)
			if (a >= f->cmr[c].base && a - f->cmr[c].base < f->cmr[c].size) {
				a = f->cmr[c].base + f->cmr[c].size;
				moved = true;
			}
		if (!moved)
			return false;
	}
	return true;
}

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

/* Does [a, b) touch a part of TDMR t that is not reserved? */
static bool hits_usable(const struct tdmr *t, uint64_t a, uint64_t b)
{
	uint64_t at = t->base;
	for (unsigned i = 0; i <= t->nrsvd; i++) {
		uint64_t end = i < t->nrsvd ? t->base + t->rsvd[i].offset : t->base + t->size;
		if (end > at && overlaps(a, b, at, end))
			return true;
		if (i < t->nrsvd)
			at = t->base + t->rsvd[i].offset + t->rsvd[i].size;
	}
	return false;
}

/* The TDMR rules of TDH.SYS.CONFIG (TDX module ABI), checked on what RAM holds.
 * NULL if the configuration is acceptable, else the first rule it breaks; the
 * TDMRs read go to t[]. */
static const char *check_config(const struct fz *f, uint64_t array, uint64_t n, uint64_t hkid,
				struct tdmr *t)
{
	if (n < 1 || n > MAX_TDMRS)
		return "TDMR count not in 1..MAX_TDMRS";
	if (array % 512 || !in_ram(f, array, 8 * n))
		return "array not 512-aligned RAM";
	if (hkid < f->first_keyid || hkid >= f->first_keyid + f->nr_keyids)
		return "global KeyID not a TDX KeyID";
	for (unsigned i = 0; i < n; i++) {
		uint64_t pa = rd64(f->ram + array + 8 * i);
		if (pa % 512 || !in_ram(f, pa, INFO_SIZE))
			return "TDMR_INFO not 512-aligned RAM";
		parse_info(f, pa, &t[i]);
		const struct tdmr *x = &t[i];
		if (!x->size || x->base % GIB || x->size % GIB || x->base + x->size < x->base ||
		    x->base + x->size > 1ull << f->keyid_shift)
			return "TDMR not 1 GiB aligned below the KeyID bits";
		if (i && x->base < t[i - 1].base + t[i - 1].size)
			return "TDMRs overlap or out of order";
		uint64_t prev_end = 0;
		for (unsigned r = 0; r < x->nrsvd; r++) {
			uint64_t off = x->rsvd[r].offset, size = x->rsvd[r].size;
			if (off % PAGE || size % PAGE || off + size < off || off + size > x->size)
				return "reserved area not 4K aligned inside the TDMR";
			if (off < prev_end)
				return "reserved areas overlap or out of order";
			prev_end = off + size;
		}
		uint64_t at = x->base;
		for (unsigned r = 0; r <= x->nrsvd; r++) {
			uint64_t end = r < x->nrsvd ? x->base + x->rsvd[r].offset : x->base + x->size;
			if (end > at && !convertible(f, at, end))
				return "TDMR part outside the CMRs not reserved";
			if (r < x->nrsvd)
				at = x->base + x->rsvd[r].offset + x->rsvd[r].size;
		}
		for (int l = L4K; l <= L1G; l++) {
			uint64_t b = x->pamt_base[l], s = x->pamt_size[l];
			if (b % PAGE || s % PAGE || s < pamt_need(x->size, l) || b + s < b ||
			    b + s > 1ull << f->keyid_shift)
				return "PAMT area misaligned or too small";
			if (!convertible(f, b, b + s))
				return "PAMT area outside the CMRs";
		}
	}
	for (unsigned i = 0; i < n; i++)
		for (int li = L4K; li <= L1G; li++) {
			uint64_t a = t[i].pamt_base[li], b = a + t[i].pamt_size[li];
			for (unsigned j = 0; j < n; j++) {
				if (hits_usable(&t[j], a, b))
					return "PAMT area over a usable part of a TDMR";
				for (int lj = L4K; lj <= L1G; lj++)
					if ((i != j || li != lj) &&
					    overlaps(a, b, t[j].pamt_base[lj], t[j].pamt_base[lj] + t[j].pamt_size[lj]))
						return "PAMT areas overlap";
			}
		}
	return NULL;
}

/* ---- operands --------------------------------------------------------------------- */

/* Values at the edges of the platform's address map. */
static uint64_t interesting(const struct fz *f, uint64_t v)
{
	const uint64_t vals[] = {
		0, PAGE, 512, GIB, 2 * GIB, 3 * GIB, f->seamrr_base, f->seamrr_base + f->seamrr_size,
		f->reserved_base, f->ram_size, f->cmr[f->ncmrs - 1].base, 1ull << f->keyid_shift,
		(1ull << f->keyid_shift) - GIB, PAMT_PA(0), PAMT_PA(1), 4 * MIB, 8 * KIB,
		ARRAY_PA, INFO_PA(0), ~0ull, 1ull << 63, ~0ull << 12, 32 * MIB, 16,
	};
	return vals[v % (sizeof(vals) / sizeof(vals[0]))];
}

/* A physical address, biased toward where things are. */
static uint64_t pick_addr(const struct fz *f, uint64_t v)
{
	uint64_t sel = v & 15, r = v >> 4;
	uint64_t pa;
	switch (sel) {
	case 0: case 1: case 2:
		pa = (r % (f->ram_size / PAGE)) * PAGE;                          /* any RAM page */
		break;
	case 3: case 4:
		pa = f->cmr[r % f->ncmrs].base + ((r >> 8) % (f->cmr[r % f->ncmrs].size / PAGE)) * PAGE;
		break;
	case 5:
		pa = (r % 3) * GIB;                                              /* TDMR bases */
		break;
	case 6:
		pa = f->seamrr_base + (r % (f->seamrr_size / PAGE)) * PAGE;      /* SEAM range */
		break;
	case 7:
		pa = f->reserved_base + (r % ((f->ram_size - f->reserved_base) / PAGE)) * PAGE;
		break;
	case 8:
		pa = f->ram_size + (r % (3 * GIB / PAGE)) * PAGE;                /* above RAM */
		break;
	case 9: {
		/* The first or last page of a PAMT level of the template's TDMR k. */
		static const uint64_t start[] = { 0, 4 * MIB, 4 * MIB + 8 * KIB };
		static const uint64_t last[] = { 4 * MIB - PAGE, PAGE, 0 };
		unsigned k = (unsigned)(r % PLAN_MAX), l = (unsigned)((r >> 2) % 3);
		pa = PAMT_PA(k) + start[l] + ((r >> 4) & 1) * last[l];
		break;
	}
	case 10:
		pa = interesting(f, r);
		break;
	case 11:
		pa = (r % (f->ram_size / PAGE)) * PAGE + (((r >> 32) & 0xfff) | 1);   /* unaligned */
		break;
	case 12:
		pa = ((r % (f->ram_size / PAGE)) * PAGE) | (1ull << (f->keyid_shift + (r >> 40) % 6));
		break;
	case 13: case 14:
		/* Around an edge of the configuration: a reserved area's first or
		 * last page or the pages beside it, the end of what TDMR.INIT did. */
		if (f->ntdmrs) {
			const struct tdmr *t = &f->tdmr[r % f->ntdmrs];
			uint64_t at = t->base + f->init_done[r % f->ntdmrs];
			if (t->nrsvd && (r >> 8) % 4) {
				unsigned k = (unsigned)((r >> 10) % t->nrsvd);
				at = t->base + t->rsvd[k].offset + ((r >> 16) & 1) * t->rsvd[k].size;
			}
			pa = at + ((r >> 20) % 3) * PAGE - PAGE;
			break;
		}
		pa = (r % (f->ram_size / PAGE)) * PAGE;
		break;
	default:
		pa = v;
		break;
	}
	return pa;
}

/* Reserved-area slots in use in the TDMR_INFO at pa (the list ends at a null size). */
static unsigned rsvd_in_use(const struct fz *f, uint64_t pa)
{
	unsigned k = 0;
	while (k < MAX_RSVD && ram_get64(f, pa + 72 + 16 * k))
		k++;
	return k;
}

/* One mutation of the written template: `sel` picks a word and an operation, `v`
 * the value. Word selectors 0-39 are the fields of a TDMR_INFO (8 then 16
 * reserved-area pairs), 40-63 a field of a reserved area in use or the slot after
 * them; 0xf0-0xf7 a word of the array, 0xf8-0xff the TDMR count. The operations
 * favour one-page and 1 GiB steps, and moving whole reserved areas, which is
 * where the rules have their edges. */
static void mutate(struct fz *f, uint32_t sel, uint64_t v, uint64_t *n)
{
	unsigned n_written = f->plan_n ? f->plan_n : 1;
	unsigned what = sel & 0xff, op = (sel >> 8) & 15;
	uint64_t pa, info = INFO_PA(((what >> 6) & 3) % n_written);
	if (what >= 0xf8) {
		const uint64_t counts[] = { 0, 1, 2, 3, 4, MAX_TDMRS, MAX_TDMRS + 1, v };
		*n = counts[op & 7];
		return;
	}
	if (what >= 0xf0) {
		pa = ARRAY_PA + 8 * ((what & 7) % (n_written + 1));
	} else if ((what & 0x3f) < 40) {
		pa = info + 8 * (what & 0x3f);
	} else {
		unsigned used = rsvd_in_use(f, info);
		pa = info + 64 + 16 * ((what & 0x3f) % (used + 1)) + 8 * (v >> 63);
	}
	uint64_t w = ram_get64(f, pa);
	uint64_t first = info + 64, last = first + 16 * (MAX_RSVD - 1);   /* reserved areas */
	bool in_rsvd = pa >= first && pa < last + 16;
	uint64_t area = in_rsvd ? first + ((pa - first) & ~15ull) : 0;     /* the one pa is in */
	int64_t small = (int8_t)(v & 0xff);
	switch (op) {
	case 0: w = v; break;
	case 1: w += (uint64_t)small * PAGE; break;
	case 2: w += (uint64_t)small * GIB; break;
	case 3: w = interesting(f, v); break;
	case 4: case 12: w -= PAGE; break;
	case 5: case 13: w += PAGE; break;
	case 6: w += 512 << (v & 3); break;
	case 7:                                          /* swap the area with the next */
		if (in_rsvd && area < last) {
			uint8_t tmp[16];
			memcpy(tmp, f->ram + area, 16);
			memcpy(f->ram + area, f->ram + area + 16, 16);
			memcpy(f->ram + area + 16, tmp, 16);
		}
		return;
	case 8:                                          /* repeat the area (overlap) */
		if (in_rsvd)
			memmove(f->ram + area + 16, f->ram + area, last - area);
		return;
	case 9:                                          /* remove the area */
		if (in_rsvd) {
			memmove(f->ram + area, f->ram + area + 16, last - area);
			memset(f->ram + last, 0, 16);
		}
		return;
	case 10: w = pick_addr(f, v); break;
	case 11: {                                       /* the same word of another TDMR */
		uint64_t other = INFO_PA((((what >> 6) & 3) + 1) % n_written) + (pa - info);
		if (what < 0xf0)
			w = ram_get64(f, other);
		break;
	}
	default: w -= (uint64_t)small * PAGE; break;
	}
	ram_put64(f, pa, w);
}

/* ---- the model -------------------------------------------------------------------- */

struct expect {
	enum expect_kind kind;
	uint64_t status;
};

static bool is_platform_leaf(unsigned leaf)
{
	switch (leaf) {
	case TDH_PHYMEM_PAGE_RDMD: case TDH_SYS_KEY_CONFIG: case TDH_SYS_INIT: case TDH_SYS_RD:
	case TDH_SYS_LP_INIT: case TDH_SYS_TDMR_INIT: case TDH_SYS_LP_SHUTDOWN: case TDH_SYS_CONFIG:
		return true;
	}
	return false;
}

static const struct tdmr *tdmr_of(const struct fz *f, uint64_t pa, unsigned *idx)
{
	for (unsigned i = 0; i < f->ntdmrs; i++)
		if (pa >= f->tdmr[i].base && pa - f->tdmr[i].base < f->tdmr[i].size) {
			*idx = i;
			return &f->tdmr[i];
		}
	return NULL;
}

static bool md_is_required(uint64_t id, const struct fz *f)
{
	for (size_t i = 0; i < NMD_REQUIRED; i++)
		if (md_required[i] == id)
			return true;
	for (unsigned c = 1; c < f->ncmrs; c++)
		if (id == MD_CMR_BASE(c) || id == MD_CMR_SIZE(c))
			return true;
	return false;
}

/* What the module must answer, before the call. */
static struct expect predict(const struct fz *f, unsigned lp, const struct vtsim_seamcall_args *a)
{
	struct expect e = { EXPECT_EXACT, TDX_SUCCESS };
	unsigned leaf = a->rax & 0xffff, version = (a->rax >> 16) & 0xff;
	bool platform = is_platform_leaf(leaf);
	if ((a->rax >> 24) || !tdx_leaf_name(leaf) || (platform && version)) {
		e.status = TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX;
		return e;
	}
	if (!platform) {
		/* A TD leaf: refused until SYS_READY; after, the TD half decides. None
		 * has a version 2; whether version 1 is refused before the state is
		 * looked at depends on the leaf. */
		if (version > 1)
			e.status = TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX;
		else if (version == 1 || f->state == TDX_SYS_STATE_READY)
			e.kind = EXPECT_ANY;
		else if (f->state == TDX_SYS_STATE_SHUTDOWN)
			e.status = TDX_SYS_SHUTDOWN;
		else
			e.status = TDX_SYS_NOT_READY;
		return e;
	}
	if (f->state == TDX_SYS_STATE_SHUTDOWN && leaf != TDH_SYS_LP_SHUTDOWN) {
		e.status = TDX_SYS_SHUTDOWN;
		return e;
	}
	switch (leaf) {
	case TDH_SYS_INIT:
		if (f->state != TDX_SYS_STATE_SYSINIT_PENDING)
			e.status = TDX_SYS_INIT_NOT_PENDING;
		else if (a->rcx)
			e.status = TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX;
		break;
	case TDH_SYS_LP_INIT:
		if (f->state != TDX_SYS_STATE_SYSINIT_DONE)
			e.status = TDX_SYS_LP_INIT_NOT_PENDING;
		else if (f->lp_init[lp])
			e.status = TDX_SYS_LP_INIT_DONE;
		break;
	case TDH_SYS_RD:
		if (!f->lp_init[lp])
			e.status = TDX_SYS_LP_INIT_NOT_DONE;
		else if (a->rdx == MD_FIELD_ID_NONE)
			e.status = TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT;
		else if (!md_is_required(a->rdx, f) && !(f->walk_from_module && a->rdx == f->walk_next))
			e.kind = EXPECT_MD;
		break;
	case TDH_SYS_CONFIG:
		if (f->state != TDX_SYS_STATE_SYSINIT_DONE || !all_lps_init(f))
			e.status = TDX_SYS_CONFIG_NOT_PENDING;
		else
			e.kind = EXPECT_CONFIG;
		break;
	case TDH_SYS_KEY_CONFIG:
		if (f->state != TDX_SYS_STATE_SYSCONFIG_DONE)
			e.status = TDX_SYS_KEY_CONFIG_NOT_PENDING;
		else if (f->pkg_keyed[f->package[lp]])
			e.status = TDX_KEY_CONFIGURED;
		else if (f->no_entropy)
			e.status = TDX_RND_NO_ENTROPY;
		break;
	case TDH_SYS_TDMR_INIT: {
		if (f->state != TDX_SYS_STATE_READY) {
			e.status = TDX_SYS_NOT_READY;
			break;
		}
		bool found = false;
		for (unsigned i = 0; i < f->ntdmrs; i++)
			if (f->tdmr[i].base == a->rcx) {
				found = true;
				if (f->init_done[i] == f->tdmr[i].size)
					e.status = TDX_TDMR_ALREADY_INITIALIZED;
			}
		if (!found)
			e.status = TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX;
		break;
	}
	case TDH_PHYMEM_PAGE_RDMD: {
		unsigned i;
		if (f->state != TDX_SYS_STATE_READY)
			e.status = TDX_SYS_NOT_READY;
		else if (a->rcx % PAGE || (a->rcx >> f->keyid_shift))
			e.status = TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX;
		else if (!tdmr_of(f, a->rcx, &i) || a->rcx - f->tdmr[i].base >= f->init_done[i])
			e.status = TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX;
		break;
	}
	case TDH_SYS_LP_SHUTDOWN:
		break;
	}
	return e;
}

/* The status names that are not errors (bit 63 clear); by name, so that a wrong
 * value in the table shows. */
static bool informational_name(const char *name)
{
	static const char *const names[] = {
		"TDX_SUCCESS", "TDX_PAGE_ALREADY_FREE", "TDX_KEY_CONFIGURED",
		"TDX_NO_HKID_READY_TO_WBCACHE", "TDX_TDMR_ALREADY_INITIALIZED",
		"TDX_GPA_RANGE_ALREADY_BLOCKED", "TDX_PAGE_ALREADY_ACCEPTED",
		"TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT", "TDX_METADATA_FIELD_SKIP",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	/* TD exits that end the TD: reported with bit 62 (non-recoverable) instead. */
	return !strncmp(name, "TDX_NON_RECOVERABLE_", 20);
}

/* The same, remembered per status code: string compares on every call would fill
 * libFuzzer's dictionary with status names. */
static bool informational(uint64_t st, const char *name)
{
	static struct { uint32_t code; bool info; } seen[128];
	static unsigned nseen;
	uint32_t code = (uint32_t)(st >> 32);
	for (unsigned i = 0; i < nseen; i++)
		if (seen[i].code == code)
			return seen[i].info;
	bool info = informational_name(name);
	if (nseen < sizeof(seen) / sizeof(seen[0])) {
		seen[nseen].code = code;
		seen[nseen++].info = info;
	}
	return info;
}

/* SYS.CONFIG refusals the ABI has for a bad configuration. */
static bool config_refusal(uint64_t st)
{
	uint64_t code = st & 0xffffffff00000000ull;
	return code == TDX_OPERAND_INVALID || code == TDX_INVALID_TDMR ||
	       code == TDX_NON_ORDERED_TDMR || code == TDX_TDMR_OUTSIDE_CMRS ||
	       code == TDX_INVALID_PAMT || code == TDX_PAMT_OUTSIDE_CMRS ||
	       code == TDX_PAMT_OVERLAP || code == TDX_INVALID_RESERVED_IN_TDMR ||
	       code == TDX_NON_ORDERED_RESERVED_IN_TDMR;
}

/* The outputs of a metadata field the host knows the meaning of. */
static void check_md_value(const struct fz *f, uint64_t id, uint64_t v)
{
	for (unsigned c = 0; c < 32; c++) {
		uint64_t want_base = c < f->ncmrs ? f->cmr[c].base : 0;
		uint64_t want_size = c < f->ncmrs ? f->cmr[c].size : 0;
		if (id == MD_CMR_BASE(c) && v != want_base)
			fail("SYS.RD CMR_BASE(%u) = 0x%llx, the platform has 0x%llx", c,
			     (unsigned long long)v, (unsigned long long)want_base);
		if (id == MD_CMR_SIZE(c) && v != want_size)
			fail("SYS.RD CMR_SIZE(%u) = 0x%llx, the platform has 0x%llx", c,
			     (unsigned long long)v, (unsigned long long)want_size);
	}
	if (id == MD_NUM_CMRS && v != f->ncmrs)
		fail("SYS.RD NUM_CMRS = %llu, the platform has %u", (unsigned long long)v, f->ncmrs);
	if ((id == MD_PAMT_4K_ENTRY_SIZE || id == MD_PAMT_2M_ENTRY_SIZE || id == MD_PAMT_1G_ENTRY_SIZE) && v != 16)
		fail("SYS.RD PAMT entry size %llu, the TDMR_INFO template assumes 16", (unsigned long long)v);
	if (id == MD_MAX_TDMRS && v != MAX_TDMRS)
		fail("SYS.RD MAX_TDMRS = %llu, the checker takes %u", (unsigned long long)v, MAX_TDMRS);
	if (id == MD_MAX_RESERVED_PER_TDMR && v != MAX_RSVD)
		fail("SYS.RD MAX_RESERVED_PER_TDMR = %llu, the checker reads %u", (unsigned long long)v, MAX_RSVD);
	if (id == MD_MAX_VCPUS_PER_TD && v < f->nr_lps)
		fail("SYS.RD MAX_VCPUS_PER_TD = %llu < %u LPs", (unsigned long long)v, f->nr_lps);
}

/* One SEAMCALL with every oracle; returns RAX (or ~0 if it did not reach the
 * module). */
/* The TDs the module has: a TDR page from its TDH.MNG.CREATE until its
 * TDH.PHYMEM.PAGE.RECLAIM. */
static void track_tdrs(struct fz *f, unsigned leaf, const struct vtsim_seamcall_args *in, uint64_t st)
{
	if (st != TDX_SUCCESS)
		return;
	if (leaf == TDH_MNG_CREATE && f->ntdrs < MAX_TDRS)
		f->tdrs[f->ntdrs++] = in->rcx;
	for (unsigned i = 0; leaf == TDH_PHYMEM_PAGE_RECLAIM && i < f->ntdrs; i++)
		if (f->tdrs[i] == (in->rcx & ~0xfffull)) {
			f->tdrs[i] = f->tdrs[--f->ntdrs];
			break;
		}
}

/* After every call: the KOT against the TDs, and no TD private data visible
 * through KeyID 0 or another KeyID (tdx_oracles.h). The private pages are
 * looked at after a call that may have given or taken one (a TD leaf that did
 * not fail): a whole RAM pass costs. */
static void tdx_oracles(struct fz *f, unsigned leaf, uint64_t st)
{
	char why[256];
	if (!tdx_oracle_kot(f->m->seam.module, f->tdrs, f->ntdrs, why, sizeof(why)))
		fail("leaf %u -> 0x%016llx: KOT against the TDRs: %s", leaf, (unsigned long long)st, why);
	if (is_platform_leaf(leaf) || (st >> 63))
		return;
	if (!tdx_oracle_private_all(&f->m->pm, (unsigned)f->first_keyid, (unsigned)f->nr_keyids, why,
				    sizeof(why)))
		fail("leaf %u -> 0x%016llx: %s", leaf, (unsigned long long)st, why);
}

static uint64_t seamcall(struct fz *f, int lp_arg, struct vtsim_seamcall_args *a)
{
	unsigned lp = lp_arg < 0 ? f->nr_lps : (unsigned)lp_arg;
	struct vtsim_seamcall_args in = *a;
	unsigned leaf = in.rax & 0xffff;
	struct expect e = { EXPECT_ANY, 0 };
	struct tdmr cfg[MAX_TDMRS];
	const char *cfg_why = NULL;
	enum tdx_sys_state before = tdx_module_sys_state(f->m->seam.module);
	if (before != f->state)
		fail("platform state %d, the model says %d", (int)before, (int)f->state);
	if (lp < f->nr_lps && f->vmx_on[lp] && !vtsim_machine_stopped(f->m)) {
		e = predict(f, lp, &in);
		if (e.kind == EXPECT_CONFIG)
			cfg_why = check_config(f, in.rcx, in.rdx, in.r8, cfg);
	}

	enum vtsim_seamcall_outcome o = vtsim_seamcall(f->m, lp, a);
	if (vtsim_machine_stopped(f->m) || lp >= f->nr_lps) {
		if (o != VTSIM_SEAMCALL_STOPPED)
			fail("SEAMCALL on LP %u of %u (stopped %d): outcome %d", lp, f->nr_lps,
			     (int)vtsim_machine_stopped(f->m), (int)o);
		return ~0ull;
	}
	if (!f->vmx_on[lp]) {
		if (o != VTSIM_SEAMCALL_UD)
			fail("SEAMCALL outside VMX operation on LP %u: outcome %d, not #UD", lp, (int)o);
		return ~0ull;
	}
	if (o != VTSIM_SEAMCALL_DONE)
		fail("SEAMCALL leaf %u in VMX root operation on LP %u: outcome %d", leaf, lp, (int)o);

	uint64_t st = a->rax;
	const char *name = tdx_status_name(st);
	if (trace)
		fprintf(stderr, "lp%u %s(%u) v%u rcx %llx rdx %llx r8 %llx -> %016llx %s; rcx %llx rdx %llx r8 %llx\n",
			lp, tdx_leaf_name(leaf) ? tdx_leaf_name(leaf) : "?", leaf,
			(unsigned)((in.rax >> 16) & 0xff), (unsigned long long)in.rcx,
			(unsigned long long)in.rdx, (unsigned long long)in.r8, (unsigned long long)st,
			name ? name : "?", (unsigned long long)a->rcx, (unsigned long long)a->rdx,
			(unsigned long long)a->r8);
	if (!name)
		fail("leaf %u (RAX in 0x%llx) on LP %u: status 0x%016llx is not in the table", leaf,
		     (unsigned long long)in.rax, lp, (unsigned long long)st);
	if (!!(st >> 63) == informational(st, name))
		fail("leaf %u: status 0x%016llx %s: bit 63 says %s", leaf, (unsigned long long)st, name,
		     st >> 63 ? "error" : "not an error");

	enum tdx_sys_state after = tdx_module_sys_state(f->m->seam.module);
	if (after < before)
		fail("leaf %u: platform state went back from %d to %d", leaf, (int)before, (int)after);
	if (after != before && ((st >> 63) || !is_platform_leaf(leaf)))
		fail("leaf %u: state moved %d -> %d with status 0x%016llx %s", leaf, (int)before,
		     (int)after, (unsigned long long)st, name);

	switch (e.kind) {
	case EXPECT_EXACT:
		if (st != e.status)
			fail("leaf %u (RAX in 0x%llx, RCX 0x%llx, RDX 0x%llx, R8 0x%llx) on LP %u in state %d: "
			     "status 0x%016llx %s, expected 0x%016llx %s", leaf, (unsigned long long)in.rax,
			     (unsigned long long)in.rcx, (unsigned long long)in.rdx, (unsigned long long)in.r8,
			     lp, (int)before, (unsigned long long)st, name, (unsigned long long)e.status,
			     sname(e.status));
		break;
	case EXPECT_CONFIG:
		if (!cfg_why && st != TDX_SUCCESS)
			fail("SYS.CONFIG (array 0x%llx, %llu TDMRs, KeyID %llu) refused with 0x%016llx %s: "
			     "the configuration follows every ABI rule", (unsigned long long)in.rcx,
			     (unsigned long long)in.rdx, (unsigned long long)in.r8, (unsigned long long)st, name);
		if (cfg_why && st == TDX_SUCCESS)
			fail("SYS.CONFIG (array 0x%llx, %llu TDMRs, KeyID %llu) accepted: %s",
			     (unsigned long long)in.rcx, (unsigned long long)in.rdx,
			     (unsigned long long)in.r8, cfg_why);
		if (cfg_why && !config_refusal(st) && st != TDX_SYS_BUSY)
			fail("SYS.CONFIG refused (%s) with 0x%016llx %s, not a configuration error",
			     cfg_why, (unsigned long long)st, name);
		break;
	case EXPECT_MD:
		if (st != TDX_SUCCESS && st != TDX_METADATA_FIELD_ID_INCORRECT)
			fail("SYS.RD 0x%016llx: status 0x%016llx %s", (unsigned long long)in.rdx,
			     (unsigned long long)st, name);
		break;
	case EXPECT_ANY:
		break;
	}

	/* The platform leaves have no outputs in these registers. */
	if (is_platform_leaf(leaf) && (a->rbx != in.rbx || a->rsi != in.rsi || a->rdi != in.rdi ||
				       a->r12 != in.r12 || a->r13 != in.r13 || a->r14 != in.r14 ||
				       a->r15 != in.r15))
		fail("leaf %u changed RBX, RSI, RDI or R12-R15", leaf);

	/* The model follows; outputs are checked against it. */
	switch (e.kind == EXPECT_ANY ? ~0u : leaf) {
	case TDH_SYS_INIT:
		if (st == TDX_SUCCESS)
			f->state = TDX_SYS_STATE_SYSINIT_DONE;
		break;
	case TDH_SYS_LP_INIT:
		if (st == TDX_SUCCESS)
			f->lp_init[lp] = true;
		break;
	case TDH_SYS_RD:
		if (st == TDX_SUCCESS) {
			if (a->rdx == in.rdx)
				fail("SYS.RD 0x%016llx: the next field id is the same", (unsigned long long)in.rdx);
			check_md_value(f, in.rdx, a->r8);
			f->walk_next = a->rdx;
			f->walk_from_module = true;
		} else if (st == TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT) {
			if (a->rdx == MD_FIELD_ID_NONE || a->r8 != 0)
				fail("SYS.RD of the null id: RDX 0x%llx R8 0x%llx", (unsigned long long)a->rdx,
				     (unsigned long long)a->r8);
			f->walk_next = a->rdx;
			f->walk_from_module = true;
		} else if (st == TDX_METADATA_FIELD_ID_INCORRECT) {
			if (a->rdx != MD_FIELD_ID_NONE || a->r8 != 0)
				fail("SYS.RD of an unknown id: RDX 0x%llx R8 0x%llx, not -1 and 0",
				     (unsigned long long)a->rdx, (unsigned long long)a->r8);
		}
		break;
	case TDH_SYS_CONFIG:
		if (st == TDX_SUCCESS) {
			f->state = TDX_SYS_STATE_SYSCONFIG_DONE;
			f->configured = true;
			f->ntdmrs = (unsigned)in.rdx;
			memcpy(f->tdmr, cfg, sizeof(cfg[0]) * f->ntdmrs);
			memset(f->init_done, 0, sizeof(f->init_done));
		}
		break;
	case TDH_SYS_KEY_CONFIG:
		if (st == TDX_RND_NO_ENTROPY) {
			f->no_entropy--;
		} else if (st == TDX_SUCCESS) {
			f->pkg_keyed[f->package[lp]] = true;
			if (all_packages_keyed(f))
				f->state = TDX_SYS_STATE_READY;
		}
		break;
	case TDH_SYS_TDMR_INIT:
		for (unsigned i = 0; i < f->ntdmrs && (st == TDX_SUCCESS || st == TDX_TDMR_ALREADY_INITIALIZED); i++) {
			if (f->tdmr[i].base != in.rcx)
				continue;
			if (st == TDX_SUCCESS) {
				f->init_done[i] += GIB;
				if (f->chunks_left)
					f->chunks_left--;
			}
			if (a->rdx != f->tdmr[i].base + f->init_done[i])
				fail("TDMR.INIT 0x%llx: RDX 0x%llx, expected 0x%llx", (unsigned long long)in.rcx,
				     (unsigned long long)a->rdx,
				     (unsigned long long)(f->tdmr[i].base + f->init_done[i]));
		}
		break;
	case TDH_PHYMEM_PAGE_RDMD:
		if (st == TDX_SUCCESS) {
			unsigned i;
			const struct tdmr *t = tdmr_of(f, in.rcx, &i);
			uint64_t want = PT_NDA;
			for (unsigned r = 0; t && r < t->nrsvd; r++)
				if (in.rcx - t->base - t->rsvd[r].offset < t->rsvd[r].size &&
				    in.rcx - t->base >= t->rsvd[r].offset)
					want = PT_RSVD;
			/* PT_NDA, PT_RSVD, and once there are TDs PT_REG, TDR, TDCX, TDVPR, EPT. */
			if (a->rcx > 8 || a->rcx == 2 || a->rcx == 7 || (!f->td_touched && a->rcx > PT_RSVD))
				fail("RDMD 0x%llx: page type %llu%s", (unsigned long long)in.rcx,
				     (unsigned long long)a->rcx, f->td_touched ? "" : " before any TD");
			if (!f->td_touched && (a->rcx != want || a->rdx || a->r8 || a->r9 || a->r10 || a->r11))
				fail("RDMD 0x%llx: type %llu owner 0x%llx level %llu epoch %llu R10 %llx R11 %llx; "
				     "expected type %llu, the rest 0", (unsigned long long)in.rcx,
				     (unsigned long long)a->rcx, (unsigned long long)a->rdx,
				     (unsigned long long)a->r8, (unsigned long long)a->r9,
				     (unsigned long long)a->r10, (unsigned long long)a->r11,
				     (unsigned long long)want);
		}
		break;
	case TDH_SYS_LP_SHUTDOWN:
		if (st == TDX_SUCCESS)
			f->state = TDX_SYS_STATE_SHUTDOWN;
		break;
	default:
		/* A TD leaf that did something: TDs may own pages from now on. */
		if (!(st >> 63))
			f->td_touched = true;
		if (st == TDX_SUCCESS && (leaf == TDH_MNG_CREATE || leaf == TDH_MNG_ADDCX)) {
			if (leaf == TDH_MNG_CREATE)
				f->ntd_pages = 0;
			if (f->ntd_pages < sizeof(f->td_pages) / sizeof(f->td_pages[0]))
				f->td_pages[f->ntd_pages++] = in.rcx;
		}
		break;
	}
	after = tdx_module_sys_state(f->m->seam.module);
	if (after != f->state)
		fail("leaf %u -> 0x%016llx %s: platform state %d, the model says %d", leaf,
		     (unsigned long long)st, name, (int)after, (int)f->state);
	track_tdrs(f, leaf, &in, st);
	tdx_oracles(f, leaf, st);
	return st;
}

/* ---- Linux's bring-up --------------------------------------------------------------- */

static uint64_t call(struct fz *f, unsigned lp, uint64_t rax, uint64_t rcx, uint64_t rdx, uint64_t r8)
{
	struct vtsim_seamcall_args a = { .rax = rax, .rcx = rcx, .rdx = rdx, .r8 = r8 };
	return seamcall(f, (int)lp, &a);
}

static void must(uint64_t st, const char *step)
{
	if (st != TDX_SUCCESS)
		fail("bring-up: %s -> 0x%016llx %s", step, (unsigned long long)st, sname(st));
}

static void bringup(struct fz *f, unsigned upto, unsigned ntdmrs)
{
	if (upto >= 1)
		must(call(f, 0, TDH_SYS_INIT, 0, 0, 0), "TDH.SYS.INIT");
	if (upto >= 2)
		for (unsigned lp = 0; lp < f->nr_lps; lp++)
			must(call(f, lp, TDH_SYS_LP_INIT, 0, 0, 0), "TDH.SYS.LP.INIT");
	if (upto >= 3) {
		write_template(f, ntdmrs);
		must(call(f, 0, TDH_SYS_CONFIG, ARRAY_PA, ntdmrs, f->first_keyid), "TDH.SYS.CONFIG");
	}
	if (upto >= 4) {
		/* One LP per package, retrying while the DRNG is dry, as Linux does. */
		for (unsigned lp = 0; lp < f->nr_lps; lp++) {
			if (f->pkg_keyed[f->package[lp]])
				continue;
			uint64_t st;
			unsigned tries = 0;
			do
				st = call(f, lp, TDH_SYS_KEY_CONFIG, 0, 0, 0);
			while (st == TDX_RND_NO_ENTROPY && ++tries < 16);
			must(st, "TDH.SYS.KEY.CONFIG");
		}
		if (f->state != TDX_SYS_STATE_READY)
			fail("bring-up: not SYS_READY after KEY.CONFIG on every package");
	}
	if (upto >= 5)
		must(call(f, 0, TDH_SYS_TDMR_INIT, f->tdmr[0].base, 0, 0), "TDH.SYS.TDMR.INIT");
}

/* ---- one record --------------------------------------------------------------------- */

/* RCX, RDX, R8 for the leaf, by template; SYS.CONFIG may write its array first. */
static void operands(struct fz *f, const uint8_t *r, unsigned leaf, struct vtsim_seamcall_args *a)
{
	unsigned tpl = (r[2] >> 3) & 7, aux = r[3];
	uint32_t A;
	uint64_t V, W;
	memcpy(&A, r + 4, 4);
	V = rd64(r + 8);
	W = rd64(r + 16);
	switch (leaf) {
	case TDH_SYS_CONFIG:
		if (tpl >= 5) {
			a->rcx = tpl == 5 ? ARRAY_PA : pick_addr(f, V);
			a->rdx = W & 0x7f;
			a->r8 = A & 0x7f;
			break;
		}
		a->rcx = ARRAY_PA;
		a->rdx = 1 + aux % PLAN_MAX;
		a->r8 = f->first_keyid;
		if (!f->configured)
			write_template(f, (unsigned)a->rdx);
		if ((tpl == 1 || tpl == 2 || tpl == 4) && !f->configured)
			mutate(f, A & 0xffff, V, &a->rdx);
		if (tpl == 2 && !f->configured)
			mutate(f, A >> 16, W, &a->rdx);
		if (tpl == 3 || tpl == 4) {
			switch ((A >> 16) & 3) {
			case 0: a->rcx = pick_addr(f, W); break;
			case 1: {                    /* the KeyIDs around the TDX range */
				const uint64_t k[] = { f->first_keyid - 1, f->first_keyid + f->nr_keyids - 1,
						       f->first_keyid + f->nr_keyids, 0 };
				a->r8 = k[W & 3];
				break;
			}
			case 2: a->r8 = W; break;
			default: a->rcx = ARRAY_PA + (W & 0x1ff); break;
			}
		}
		break;
	case TDH_SYS_TDMR_INIT:
		if (tpl < 4)
			a->rcx = (aux % 4) * GIB;
		else if (tpl == 4 && f->ntdmrs)
			a->rcx = f->tdmr[aux % f->ntdmrs].base;
		else if (tpl == 5)
			a->rcx = pick_addr(f, V);
		else
			a->rcx = V;
		break;
	case TDH_PHYMEM_PAGE_RDMD:
		a->rcx = tpl < 7 ? pick_addr(f, V) : V;
		break;
	case TDH_SYS_RD:
		if (tpl < 3)
			a->rdx = md_required[aux % NMD_REQUIRED];
		else if (tpl == 3)
			a->rdx = md_optional[aux % NMD_OPTIONAL];
		else if (tpl == 4)
			a->rdx = MD_FIELD_ID_NONE;
		else if (tpl == 5)
			a->rdx = f->walk_next;
		else if (tpl == 6)
			a->rdx = md_required[aux % NMD_REQUIRED] ^ (1ull << (A & 63));
		else
			a->rdx = V;
		a->r8 = W;             /* an output: whatever was there */
		break;
	default:
		if (is_platform_leaf(leaf)) {           /* leaves without operands */
			if (tpl >= 6) {
				a->rcx = V;
				a->rdx = W;
				a->r8 = A;
			}
			break;
		}
		/* A TD leaf: RCX and RDX a page, the TDR or a page of the last TD
		 * created, a TDX KeyID, or raw. */
		for (int k = 0; k < 2; k++) {
			uint64_t v = k ? W : V, x;
			unsigned how = k ? (unsigned)(W & 3) : (tpl < 3 ? 0 : tpl < 6 ? 1 : 3);
			v >>= k ? 2 : 0;
			switch (how) {
			case 0: x = pick_addr(f, v); break;
			case 1: x = f->ntd_pages ? f->td_pages[(aux & 1 ? 0 : v) % f->ntd_pages] : pick_addr(f, v); break;
			case 2: x = f->first_keyid + v % f->nr_keyids; break;
			default: x = v; break;
			}
			*(k ? &a->rdx : &a->rcx) = x;
		}
		a->r8 = A;
		break;
	}
}

static void record(struct fz *f, const uint8_t *r)
{
	if (r[0] == 0xfd) {
		vmxon(f, 0, false);
		return;
	}
	if (r[0] == 0xfe) {
		vmxoff(f, 0);
		return;
	}
	unsigned leaf = leaf_pick[r[1] % NLEAF_PICK];
	unsigned vmode = r[2] & 3, version = vmode == 2 ? 1 : vmode == 3 ? r[3] : 0;
	struct vtsim_seamcall_args a;
	uint64_t W = rd64(r + 16);
	/* Registers no platform leaf takes, filled so that a change to those it
	 * must preserve (RBX, RSI, RDI, R12-R15) shows. */
	a.rbx = W ^ 0x1111111111111111ull;
	a.rsi = W ^ 0x2222222222222222ull;
	a.rdi = W ^ 0x3333333333333333ull;
	a.r9 = W ^ 0x4444444444444444ull;
	a.r10 = W ^ 0x5555555555555555ull;
	a.r11 = W ^ 0x6666666666666666ull;
	a.r12 = W ^ 0x7777777777777777ull;
	a.r13 = W ^ 0x8888888888888888ull;
	a.r14 = W ^ 0x9999999999999999ull;
	a.r15 = W ^ 0xaaaaaaaaaaaaaaaaull;
	a.rcx = a.rdx = a.r8 = 0;
	a.rax = leaf | (uint64_t)version << 16;
	if ((r[2] & 4) && r[3])
		a.rax |= (uint64_t)r[3] << 24;
	operands(f, r, leaf, &a);
	int lp = r[0] == 0xff ? -1 : (int)(r[0] % f->nr_lps);
	if (leaf == TDH_SYS_TDMR_INIT && !f->chunks_left && lp >= 0 && f->vmx_on[lp]) {
		struct expect e = predict(f, (unsigned)lp, &a);
		if (e.kind == EXPECT_EXACT && e.status == TDX_SUCCESS)
			return;          /* it would initialize one more chunk: too slow */
	}
	seamcall(f, lp, &a);
}

/* UBSan reports are oracle failures too: stop on the first (in builds without
 * UBSan nothing reads this). */
#ifndef VTSIM_FUZZ_EMBEDDED   /* the sanitizers' settings, for the fuzzer build */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/* Unicorn's own leaks, also when the target is run by hand: the first input of
 * each configuration creates engines, and libFuzzer's per-input leak check would
 * stop there. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libunicorn.so\n";
}
#endif

/* ---- the booted machines -------------------------------------------------------------- */

/* A machine per configuration an input can choose (LP count, RAM size), booted the
 * first time an input picks it: hosted start, the platform learned, every LP in
 * VMX operation, the module not yet initialized. Its snapshot is restored before
 * every input that picks it, so that the input starts from that machine whatever
 * the inputs before did (the module's state and RAM included), without creating
 * Unicorn engines again. A machine and its snapshot hold about twice its RAM, so
 * at most MAX_BOOTED of the 16 configurations are kept, the least recently used
 * destroyed for a new one (a machine booted again is the same machine). */
#define NR_RAM_SIZES 4
#define MAX_BOOTED   4
static const uint64_t ram_mib[NR_RAM_SIZES] = { 66, 96, 100, 128 };

struct booted {
	unsigned nr_lps, ram_idx;
	uint64_t last_use;         /* 0: the slot is free */
	struct vtsim_machine *m;
	struct vtsim_snapshot *snap;
	struct fz base;            /* the model of that machine, before any input */
};

static void boot(struct fz *f, unsigned nr_lps, uint64_t ram_size)
{
	struct vtsim_config cfg;
	char err[256] = "";
	memset(f, 0, sizeof(*f));
	f->nr_lps = nr_lps;
	vtsim_config_defaults(&cfg);
	cfg.tdx = true;
	cfg.ram_size = ram_size;
	cfg.nr_cpus = nr_lps;
	f->m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!f->m)
		fail("setup: machine: %s", err);
	if (vtsim_hosted_start(f->m, err, sizeof(err)))
		fail("setup: hosted start: %s", err);
	f->ram = vtsim_machine_ram(f->m, &f->ram_size);
	if (!f->ram || !f->m->seam.module)
		fail("setup: no RAM or no TDX module");
	learn_platform(f);
	for (unsigned lp = 0; lp < f->nr_lps; lp++)
		vmxon(f, lp, true);
	f->state = TDX_SYS_STATE_SYSINIT_PENDING;
	f->walk_next = MD_MINOR_VERSION;
}

static struct reset_cost reset = { .target = "fuzz_seamcall" };

static void print_reset_cost(void)
{
	reset_cost_print(&reset);
}

/* The slot of a configuration: its own, else a free one, else the least recently
 * used, emptied. */
static struct booted *booted_slot(struct booted *cache, unsigned nr_lps, unsigned ram_idx)
{
	struct booted *victim = &cache[0];
	for (unsigned i = 0; i < MAX_BOOTED; i++) {
		struct booted *b = &cache[i];
		if (b->last_use && b->nr_lps == nr_lps && b->ram_idx == ram_idx)
			return b;
		if (b->last_use < victim->last_use)
			victim = b;
	}
	if (victim->last_use) {
		vtsim_snapshot_free(victim->m, victim->snap);
		vtsim_machine_destroy(victim->m);
		victim->last_use = 0;
	}
	return victim;
}

/* The booted machine of a configuration, restored to its snapshot. */
static struct booted *booted_machine(unsigned nr_lps, unsigned ram_idx)
{
	static struct booted cache[MAX_BOOTED];
	static uint64_t uses;
	struct booted *b = booted_slot(cache, nr_lps, ram_idx);
	char err[256] = "";
	if (!b->last_use) {
		if (!uses)
			atexit(print_reset_cost);
		boot(&b->base, nr_lps, ram_mib[ram_idx] * MIB);
		b->m = b->base.m;
		b->nr_lps = nr_lps;
		b->ram_idx = ram_idx;
		if (!(b->snap = vtsim_snapshot_take(b->m, err, sizeof(err))))
			fail("setup: snapshot: %s", err);
	}
	b->last_use = ++uses;
	if (restore_timed(&reset, b->m, b->snap, err, sizeof(err)))
		fail("setup: restore: %s", err);
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;           /* static: large */
	if (size < 2)
		return 0;
	trace = getenv("FUZZ_SEAMCALL_TRACE") != NULL;
	struct booted *b = booted_machine(1 + (data[0] & 3), (data[0] >> 2) & 3);
	f = b->base;
	f.no_entropy = data[1] & 7;
	tdx_module_inject_no_entropy(f.m->seam.module, f.no_entropy);
	f.chunks_left = MAX_CHUNKS;
	static const unsigned stage[8] = { 0, 1, 2, 3, 4, 5, 2, 3 };
	bringup(&f, stage[(data[0] >> 4) & 7], 1 + ((data[1] >> 3) & 3) % PLAN_MAX);
	for (size_t off = 2, n = 0; off + RECORD_SIZE <= size && n < MAX_RECORDS; off += RECORD_SIZE, n++)
		record(&f, data + off);
	return 0;
}
