/* MSR virtualization in a TD: one table, the TDX module's (the ABI's MSR
 * virtualization table, as Intel's TDX module generates its MSR lookup from it),
 * by MSR range, read and write each of one class:
 *  - NATIVE: the TD VMCS's MSR bitmap lets the access through to the LP, which
 *    holds the TD's own value while the TD runs (FS/GS bases, SYSENTER and PAT in
 *    the VMCS guest state; the others switched by td_msr_switch_to_td/_to_host).
 *    A native MSR the CPU model lacks #GPs as it would on that CPU;
 *  - VE: the access exits to the module, which makes it the guest's #VE (GHCI:
 *    the guest asks the VMM with TDG.VP.VMCALL<Instruction.RDMSR/WRMSR>);
 *  - VE_OR_GP: a #VE, or #GP(0) when the guest set TD_CTLS.REDUCE_VE (the
 *    module's "GP or #VE" and "other" actions);
 *  - GP: #GP(0) injected by the module;
 *  - EFER_WR, XSS_WR: emulated by the module (below);
 *  - VAPIC: the bitmap lets the access through and the TD VMCS's "virtualize
 *    x2APIC mode" serves it from the vCPU's virtual-APIC page (vp_enter.c): reads
 *    of TPR, PPR, ISR, TMR and IRR; writes of TPR, EOI and SELF IPI.
 * Rows with a condition on the TD's ATTRIBUTES or XFAM (PERFMON, PKS, PT, CET,
 * ULI, LBR, AMX) are NATIVE when the TD has the feature and #GP otherwise; this
 * module's ATTRIBUTES_FIXED1 and XFAM_FIXED1 allow none of them, so a TD always
 * gets the #GP. TSX_CTRL and UMWAIT_CONTROL follow the TD's CPUID (TSX, WAITPKG),
 * which no CPU model here has: #GP. MSRs in no row #VE (VE_OR_GP). Not modelled:
 * the VMX capability MSRs read as the module's "other" (#VE) where the real
 * module virtualizes some of them for TD partitioning. */
#include "sim/tdx_module_stub/td.h"

#include <string.h>

#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

#define VEC_GP 13

/* What a conditional row needs of the TD: an ATTRIBUTES bit or XFAM bits. */
enum td_msr_cond { COND_NONE, COND_PERFMON, COND_PKS, COND_XFAM_PT, COND_XFAM_CET, COND_XFAM_ULI,
		   COND_XFAM_LBR, COND_XFAM_AMX, COND_NEVER };

static const struct { bool attributes; uint64_t bits; } td_msr_conds[] = {
	[COND_PERFMON] = { true, 1ull << 63 }, [COND_PKS] = { true, 1ull << 30 },
	[COND_XFAM_PT] = { false, 1ull << 8 }, [COND_XFAM_CET] = { false, 3ull << 11 },
	[COND_XFAM_ULI] = { false, 1ull << 14 }, [COND_XFAM_LBR] = { false, 1ull << 15 },
	[COND_XFAM_AMX] = { false, 3ull << 17 },
};

#define N TD_MSR_NATIVE
#define V TD_MSR_VE
#define G TD_MSR_GP
#define O TD_MSR_VE_OR_GP
#define A TD_MSR_VAPIC

/* Sorted by address. */
static const struct td_msr_row {
	uint32_t first, last;
	uint8_t read, write, cond;
} td_msr_rows[] = {
	{ 0x10, 0x10, N, V, COND_NONE },             /* IA32_TIME_STAMP_COUNTER: read with the TD's offset */
	{ 0x48, 0x49, N, N, COND_NONE },             /* IA32_SPEC_CTRL, IA32_PRED_CMD */
	{ 0x87, 0x87, O, O, COND_NONE },             /* IA32_MKTME_KEYID_PARTITIONING */
	{ 0x8c, 0x8f, G, G, COND_NONE },             /* IA32_SGXLEPUBKEYHASH0..3 */
	{ 0x98, 0x9b, G, G, COND_NONE },             /* WBINVDP, WBNOINVDP, INTR_PENDING, IA32_SMM_MONITOR_CTL */
	{ 0x9e, 0x9e, G, G, COND_NONE },             /* IA32_SMBASE */
	{ 0xbc, 0xbc, N, V, COND_NONE },             /* IA32_MISC_PACKAGE_CTLS */
	{ 0xbd, 0xbd, O, G, COND_NONE },             /* IA32_XAPIC_DISABLE_STATUS (a write: read-only MSR) */
	{ 0xc1, 0xc8, N, N, COND_PERFMON },          /* IA32_PMC0..7 */
	{ 0xe1, 0xe1, N, N, COND_NEVER },            /* IA32_UMWAIT_CONTROL (WAITPKG) */
	{ 0x10a, 0x10a, O, G, COND_NONE },           /* IA32_ARCH_CAPABILITIES */
	{ 0x10b, 0x10b, N, N, COND_NONE },           /* IA32_FLUSH_CMD */
	{ 0x122, 0x122, N, N, COND_NEVER },          /* IA32_TSX_CTRL (TSX) */
	{ 0x174, 0x176, N, N, COND_NONE },           /* IA32_SYSENTER_CS, _ESP, _EIP */
	{ 0x186, 0x18d, N, N, COND_PERFMON },        /* IA32_PERFEVTSEL0..7 */
	{ 0x195, 0x195, G, G, COND_NONE },           /* IA32_OVERCLOCKING_STATUS */
	{ 0x1a0, 0x1a0, O, V, COND_NONE },           /* IA32_MISC_ENABLE */
	{ 0x1a6, 0x1a7, N, N, COND_PERFMON },        /* MSR_OFFCORE_RSP0..1 */
	{ 0x1c4, 0x1c5, N, N, COND_XFAM_AMX },       /* IA32_XFD, IA32_XFD_ERR */
	{ 0x1d9, 0x1d9, O, O, COND_NONE },           /* IA32_DEBUGCTL */
	{ 0x1f8, 0x1fa, O, O, COND_NONE },           /* IA32_PLATFORM_DCA_CAP, CPU_DCA_CAP, DCA_0_CAP */
	{ 0x276, 0x276, G, G, COND_NONE },           /* MSR_SLAM_ENABLE */
	{ 0x277, 0x277, N, N, COND_NONE },           /* IA32_PAT */
	{ 0x309, 0x310, N, N, COND_PERFMON },        /* IA32_FIXED_CTR0.. */
	{ 0x329, 0x329, N, N, COND_PERFMON },        /* IA32_PERF_METRICS */
	{ 0x345, 0x345, O, N, COND_PERFMON },        /* IA32_PERF_CAPABILITIES (a write: native with PERFMON) */
	{ 0x38d, 0x392, N, N, COND_PERFMON },        /* IA32_FIXED_CTR_CTRL, IA32_PERF_GLOBAL_* */
	{ 0x3f1, 0x3f2, N, N, COND_PERFMON },        /* IA32_PEBS_ENABLE, MSR_PEBS_MATRIX_VECT */
	{ 0x3f6, 0x3f7, N, N, COND_PERFMON },        /* MSR_PEBS_LD_LATENCY, MSR_PEBS_FRONTEND */
	{ 0x480, 0x492, O, G, COND_NONE },           /* IA32_VMX_BASIC .. IA32_VMX_PROCBASED_CTLS3 */
	{ 0x4c1, 0x4c8, N, N, COND_PERFMON },        /* IA32_A_PMC0..7 */
	{ 0x500, 0x500, G, G, COND_NONE },           /* IA32_SGX_SVN_STATUS */
	{ 0x560, 0x561, N, N, COND_XFAM_PT },        /* IA32_RTIT_OUTPUT_BASE, _MASK_PTRS */
	{ 0x570, 0x572, N, N, COND_XFAM_PT },        /* IA32_RTIT_CTL, _STATUS, _CR3_MATCH */
	{ 0x580, 0x587, N, N, COND_XFAM_PT },        /* IA32_RTIT_ADDR0_A .. ADDR3_B */
	{ 0x600, 0x600, N, N, COND_NONE },           /* IA32_DS_AREA */
	{ 0x6a0, 0x6a0, N, N, COND_XFAM_CET },       /* IA32_U_CET */
	{ 0x6a2, 0x6a2, N, N, COND_XFAM_CET },       /* IA32_S_CET */
	{ 0x6a4, 0x6a8, N, N, COND_XFAM_CET },       /* IA32_PL0_SSP .. IA32_INTERRUPT_SSP_TABLE_ADDR */
	{ 0x6e0, 0x6e0, O, O, COND_NONE },           /* IA32_TSC_DEADLINE */
	{ 0x6e1, 0x6e1, N, N, COND_PKS },            /* IA32_PKRS */
	{ 0x800, 0x801, G, G, COND_NONE },           /* reserved x2APIC range */
	{ 0x804, 0x807, G, G, COND_NONE },
	{ 0x808, 0x808, A, A, COND_NONE },           /* x2APIC TPR */
	{ 0x80a, 0x80a, A, O, COND_NONE },           /* x2APIC PPR */
	{ 0x80b, 0x80b, O, A, COND_NONE },           /* x2APIC EOI */
	{ 0x810, 0x827, A, O, COND_NONE },           /* x2APIC ISR, TMR, IRR */
	{ 0x829, 0x82e, G, G, COND_NONE },
	{ 0x831, 0x831, G, G, COND_NONE },
	{ 0x83f, 0x83f, O, A, COND_NONE },           /* x2APIC SELF IPI */
	{ 0x840, 0x8ff, G, G, COND_NONE },
	{ 0x981, 0x984, O, O, COND_NONE },           /* IA32_TME_CAPABILITY, _ACTIVATE, _EXCLUDE_MASK, _BASE */
	{ 0x985, 0x98a, N, N, COND_XFAM_ULI },       /* IA32_UINTR_* */
	{ 0xc80, 0xc80, N, V, COND_NONE },           /* IA32_DEBUG_INTERFACE */
	{ 0xd90, 0xd90, G, G, COND_NONE },           /* IA32_BNDCFGS */
	{ 0xd93, 0xd93, G, G, COND_NONE },           /* IA32_PASID */
	{ 0xda0, 0xda0, N, TD_MSR_XSS_WR, COND_NONE }, /* IA32_XSS */
	{ 0x1200, 0x12ff, N, N, COND_XFAM_LBR },     /* IA32_LBR_x_INFO */
	{ 0x14ce, 0x14cf, N, N, COND_XFAM_LBR },     /* IA32_LBR_CTL, IA32_LBR_DEPTH */
	{ 0x1500, 0x16ff, N, N, COND_XFAM_LBR },     /* IA32_LBR_x_FROM_IP, _TO_IP */
	{ 0x1b01, 0x1b01, N, N, COND_NONE },         /* IA32_UARCH_MISC_CTL */
	{ 0xc0000080, 0xc0000080, N, TD_MSR_EFER_WR, COND_NONE }, /* IA32_EFER */
	{ 0xc0000081, 0xc0000082, N, N, COND_NONE }, /* IA32_STAR, IA32_LSTAR */
	{ 0xc0000084, 0xc0000084, N, N, COND_NONE }, /* IA32_FMASK */
	{ 0xc0000100, 0xc0000103, N, N, COND_NONE }, /* IA32_FS_BASE, _GS_BASE, _KERNEL_GS_BASE, IA32_TSC_AUX */
};

#undef N
#undef V
#undef G
#undef O
#undef A

/* The native MSRs outside the VMCS guest-state area, which the module switches
 * itself, and what it leaves in each at a TD exit (Linux's TDX host reads the
 * same values back: the TD's never reach the host). */
static const struct { uint32_t msr; uint64_t after_exit; } td_msr_switched[TD_MSR_SWITCHED] = {
	{ 0xc0000081, 0 },                      /* IA32_STAR */
	{ 0xc0000082, 0 },                      /* IA32_LSTAR */
	{ 0xc0000084, 0x20200 },                /* IA32_FMASK */
	{ 0xc0000102, 0 },                      /* IA32_KERNEL_GS_BASE */
	{ 0xc0000103, 0 },                      /* IA32_TSC_AUX */
	{ 0x48, 0 },                            /* IA32_SPEC_CTRL */
	{ 0x600, 0 },                           /* IA32_DS_AREA */
	{ 0x1b01, 0 },                          /* IA32_UARCH_MISC_CTL */
};

static const struct td_msr_row *td_msr_row_of(uint32_t msr)
{
	for (size_t i = 0; i < sizeof(td_msr_rows) / sizeof(td_msr_rows[0]); i++) {
		if (msr < td_msr_rows[i].first)
			return NULL;
		if (msr <= td_msr_rows[i].last)
			return &td_msr_rows[i];
	}
	return NULL;
}

static bool td_msr_cond_met(const struct tdcs *c, unsigned cond)
{
	if (cond == COND_NONE)
		return true;
	if (cond == COND_NEVER)
		return false;
	uint64_t have = td_msr_conds[cond].attributes ? c->attributes : c->xfam;
	return (have & td_msr_conds[cond].bits) == td_msr_conds[cond].bits;
}

unsigned td_msr_class(const struct tdcs *c, uint32_t msr, bool write)
{
	const struct td_msr_row *row = td_msr_row_of(msr);
	if (!row)
		return TD_MSR_VE_OR_GP;
	unsigned cls = write ? row->write : row->read;
	if (cls == TD_MSR_NATIVE && !td_msr_cond_met(c, row->cond))
		return TD_MSR_GP;
	return cls;
}

/* One bitmap half (read at 0, write at 800h): every bit set (an exit) but the
 * native and virtual-APIC MSRs'. Low MSRs 0..1FFFh at +0, high C0000000h..C0001FFFh at +400h. */
static void bitmap_half(const struct tdcs *c, uint8_t *half, bool write)
{
	memset(half, 0xff, 0x800);
	for (size_t i = 0; i < sizeof(td_msr_rows) / sizeof(td_msr_rows[0]); i++) {
		const struct td_msr_row *row = &td_msr_rows[i];
		for (uint32_t msr = row->first; msr <= row->last; msr++) {
			unsigned cls = td_msr_class(c, msr, write);
			if (cls != TD_MSR_NATIVE && cls != TD_MSR_VAPIC)
				continue;
			uint32_t bit = msr >= 0xc0000000u ? 0x2000 + (msr - 0xc0000000u) : msr;
			half[bit / 8] &= (uint8_t)~(1u << (bit % 8));
		}
	}
}

void td_msr_bitmap_init(struct tdx_module *mod, const struct tdr *t, const struct tdcs *c)
{
	uint8_t page[4096];
	bitmap_half(c, page, false);
	bitmap_half(c, page + 0x800, true);
	phys_write(mod->pm, td_msr_bitmap_pa(mod, t), page, sizeof(page));
}

uint64_t td_msr_bitmap_pa(const struct tdx_module *mod, const struct tdr *t)
{
	return td_keyed(mod, t->tdcx[TDCS_MSR_BITMAP_PAGE], t->hkid);
}

/* The switched MSRs the LPs have, and their slots in the table above; a CPU model
 * without one #GPs the TD's access, so it never holds a value of the TD. Found at
 * the first switch. */
static unsigned switched_present(struct td_run *r, uint32_t *ids, unsigned *slot)
{
	struct tdx_module *mod = r->mod;
	if (!mod->td_msr_probed) {
		uint32_t all[TD_MSR_SWITCHED];
		uint64_t v[TD_MSR_SWITCHED];
		for (unsigned i = 0; i < TD_MSR_SWITCHED; i++)
			all[i] = td_msr_switched[i].msr;
		mod->td_msr_absent = mod->cpu.msr_read(mod->cpu.ctx, r->lp, TD_MSR_SWITCHED, all, v);
		mod->td_msr_probed = true;
	}
	unsigned n = 0;
	for (unsigned i = 0; i < TD_MSR_SWITCHED; i++)
		if (!(mod->td_msr_absent & (1u << i))) {
			ids[n] = td_msr_switched[i].msr;
			slot[n++] = i;
		}
	return n;
}

/* Reads the LP's switched MSRs and writes those that differ from what the LP must
 * hold next: the vCPU's values going into the TD (`to_td`); after a TD exit, the
 * fixed values, once what the TD left is saved in its TDVPS. One read, usually no
 * write. */
static void td_msr_switch(struct td_run *r, bool to_td)
{
	struct tdx_module *mod = r->mod;
	uint32_t ids[TD_MSR_SWITCHED], wids[TD_MSR_SWITCHED];
	uint64_t now[TD_MSR_SWITCHED], wv[TD_MSR_SWITCHED];
	unsigned slot[TD_MSR_SWITCHED], n = switched_present(r, ids, slot), nw = 0;
	mod->cpu.msr_read(mod->cpu.ctx, r->lp, n, ids, now);
	for (unsigned k = 0; k < n; k++) {
		if (!to_td)
			r->v.msr[slot[k]] = now[k];
		uint64_t want = to_td ? r->v.msr[slot[k]] : td_msr_switched[slot[k]].after_exit;
		if (now[k] != want) {
			wids[nw] = ids[k];
			wv[nw++] = want;
		}
	}
	if (nw)
		mod->cpu.msr_write(mod->cpu.ctx, r->lp, nw, wids, wv);
}

/* At TDH.VP.ENTER, before the VM entry: the vCPU's values into the LP. */
void td_msr_switch_to_td(struct td_run *r)
{
	td_msr_switch(r, true);
}

/* At the TD exit to the VMM: the vCPU's values saved in its TDVPS, the LP left
 * with the fixed values. */
void td_msr_switch_to_host(struct td_run *r)
{
	td_msr_switch(r, false);
}

void td_msr_vcpu_init(struct tdvps *v)
{
	for (unsigned i = 0; i < TD_MSR_SWITCHED; i++)
		v->msr[i] = 0;
	v->msr[2] = 0x20200;    /* FMASK as TD exits leave it: a new vCPU starts from the same */
}

/* WRMSR of IA32_EFER: only SCE may change (LMA is read-only); any other change
 * is a #VE. */
static bool efer_write(struct td_run *r, uint64_t value)
{
	uint64_t old = td_vmread(r, GUEST_IA32_EFER);
	value = (value & ~(1ull << 10)) | (old & (1ull << 10));
	if ((value ^ old) & ~1ull)
		return false;
	td_vmwrite(r, GUEST_IA32_EFER, value);
	return true;
}

enum td_exit_action td_msr_exit(struct td_run *r)
{
	bool write = (r->reason & 0xffff) == EXIT_REASON_MSR_WRITE;
	uint32_t msr = (uint32_t)r->guest[R_RCX];
	uint64_t value = (r->guest[R_RDX] << 32) | (uint32_t)r->guest[R_RAX];
	unsigned cls = td_msr_class(&r->c, msr, write);
	if (cls == TD_MSR_VE_OR_GP)
		cls = r->c.td_ctls & TD_CTLS_REDUCE_VE ? TD_MSR_GP : TD_MSR_VE;
	switch (cls) {
	case TD_MSR_GP:
		td_inject(r, VEC_GP, true, 0);
		return TD_RESUME;
	case TD_MSR_EFER_WR:
		if (!efer_write(r, value))
			return td_exit_ve(r);
		td_skip_insn(r);
		return TD_RESUME;
	case TD_MSR_XSS_WR:
		/* No supervisor XSAVE state is in XFAM here: only 0 is accepted, and the
		 * CPU models have no IA32_XSS to hold it. */
		if (value)
			td_inject(r, VEC_GP, true, 0);
		else
			td_skip_insn(r);
		return TD_RESUME;
	default:
		/* VE, and NATIVE outside the bitmap's ranges (none in the table). */
		return td_exit_ve(r);
	}
}
