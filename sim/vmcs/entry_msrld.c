/* VM-entry checks, class msrld: see entry.h. Rows in SDM order ("VM Entries" 4,
 * loading MSRs). The VM-entry MSR-load list is VM_ENTRY_MSR_LOAD_COUNT 16-byte entries
 * at VM_ENTRY_MSR_LOAD_ADDR: bits 31:0 the MSR index, 63:32 reserved, 127:64 the data.
 * The processor loads them in order and fails on the first bad one, with exit reason
 * 34 and the entry's 1-based number as exit qualification.
 *
 * So that the reported row is the rule the *first* bad entry breaks, every row asks the
 * same question, msrld_first_bad(): which entry fails first, and why; a row fails only
 * if that reason is its own. The walk reads memory through c->pm and stops at the first
 * bad entry, and never goes past the architectural maximum of 512 * (IA32_VMX_MISC[27:25]
 * + 1) entries: a longer list fails there, MSRLD_COUNT, whatever the count field says. */
#include "sim/vmcs/entry.h"
#include "sim/vmcs/entry_model.h"

#include <inttypes.h>

#include "sim/cpu/cpuid.h"

#define BIT(n) ((uint64_t)1 << (n))

/* Why an entry is refused, in the order the rows test it. */
enum msrld_rule {
	MSRLD_OK,
	MSRLD_R_RSVD,       /* bits 63:32 of the entry set */
	MSRLD_R_FSGS,       /* IA32_FS_BASE or IA32_GS_BASE */
	MSRLD_R_X2APIC,     /* 800H-8FFH */
	MSRLD_R_SMM_ONLY,   /* writable only in SMM */
	MSRLD_R_MODEL,      /* not loadable by VM entry on this model */
	MSRLD_R_WRMSR_GP,   /* WRMSR of the value would fault */
	MSRLD_R_COUNT,      /* past the longest list the processor accepts */
};

struct msrld_bad {
	enum msrld_rule rule;
	uint64_t number;    /* 1-based */
	uint64_t pa;        /* where the entry is */
	uint64_t head;      /* bits 63:0: index and reserved */
	uint64_t data;
	const char *why;    /* for MSRLD_R_WRMSR_GP: what the value violates */
};

#define CR0_PG BIT(31)
#define ENT_IA32E BIT(9)

static uint64_t fld(const struct entry_ctx *c, uint32_t enc)
{
	return entry_field(c, enc);
}

static uint64_t mem64(const struct entry_ctx *c, uint64_t pa)
{
	return c->pm ? phys_read64(c->pm, pa) : ~0ull;
}

static bool canon(const struct entry_ctx *c, uint64_t v)
{
	return entry_canonical_in(v, entry_model_la_width(c->caps));
}

/* The longest list the model accepts: 512 * (IA32_VMX_MISC[27:25] + 1). */
static uint64_t list_max(const struct entry_ctx *c)
{
	uint64_t misc = 0;
	if (vmcs_caps_rdmsr(c->caps, MSR_IA32_VMX_MISC, &misc))
		misc = 0;
	return 512 * (((misc >> 25) & 7) + 1);
}

/* ---- Which values WRMSR accepts: the MSRs the model lets a VM entry load ---- */

enum msr_value { V_ANY, V_LOW32, V_CANON, V_PAT, V_EFER };

static const struct {
	uint32_t msr;
	enum msr_value check;
} loadable[] = {
	{ 0x00000010, V_ANY },     /* IA32_TIME_STAMP_COUNTER */
	{ 0x00000174, V_ANY },     /* IA32_SYSENTER_CS */
	{ 0x00000175, V_CANON },   /* IA32_SYSENTER_ESP */
	{ 0x00000176, V_CANON },   /* IA32_SYSENTER_EIP */
	{ 0x00000277, V_PAT },     /* IA32_PAT */
	{ 0xc0000080, V_EFER },    /* IA32_EFER */
	{ 0xc0000081, V_ANY },     /* IA32_STAR */
	{ 0xc0000082, V_CANON },   /* IA32_LSTAR */
	{ 0xc0000083, V_CANON },   /* IA32_CSTAR */
	{ 0xc0000084, V_LOW32 },   /* IA32_FMASK */
	{ 0xc0000100, V_CANON },   /* IA32_FS_BASE (refused earlier: MSRLD_FSGS) */
	{ 0xc0000101, V_CANON },   /* IA32_GS_BASE (likewise) */
	{ 0xc0000102, V_CANON },   /* IA32_KERNEL_GS_BASE */
	{ 0xc0000103, V_LOW32 },   /* IA32_TSC_AUX */
};

/* NULL if WRMSR would take the value, else why not. After guest state is loaded,
 * EFER.LME equals "IA-32e mode guest" whenever paging is on, and WRMSR may not change
 * LME then; LMA is not writable and is ignored. */
static const char *wrmsr_refuses(const struct entry_ctx *c, uint32_t msr, uint64_t v)
{
	size_t i, n = sizeof(loadable) / sizeof(loadable[0]);
	for (i = 0; i < n && loadable[i].msr != msr; i++)
		;
	if (i == n)
		return "the model does not let VM entry load this MSR";
	switch (loadable[i].check) {
	case V_ANY:
		return NULL;
	case V_LOW32:
		return v >> 32 ? "bits 63:32 are reserved" : NULL;
	case V_CANON:
		return canon(c, v) ? NULL : "the address is not canonical";
	case V_PAT:
		return entry_pat_bad_entry(v) < 0 ? NULL : "a byte is not a memory type (0, 1, 4, 5, 6, 7)";
	case V_EFER: {
		if (v & ~entry_model_efer_valid(c->caps))
			return "it sets reserved EFER bits";
		bool ia32e = (fld(c, VM_ENTRY_CONTROLS) & ENT_IA32E) &&
			     (vmcs_caps_allowed1(c->caps, VMCS_CTL_ENTRY) & ENT_IA32E);
		if ((fld(c, GUEST_CR0) & CR0_PG) && !!(v & BIT(8)) != ia32e)
			return "it changes EFER.LME while paging is on";
		return NULL;
	}
	}
	return NULL;
}

/* ---- The walk ---- */

static enum msrld_rule entry_rule(const struct entry_ctx *c, uint64_t head, uint64_t data,
				  const char **why)
{
	uint32_t msr = (uint32_t)head;
	if (head >> 32)
		return MSRLD_R_RSVD;
	if (msr == 0xc0000100 || msr == 0xc0000101)
		return MSRLD_R_FSGS;
	if ((msr >> 8) == 0x8)
		return MSRLD_R_X2APIC;
	if (msr == 0x9b)                    /* IA32_SMM_MONITOR_CTL */
		return MSRLD_R_SMM_ONLY;
	if (msr == 0x79 || msr == 0x8b)     /* IA32_BIOS_UPDT_TRIG, IA32_BIOS_SIGN_ID */
		return MSRLD_R_MODEL;
	if ((*why = wrmsr_refuses(c, msr, data)))
		return MSRLD_R_WRMSR_GP;
	return MSRLD_OK;
}

static enum msrld_rule msrld_first_bad(const struct entry_ctx *c, struct msrld_bad *b)
{
	uint64_t count = fld(c, VM_ENTRY_MSR_LOAD_COUNT) & 0xffffffffu;
	uint64_t addr = fld(c, VM_ENTRY_MSR_LOAD_ADDR), max = list_max(c);
	for (uint64_t i = 1; i <= count; i++) {
		b->number = i;
		b->pa = addr + 16 * (i - 1);
		b->why = NULL;
		if (i > max) {
			b->rule = MSRLD_R_COUNT;
			return b->rule;
		}
		b->head = mem64(c, b->pa);
		b->data = mem64(c, b->pa + 8);
		b->rule = entry_rule(c, b->head, b->data, &b->why);
		if (b->rule != MSRLD_OK)
			return b->rule;
	}
	b->rule = MSRLD_OK;
	return b->rule;
}

/* A row: holds unless the first bad entry breaks this row's rule. */
static bool msrld_row(struct entry_ctx *c, enum msrld_rule rule)
{
	struct msrld_bad b = { MSRLD_OK, 0, 0, 0, 0, NULL };
	if (msrld_first_bad(c, &b) != rule)
		return true;
	c->diag->qualification = b.number > 0xffffffffu ? 0xffffffffu : (uint32_t)b.number;
	uint32_t msr = (uint32_t)b.head;
	uint64_t list = fld(c, VM_ENTRY_MSR_LOAD_ADDR);
	switch (rule) {
	case MSRLD_R_RSVD:
		return entry_fail(c, VM_ENTRY_MSR_LOAD_ADDR, list,
				  "MSR-load entry %" PRIu64 " at 0x%" PRIx64 " sets reserved bits 63:32 "
				  "(0x%" PRIx64 ")", b.number, b.pa, b.head);
	case MSRLD_R_FSGS:
		return entry_fail(c, VM_ENTRY_MSR_LOAD_ADDR, list,
				  "MSR-load entry %" PRIu64 " at 0x%" PRIx64 " loads MSR 0x%x; FS and GS "
				  "bases come from the guest-state area, not the list", b.number, b.pa, msr);
	case MSRLD_R_X2APIC:
		return entry_fail(c, VM_ENTRY_MSR_LOAD_ADDR, list,
				  "MSR-load entry %" PRIu64 " at 0x%" PRIx64 " loads MSR 0x%x in the "
				  "x2APIC range 0x800-0x8ff", b.number, b.pa, msr);
	case MSRLD_R_SMM_ONLY:
		return entry_fail(c, VM_ENTRY_MSR_LOAD_ADDR, list,
				  "MSR-load entry %" PRIu64 " at 0x%" PRIx64 " loads MSR 0x%x, writable "
				  "only in SMM", b.number, b.pa, msr);
	case MSRLD_R_MODEL:
		return entry_fail(c, VM_ENTRY_MSR_LOAD_ADDR, list,
				  "MSR-load entry %" PRIu64 " at 0x%" PRIx64 " loads MSR 0x%x, which this "
				  "model never loads on VM entry", b.number, b.pa, msr);
	case MSRLD_R_WRMSR_GP:
		return entry_fail(c, VM_ENTRY_MSR_LOAD_ADDR, list,
				  "MSR-load entry %" PRIu64 " at 0x%" PRIx64 ": WRMSR 0x%x of 0x%" PRIx64
				  " would fault: %s", b.number, b.pa, msr, b.data, b.why ? b.why : "?");
	case MSRLD_R_COUNT: {
		uint64_t n = fld(c, VM_ENTRY_MSR_LOAD_COUNT);
		return entry_fail(c, VM_ENTRY_MSR_LOAD_COUNT, n,
				  "VM_ENTRY_MSR_LOAD_COUNT %" PRIu64 " exceeds the %" PRIu64 " entries "
				  "IA32_VMX_MISC allows", n, list_max(c));
	}
	default:
		return true;
	}
}

static bool msrld_rsvd(struct entry_ctx *c) { return msrld_row(c, MSRLD_R_RSVD); }
static bool msrld_fsgs(struct entry_ctx *c) { return msrld_row(c, MSRLD_R_FSGS); }
static bool msrld_x2apic(struct entry_ctx *c) { return msrld_row(c, MSRLD_R_X2APIC); }
static bool msrld_smm_only(struct entry_ctx *c) { return msrld_row(c, MSRLD_R_SMM_ONLY); }
static bool msrld_model(struct entry_ctx *c) { return msrld_row(c, MSRLD_R_MODEL); }
static bool msrld_wrmsr_gp(struct entry_ctx *c) { return msrld_row(c, MSRLD_R_WRMSR_GP); }
static bool msrld_count(struct entry_ctx *c) { return msrld_row(c, MSRLD_R_COUNT); }

const struct entry_check entry_checks_msrld[] = {
	{ "MSRLD_RSVD", "4", "MSR-load entry bits 63:32 clear", msrld_rsvd },
	{ "MSRLD_FSGS", "4", "MSR-load list does not load FS or GS base", msrld_fsgs },
	{ "MSRLD_X2APIC", "4", "MSR-load list stays out of the x2APIC range", msrld_x2apic },
	{ "MSRLD_SMM_ONLY", "4", "MSR-load list loads no SMM-only MSR", msrld_smm_only },
	{ "MSRLD_MODEL", "4", "MSR-load list loads no MSR the model refuses", msrld_model },
	{ "MSRLD_WRMSR_GP", "4", "each loaded value is one WRMSR accepts", msrld_wrmsr_gp },
	{ "MSRLD_COUNT", "4", "MSR-load list no longer than IA32_VMX_MISC allows", msrld_count },
};
const size_t entry_checks_msrld_count = sizeof(entry_checks_msrld) / sizeof(entry_checks_msrld[0]);
