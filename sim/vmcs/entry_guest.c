/* VM-entry checks, class guest: see entry.h. Rows in SDM order ("VM Entries" 3.1,
 * checks on the guest-state area, and 3.1.6, the PDPTEs); a failure is a VM-entry
 * failure with exit reason 33 and, in the diagnostic, the exit qualification: 0, or 2
 * (PDPTE), 3 (NMI injected while STI blocks) or 4 (VMCS link pointer).
 *
 * Every predicate is a pure read of the VMCS, the capability MSRs, the CPUID model and,
 * for the PDPTEs and the link pointer, memory; any field values are legal input (the
 * fuzzer writes random ones). What the model offers is constant and derived once per
 * model (model_facts). A rule tied to a VM-entry or VM-execution control applies
 * only when the control is 1 in the VMCS and the model allows its 1-setting: otherwise
 * the control checks have already refused the VMCS, and the row holds. */
#include "sim/vmcs/entry.h"
#include "sim/vmcs/entry_model.h"

#include <inttypes.h>

#include "sim/cpu/cpuid.h"

#define BIT(n) ((uint64_t)1 << (n))

/* Controls the guest checks depend on. */
#define PIN_VIRTUAL_NMIS      BIT(5)
#define PROC_SECONDARY        BIT(31)
#define PROC2_EPT             BIT(1)
#define PROC2_UNRESTRICTED    BIT(7)
#define PROC2_SHADOW_VMCS     BIT(14)
#define ENT_LOAD_DEBUG        BIT(2)
#define ENT_IA32E             BIT(9)
#define ENT_SMM               BIT(10)
#define ENT_LOAD_PERF_GLOBAL  BIT(13)
#define ENT_LOAD_PAT          BIT(14)
#define ENT_LOAD_EFER         BIT(15)
#define ENT_LOAD_BNDCFGS      BIT(16)
#define ENT_LOAD_RTIT_CTL     BIT(18)
#define ENT_LOAD_UINV         BIT(19)
#define ENT_LOAD_CET          BIT(20)
#define ENT_LOAD_LBR_CTL      BIT(21)
#define ENT_LOAD_PKRS         BIT(22)
#define ENT_LOAD_FRED         BIT(23)
#define ENT_LOAD_SPEC_CTRL    BIT(24)

/* Register bits. */
#define CR0_PE     BIT(0)
#define CR0_WP     BIT(16)
#define CR0_NW     BIT(29)
#define CR0_CD     BIT(30)
#define CR0_PG     BIT(31)
#define CR4_PAE    BIT(5)
#define CR4_PCIDE  BIT(17)
#define CR4_CET    BIT(23)
#define CR4_FRED   BIT(32)
#define RFLAGS_TF  BIT(8)
#define RFLAGS_IF  BIT(9)
#define RFLAGS_VM  BIT(17)
#define EFER_LME   BIT(8)
#define EFER_LMA   BIT(10)
#define DEBUGCTL_BTF BIT(1)

/* Access-rights fields. */
#define AR_TYPE(ar)   ((unsigned)(ar) & 0xf)
#define AR_S          BIT(4)
#define AR_DPL(ar)    ((unsigned)((ar) >> 5) & 3)
#define AR_P          BIT(7)
#define AR_L          BIT(13)
#define AR_DB         BIT(14)
#define AR_G          BIT(15)
#define AR_UNUSABLE   BIT(16)
#define AR_RSVD       ((uint64_t)0xf00 | ((uint64_t)0x7fff << 17))   /* 11:8 and 31:17 */

/* Interruptibility state and the VM-entry interruption information. */
#define INTR_STI      BIT(0)
#define INTR_MOVSS    BIT(1)
#define INTR_SMI      BIT(2)
#define INTR_NMI      BIT(3)
#define INTR_ENCLAVE  BIT(4)
#define INFO_VALID    BIT(31)
#define INFO_TYPE(i)  ((unsigned)((i) >> 8) & 7)
#define INFO_VECTOR(i) ((unsigned)(i) & 0xff)
enum { EV_EXTINT = 0, EV_NMI = 2, EV_HW_EXC = 3, EV_OTHER = 7 };

enum { ACT_ACTIVE, ACT_HLT, ACT_SHUTDOWN, ACT_WAIT_SIPI };

/* Pending debug exceptions. */
#define PDBG_BS       BIT(14)
#define PDBG_RTM      BIT(16)

/* Exit qualifications of a failed entry. */
enum { QUAL_PDPTE = 2, QUAL_NMI_STI = 3, QUAL_LINK = 4 };

/* The eight segment registers, in VMCS encoding order: field = first + 2 * index. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };
static const char *const seg_name[] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
#define SEL_F(s)   ((uint32_t)GUEST_ES_SELECTOR + 2u * (s))
#define LIMIT_F(s) ((uint32_t)GUEST_ES_LIMIT + 2u * (s))
#define AR_F(s)    ((uint32_t)GUEST_ES_AR_BYTES + 2u * (s))
#define BASE_F(s)  ((uint32_t)GUEST_ES_BASE + 2u * (s))
/* CS, SS, DS, ES, FS, GS: the order the SDM lists them in. */
static const int six_segs[] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };
static const int data_segs[] = { SEG_DS, SEG_ES, SEG_FS, SEG_GS };
#define NSEGS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Reading the VMCS, the model and memory ---- */

/* Inlined, so that a constant encoding's slot is found at compile time. */
static inline __attribute__((always_inline)) uint64_t fld(const struct entry_ctx *c, uint32_t enc)
{
	return entry_field(c, enc);
}

/* A VM-entry control that is 1 and that the model lets be 1. */
static bool ent(const struct entry_ctx *c, uint64_t bit)
{
	return (fld(c, VM_ENTRY_CONTROLS) & bit) &&
	       (vmcs_caps_allowed1(c->caps, VMCS_CTL_ENTRY) & bit);
}

static bool pin(const struct entry_ctx *c, uint64_t bit)
{
	return (fld(c, PIN_BASED_VM_EXEC_CONTROL) & bit) &&
	       (vmcs_caps_allowed1(c->caps, VMCS_CTL_PIN) & bit);
}

/* A secondary control in effect: "activate secondary controls" is 1 too. */
static bool proc2(const struct entry_ctx *c, uint64_t bit)
{
	if (!(fld(c, CPU_BASED_VM_EXEC_CONTROL) & PROC_SECONDARY) ||
	    !(vmcs_caps_allowed1(c->caps, VMCS_CTL_PROC) & PROC_SECONDARY))
		return false;
	return (fld(c, SECONDARY_VM_EXEC_CONTROL) & bit) &&
	       (vmcs_caps_allowed1(c->caps, VMCS_CTL_PROC2) & bit);
}

static bool ia32e(const struct entry_ctx *c) { return ent(c, ENT_IA32E); }
static bool ug(const struct entry_ctx *c) { return proc2(c, PROC2_UNRESTRICTED); }
static bool v86(const struct entry_ctx *c) { return fld(c, GUEST_RFLAGS) & RFLAGS_VM; }

/* What the checks need to know of the CPU model: the capability MSRs and CPUID bits,
 * constant data, derived once per model (per thread) since deriving them takes dozens
 * of table look-ups and every VM entry asks. */
struct model_facts {
	const struct vmcs_caps *caps;
	unsigned la_width;          /* linear-address width: 48, or 57 with 5-level paging */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1, misc;
	uint64_t efer_valid;        /* IA32_EFER bits implemented */
	uint64_t debugctl_valid;    /* IA32_DEBUGCTL bits implemented */
	uint64_t perf_global_valid; /* IA32_PERF_GLOBAL_CTRL enable bits */
	uint64_t spec_ctrl_valid;   /* IA32_SPEC_CTRL bits */
	bool rtm, sgx;
};

static void derive_facts(struct model_facts *f, const struct vmcs_caps *caps)
{
	f->la_width = entry_model_la_width(caps);
	f->cr0_fixed0 = entry_model_msr(caps, MSR_IA32_VMX_CR0_FIXED0, 0);
	f->cr0_fixed1 = entry_model_msr(caps, MSR_IA32_VMX_CR0_FIXED1, ~0ull);
	f->cr4_fixed0 = entry_model_msr(caps, MSR_IA32_VMX_CR4_FIXED0, 0);
	f->cr4_fixed1 = entry_model_msr(caps, MSR_IA32_VMX_CR4_FIXED1, ~0ull);
	f->misc = entry_model_msr(caps, MSR_IA32_VMX_MISC, 0);

	f->efer_valid = entry_model_efer_valid(caps);

	struct cpuid_regs l7 = entry_model_cpuid(caps, 7, 0);
	f->rtm = l7.ebx & CPUID_07_0_EBX_RTM;
	f->sgx = l7.ebx & CPUID_07_0_EBX_SGX;
	/* DEBUGCTL: LBR, BTF, TR, BTS, BTINT, BTS_OFF_OS/USR, the freeze bits, uncore PMI;
	 * RTM_DEBUG with RTM. Bits 5:2 and 63:16 reserved. */
	f->debugctl_valid = 0x7fc3 | (f->rtm ? BIT(15) : 0);

	f->perf_global_valid = entry_model_perf_global_valid(caps);
	f->spec_ctrl_valid = entry_model_spec_ctrl_valid(caps);
	f->caps = caps;
}

static const struct model_facts *facts(const struct entry_ctx *c)
{
	static _Thread_local struct model_facts f;
	if (f.caps != c->caps)
		derive_facts(&f, c->caps);
	return &f;
}

static bool canon(const struct entry_ctx *c, uint64_t v)
{
	return entry_canonical_in(v, facts(c)->la_width);
}

/* Any bit at or above MAXPHYADDR. */
static bool beyond_pa(const struct entry_ctx *c, uint64_t v)
{
	return c->maxphyaddr < 64 && (v >> c->maxphyaddr);
}

/* Memory as the processor reads it; with no memory at all, the open bus (all ones). */
static uint64_t mem64(struct entry_ctx *c, uint64_t pa)
{
	c->read_memory = true;
	return c->pm ? phys_read64(c->pm, pa) : ~0ull;
}

static uint32_t mem32(struct entry_ctx *c, uint64_t pa)
{
	c->read_memory = true;
	return c->pm ? phys_read32(c->pm, pa) : ~0u;
}

static bool usable(const struct entry_ctx *c, int s)
{
	return !(fld(c, AR_F(s)) & AR_UNUSABLE);
}

/* Limit and granularity agree: G = 0 if any of limit bits 11:0 is 0, G = 1 if any of
 * limit bits 31:20 is 1. */
static bool g_limit_ok(uint64_t limit, uint64_t ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & AR_G))
		return false;
	if ((limit & 0xfff00000u) && !(ar & AR_G))
		return false;
	return true;
}

static bool injecting(const struct entry_ctx *c, unsigned type)
{
	uint64_t info = fld(c, VM_ENTRY_INTR_INFO_FIELD);
	return (info & INFO_VALID) && INFO_TYPE(info) == type;
}

/* ---- C.1 Control registers, debug registers, MSRs (and RFLAGS, 3.1.4) ---- */

static bool guest_rflags_rsvd(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_RFLAGS);
	uint64_t rsvd = (~0ull << 22) | BIT(15) | BIT(5) | BIT(3);
	if ((v & rsvd) || !(v & BIT(1)))
		return entry_fail(c, GUEST_RFLAGS, v,
				  "GUEST_RFLAGS 0x%" PRIx64 " must have bit 1 set and bits 63:22, 15, 5 "
				  "and 3 clear (offending: 0x%" PRIx64 ")", v,
				  (v & rsvd) | (~v & BIT(1)));
	return true;
}

static bool guest_rflags_vm(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_RFLAGS);
	if (!(v & RFLAGS_VM))
		return true;
	if (ia32e(c))
		return entry_fail(c, GUEST_RFLAGS, v,
				  "GUEST_RFLAGS 0x%" PRIx64 " sets VM (virtual-8086) although the guest "
				  "enters IA-32e mode; clear bit 17", v);
	if (!(fld(c, GUEST_CR0) & CR0_PE))
		return entry_fail(c, GUEST_RFLAGS, v,
				  "GUEST_RFLAGS 0x%" PRIx64 " sets VM (virtual-8086) with GUEST_CR0.PE = 0; "
				  "virtual-8086 mode needs protected mode", v);
	return true;
}

static bool guest_cr0_fixed(struct entry_ctx *c)
{
	uint64_t cr0 = fld(c, GUEST_CR0);
	uint64_t fixed0 = facts(c)->cr0_fixed0, fixed1 = facts(c)->cr0_fixed1;
	/* CD and NW are not loaded by VM entry, so never checked; unrestricted guest
	 * frees PE and PG. */
	fixed0 &= ~(CR0_CD | CR0_NW);
	if (ug(c))
		fixed0 &= ~(CR0_PE | CR0_PG);
	uint64_t must0 = ~fixed1 & ~(CR0_CD | CR0_NW);
	if ((cr0 & fixed0) != fixed0)
		return entry_fail(c, GUEST_CR0, cr0,
				  "GUEST_CR0 0x%" PRIx64 " lacks 0x%" PRIx64 " required by "
				  "IA32_VMX_CR0_FIXED0%s", cr0, fixed0 & ~cr0,
				  ug(c) ? " (PE and PG exempt: unrestricted guest)" : "");
	if (cr0 & must0)
		return entry_fail(c, GUEST_CR0, cr0,
				  "GUEST_CR0 0x%" PRIx64 " sets 0x%" PRIx64 ", bits IA32_VMX_CR0_FIXED1 "
				  "(0x%" PRIx64 ") requires to be 0", cr0, cr0 & must0, fixed1);
	return true;
}

static bool guest_cr0_pg_pe(struct entry_ctx *c)
{
	uint64_t cr0 = fld(c, GUEST_CR0);
	if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
		return entry_fail(c, GUEST_CR0, cr0,
				  "GUEST_CR0 0x%" PRIx64 " enables paging (PG) without protection (PE)", cr0);
	return true;
}

static bool guest_cr4_fixed(struct entry_ctx *c)
{
	uint64_t cr4 = fld(c, GUEST_CR4);
	uint64_t fixed0 = facts(c)->cr4_fixed0, fixed1 = facts(c)->cr4_fixed1;
	if ((cr4 & fixed0) != fixed0)
		return entry_fail(c, GUEST_CR4, cr4,
				  "GUEST_CR4 0x%" PRIx64 " lacks 0x%" PRIx64 " required by "
				  "IA32_VMX_CR4_FIXED0", cr4, fixed0 & ~cr4);
	if (cr4 & ~fixed1)
		return entry_fail(c, GUEST_CR4, cr4,
				  "GUEST_CR4 0x%" PRIx64 " sets 0x%" PRIx64 ", outside IA32_VMX_CR4_FIXED1 "
				  "0x%" PRIx64, cr4, cr4 & ~fixed1, fixed1);
	return true;
}

static bool guest_cr3_width(struct entry_ctx *c)
{
	uint64_t cr3 = fld(c, GUEST_CR3);
	if (beyond_pa(c, cr3))
		return entry_fail(c, GUEST_CR3, cr3,
				  "GUEST_CR3 0x%" PRIx64 " sets bits at or above MAXPHYADDR (%u)",
				  cr3, c->maxphyaddr);
	return true;
}

static bool guest_cet_wp(struct entry_ctx *c)
{
	uint64_t cr4 = fld(c, GUEST_CR4), cr0 = fld(c, GUEST_CR0);
	if ((cr4 & CR4_CET) && !(cr0 & CR0_WP))
		return entry_fail(c, GUEST_CR0, cr0,
				  "GUEST_CR0 0x%" PRIx64 " clears WP while GUEST_CR4 0x%" PRIx64
				  " enables CET; CET needs CR0.WP = 1", cr0, cr4);
	return true;
}

static bool guest_ia32e_pg_pae(struct entry_ctx *c)
{
	if (!ia32e(c))
		return true;
	uint64_t cr0 = fld(c, GUEST_CR0), cr4 = fld(c, GUEST_CR4);
	if (!(cr0 & CR0_PG))
		return entry_fail(c, GUEST_CR0, cr0,
				  "GUEST_CR0 0x%" PRIx64 " has PG = 0, but an IA-32e mode guest must "
				  "have paging on", cr0);
	if (!(cr4 & CR4_PAE))
		return entry_fail(c, GUEST_CR4, cr4,
				  "GUEST_CR4 0x%" PRIx64 " has PAE = 0, but an IA-32e mode guest needs "
				  "CR4.PAE = 1", cr4);
	return true;
}

static bool guest_non_ia32e_cr4(struct entry_ctx *c)
{
	uint64_t cr4 = fld(c, GUEST_CR4);
	if (!ia32e(c) && (cr4 & (CR4_PCIDE | CR4_FRED)))
		return entry_fail(c, GUEST_CR4, cr4,
				  "GUEST_CR4 0x%" PRIx64 " sets PCIDE or FRED (0x%" PRIx64 "), which "
				  "only an IA-32e mode guest may", cr4, cr4 & (CR4_PCIDE | CR4_FRED));
	return true;
}

static bool guest_debugctl(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_DEBUG))
		return true;
	uint64_t v = fld(c, GUEST_IA32_DEBUGCTL);
	uint64_t ok = facts(c)->debugctl_valid;
	if (v & ~ok)
		return entry_fail(c, GUEST_IA32_DEBUGCTL, v,
				  "GUEST_IA32_DEBUGCTL 0x%" PRIx64 " sets reserved bits 0x%" PRIx64
				  " while \"load debug controls\" is 1", v, v & ~ok);
	return true;
}

static bool guest_dr7(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_DEBUG))
		return true;
	uint64_t v = fld(c, GUEST_DR7);
	if (v >> 32)
		return entry_fail(c, GUEST_DR7, v,
				  "GUEST_DR7 0x%" PRIx64 " sets bits 63:32 while \"load debug controls\" "
				  "is 1; they must be 0", v);
	return true;
}

static bool guest_sysenter_canon(struct entry_ctx *c)
{
	static const uint32_t f[] = { GUEST_SYSENTER_ESP, GUEST_SYSENTER_EIP };
	static const char *const n[] = { "GUEST_SYSENTER_ESP", "GUEST_SYSENTER_EIP" };
	for (int i = 0; i < 2; i++) {
		uint64_t v = fld(c, f[i]);
		if (!canon(c, v))
			return entry_fail(c, f[i], v, "%s 0x%" PRIx64 " is not canonical", n[i], v);
	}
	return true;
}

/* Reserved IA32_S_CET bits 9:6; for a guest outside IA-32e mode the 64-bit CET values
 * must fit 32 bits, in IA-32e mode be canonical. */
static bool cet_addr_ok(const struct entry_ctx *c, uint64_t v)
{
	return ia32e(c) ? canon(c, v) : !(v >> 32);
}

static bool guest_cet_state(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_CET))
		return true;
	uint64_t s_cet = fld(c, GUEST_S_CET), ssp = fld(c, GUEST_SSP);
	uint64_t tbl = fld(c, GUEST_INTR_SSP_TABLE);
	if ((s_cet & 0x3c0) || !cet_addr_ok(c, s_cet))
		return entry_fail(c, GUEST_S_CET, s_cet,
				  "GUEST_S_CET 0x%" PRIx64 " sets reserved bits 9:6 or is not a valid "
				  "address for the guest's mode", s_cet);
	if ((ssp & 3) || !cet_addr_ok(c, ssp))
		return entry_fail(c, GUEST_SSP, ssp,
				  "GUEST_SSP 0x%" PRIx64 " must be 4-byte aligned and a valid address for "
				  "the guest's mode", ssp);
	if (!canon(c, tbl))
		return entry_fail(c, GUEST_INTR_SSP_TABLE, tbl,
				  "GUEST_INTR_SSP_TABLE 0x%" PRIx64 " is not canonical", tbl);
	return true;
}

static bool guest_perf_global_ctrl(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_PERF_GLOBAL))
		return true;
	uint64_t v = fld(c, GUEST_IA32_PERF_GLOBAL_CTRL), ok = facts(c)->perf_global_valid;
	if (v & ~ok)
		return entry_fail(c, GUEST_IA32_PERF_GLOBAL_CTRL, v,
				  "GUEST_IA32_PERF_GLOBAL_CTRL 0x%" PRIx64 " enables counters the model "
				  "lacks (0x%" PRIx64 ")", v, v & ~ok);
	return true;
}

static bool guest_pat(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_PAT))
		return true;
	uint64_t v = fld(c, GUEST_IA32_PAT);
	if (entry_pat_bad_entry(v) >= 0)
		return entry_fail(c, GUEST_IA32_PAT, v,
				  "GUEST_IA32_PAT 0x%" PRIx64 " has a byte that is not a memory type "
				  "(0, 1, 4, 5, 6 or 7)", v);
	return true;
}

static bool guest_efer(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_EFER))
		return true;
	uint64_t v = fld(c, GUEST_IA32_EFER), ok = facts(c)->efer_valid;
	bool lma = v & EFER_LMA;
	if (v & ~ok)
		return entry_fail(c, GUEST_IA32_EFER, v,
				  "GUEST_IA32_EFER 0x%" PRIx64 " sets reserved bits 0x%" PRIx64, v, v & ~ok);
	if (lma != ia32e(c))
		return entry_fail(c, GUEST_IA32_EFER, v,
				  "GUEST_IA32_EFER 0x%" PRIx64 " has LMA = %d but \"IA-32e mode guest\" "
				  "is %d; they must match", v, lma, ia32e(c));
	if ((fld(c, GUEST_CR0) & CR0_PG) && !!(v & EFER_LME) != lma)
		return entry_fail(c, GUEST_IA32_EFER, v,
				  "GUEST_IA32_EFER 0x%" PRIx64 " has LME != LMA with paging on", v);
	return true;
}

static bool guest_bndcfgs(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_BNDCFGS))
		return true;
	uint64_t v = fld(c, GUEST_BNDCFGS);
	if ((v & 0xffc) || !canon(c, v))
		return entry_fail(c, GUEST_BNDCFGS, v,
				  "GUEST_BNDCFGS 0x%" PRIx64 " sets reserved bits 11:2 or has a "
				  "non-canonical base", v);
	return true;
}

/* IA32_RTIT_CTL bits defined by the architecture: 17:0, 22:19 (CycThresh), 27:24
 * (PSBFreq), 47:32 (ADDRn_CFG), 55 (InjectPsbPmiOnEnable). */
#define RTIT_CTL_DEFINED ((uint64_t)0x3ffff | ((uint64_t)0xf << 19) | ((uint64_t)0xf << 24) | \
			  ((uint64_t)0xffff << 32) | BIT(55))

static bool guest_rtit_ctl(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_RTIT_CTL))
		return true;
	uint64_t v = fld(c, GUEST_IA32_RTIT_CTL);
	if (v & ~RTIT_CTL_DEFINED)
		return entry_fail(c, GUEST_IA32_RTIT_CTL, v,
				  "GUEST_IA32_RTIT_CTL 0x%" PRIx64 " sets reserved bits 0x%" PRIx64,
				  v, v & ~RTIT_CTL_DEFINED);
	return true;
}

/* IA32_LBR_CTL: LBREn, OS, USR, CALL_STACK (3:0) and the branch-type filters 22:16. */
#define LBR_CTL_DEFINED ((uint64_t)0x7f000f)

static bool guest_lbr_ctl(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_LBR_CTL))
		return true;
	uint64_t v = fld(c, GUEST_IA32_LBR_CTL);
	if (v & ~LBR_CTL_DEFINED)
		return entry_fail(c, GUEST_IA32_LBR_CTL, v,
				  "GUEST_IA32_LBR_CTL 0x%" PRIx64 " sets reserved bits 0x%" PRIx64,
				  v, v & ~LBR_CTL_DEFINED);
	return true;
}

static bool guest_pkrs(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_PKRS))
		return true;
	uint64_t v = fld(c, GUEST_IA32_PKRS);
	if (v >> 32)
		return entry_fail(c, GUEST_IA32_PKRS, v,
				  "GUEST_IA32_PKRS 0x%" PRIx64 " sets bits 63:32; they must be 0", v);
	return true;
}

static bool guest_fred(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_FRED))
		return true;
	uint64_t cfg = fld(c, GUEST_IA32_FRED_CONFIG);
	if ((cfg & (BIT(2) | BIT(4) | BIT(5) | BIT(11))) || !canon(c, cfg))
		return entry_fail(c, GUEST_IA32_FRED_CONFIG, cfg,
				  "GUEST_IA32_FRED_CONFIG 0x%" PRIx64 " sets reserved bits (2, 5:4, 11) "
				  "or is not canonical", cfg);
	static const uint32_t rsp[] = { GUEST_IA32_FRED_RSP1, GUEST_IA32_FRED_RSP2,
					GUEST_IA32_FRED_RSP3 };
	static const uint32_t ssp[] = { GUEST_IA32_FRED_SSP1, GUEST_IA32_FRED_SSP2,
					GUEST_IA32_FRED_SSP3 };
	for (int i = 0; i < 3; i++) {
		uint64_t v = fld(c, rsp[i]);
		if ((v & 0x3f) || !canon(c, v))
			return entry_fail(c, rsp[i], v,
					  "GUEST_IA32_FRED_RSP%d 0x%" PRIx64 " must be canonical and "
					  "64-byte aligned", i + 1, v);
	}
	for (int i = 0; i < 3; i++) {
		uint64_t v = fld(c, ssp[i]);
		if ((v & 7) || !canon(c, v))
			return entry_fail(c, ssp[i], v,
					  "GUEST_IA32_FRED_SSP%d 0x%" PRIx64 " must be canonical and "
					  "8-byte aligned", i + 1, v);
	}
	return true;
}

static bool guest_spec_ctrl(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_SPEC_CTRL))
		return true;
	uint64_t v = fld(c, GUEST_IA32_SPEC_CTRL), ok = facts(c)->spec_ctrl_valid;
	if (v & ~ok)
		return entry_fail(c, GUEST_IA32_SPEC_CTRL, v,
				  "GUEST_IA32_SPEC_CTRL 0x%" PRIx64 " sets bits the model does not "
				  "implement (0x%" PRIx64 ")", v, v & ~ok);
	return true;
}

static bool guest_uinv(struct entry_ctx *c)
{
	if (!ent(c, ENT_LOAD_UINV))
		return true;
	uint64_t v = fld(c, GUEST_UINV);
	if (v & 0xff00)
		return entry_fail(c, GUEST_UINV, v,
				  "GUEST_UINV 0x%" PRIx64 " is not a vector: bits 15:8 must be 0", v);
	return true;
}

/* ---- C.2 Segment registers ---- */

static bool guest_tr_ti(struct entry_ctx *c)
{
	uint64_t sel = fld(c, GUEST_TR_SELECTOR);
	if (sel & 4)
		return entry_fail(c, GUEST_TR_SELECTOR, sel,
				  "GUEST_TR_SELECTOR 0x%" PRIx64 " points into the LDT (TI = 1); TR must "
				  "come from the GDT", sel);
	return true;
}

static bool guest_ldtr_ti(struct entry_ctx *c)
{
	uint64_t sel = fld(c, GUEST_LDTR_SELECTOR);
	if (usable(c, SEG_LDTR) && (sel & 4))
		return entry_fail(c, GUEST_LDTR_SELECTOR, sel,
				  "GUEST_LDTR_SELECTOR 0x%" PRIx64 " has TI = 1 while LDTR is usable",
				  sel);
	return true;
}

static bool guest_ss_rpl_eq_cs_rpl(struct entry_ctx *c)
{
	if (v86(c) || ug(c))
		return true;
	uint64_t ss = fld(c, GUEST_SS_SELECTOR), cs = fld(c, GUEST_CS_SELECTOR);
	if ((ss & 3) != (cs & 3))
		return entry_fail(c, GUEST_SS_SELECTOR, ss,
				  "GUEST_SS_SELECTOR 0x%" PRIx64 " has RPL %u but GUEST_CS_SELECTOR "
				  "0x%" PRIx64 " has RPL %u; they must be equal", ss, (unsigned)(ss & 3),
				  cs, (unsigned)(cs & 3));
	return true;
}

static bool guest_v86_base(struct entry_ctx *c)
{
	if (!v86(c))
		return true;
	for (size_t i = 0; i < NSEGS(six_segs); i++) {
		int s = six_segs[i];
		uint64_t sel = fld(c, SEL_F(s)) & 0xffff, base = fld(c, BASE_F(s));
		if (base != sel << 4)
			return entry_fail(c, BASE_F(s), base,
					  "virtual-8086 guest: GUEST_%s_BASE 0x%" PRIx64 " must be the "
					  "selector 0x%" PRIx64 " times 16 (0x%" PRIx64 ")", seg_name[s],
					  base, sel, sel << 4);
	}
	return true;
}

static bool guest_v86_limit(struct entry_ctx *c)
{
	if (!v86(c))
		return true;
	for (size_t i = 0; i < NSEGS(six_segs); i++) {
		int s = six_segs[i];
		uint64_t lim = fld(c, LIMIT_F(s));
		if (lim != 0xffff)
			return entry_fail(c, LIMIT_F(s), lim,
					  "virtual-8086 guest: GUEST_%s_LIMIT 0x%" PRIx64 " must be 0xffff",
					  seg_name[s], lim);
	}
	return true;
}

static bool guest_v86_ar(struct entry_ctx *c)
{
	if (!v86(c))
		return true;
	for (size_t i = 0; i < NSEGS(six_segs); i++) {
		int s = six_segs[i];
		uint64_t ar = fld(c, AR_F(s));
		if (ar != 0xf3)
			return entry_fail(c, AR_F(s), ar,
					  "virtual-8086 guest: GUEST_%s_AR_BYTES 0x%" PRIx64 " must be 0xf3 "
					  "(present DPL-3 read/write accessed data)", seg_name[s], ar);
	}
	return true;
}

static bool guest_base_canon(struct entry_ctx *c)
{
	static const int segs[] = { SEG_TR, SEG_FS, SEG_GS, SEG_LDTR };
	for (size_t i = 0; i < NSEGS(segs); i++) {
		int s = segs[i];
		if (s == SEG_LDTR && !usable(c, s))
			continue;
		uint64_t base = fld(c, BASE_F(s));
		if (!canon(c, base))
			return entry_fail(c, BASE_F(s), base,
					  "GUEST_%s_BASE 0x%" PRIx64 " is not canonical", seg_name[s], base);
	}
	return true;
}

static bool guest_base_high0(struct entry_ctx *c)
{
	static const int segs[] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES };
	for (size_t i = 0; i < NSEGS(segs); i++) {
		int s = segs[i];
		if (s != SEG_CS && !usable(c, s))
			continue;
		uint64_t base = fld(c, BASE_F(s));
		if (base >> 32)
			return entry_fail(c, BASE_F(s), base,
					  "GUEST_%s_BASE 0x%" PRIx64 " sets bits 63:32; they must be 0",
					  seg_name[s], base);
	}
	return true;
}

static bool guest_cs_type(struct entry_ctx *c)
{
	if (v86(c))
		return true;
	uint64_t ar = fld(c, GUEST_CS_AR_BYTES);
	unsigned t = AR_TYPE(ar);
	bool ok = t == 9 || t == 11 || t == 13 || t == 15 || (t == 3 && ug(c));
	if (!ok)
		return entry_fail(c, GUEST_CS_AR_BYTES, ar,
				  "GUEST_CS_AR_BYTES 0x%" PRIx64 " has type %u; CS must be accessed code "
				  "(9, 11, 13, 15)%s", ar, t, ug(c) ? " or, unrestricted, data type 3" : "");
	return true;
}

static bool guest_ss_type(struct entry_ctx *c)
{
	if (v86(c) || !usable(c, SEG_SS))
		return true;
	uint64_t ar = fld(c, GUEST_SS_AR_BYTES);
	unsigned t = AR_TYPE(ar);
	if (t != 3 && t != 7)
		return entry_fail(c, GUEST_SS_AR_BYTES, ar,
				  "GUEST_SS_AR_BYTES 0x%" PRIx64 " has type %u; a usable SS must be "
				  "read/write accessed data (3 or 7)", ar, t);
	return true;
}

static bool guest_dseg_type(struct entry_ctx *c)
{
	if (v86(c))
		return true;
	for (size_t i = 0; i < NSEGS(data_segs); i++) {
		int s = data_segs[i];
		if (!usable(c, s))
			continue;
		uint64_t ar = fld(c, AR_F(s));
		unsigned t = AR_TYPE(ar);
		if (!(t & 1))
			return entry_fail(c, AR_F(s), ar,
					  "GUEST_%s_AR_BYTES 0x%" PRIx64 " has type %u without the accessed "
					  "bit", seg_name[s], ar, t);
		if ((t & 8) && !(t & 2))
			return entry_fail(c, AR_F(s), ar,
					  "GUEST_%s_AR_BYTES 0x%" PRIx64 " is execute-only code (type %u); "
					  "a code segment here must be readable", seg_name[s], ar, t);
	}
	return true;
}

static bool guest_seg_s(struct entry_ctx *c)
{
	if (v86(c))
		return true;
	for (size_t i = 0; i < NSEGS(six_segs); i++) {
		int s = six_segs[i];
		if (s != SEG_CS && !usable(c, s))
			continue;
		uint64_t ar = fld(c, AR_F(s));
		if (!(ar & AR_S))
			return entry_fail(c, AR_F(s), ar,
					  "GUEST_%s_AR_BYTES 0x%" PRIx64 " describes a system segment (S = 0); "
					  "it must be code or data", seg_name[s], ar);
	}
	return true;
}

static bool guest_cs_dpl(struct entry_ctx *c)
{
	if (v86(c))
		return true;
	uint64_t ar = fld(c, GUEST_CS_AR_BYTES);
	unsigned t = AR_TYPE(ar), dpl = AR_DPL(ar), ss_dpl = AR_DPL(fld(c, GUEST_SS_AR_BYTES));
	if (t == 3 && dpl != 0)
		return entry_fail(c, GUEST_CS_AR_BYTES, ar,
				  "GUEST_CS_AR_BYTES 0x%" PRIx64 ": a data-type CS (unrestricted guest) "
				  "must have DPL 0, not %u", ar, dpl);
	if ((t == 9 || t == 11) && dpl != ss_dpl)
		return entry_fail(c, GUEST_CS_AR_BYTES, ar,
				  "GUEST_CS_AR_BYTES 0x%" PRIx64 ": non-conforming CS has DPL %u, SS has "
				  "DPL %u; they must be equal", ar, dpl, ss_dpl);
	if ((t == 13 || t == 15) && dpl > ss_dpl)
		return entry_fail(c, GUEST_CS_AR_BYTES, ar,
				  "GUEST_CS_AR_BYTES 0x%" PRIx64 ": conforming CS has DPL %u, above SS's "
				  "DPL %u", ar, dpl, ss_dpl);
	return true;
}

static bool guest_ss_dpl(struct entry_ctx *c)
{
	if (v86(c))
		return true;
	uint64_t ar = fld(c, GUEST_SS_AR_BYTES), sel = fld(c, GUEST_SS_SELECTOR);
	unsigned dpl = AR_DPL(ar);
	if (!ug(c) && dpl != (sel & 3))
		return entry_fail(c, GUEST_SS_AR_BYTES, ar,
				  "GUEST_SS_AR_BYTES 0x%" PRIx64 " has DPL %u but the SS selector 0x%" PRIx64
				  " has RPL %u; they must be equal", ar, dpl, sel, (unsigned)(sel & 3));
	bool cs_data = AR_TYPE(fld(c, GUEST_CS_AR_BYTES)) == 3;
	bool real = !(fld(c, GUEST_CR0) & CR0_PE);
	if ((cs_data || real) && dpl != 0)
		return entry_fail(c, GUEST_SS_AR_BYTES, ar,
				  "GUEST_SS_AR_BYTES 0x%" PRIx64 " has DPL %u; with %s SS.DPL must be 0",
				  ar, dpl, real ? "CR0.PE = 0" : "a data-type CS");
	return true;
}

static bool guest_dseg_dpl(struct entry_ctx *c)
{
	if (v86(c) || ug(c))
		return true;
	for (size_t i = 0; i < NSEGS(data_segs); i++) {
		int s = data_segs[i];
		if (!usable(c, s))
			continue;
		uint64_t ar = fld(c, AR_F(s)), sel = fld(c, SEL_F(s));
		if (AR_TYPE(ar) <= 11 && AR_DPL(ar) < (sel & 3))
			return entry_fail(c, AR_F(s), ar,
					  "GUEST_%s_AR_BYTES 0x%" PRIx64 " has DPL %u below the selector's "
					  "RPL %u (data or non-conforming code needs DPL >= RPL)",
					  seg_name[s], ar, AR_DPL(ar), (unsigned)(sel & 3));
	}
	return true;
}

static bool guest_seg_p(struct entry_ctx *c)
{
	if (v86(c))
		return true;
	for (size_t i = 0; i < NSEGS(six_segs); i++) {
		int s = six_segs[i];
		if (s != SEG_CS && !usable(c, s))
			continue;
		uint64_t ar = fld(c, AR_F(s));
		if (!(ar & AR_P))
			return entry_fail(c, AR_F(s), ar,
					  "GUEST_%s_AR_BYTES 0x%" PRIx64 " is not present (P = 0)",
					  seg_name[s], ar);
	}
	return true;
}

static bool guest_seg_ar_rsvd(struct entry_ctx *c)
{
	if (v86(c))
		return true;
	for (size_t i = 0; i < NSEGS(six_segs); i++) {
		int s = six_segs[i];
		if (s != SEG_CS && !usable(c, s))
			continue;
		uint64_t ar = fld(c, AR_F(s));
		if (ar & AR_RSVD)
			return entry_fail(c, AR_F(s), ar,
					  "GUEST_%s_AR_BYTES 0x%" PRIx64 " sets reserved bits 0x%" PRIx64
					  " (11:8, 31:17 must be 0)", seg_name[s], ar, ar & AR_RSVD);
	}
	return true;
}

static bool guest_cs_db_l(struct entry_ctx *c)
{
	uint64_t ar = fld(c, GUEST_CS_AR_BYTES);
	if (ia32e(c) && (ar & AR_L) && (ar & AR_DB))
		return entry_fail(c, GUEST_CS_AR_BYTES, ar,
				  "GUEST_CS_AR_BYTES 0x%" PRIx64 " sets both L and D/B; a 64-bit CS "
				  "needs D/B = 0", ar);
	return true;
}

static bool guest_seg_g_limit(struct entry_ctx *c)
{
	if (v86(c))
		return true;
	for (size_t i = 0; i < NSEGS(six_segs); i++) {
		int s = six_segs[i];
		if (s != SEG_CS && !usable(c, s))
			continue;
		uint64_t ar = fld(c, AR_F(s)), lim = fld(c, LIMIT_F(s));
		if (!g_limit_ok(lim, ar))
			return entry_fail(c, LIMIT_F(s), lim,
					  "GUEST_%s_LIMIT 0x%" PRIx64 " does not fit granularity G = %d "
					  "(AR 0x%" PRIx64 "): G = 1 needs bits 11:0 all 1, G = 0 needs "
					  "bits 31:20 all 0", seg_name[s], lim, !!(ar & AR_G), ar);
	}
	return true;
}

static bool guest_tr_type(struct entry_ctx *c)
{
	uint64_t ar = fld(c, GUEST_TR_AR_BYTES);
	unsigned t = AR_TYPE(ar);
	if (ia32e(c) ? t != 11 : (t != 3 && t != 11))
		return entry_fail(c, GUEST_TR_AR_BYTES, ar,
				  "GUEST_TR_AR_BYTES 0x%" PRIx64 " has type %u; TR must be a busy %s",
				  ar, t, ia32e(c) ? "64-bit TSS (11)" : "16-bit (3) or 32-bit (11) TSS");
	return true;
}

static bool guest_tr_attr(struct entry_ctx *c)
{
	uint64_t ar = fld(c, GUEST_TR_AR_BYTES), lim = fld(c, GUEST_TR_LIMIT);
	const char *why = NULL;
	if (ar & AR_S)
		why = "S must be 0 (system segment)";
	else if (!(ar & AR_P))
		why = "it must be present";
	else if (ar & AR_RSVD)
		why = "reserved bits 11:8 and 31:17 must be 0";
	else if (ar & AR_UNUSABLE)
		why = "TR cannot be unusable";
	else if (!g_limit_ok(lim, ar))
		return entry_fail(c, GUEST_TR_LIMIT, lim,
				  "GUEST_TR_LIMIT 0x%" PRIx64 " does not fit granularity G = %d of "
				  "GUEST_TR_AR_BYTES 0x%" PRIx64, lim, !!(ar & AR_G), ar);
	if (why)
		return entry_fail(c, GUEST_TR_AR_BYTES, ar, "GUEST_TR_AR_BYTES 0x%" PRIx64 ": %s",
				  ar, why);
	return true;
}

static bool guest_ldtr_attr(struct entry_ctx *c)
{
	uint64_t ar = fld(c, GUEST_LDTR_AR_BYTES), lim = fld(c, GUEST_LDTR_LIMIT);
	if (ar & AR_UNUSABLE)
		return true;
	const char *why = NULL;
	if (AR_TYPE(ar) != 2)
		why = "a usable LDTR must have type 2 (LDT)";
	else if (ar & AR_S)
		why = "S must be 0 (system segment)";
	else if (!(ar & AR_P))
		why = "it must be present";
	else if (ar & AR_RSVD)
		why = "reserved bits 11:8 and 31:17 must be 0";
	else if (!g_limit_ok(lim, ar))
		return entry_fail(c, GUEST_LDTR_LIMIT, lim,
				  "GUEST_LDTR_LIMIT 0x%" PRIx64 " does not fit granularity G = %d of "
				  "GUEST_LDTR_AR_BYTES 0x%" PRIx64, lim, !!(ar & AR_G), ar);
	if (why)
		return entry_fail(c, GUEST_LDTR_AR_BYTES, ar,
				  "GUEST_LDTR_AR_BYTES 0x%" PRIx64 ": %s", ar, why);
	return true;
}

static bool guest_fred_seg(struct entry_ctx *c)
{
	if (!(fld(c, GUEST_CR4) & CR4_FRED))
		return true;
	uint64_t ss = fld(c, GUEST_SS_AR_BYTES), cs = fld(c, GUEST_CS_AR_BYTES);
	uint64_t rfl = fld(c, GUEST_RFLAGS);
	unsigned dpl = AR_DPL(ss);
	if (dpl != 0 && dpl != 3)
		return entry_fail(c, GUEST_SS_AR_BYTES, ss,
				  "with CR4.FRED = 1 GUEST_SS_AR_BYTES 0x%" PRIx64 " must have DPL 0 or 3, "
				  "not %u", ss, dpl);
	if (dpl == 0 && !(cs & AR_L))
		return entry_fail(c, GUEST_CS_AR_BYTES, cs,
				  "with CR4.FRED = 1 and SS.DPL 0, GUEST_CS_AR_BYTES 0x%" PRIx64 " must "
				  "set L (CPL 0 runs 64-bit code)", cs);
	if (dpl == 3 && (rfl & (3ull << 12)))
		return entry_fail(c, GUEST_RFLAGS, rfl,
				  "with CR4.FRED = 1 and SS.DPL 3, GUEST_RFLAGS 0x%" PRIx64 " must have "
				  "IOPL 0", rfl);
	return true;
}

/* ---- C.3 Descriptor-table registers ---- */

static bool guest_dtr_base(struct entry_ctx *c)
{
	uint64_t g = fld(c, GUEST_GDTR_BASE), i = fld(c, GUEST_IDTR_BASE);
	if (!canon(c, g))
		return entry_fail(c, GUEST_GDTR_BASE, g, "GUEST_GDTR_BASE 0x%" PRIx64
				  " is not canonical", g);
	if (!canon(c, i))
		return entry_fail(c, GUEST_IDTR_BASE, i, "GUEST_IDTR_BASE 0x%" PRIx64
				  " is not canonical", i);
	return true;
}

static bool guest_dtr_limit(struct entry_ctx *c)
{
	uint64_t g = fld(c, GUEST_GDTR_LIMIT), i = fld(c, GUEST_IDTR_LIMIT);
	if (g >> 16)
		return entry_fail(c, GUEST_GDTR_LIMIT, g, "GUEST_GDTR_LIMIT 0x%" PRIx64
				  " exceeds 0xffff", g);
	if (i >> 16)
		return entry_fail(c, GUEST_IDTR_LIMIT, i, "GUEST_IDTR_LIMIT 0x%" PRIx64
				  " exceeds 0xffff", i);
	return true;
}

/* ---- C.4 RIP and RFLAGS ---- */

static bool long64(const struct entry_ctx *c)
{
	return ia32e(c) && (fld(c, GUEST_CS_AR_BYTES) & AR_L);
}

static bool guest_rip_high0(struct entry_ctx *c)
{
	uint64_t rip = fld(c, GUEST_RIP);
	/* RIP first: a RIP below 4 GiB (nearly every entry) needs no look at the mode,
	 * and the row then depends on RIP alone (entry_run_cached). */
	if ((rip >> 32) && !long64(c))
		return entry_fail(c, GUEST_RIP, rip,
				  "GUEST_RIP 0x%" PRIx64 " sets bits 63:32 although the guest does not "
				  "start in 64-bit mode", rip);
	return true;
}

/* Bits 63:N equal, N the linear-address width: one bit weaker than canonical. */
static bool guest_rip_canon(struct entry_ctx *c)
{
	unsigned w = facts(c)->la_width;
	uint64_t rip = fld(c, GUEST_RIP);
	if (w >= 64)
		return true;
	/* The bits first, the mode only when they are not all equal (as in
	 * guest_rip_high0). */
	uint64_t top = rip >> w;
	if (top != 0 && top != (~0ull >> w) && long64(c))
		return entry_fail(c, GUEST_RIP, rip,
				  "GUEST_RIP 0x%" PRIx64 ": bits 63:%u must all be equal for a 64-bit "
				  "guest", rip, w);
	return true;
}

static bool guest_rflags_if_inj(struct entry_ctx *c)
{
	uint64_t rfl = fld(c, GUEST_RFLAGS);
	if (injecting(c, EV_EXTINT) && !(rfl & RFLAGS_IF))
		return entry_fail(c, GUEST_RFLAGS, rfl,
				  "GUEST_RFLAGS 0x%" PRIx64 " has IF = 0 while an external interrupt is "
				  "injected", rfl);
	return true;
}

/* ---- C.5 Non-register state ---- */

static bool guest_act_valid(struct entry_ctx *c)
{
	uint64_t act = fld(c, GUEST_ACTIVITY_STATE);
	uint64_t misc = facts(c)->misc;
	if (act > ACT_WAIT_SIPI)
		return entry_fail(c, GUEST_ACTIVITY_STATE, act,
				  "GUEST_ACTIVITY_STATE %" PRIu64 " is not an activity state (0-3)", act);
	if (act != ACT_ACTIVE && !(misc & BIT(5 + act)))
		return entry_fail(c, GUEST_ACTIVITY_STATE, act,
				  "GUEST_ACTIVITY_STATE %" PRIu64 " is not supported: IA32_VMX_MISC bit "
				  "%u is 0", act, (unsigned)(5 + act));
	return true;
}

static bool guest_act_hlt_ssdpl(struct entry_ctx *c)
{
	uint64_t ss = fld(c, GUEST_SS_AR_BYTES);
	if (fld(c, GUEST_ACTIVITY_STATE) == ACT_HLT && AR_DPL(ss) != 0)
		return entry_fail(c, GUEST_ACTIVITY_STATE, ACT_HLT,
				  "HLT activity state with SS.DPL %u (GUEST_SS_AR_BYTES 0x%" PRIx64 "); "
				  "only CPL 0 can halt", AR_DPL(ss), ss);
	return true;
}

static bool guest_act_blocking(struct entry_ctx *c)
{
	uint64_t act = fld(c, GUEST_ACTIVITY_STATE), intr = fld(c, GUEST_INTERRUPTIBILITY_INFO);
	if (act != ACT_ACTIVE && (intr & (INTR_STI | INTR_MOVSS)))
		return entry_fail(c, GUEST_ACTIVITY_STATE, act,
				  "GUEST_ACTIVITY_STATE %" PRIu64 " is not active although "
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " shows STI or MOV-SS blocking",
				  act, intr);
	return true;
}

static bool guest_act_inj(struct entry_ctx *c)
{
	uint64_t info = fld(c, VM_ENTRY_INTR_INFO_FIELD), act = fld(c, GUEST_ACTIVITY_STATE);
	if (!(info & INFO_VALID))
		return true;
	unsigned type = INFO_TYPE(info), vec = INFO_VECTOR(info);
	bool mc = type == EV_HW_EXC && vec == 18;
	bool ok;
	switch (act) {
	case ACT_HLT:
		ok = type == EV_EXTINT || type == EV_NMI || mc ||
		     (type == EV_HW_EXC && vec == 1) || (type == EV_OTHER && vec == 0);
		break;
	case ACT_SHUTDOWN:
		ok = type == EV_NMI || mc;
		break;
	case ACT_WAIT_SIPI:
		ok = false;
		break;
	default:
		ok = true;
		break;
	}
	if (!ok)
		return entry_fail(c, VM_ENTRY_INTR_INFO_FIELD, info,
				  "VM_ENTRY_INTR_INFO_FIELD 0x%" PRIx64 " (type %u, vector %u) cannot be "
				  "delivered in activity state %" PRIu64, info, type, vec, act);
	return true;
}

static bool guest_act_smm_sipi(struct entry_ctx *c)
{
	uint64_t act = fld(c, GUEST_ACTIVITY_STATE);
	if (ent(c, ENT_SMM) && act == ACT_WAIT_SIPI)
		return entry_fail(c, GUEST_ACTIVITY_STATE, act,
				  "wait-for-SIPI activity state with \"entry to SMM\" = 1");
	return true;
}

static bool guest_intr_rsvd(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_INTERRUPTIBILITY_INFO);
	if (v & ~0x1full)
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " sets reserved bits 31:5", v);
	if ((v & INTR_ENCLAVE) && !facts(c)->sgx)
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " sets the enclave bit (4) on "
				  "a model without SGX", v);
	if ((v & INTR_ENCLAVE) && (v & INTR_MOVSS))
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " sets the enclave bit (4) "
				  "together with MOV-SS blocking", v);
	return true;
}

static bool guest_intr_sti_movss(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_INTERRUPTIBILITY_INFO);
	if ((v & INTR_STI) && (v & INTR_MOVSS))
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " shows both STI and MOV-SS "
				  "blocking; at most one may be set", v);
	return true;
}

static bool guest_intr_sti_if(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_INTERRUPTIBILITY_INFO);
	if ((v & INTR_STI) && !(fld(c, GUEST_RFLAGS) & RFLAGS_IF))
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " shows STI blocking while "
				  "RFLAGS.IF = 0", v);
	return true;
}

static bool guest_intr_extint_inj(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_INTERRUPTIBILITY_INFO);
	if (injecting(c, EV_EXTINT) && (v & (INTR_STI | INTR_MOVSS)))
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " blocks by STI or MOV SS "
				  "while an external interrupt is injected", v);
	return true;
}

/* MOV-SS blocking with an injected NMI is refused with qualification 0. The SDM lets a
 * processor also refuse STI blocking, with qualification 3; vtsim's models do. */
static bool guest_intr_nmi_inj(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_INTERRUPTIBILITY_INFO);
	if (!injecting(c, EV_NMI))
		return true;
	if (v & INTR_MOVSS)
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " blocks by MOV SS while an "
				  "NMI is injected", v);
	if (v & INTR_STI) {
		c->diag->qualification = QUAL_NMI_STI;
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " blocks by STI while an NMI "
				  "is injected (this model refuses it)", v);
	}
	return true;
}

/* "Outside SMM" is read as "entry to SMM" = 0: an STM's entry that returns from SMM
 * with blocking by SMI is refused here (docs/design.md, SMM). */
static bool guest_intr_smi_not_smm(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_INTERRUPTIBILITY_INFO);
	if ((v & INTR_SMI) && !ent(c, ENT_SMM))
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " shows blocking by SMI "
				  "outside SMM", v);
	return true;
}

static bool guest_intr_smi_entry_smm(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_INTERRUPTIBILITY_INFO);
	if (ent(c, ENT_SMM) && !(v & INTR_SMI))
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " lacks blocking by SMI "
				  "although \"entry to SMM\" = 1", v);
	return true;
}

static bool guest_intr_vnmi_inj(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_INTERRUPTIBILITY_INFO);
	if (pin(c, PIN_VIRTUAL_NMIS) && injecting(c, EV_NMI) && (v & INTR_NMI))
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " blocks (virtual) NMIs while "
				  "an NMI is injected with \"virtual NMIs\" = 1", v);
	return true;
}

static bool guest_intr_fred_sti(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_INTERRUPTIBILITY_INFO);
	if ((fld(c, GUEST_CR4) & CR4_FRED) && AR_DPL(fld(c, GUEST_SS_AR_BYTES)) == 3 &&
	    (v & INTR_STI))
		return entry_fail(c, GUEST_INTERRUPTIBILITY_INFO, v,
				  "GUEST_INTERRUPTIBILITY_INFO 0x%" PRIx64 " shows STI blocking at "
				  "SS.DPL 3 with CR4.FRED = 1", v);
	return true;
}

static bool guest_penddbg_rsvd(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_PENDING_DBG_EXCEPTIONS);
	uint64_t rsvd = 0xff0 | BIT(13) | BIT(15) | (~0ull << 17) | (facts(c)->rtm ? 0 : PDBG_RTM);
	if (v & rsvd)
		return entry_fail(c, GUEST_PENDING_DBG_EXCEPTIONS, v,
				  "GUEST_PENDING_DBG_EXCEPTIONS 0x%" PRIx64 " sets reserved bits 0x%" PRIx64,
				  v, v & rsvd);
	return true;
}

static bool guest_penddbg_bs(struct entry_ctx *c)
{
	uint64_t intr = fld(c, GUEST_INTERRUPTIBILITY_INFO);
	if (!(intr & (INTR_STI | INTR_MOVSS)) && fld(c, GUEST_ACTIVITY_STATE) != ACT_HLT)
		return true;
	uint64_t v = fld(c, GUEST_PENDING_DBG_EXCEPTIONS);
	bool tf = fld(c, GUEST_RFLAGS) & RFLAGS_TF;
	bool btf = fld(c, GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF;
	bool want = tf && !btf;
	if (!!(v & PDBG_BS) != want)
		return entry_fail(c, GUEST_PENDING_DBG_EXCEPTIONS, v,
				  "GUEST_PENDING_DBG_EXCEPTIONS 0x%" PRIx64 ": with STI/MOV-SS blocking or "
				  "HLT, BS must be %d (RFLAGS.TF %d, DEBUGCTL.BTF %d)", v, want, tf, btf);
	return true;
}

static bool guest_penddbg_rtm(struct entry_ctx *c)
{
	uint64_t v = fld(c, GUEST_PENDING_DBG_EXCEPTIONS);
	if (!(v & PDBG_RTM))
		return true;
	const char *why = NULL;
	if (v & (0xfffull | (7ull << 13)))
		why = "bits 11:0 and 15:13 must be 0";
	else if (!(v & BIT(12)))
		why = "bit 12 (enabled breakpoint) must be 1";
	else if (!facts(c)->rtm)
		why = "the model has no RTM";
	else if (fld(c, GUEST_INTERRUPTIBILITY_INFO) & INTR_MOVSS)
		why = "MOV-SS blocking must be 0";
	if (why)
		return entry_fail(c, GUEST_PENDING_DBG_EXCEPTIONS, v,
				  "GUEST_PENDING_DBG_EXCEPTIONS 0x%" PRIx64 " sets RTM (bit 16): %s", v, why);
	return true;
}

static bool link_malformed(const struct entry_ctx *c, uint64_t lp)
{
	return (lp & 0xfff) || beyond_pa(c, lp);
}

static bool guest_linkptr_addr(struct entry_ctx *c)
{
	uint64_t lp = fld(c, VMCS_LINK_POINTER);
	if (lp != ~0ull && link_malformed(c, lp)) {
		c->diag->qualification = QUAL_LINK;
		return entry_fail(c, VMCS_LINK_POINTER, lp,
				  "VMCS_LINK_POINTER 0x%" PRIx64 " must be all ones, or 4-KByte aligned "
				  "below MAXPHYADDR (%u)", lp, c->maxphyaddr);
	}
	return true;
}

static bool guest_linkptr_rev(struct entry_ctx *c)
{
	uint64_t lp = fld(c, VMCS_LINK_POINTER);
	if (lp == ~0ull || link_malformed(c, lp))
		return true;
	uint32_t got = mem32(c, lp);
	bool shadow = proc2(c, PROC2_SHADOW_VMCS);
	uint32_t want = vmcs_caps_revision_id(c->caps) | (shadow ? 1u << 31 : 0);
	if (got != want) {
		c->diag->qualification = QUAL_LINK;
		return entry_fail(c, VMCS_LINK_POINTER, lp,
				  "the region at VMCS_LINK_POINTER 0x%" PRIx64 " begins with 0x%08x; "
				  "expected revision 0x%x with the shadow bit %s (\"VMCS shadowing\" is %d)",
				  lp, got, vmcs_caps_revision_id(c->caps), shadow ? "set" : "clear", shadow);
	}
	return true;
}

/* Outside SMM (always, in vtsim) the link pointer may not name the current VMCS. */
static bool guest_linkptr_not_self(struct entry_ctx *c)
{
	uint64_t lp = fld(c, VMCS_LINK_POINTER);
	if (lp != ~0ull && lp == c->vmcs->ptr) {
		c->diag->qualification = QUAL_LINK;
		return entry_fail(c, VMCS_LINK_POINTER, lp,
				  "VMCS_LINK_POINTER 0x%" PRIx64 " is the current VMCS itself", lp);
	}
	return true;
}

/* ---- C.6 PDPTEs ---- */

/* PAE paging outside IA-32e mode: each present PDPTE has reserved bits 2:1, 8:5 and
 * 63:MAXPHYADDR clear. With EPT they come from the VMCS, otherwise from the 32-byte
 * table at CR3[31:5] (the check is always made; the SDM allows that). */
static bool guest_pdpte(struct entry_ctx *c)
{
	uint64_t cr0 = fld(c, GUEST_CR0), cr4 = fld(c, GUEST_CR4), cr3 = fld(c, GUEST_CR3);
	if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || ia32e(c))
		return true;
	bool ept = proc2(c, PROC2_EPT);
	uint64_t rsvd = 0x6 | 0x1e0 | (c->maxphyaddr < 64 ? ~0ull << c->maxphyaddr : 0);
	for (unsigned i = 0; i < 4; i++) {
		uint32_t f = (uint32_t)GUEST_PDPTR0 + 2 * i;
		uint64_t e = ept ? fld(c, f) : mem64(c, (cr3 & 0xffffffe0u) + 8 * i);
		if (!(e & 1) || !(e & rsvd))
			continue;
		c->diag->qualification = QUAL_PDPTE;
		if (ept)
			return entry_fail(c, f, e,
					  "GUEST_PDPTR%u 0x%" PRIx64 " is present with reserved bits "
					  "0x%" PRIx64, i, e, e & rsvd);
		return entry_fail(c, GUEST_CR3, cr3,
				  "PDPTE %u 0x%" PRIx64 " of the table at GUEST_CR3 0x%" PRIx64 " is "
				  "present with reserved bits 0x%" PRIx64, i, e, cr3, e & rsvd);
	}
	return true;
}

const struct entry_check entry_checks_guest[] = {
	/* C.1: control registers, debug registers, MSRs (the RFLAGS rows are 3.1.4) */
	{ "GUEST_RFLAGS_RSVD", "3.1.4", "RFLAGS reserved bits clear, bit 1 set", guest_rflags_rsvd },
	{ "GUEST_RFLAGS_VM", "3.1.4", "no virtual-8086 mode in IA-32e mode or with CR0.PE = 0", guest_rflags_vm },
	{ "GUEST_CR0_FIXED", "3.1.1", "guest CR0 within IA32_VMX_CR0_FIXED0/1", guest_cr0_fixed },
	{ "GUEST_CR0_PG_PE", "3.1.1", "guest CR0.PG requires CR0.PE", guest_cr0_pg_pe },
	{ "GUEST_CR4_FIXED", "3.1.1", "guest CR4 within IA32_VMX_CR4_FIXED0/1", guest_cr4_fixed },
	{ "GUEST_CR3_WIDTH", "3.1.1", "guest CR3 below MAXPHYADDR", guest_cr3_width },
	{ "GUEST_CET_WP", "3.1.1", "guest CR4.CET requires CR0.WP", guest_cet_wp },
	{ "GUEST_IA32E_PG_PAE", "3.1.1", "IA-32e mode guest has CR0.PG and CR4.PAE", guest_ia32e_pg_pae },
	{ "GUEST_NON_IA32E_CR4", "3.1.1", "no CR4.PCIDE or CR4.FRED outside IA-32e mode", guest_non_ia32e_cr4 },
	{ "GUEST_DEBUGCTL", "3.1.1", "loaded IA32_DEBUGCTL has no reserved bits", guest_debugctl },
	{ "GUEST_DR7", "3.1.1", "loaded DR7 has bits 63:32 clear", guest_dr7 },
	{ "GUEST_SYSENTER_CANON", "3.1.1", "guest SYSENTER_ESP/EIP canonical", guest_sysenter_canon },
	{ "GUEST_CET_STATE", "3.1.1", "loaded CET state valid", guest_cet_state },
	{ "GUEST_PERF_GLOBAL_CTRL", "3.1.1", "loaded IA32_PERF_GLOBAL_CTRL has no reserved bits", guest_perf_global_ctrl },
	{ "GUEST_PAT", "3.1.1", "loaded IA32_PAT holds memory types only", guest_pat },
	{ "GUEST_EFER", "3.1.1", "loaded IA32_EFER valid and consistent with IA-32e mode", guest_efer },
	{ "GUEST_BNDCFGS", "3.1.1", "loaded IA32_BNDCFGS valid", guest_bndcfgs },
	{ "GUEST_RTIT_CTL", "3.1.1", "loaded IA32_RTIT_CTL has no reserved bits", guest_rtit_ctl },
	{ "GUEST_LBR_CTL", "3.1.1", "loaded IA32_LBR_CTL has no reserved bits", guest_lbr_ctl },
	{ "GUEST_PKRS", "3.1.1", "loaded IA32_PKRS has bits 63:32 clear", guest_pkrs },
	{ "GUEST_FRED", "3.1.1", "loaded FRED MSRs valid", guest_fred },
	{ "GUEST_SPEC_CTRL", "3.1.1", "loaded IA32_SPEC_CTRL sets implemented bits only", guest_spec_ctrl },
	{ "GUEST_UINV", "3.1.1", "loaded UINV is a vector", guest_uinv },
	/* C.2: segment registers */
	{ "GUEST_TR_TI", "3.1.2", "TR selector TI = 0", guest_tr_ti },
	{ "GUEST_LDTR_TI", "3.1.2", "usable LDTR selector TI = 0", guest_ldtr_ti },
	{ "GUEST_SS_RPL_EQ_CS_RPL", "3.1.2", "SS.RPL equals CS.RPL", guest_ss_rpl_eq_cs_rpl },
	{ "GUEST_V86_BASE", "3.1.2", "virtual-8086: segment base = selector * 16", guest_v86_base },
	{ "GUEST_V86_LIMIT", "3.1.2", "virtual-8086: segment limit 0xffff", guest_v86_limit },
	{ "GUEST_V86_AR", "3.1.2", "virtual-8086: access rights 0xf3", guest_v86_ar },
	{ "GUEST_BASE_CANON", "3.1.2", "TR, FS, GS, usable LDTR bases canonical", guest_base_canon },
	{ "GUEST_BASE_HIGH0", "3.1.2", "CS and usable SS, DS, ES bases below 4 GiB", guest_base_high0 },
	{ "GUEST_CS_TYPE", "3.1.2", "CS is accessed code (or data with unrestricted guest)", guest_cs_type },
	{ "GUEST_SS_TYPE", "3.1.2", "usable SS is read/write accessed data", guest_ss_type },
	{ "GUEST_DSEG_TYPE", "3.1.2", "usable DS/ES/FS/GS accessed, code readable", guest_dseg_type },
	{ "GUEST_SEG_S", "3.1.2", "CS and usable segments are code/data (S = 1)", guest_seg_s },
	{ "GUEST_CS_DPL", "3.1.2", "CS.DPL consistent with its type and SS.DPL", guest_cs_dpl },
	{ "GUEST_SS_DPL", "3.1.2", "SS.DPL equals RPL, 0 in real mode or with data CS", guest_ss_dpl },
	{ "GUEST_DSEG_DPL", "3.1.2", "usable data segments have DPL >= RPL", guest_dseg_dpl },
	{ "GUEST_SEG_P", "3.1.2", "CS and usable segments present", guest_seg_p },
	{ "GUEST_SEG_AR_RSVD", "3.1.2", "CS and usable segments: access-rights reserved bits 0", guest_seg_ar_rsvd },
	{ "GUEST_CS_DB_L", "3.1.2", "64-bit CS has D/B = 0", guest_cs_db_l },
	{ "GUEST_SEG_G_LIMIT", "3.1.2", "CS and usable segments: limit fits granularity", guest_seg_g_limit },
	{ "GUEST_TR_TYPE", "3.1.2", "TR is a busy TSS of the right size", guest_tr_type },
	{ "GUEST_TR_ATTR", "3.1.2", "TR usable, present system segment, limit fits", guest_tr_attr },
	{ "GUEST_LDTR_ATTR", "3.1.2", "usable LDTR is a present LDT, limit fits", guest_ldtr_attr },
	{ "GUEST_FRED_SEG", "3.1.2", "with CR4.FRED: CPL 0 or 3, CPL 0 64-bit, IOPL 0 at CPL 3", guest_fred_seg },
	/* C.3: descriptor-table registers */
	{ "GUEST_DTR_BASE", "3.1.3", "GDTR and IDTR bases canonical", guest_dtr_base },
	{ "GUEST_DTR_LIMIT", "3.1.3", "GDTR and IDTR limits at most 0xffff", guest_dtr_limit },
	/* C.4: RIP and RFLAGS */
	{ "GUEST_RIP_HIGH0", "3.1.4", "RIP below 4 GiB unless 64-bit code", guest_rip_high0 },
	{ "GUEST_RIP_CANON", "3.1.4", "64-bit RIP bits above the linear width all equal", guest_rip_canon },
	{ "GUEST_RFLAGS_IF_INJ", "3.1.4", "injected external interrupt needs RFLAGS.IF", guest_rflags_if_inj },
	/* C.5: non-register state */
	{ "GUEST_ACT_VALID", "3.1.5", "activity state exists and is supported", guest_act_valid },
	{ "GUEST_ACT_HLT_SSDPL", "3.1.5", "HLT activity only at SS.DPL 0", guest_act_hlt_ssdpl },
	{ "GUEST_ACT_BLOCKING", "3.1.5", "STI/MOV-SS blocking only in the active state", guest_act_blocking },
	{ "GUEST_ACT_INJ", "3.1.5", "injected event deliverable in the activity state", guest_act_inj },
	{ "GUEST_ACT_SMM_SIPI", "3.1.5", "no wait-for-SIPI on entry to SMM", guest_act_smm_sipi },
	{ "GUEST_INTR_RSVD", "3.1.5", "interruptibility reserved bits 0, enclave bit valid", guest_intr_rsvd },
	{ "GUEST_INTR_STI_MOVSS", "3.1.5", "not both STI and MOV-SS blocking", guest_intr_sti_movss },
	{ "GUEST_INTR_STI_IF", "3.1.5", "STI blocking needs RFLAGS.IF", guest_intr_sti_if },
	{ "GUEST_INTR_EXTINT_INJ", "3.1.5", "no STI/MOV-SS blocking with an injected interrupt", guest_intr_extint_inj },
	{ "GUEST_INTR_NMI_INJ", "3.1.5", "no MOV-SS (or STI) blocking with an injected NMI", guest_intr_nmi_inj },
	{ "GUEST_INTR_SMI_NOT_SMM", "3.1.5", "no blocking by SMI outside SMM", guest_intr_smi_not_smm },
	{ "GUEST_INTR_SMI_ENTRY_SMM", "3.1.5", "blocking by SMI on entry to SMM", guest_intr_smi_entry_smm },
	{ "GUEST_INTR_VNMI_INJ", "3.1.5", "no NMI blocking with an injected virtual NMI", guest_intr_vnmi_inj },
	{ "GUEST_INTR_FRED_STI", "3.1.5", "no STI blocking at CPL 3 with CR4.FRED", guest_intr_fred_sti },
	{ "GUEST_PENDDBG_RSVD", "3.1.5", "pending debug exceptions reserved bits 0", guest_penddbg_rsvd },
	{ "GUEST_PENDDBG_BS", "3.1.5", "pending BS matches TF and BTF when blocked or halted", guest_penddbg_bs },
	{ "GUEST_PENDDBG_RTM", "3.1.5", "pending RTM debug exception well formed", guest_penddbg_rtm },
	{ "GUEST_LINKPTR_ADDR", "3.1.5", "VMCS link pointer aligned, below MAXPHYADDR", guest_linkptr_addr },
	{ "GUEST_LINKPTR_REV", "3.1.5", "linked VMCS has our revision and shadow bit", guest_linkptr_rev },
	{ "GUEST_LINKPTR_NOT_SELF", "3.1.5", "VMCS link pointer is not the current VMCS", guest_linkptr_not_self },
	/* C.6: PDPTEs */
	{ "GUEST_PDPTE", "3.1.6", "PAE guest's present PDPTEs have no reserved bits", guest_pdpte },
};
const size_t entry_checks_guest_count = sizeof(entry_checks_guest) / sizeof(entry_checks_guest[0]);
