/* VM-entry checks, class host: see entry.h. Rows in SDM order ("VM Entries" 2.2 to
 * 2.4, the address-space-size rules that compare the VMCS with the processor's mode
 * first); a failure is VMfailValid(8).
 *
 * Conventions: a predicate only reads the VMCS, the capability MSRs and the CPUID model
 * behind them; it applies only when its condition holds (a "load ..." VM-exit control,
 * the host address-space size); it never assumes a field holds a sane value. Rows whose
 * feature a model lacks (CET, PKS, FRED, a PMU...) still run: the control they depend on
 * is then 0 in any VMCS that passed the control checks, so they hold trivially. Addresses
 * are canonical in the 48-bit sense of entry_canonical(). */
#include "sim/vmcs/entry.h"
#include "sim/vmcs/entry_model.h"

#include <inttypes.h>

#include "sim/cpu/cpuid.h"

/* VM-exit controls (primary) and secondary VM-exit controls read here. */
#define EXIT_HOST_ADDR64       (1ull << 9)
#define EXIT_LOAD_PERF_GLOBAL  (1ull << 12)
#define EXIT_LOAD_PAT          (1ull << 19)
#define EXIT_LOAD_EFER         (1ull << 21)
#define EXIT_LOAD_CET          (1ull << 28)
#define EXIT_LOAD_PKRS         (1ull << 29)
#define EXIT_SECONDARY         (1ull << 31)
#define EXIT2_LOAD_FRED        (1ull << 1)
#define EXIT2_LOAD_SPEC_CTRL   (1ull << 2)
/* VM-entry control. */
#define ENTRY_IA32E_GUEST      (1ull << 9)

#define CR0_WP     (1ull << 16)
#define CR4_PAE    (1ull << 5)
#define CR4_PCIDE  (1ull << 17)
#define CR4_CET    (1ull << 23)

#define EFER_LME   (1ull << 8)
#define EFER_LMA   (1ull << 10)

/* IA32_S_CET bits 9:6 are reserved; CR3 bits 62:61 are LAM_U57/LAM_U48. */
#define S_CET_RESERVED       0x3c0ull
#define CR3_LAM_BITS         (3ull << 61)
/* IA32_FRED_CONFIG: bit 2, bits 5:4 and bit 11 are reserved; bits 63:12 hold the
 * entry point, a linear address. */
#define FRED_CONFIG_RESERVED UINT64_C(0x834)

/* CPUID bits consulted (leaf.subleaf:register[bit]). */
#define CPUID_07_1_EAX_LAM        (1u << 26)

static uint64_t f(const struct entry_ctx *c, uint32_t enc)
{
	return entry_field(c, enc);
}

static bool host64(const struct entry_ctx *c)
{
	return f(c, VM_EXIT_CONTROLS) & EXIT_HOST_ADDR64;
}

static bool exit_ctl(const struct entry_ctx *c, uint64_t bit)
{
	return f(c, VM_EXIT_CONTROLS) & bit;
}

/* Secondary VM-exit controls count only when "activate secondary VM-exit controls" is
 * 1; otherwise they are taken as 0. */
static bool exit2_ctl(const struct entry_ctx *c, uint64_t bit)
{
	return (f(c, VM_EXIT_CONTROLS) & EXIT_SECONDARY) && (f(c, SECONDARY_VM_EXIT_CONTROLS) & bit);
}

/* CPUID of the model behind the capabilities (zeros if there is none). */
static struct cpuid_regs model_cpuid(const struct entry_ctx *c, uint32_t leaf, uint32_t subleaf)
{
	return entry_model_cpuid(c->caps, leaf, subleaf);
}

static uint64_t cap_msr(const struct entry_ctx *c, uint32_t msr, uint64_t absent)
{
	return entry_model_msr(c->caps, msr, absent);
}

/* --- 2.4: the processor's mode against the address-space-size controls --- */

static bool host_addrsz_lma1(struct entry_ctx *c)
{
	if (!c->lma || host64(c))
		return true;
	return entry_fail(c, VM_EXIT_CONTROLS, f(c, VM_EXIT_CONTROLS),
			  "the processor is in IA-32e mode (EFER.LMA=1) but VM-exit control 9 "
			  "\"host address-space size\" is 0; it must be 1");
}

static bool host_addrsz_lma0(struct entry_ctx *c)
{
	if (c->lma)
		return true;
	uint64_t entry = f(c, VM_ENTRY_CONTROLS);
	if (entry & ENTRY_IA32E_GUEST)
		return entry_fail(c, VM_ENTRY_CONTROLS, entry,
				  "the processor is outside IA-32e mode (EFER.LMA=0) but VM-entry "
				  "control 9 \"IA-32e mode guest\" is 1; it must be 0");
	if (host64(c))
		return entry_fail(c, VM_EXIT_CONTROLS, f(c, VM_EXIT_CONTROLS),
				  "the processor is outside IA-32e mode (EFER.LMA=0) but VM-exit "
				  "control 9 \"host address-space size\" is 1; it must be 0");
	return true;
}

/* --- 2.2: host control registers, MSRs and SSP --- */

/* HOST_CR0 and HOST_CR4 against their IA32_VMX_CRn_FIXED0/1 pair. */
static bool host_cr_fixed(struct entry_ctx *c, uint32_t field, unsigned n, uint32_t msr_fixed0,
			  uint32_t msr_fixed1)
{
	uint64_t cr = f(c, field);
	uint64_t fixed0 = cap_msr(c, msr_fixed0, 0);
	uint64_t fixed1 = cap_msr(c, msr_fixed1, ~0ull);
	if ((cr & fixed0) != fixed0)
		return entry_fail(c, field, cr,
				  "HOST_CR%u 0x%08" PRIx64 " lacks 0x%08" PRIx64
				  " required by IA32_VMX_CR%u_FIXED0",
				  n, cr, fixed0 & ~cr, n);
	if (cr & ~fixed1)
		return entry_fail(c, field, cr,
				  "HOST_CR%u 0x%08" PRIx64 " sets 0x%" PRIx64
				  ", outside IA32_VMX_CR%u_FIXED1 0x%08" PRIx64,
				  n, cr, cr & ~fixed1, n, fixed1);
	return true;
}

static bool host_cr0_fixed(struct entry_ctx *c)
{
	return host_cr_fixed(c, HOST_CR0, 0, MSR_IA32_VMX_CR0_FIXED0, MSR_IA32_VMX_CR0_FIXED1);
}

static bool host_cr4_fixed(struct entry_ctx *c)
{
	return host_cr_fixed(c, HOST_CR4, 4, MSR_IA32_VMX_CR4_FIXED0, MSR_IA32_VMX_CR4_FIXED1);
}

static bool host_cr3_width(struct entry_ctx *c)
{
	uint64_t cr3 = f(c, HOST_CR3);
	unsigned w = c->maxphyaddr < 64 ? c->maxphyaddr : 64;
	uint64_t beyond = w >= 64 ? 0 : cr3 & (~0ull << w);
	/* With LAM, bits 62:61 of CR3 are controls, not address bits. */
	if ((beyond & CR3_LAM_BITS) && (model_cpuid(c, 7, 1).eax & CPUID_07_1_EAX_LAM))
		beyond &= ~CR3_LAM_BITS;
	if (!beyond)
		return true;
	return entry_fail(c, HOST_CR3, cr3,
			  "HOST_CR3 0x%" PRIx64 " sets bits 0x%" PRIx64
			  " at or above MAXPHYADDR (%u); they must be 0",
			  cr3, beyond, w);
}

static bool host_cet_wp(struct entry_ctx *c)
{
	uint64_t cr0 = f(c, HOST_CR0);
	if (!(f(c, HOST_CR4) & CR4_CET) || (cr0 & CR0_WP))
		return true;
	return entry_fail(c, HOST_CR0, cr0,
			  "HOST_CR4.CET is 1 but HOST_CR0 0x%08" PRIx64
			  " has WP (bit 16) clear; CET requires CR0.WP=1", cr0);
}

static bool host_sysenter_canon(struct entry_ctx *c)
{
	static const struct { uint32_t enc; const char *name; } r[] = {
		{ HOST_IA32_SYSENTER_ESP, "HOST_IA32_SYSENTER_ESP" },
		{ HOST_IA32_SYSENTER_EIP, "HOST_IA32_SYSENTER_EIP" },
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		uint64_t v = f(c, r[i].enc);
		if (!entry_canonical(v))
			return entry_fail(c, r[i].enc, v,
					  "%s 0x%016" PRIx64 " is not canonical (bits 63:47 must "
					  "all equal bit 47)", r[i].name, v);
	}
	return true;
}

static bool host_cet_state(struct entry_ctx *c)
{
	if (!exit_ctl(c, EXIT_LOAD_CET))
		return true;
	bool h64 = host64(c);
	uint64_t s_cet = f(c, HOST_S_CET);
	if (s_cet & S_CET_RESERVED)
		return entry_fail(c, HOST_S_CET, s_cet,
				  "\"load CET state\" is 1 and HOST_S_CET 0x%" PRIx64
				  " sets reserved bits 9:6; they must be 0", s_cet);
	if (!entry_canonical(s_cet) || (!h64 && (s_cet >> 32)))
		return entry_fail(c, HOST_S_CET, s_cet,
				  "\"load CET state\" is 1 and HOST_S_CET 0x%016" PRIx64
				  " is not %s", s_cet,
				  h64 ? "canonical" : "a 32-bit value (32-bit host)");
	uint64_t ssp = f(c, HOST_SSP);
	if (ssp & 3)
		return entry_fail(c, HOST_SSP, ssp,
				  "\"load CET state\" is 1 and HOST_SSP 0x%016" PRIx64
				  " is not 4-byte aligned (bits 1:0 must be 0)", ssp);
	if (h64 ? !entry_canonical(ssp) : (ssp >> 32) != 0)
		return entry_fail(c, HOST_SSP, ssp,
				  "\"load CET state\" is 1 and HOST_SSP 0x%016" PRIx64
				  " is not %s", ssp,
				  h64 ? "canonical" : "a 32-bit value (32-bit host)");
	uint64_t tbl = f(c, HOST_INTR_SSP_TABLE);
	if (!entry_canonical(tbl))
		return entry_fail(c, HOST_INTR_SSP_TABLE, tbl,
				  "\"load CET state\" is 1 and the host "
				  "IA32_INTERRUPT_SSP_TABLE_ADDR 0x%016" PRIx64 " is not canonical",
				  tbl);
	return true;
}

static bool host_perf_global_ctrl(struct entry_ctx *c)
{
	if (!exit_ctl(c, EXIT_LOAD_PERF_GLOBAL))
		return true;
	uint64_t v = f(c, HOST_IA32_PERF_GLOBAL_CTRL);
	uint64_t bad = v & ~entry_model_perf_global_valid(c->caps);
	if (!bad)
		return true;
	return entry_fail(c, HOST_IA32_PERF_GLOBAL_CTRL, v,
			  "\"load IA32_PERF_GLOBAL_CTRL\" is 1 and the host value 0x%016" PRIx64
			  " sets reserved bits 0x%" PRIx64 " (no such counters)", v, bad);
}

static bool host_pat(struct entry_ctx *c)
{
	if (!exit_ctl(c, EXIT_LOAD_PAT))
		return true;
	uint64_t pat = f(c, HOST_IA32_PAT);
	int i = entry_pat_bad_entry(pat);
	if (i >= 0)
		return entry_fail(c, HOST_IA32_PAT, pat,
				  "\"load IA32_PAT\" is 1 and HOST_IA32_PAT 0x%016" PRIx64
				  " has entry %d = 0x%02x; each entry must be 0, 1, 4, 5, 6 or 7",
				  pat, i, (unsigned)(pat >> (8 * i)) & 0xff);
	return true;
}

static bool host_efer(struct entry_ctx *c)
{
	if (!exit_ctl(c, EXIT_LOAD_EFER))
		return true;
	uint64_t efer = f(c, HOST_IA32_EFER);
	uint64_t valid = entry_model_efer_valid(c->caps);
	if (efer & ~valid)
		return entry_fail(c, HOST_IA32_EFER, efer,
				  "\"load IA32_EFER\" is 1 and HOST_IA32_EFER 0x%" PRIx64
				  " sets reserved bits 0x%" PRIx64, efer, efer & ~valid);
	bool h64 = host64(c);
	if (!!(efer & EFER_LMA) != h64 || !!(efer & EFER_LME) != h64)
		return entry_fail(c, HOST_IA32_EFER, efer,
				  "\"load IA32_EFER\" is 1 and HOST_IA32_EFER 0x%" PRIx64
				  " has LMA=%d LME=%d; both must equal \"host address-space size\" (%d)",
				  efer, !!(efer & EFER_LMA), !!(efer & EFER_LME), h64);
	return true;
}

static bool host_pkrs(struct entry_ctx *c)
{
	if (!exit_ctl(c, EXIT_LOAD_PKRS))
		return true;
	uint64_t v = f(c, HOST_IA32_PKRS);
	if (!(v >> 32))
		return true;
	return entry_fail(c, HOST_IA32_PKRS, v,
			  "\"load PKRS\" is 1 and HOST_IA32_PKRS 0x%016" PRIx64
			  " sets bits 63:32; they must be 0", v);
}

static bool host_fred(struct entry_ctx *c)
{
	if (!exit2_ctl(c, EXIT2_LOAD_FRED))
		return true;
	uint64_t cfg = f(c, HOST_IA32_FRED_CONFIG);
	if (cfg & FRED_CONFIG_RESERVED)
		return entry_fail(c, HOST_IA32_FRED_CONFIG, cfg,
				  "\"load host FRED state\" is 1 and HOST_IA32_FRED_CONFIG 0x%016" PRIx64
				  " sets reserved bits 0x%" PRIx64 " (bits 11, 5:4 and 2 must be 0)",
				  cfg, cfg & FRED_CONFIG_RESERVED);
	if (!entry_canonical(cfg & ~0xfffull))
		return entry_fail(c, HOST_IA32_FRED_CONFIG, cfg,
				  "\"load host FRED state\" is 1 and the entry point in "
				  "HOST_IA32_FRED_CONFIG 0x%016" PRIx64 " is not canonical", cfg);
	static const struct { uint32_t enc; const char *name; uint64_t align; } r[] = {
		{ HOST_IA32_FRED_RSP1, "HOST_IA32_FRED_RSP1", 64 },
		{ HOST_IA32_FRED_RSP2, "HOST_IA32_FRED_RSP2", 64 },
		{ HOST_IA32_FRED_RSP3, "HOST_IA32_FRED_RSP3", 64 },
		{ HOST_IA32_FRED_SSP1, "HOST_IA32_FRED_SSP1", 8 },
		{ HOST_IA32_FRED_SSP2, "HOST_IA32_FRED_SSP2", 8 },
		{ HOST_IA32_FRED_SSP3, "HOST_IA32_FRED_SSP3", 8 },
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		uint64_t v = f(c, r[i].enc);
		if (!entry_canonical(v) || (v & (r[i].align - 1)))
			return entry_fail(c, r[i].enc, v,
					  "\"load host FRED state\" is 1 and %s 0x%016" PRIx64
					  " is not a canonical, %u-byte aligned address",
					  r[i].name, v, (unsigned)r[i].align);
	}
	return true;
}

static bool host_spec_ctrl(struct entry_ctx *c)
{
	if (!exit2_ctl(c, EXIT2_LOAD_SPEC_CTRL))
		return true;
	uint64_t v = f(c, HOST_IA32_SPEC_CTRL);
	uint64_t bad = v & ~entry_model_spec_ctrl_valid(c->caps);
	if (!bad)
		return true;
	return entry_fail(c, HOST_IA32_SPEC_CTRL, v,
			  "\"load host IA32_SPEC_CTRL\" is 1 and HOST_IA32_SPEC_CTRL 0x%" PRIx64
			  " sets bits 0x%" PRIx64 " that WRMSR would refuse", v, bad);
}

/* --- 2.3: host segment and descriptor-table registers --- */

static bool host_sel_rpl_ti(struct entry_ctx *c)
{
	static const struct { uint32_t enc; const char *name; } r[] = {
		{ HOST_ES_SELECTOR, "HOST_ES_SELECTOR" },
		{ HOST_CS_SELECTOR, "HOST_CS_SELECTOR" },
		{ HOST_SS_SELECTOR, "HOST_SS_SELECTOR" },
		{ HOST_DS_SELECTOR, "HOST_DS_SELECTOR" },
		{ HOST_FS_SELECTOR, "HOST_FS_SELECTOR" },
		{ HOST_GS_SELECTOR, "HOST_GS_SELECTOR" },
		{ HOST_TR_SELECTOR, "HOST_TR_SELECTOR" },
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		uint64_t v = f(c, r[i].enc);
		if (v & 7)
			return entry_fail(c, r[i].enc, v,
					  "%s 0x%04" PRIx64 " has RPL=%u TI=%u; both must be 0",
					  r[i].name, v, (unsigned)(v & 3), (unsigned)((v >> 2) & 1));
	}
	return true;
}

static bool host_cs_nonnull(struct entry_ctx *c)
{
	if (f(c, HOST_CS_SELECTOR))
		return true;
	return entry_fail(c, HOST_CS_SELECTOR, 0, "HOST_CS_SELECTOR is 0; CS must not be null");
}

static bool host_tr_nonnull(struct entry_ctx *c)
{
	if (f(c, HOST_TR_SELECTOR))
		return true;
	return entry_fail(c, HOST_TR_SELECTOR, 0, "HOST_TR_SELECTOR is 0; TR must not be null");
}

static bool host_ss_nonnull(struct entry_ctx *c)
{
	if (host64(c) || f(c, HOST_SS_SELECTOR))
		return true;
	return entry_fail(c, HOST_SS_SELECTOR, 0,
			  "HOST_SS_SELECTOR is 0 with \"host address-space size\" 0; a 32-bit "
			  "host needs a non-null SS");
}

static bool host_base_canon(struct entry_ctx *c)
{
	static const struct { uint32_t enc; const char *name; } r[] = {
		{ HOST_FS_BASE, "HOST_FS_BASE" },
		{ HOST_GS_BASE, "HOST_GS_BASE" },
		{ HOST_GDTR_BASE, "HOST_GDTR_BASE" },
		{ HOST_IDTR_BASE, "HOST_IDTR_BASE" },
		{ HOST_TR_BASE, "HOST_TR_BASE" },
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		uint64_t v = f(c, r[i].enc);
		if (!entry_canonical(v))
			return entry_fail(c, r[i].enc, v,
					  "%s 0x%016" PRIx64 " is not canonical (bits 63:47 must "
					  "all equal bit 47)", r[i].name, v);
	}
	return true;
}

/* --- 2.4: consequences of the host address-space size --- */

static bool host_addrsz0_rules(struct entry_ctx *c)
{
	if (host64(c))
		return true;
	uint64_t entry = f(c, VM_ENTRY_CONTROLS);
	if (entry & ENTRY_IA32E_GUEST)
		return entry_fail(c, VM_ENTRY_CONTROLS, entry,
				  "\"host address-space size\" is 0 but VM-entry control 9 "
				  "\"IA-32e mode guest\" is 1; a 32-bit host needs a 32-bit guest");
	uint64_t cr4 = f(c, HOST_CR4);
	if (cr4 & CR4_PCIDE)
		return entry_fail(c, HOST_CR4, cr4,
				  "\"host address-space size\" is 0 but HOST_CR4 0x%08" PRIx64
				  " sets PCIDE (bit 17); it must be 0", cr4);
	uint64_t rip = f(c, HOST_RIP);
	if (rip >> 32)
		return entry_fail(c, HOST_RIP, rip,
				  "\"host address-space size\" is 0 but HOST_RIP 0x%016" PRIx64
				  " sets bits 63:32; they must be 0", rip);
	return true;
}

static bool host_addrsz1_rules(struct entry_ctx *c)
{
	if (!host64(c))
		return true;
	uint64_t cr4 = f(c, HOST_CR4);
	if (!(cr4 & CR4_PAE))
		return entry_fail(c, HOST_CR4, cr4,
				  "\"host address-space size\" is 1 but HOST_CR4 0x%08" PRIx64
				  " has PAE (bit 5) clear; a 64-bit host needs PAE", cr4);
	uint64_t rip = f(c, HOST_RIP);
	if (!entry_canonical(rip))
		return entry_fail(c, HOST_RIP, rip,
				  "\"host address-space size\" is 1 but HOST_RIP 0x%016" PRIx64
				  " is not canonical", rip);
	return true;
}

const struct entry_check entry_checks_host[] = {
	{ "HOST_ADDRSZ_LMA1", "2.4", "in IA-32e mode the host address-space size must be 1",
	  host_addrsz_lma1 },
	{ "HOST_ADDRSZ_LMA0", "2.4",
	  "outside IA-32e mode IA-32e mode guest and host address-space size must be 0",
	  host_addrsz_lma0 },
	{ "HOST_CR0_FIXED", "2.2", "host CR0 respects IA32_VMX_CR0_FIXED0/FIXED1",
	  host_cr0_fixed },
	{ "HOST_CR4_FIXED", "2.2", "host CR4 respects IA32_VMX_CR4_FIXED0/FIXED1",
	  host_cr4_fixed },
	{ "HOST_CR3_WIDTH", "2.2", "host CR3 has no bits at or above MAXPHYADDR",
	  host_cr3_width },
	{ "HOST_CET_WP", "2.2", "host CR4.CET=1 requires host CR0.WP=1", host_cet_wp },
	{ "HOST_SYSENTER_CANON", "2.2", "host SYSENTER_ESP and SYSENTER_EIP are canonical",
	  host_sysenter_canon },
	{ "HOST_CET_STATE", "2.2", "load CET state: S_CET, SSP and SSP table address valid",
	  host_cet_state },
	{ "HOST_PERF_GLOBAL_CTRL", "2.2", "load PERF_GLOBAL_CTRL: no reserved bits set",
	  host_perf_global_ctrl },
	{ "HOST_PAT", "2.2", "load PAT: every entry is a valid memory type", host_pat },
	{ "HOST_EFER", "2.2", "load EFER: no reserved bits, LMA and LME match host size",
	  host_efer },
	{ "HOST_PKRS", "2.2", "load PKRS: bits 63:32 are 0", host_pkrs },
	{ "HOST_FRED", "2.2", "load host FRED: CONFIG, RSP1-3 and SSP1-3 valid", host_fred },
	{ "HOST_SPEC_CTRL", "2.2", "load host SPEC_CTRL: only bits the CPU supports",
	  host_spec_ctrl },
	{ "HOST_SEL_RPL_TI", "2.3", "host ES/CS/SS/DS/FS/GS/TR selectors have RPL=0, TI=0",
	  host_sel_rpl_ti },
	{ "HOST_CS_NONNULL", "2.3", "host CS selector is not null", host_cs_nonnull },
	{ "HOST_TR_NONNULL", "2.3", "host TR selector is not null", host_tr_nonnull },
	{ "HOST_SS_NONNULL", "2.3", "a 32-bit host has a non-null SS selector", host_ss_nonnull },
	{ "HOST_BASE_CANON", "2.3", "host FS/GS/GDTR/IDTR/TR bases are canonical",
	  host_base_canon },
	{ "HOST_ADDRSZ0_RULES", "2.4", "32-bit host: no IA-32e guest, no PCIDE, RIP below 4 GB",
	  host_addrsz0_rules },
	{ "HOST_ADDRSZ1_RULES", "2.4", "64-bit host: CR4.PAE=1 and canonical RIP",
	  host_addrsz1_rules },
};
const size_t entry_checks_host_count = sizeof(entry_checks_host) / sizeof(entry_checks_host[0]);
