/* VMX capability MSRs of the CPU models, as constant data (see caps.h).
 *
 * A control MSR (481H-484H, 48BH, 48DH-490H) reads as allowed-0 settings in bits 31:0
 * (a 1 there: the control must be 1) and allowed-1 settings in bits 63:32 (a 0 there:
 * the control must be 0). In the original MSRs the allowed-0 half is exactly the
 * "default1" class of the control word, the reserved bits that older processors forced
 * to 1; the TRUE MSRs show which of them may in fact be 0.
 *
 * What a model offers. The models describe real parts, cut down to what the rest of
 * vtsim can honour:
 *  - No control whose instruction or state the CPUID model does not have: the CPUID
 *    models (sim/cpu/cpuid.c) leave out XSAVES, WAITPKG, SGX, PCONFIG, Intel PT, MPX,
 *    CET, PKS, UINTR, arch LBRs, FRED and the architectural PMU (leaf 0AH is zero), and
 *    the minimal model RDRAND, RDSEED and INVPCID, so no "enable XSAVES/XRSTORS",
 *    "load CET state", "load IA32_PERF_GLOBAL_CTRL" ... either: a processor offering those controls
 *    without the instructions and MSRs behind them does not exist.
 *    tests/unit/test_vmx_caps.c checks this against CPUID.
 *  - SMM as far as the dual-monitor treatment needs it (sim/cpu/smm.c): the xeon model
 *    reports the treatment (BASIC[49] = 1, MSEG revision 1 in MISC[63:32], the
 *    IA32_SMBASE MSR, MISC[15] = 1) and the "entry to SMM" / "deactivate dual-monitor
 *    treatment" entry controls; MISC[28] (VMXOFF unblocking SMIs) stays 0. The
 *    minimal model has none of it.
 *  - EPT walks are 4-level only (MACHINE.md; the CPUID models have no LA57).
 */
#include "sim/vmcs/caps.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cpu/cpuid.h"
#include "sim/vmcs/controls.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1u << (n))
#define BIT64(n) (1ull << (n))

/* A control MSR from its two halves. */
#define CTLS(allowed0, allowed1) (((uint64_t)(uint32_t)(allowed1) << 32) | (uint32_t)(allowed0))

/* ---- IA32_VMX_BASIC (480H) ---- */
#define VMX_BASIC_REVISION(id)      ((uint64_t)(id) & 0x7FFFFFFFu) /* 30:0; bit 31 is 0 */
#define VMX_BASIC_REGION_SIZE(n)    ((uint64_t)(n) << 32)  /* 44:32: bytes for VMXON/VMCS */
#define VMX_BASIC_32BIT_PHYS_ADDR_ONLY BIT64(48) /* structures below 4 GiB (never on Intel 64) */
#define VMX_BASIC_DUAL_MONITOR      BIT64(49)    /* dual-monitor treatment of SMI and SMM */
#define VMX_BASIC_MEMTYPE_WB        (6ull << 50) /* 53:50: VMX structures are write-back */
#define VMX_BASIC_INOUT             BIT64(54)    /* INS/OUTS exits report instruction info */
#define VMX_BASIC_TRUE_CTLS         BIT64(55)    /* TRUE control MSRs 48DH-490H exist */
#define VMX_BASIC_NO_HW_ERROR_CODE_CC BIT64(56)  /* a hardware exception may be injected
						  * with or without an error code */
#define VMX_BASIC_NESTED_EXCEPTION  BIT64(58)    /* FRED nested-exception bit in event info */

/* ---- IA32_VMX_MISC (485H) ---- */
#define VMX_MISC_PREEMPTION_TIMER_RATE(n) ((uint64_t)(n)) /* 4:0: timer ticks when TSC bit n flips */
#define VMX_MISC_SAVE_EFER_LMA      BIT64(5)  /* exits copy EFER.LMA into "IA-32e mode guest" */
#define VMX_MISC_ACTIVITY_HLT       BIT64(6)  /* VM entry may leave the guest halted */
#define VMX_MISC_ACTIVITY_SHUTDOWN  BIT64(7)  /* ... or in shutdown */
#define VMX_MISC_ACTIVITY_WAIT_SIPI BIT64(8)  /* ... or waiting for a SIPI */
#define VMX_MISC_CR3_TARGETS(n)     ((uint64_t)(n) << 16) /* 24:16: CR3-target values */
#define VMX_MISC_MAX_MSR_LIST_512   (0ull << 25) /* 27:25 = N: lists of 512*(N+1) entries */
#define VMX_MISC_SMBASE_MSR         BIT64(15) /* IA32_SMBASE (9EH) readable in SMM */
#define VMX_MISC_VMWRITE_SHADOW_RO_FIELDS BIT64(29) /* VMWRITE may write exit-info fields */
#define VMX_MISC_ZERO_LEN_INS       BIT64(30) /* software events may be injected with
					       * instruction length 0 */
#define VMX_MISC_MSEG_REVISION(n)   ((uint64_t)(n) << 32) /* 63:32: SMM monitor revision */

/* ---- CR0/CR4 fixed bits (486H-489H) ---- */
#define CR0_PE   BIT64(0)
#define CR0_NE   BIT64(5)
#define CR0_PG   BIT64(31)
#define CR4_VMXE BIT64(13)

/* ---- IA32_VMX_EPT_VPID_CAP (48CH) ---- */
#define VMX_EPT_EXECUTE_ONLY     BIT64(0)  /* EPT entries may be execute-only */
#define VMX_EPT_PAGE_WALK_4      BIT64(6)  /* EPTP may select a 4-level walk */
#define VMX_EPTP_UC              BIT64(8)  /* EPT paging structures may be UC */
#define VMX_EPTP_WB              BIT64(14) /* ... or WB */
#define VMX_EPT_2MB_PAGE         BIT64(16) /* a PDE may map a 2 MiB page */
#define VMX_EPT_1GB_PAGE         BIT64(17) /* a PDPTE may map a 1 GiB page */
#define VMX_EPT_INVEPT           BIT64(20) /* INVEPT exists */
#define VMX_EPT_AD               BIT64(21) /* EPT accessed and dirty flags (EPTP bit 6) */
#define VMX_EPT_EXTENT_CONTEXT   BIT64(25) /* INVEPT type 1: one EPTP */
#define VMX_EPT_EXTENT_GLOBAL    BIT64(26) /* INVEPT type 2: all EPTPs */
#define VMX_VPID_INVVPID         BIT64(32) /* INVVPID exists */
#define VMX_VPID_EXTENT_INDIVIDUAL_ADDR BIT64(40) /* INVVPID type 0: one address of one VPID */
#define VMX_VPID_EXTENT_SINGLE_CONTEXT  BIT64(41) /* type 1: one VPID */
#define VMX_VPID_EXTENT_ALL_CONTEXT     BIT64(42) /* type 2: all VPIDs but 0 */
#define VMX_VPID_EXTENT_SINGLE_NON_GLOBAL BIT64(43) /* type 3: one VPID, keeping globals */

/* ---- IA32_VMX_VMFUNC (491H) ---- */
#define VMX_VMFUNC_EPTP_SWITCHING BIT64(0)  /* VM function 0 loads an EPTP from the list */

struct vmcs_caps {
	const char *model;          /* CPUID model name */
	uint64_t basic;             /* 480H */
	uint64_t pin, proc, exit, entry;                      /* 481H-484H */
	uint64_t true_pin, true_proc, true_exit, true_entry;  /* 48DH-490H, if BASIC[55] */
	uint64_t misc;              /* 485H */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0;          /* 486H-488H */
	uint64_t cr4_fixed1;        /* 489H: what cr4_fixed1_from_cpuid() derives (a test
				     * keeps the two equal); stored, since VM entry reads it */
	uint64_t proc2;             /* 48BH */
	uint64_t ept_vpid_cap;      /* 48CH */
	uint64_t vmfunc;            /* 491H */
	uint64_t proc3;             /* 492H */
	uint64_t exit2;             /* 493H */
	bool seam;                  /* TDX-capable: SEAM and the TD VMCS fields */
};

/* ------------------------------------------------------------------------------------
 * "xeon": a recent Xeon (Sapphire Rapids class): EPT, VPID, unrestricted guest,
 * APIC virtualization with posted interrupts and x2APIC-mode virtualization (no IPI
 * virtualization), preemption timer, VMCS shadowing, PML, VM functions, TSC scaling, tertiary controls
 * (none offered), TDX.
 */

#define XEON_PIN_ALLOWED1 (PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR |                         \
	PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS |      \
	PIN_BASED_VMX_PREEMPTION_TIMER | PIN_BASED_POSTED_INTR)

/* Every primary control but the reserved bits 0 and 18. */
#define XEON_PROC_ALLOWED1 (CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR |                        \
	CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_USE_TSC_OFFSETTING |                  \
	CPU_BASED_HLT_EXITING | CPU_BASED_INVLPG_EXITING | CPU_BASED_MWAIT_EXITING |    \
	CPU_BASED_RDPMC_EXITING | CPU_BASED_RDTSC_EXITING |                             \
	CPU_BASED_ACTIVATE_TERTIARY_CONTROLS | CPU_BASED_CR8_LOAD_EXITING |             \
	CPU_BASED_CR8_STORE_EXITING | CPU_BASED_TPR_SHADOW |                            \
	CPU_BASED_NMI_WINDOW_EXITING | CPU_BASED_MOV_DR_EXITING |                       \
	CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_USE_IO_BITMAPS |                        \
	CPU_BASED_MONITOR_TRAP_FLAG | CPU_BASED_USE_MSR_BITMAPS |                       \
	CPU_BASED_MONITOR_EXITING | CPU_BASED_PAUSE_EXITING |                           \
	CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)

/* Sapphire Rapids' secondary controls minus those tied to instructions or features
 * the CPUID model lacks (XSAVES, ENCLS/ENCLV, PT, user wait, PASID, PCONFIG), and minus mode-based execute control, sub-page
 * permissions, bus-lock detection and instruction timeout, which vtsim does not model. */
#define XEON_PROC2_ALLOWED1 (                                                            \
	SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES | SECONDARY_EXEC_ENABLE_EPT |           \
	SECONDARY_EXEC_DESC | SECONDARY_EXEC_ENABLE_RDTSCP |                            \
	SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE | SECONDARY_EXEC_ENABLE_VPID |            \
	SECONDARY_EXEC_WBINVD_EXITING | SECONDARY_EXEC_UNRESTRICTED_GUEST |             \
	SECONDARY_EXEC_APIC_REGISTER_VIRT | SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY |      \
	SECONDARY_EXEC_PAUSE_LOOP_EXITING | SECONDARY_EXEC_ENABLE_VMFUNC |              \
	SECONDARY_EXEC_SHADOW_VMCS | SECONDARY_EXEC_ENABLE_PML |                        \
	SECONDARY_EXEC_EPT_VIOLATION_VE | SECONDARY_EXEC_TSC_SCALING |                  \
	SECONDARY_EXEC_RDRAND_EXITING | SECONDARY_EXEC_ENABLE_INVPCID |                 \
	SECONDARY_EXEC_RDSEED_EXITING)

#define XEON_EXIT_ALLOWED1 (VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR |                         \
	VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_ACK_INTR_ON_EXIT |                       \
	VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT |                                 \
	VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER |                               \
	VM_EXIT_SAVE_VMX_PREEMPTION_TIMER)

#define XEON_ENTRY_ALLOWED1 (VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR |                       \
	VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_IA32_EFER |        \
	VM_ENTRY_TO_SMM | VM_ENTRY_DEACTIVATE_DUAL_MONITOR)

static const struct vmcs_caps xeon = {
	.model = "xeon",
	/* Revision 4 (chosen); 4 KiB regions; WB structures; INS/OUTS instruction info;
	 * TRUE controls; hardware exceptions injectable with or without error code, as on
	 * Sapphire Rapids; the dual-monitor treatment of SMIs and SMM. No 32-bit address
	 * limit, no FRED. */
	.basic = VMX_BASIC_REVISION(0x4) | VMX_BASIC_REGION_SIZE(4096) |
		 VMX_BASIC_MEMTYPE_WB | VMX_BASIC_INOUT | VMX_BASIC_TRUE_CTLS |
		 VMX_BASIC_NO_HW_ERROR_CODE_CC | VMX_BASIC_DUAL_MONITOR,
	/* Original MSRs: allowed-0 = the default1 class. */
	.pin = CTLS(PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR, XEON_PIN_ALLOWED1),
	.proc = CTLS(CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR, XEON_PROC_ALLOWED1),
	.exit = CTLS(VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR, XEON_EXIT_ALLOWED1),
	.entry = CTLS(VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR, XEON_ENTRY_ALLOWED1),
	/* TRUE MSRs: with EPT, the CR3-load/store exits may be 0; the debug-controls
	 * save and load may be 0; the pin-based default1 bits stay 1. */
	.true_pin = CTLS(PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR, XEON_PIN_ALLOWED1),
	.true_proc = CTLS(CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR &
			  ~(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING),
			  XEON_PROC_ALLOWED1),
	.true_exit = CTLS(VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR & ~VM_EXIT_SAVE_DEBUG_CONTROLS,
			  XEON_EXIT_ALLOWED1),
	.true_entry = CTLS(VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR & ~VM_ENTRY_LOAD_DEBUG_CONTROLS,
			   XEON_ENTRY_ALLOWED1),
	/* Preemption timer ticks every 32 TSC ticks (rate 5, chosen); EFER.LMA saved on
	 * exit (needed with unrestricted guest); HLT, shutdown and wait-for-SIPI activity
	 * states; 4 CR3-target values; MSR lists up to 512 entries; VMWRITE may write
	 * exit-information fields (as VMCS shadowing wants); zero-length software event
	 * injection; IA32_SMBASE readable in SMM; MSEG revision 1 (chosen). */
	.misc = VMX_MISC_PREEMPTION_TIMER_RATE(5) | VMX_MISC_SAVE_EFER_LMA |
		VMX_MISC_ACTIVITY_HLT | VMX_MISC_ACTIVITY_SHUTDOWN |
		VMX_MISC_ACTIVITY_WAIT_SIPI | VMX_MISC_CR3_TARGETS(4) |
		VMX_MISC_MAX_MSR_LIST_512 | VMX_MISC_VMWRITE_SHADOW_RO_FIELDS |
		VMX_MISC_ZERO_LEN_INS | VMX_MISC_SMBASE_MSR | VMX_MISC_MSEG_REVISION(1),
	/* PE, NE and PG must be 1 in VMX operation (unrestricted guest exempts PE and PG
	 * in the guest: a VM-entry rule, not these values); any other CR0 bit may be 1. */
	.cr0_fixed0 = CR0_PE | CR0_NE | CR0_PG,
	.cr0_fixed1 = 0xFFFFFFFFull,
	.cr4_fixed0 = CR4_VMXE,
	.cr4_fixed1 = 0x3567fc,  /* VME..OSXMMEXCPT, VMXE, SMXE, FSGSBASE, OSXSAVE, SMEP, SMAP */
	.proc2 = CTLS(0, XEON_PROC2_ALLOWED1),
	/* EPT: execute-only entries, 4-level walks, UC or WB paging structures, 2 MiB and
	 * 1 GiB pages, accessed/dirty flags, INVEPT single- and all-context. VPID: INVVPID
	 * of all four types. */
	.ept_vpid_cap = VMX_EPT_EXECUTE_ONLY | VMX_EPT_PAGE_WALK_4 | VMX_EPTP_UC |
			VMX_EPTP_WB | VMX_EPT_2MB_PAGE | VMX_EPT_1GB_PAGE | VMX_EPT_INVEPT |
			VMX_EPT_AD | VMX_EPT_EXTENT_CONTEXT | VMX_EPT_EXTENT_GLOBAL |
			VMX_VPID_INVVPID | VMX_VPID_EXTENT_INDIVIDUAL_ADDR |
			VMX_VPID_EXTENT_SINGLE_CONTEXT | VMX_VPID_EXTENT_ALL_CONTEXT |
			VMX_VPID_EXTENT_SINGLE_NON_GLOBAL,
	.vmfunc = VMX_VMFUNC_EPTP_SWITCHING,
	/* Tertiary controls exist (primary bit 17 may be 1) but none may be 1: IPI
	 * virtualization, the one Sapphire Rapids has, is not modelled (apicv.h). */
	.proc3 = 0,
	/* No secondary VM-exit controls (they arrived with FRED, after Sapphire Rapids):
	 * VM-exit control 31 may not be 1, so 493H does not exist. */
	.exit2 = 0,
	.seam = true,
};

/* ------------------------------------------------------------------------------------
 * "minimal": a first-generation VT-x part (Core 2 class) behind the Ivy Bridge CPUID
 * model: no secondary controls (so no EPT, VPID, unrestricted guest, APIC
 * virtualization ...), no preemption timer, no TRUE MSRs, no monitor trap flag, no PAT
 * or EFER load/save. It exists to drive VMMs down their oldest paths: shadow paging,
 * CR3-target lists, the default1 rules of the original control MSRs.
 */

#define MINIMAL_PIN_ALLOWED1 (PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR |                      \
	PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS)

#define MINIMAL_PROC_ALLOWED1 (XEON_PROC_ALLOWED1 &                                     \
	~(CPU_BASED_ACTIVATE_TERTIARY_CONTROLS | CPU_BASED_MONITOR_TRAP_FLAG |         \
	  CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))

#define MINIMAL_EXIT_ALLOWED1 (VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR |                      \
	VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_ACK_INTR_ON_EXIT)

#define MINIMAL_ENTRY_ALLOWED1 (VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR | VM_ENTRY_IA32E_MODE)

static const struct vmcs_caps minimal = {
	.model = "minimal",
	/* Revision 0x10 (chosen, differs from xeon's so that a VMCS does not move between
	 * models); 4 KiB regions; WB. No INS/OUTS instruction information, no TRUE MSRs
	 * (BASIC[55] = 0: 48DH-490H do not exist and VM entry checks the original MSRs,
	 * whose default1 bits must all be 1), and the strict error-code rule for
	 * injected hardware exceptions (BASIC[56] = 0). */
	.basic = VMX_BASIC_REVISION(0x10) | VMX_BASIC_REGION_SIZE(4096) |
		 VMX_BASIC_MEMTYPE_WB,
	.pin = CTLS(PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR, MINIMAL_PIN_ALLOWED1),
	.proc = CTLS(CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR, MINIMAL_PROC_ALLOWED1),
	.exit = CTLS(VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR, MINIMAL_EXIT_ALLOWED1),
	.entry = CTLS(VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR, MINIMAL_ENTRY_ALLOWED1),
	/* No preemption timer (rate 0, meaningless); EFER.LMA is not saved (without
	 * unrestricted guest CR0.PG stays 1 and LMA cannot change in the guest); HLT,
	 * shutdown and wait-for-SIPI activity states; 4 CR3-target values; MSR lists up
	 * to 512 entries; VMWRITE to exit-information fields fails (error 13); no
	 * zero-length injection. */
	.misc = VMX_MISC_ACTIVITY_HLT | VMX_MISC_ACTIVITY_SHUTDOWN |
		VMX_MISC_ACTIVITY_WAIT_SIPI | VMX_MISC_CR3_TARGETS(4) |
		VMX_MISC_MAX_MSR_LIST_512 | VMX_MISC_MSEG_REVISION(0),
	.cr0_fixed0 = CR0_PE | CR0_NE | CR0_PG,
	.cr0_fixed1 = 0xFFFFFFFFull,
	.cr4_fixed0 = CR4_VMXE,
	.cr4_fixed1 = 0x1527fc,  /* xeon's without SMXE and SMAP */
	/* Processor-based control 31 may not be 1: 48BH, 48CH, 491H do not exist. */
	.seam = false,
};

static const struct vmcs_caps *const models[] = { &xeon, &minimal };

const struct vmcs_caps *vmcs_caps_for_model(const char *cpu_model_name)
{
	if (!cpu_model_name)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(models); i++)
		if (strcmp(models[i]->model, cpu_model_name) == 0)
			return models[i];
	return NULL;
}

const struct vmcs_caps *vmcs_caps_for_cpu(const struct cpu_model *m)
{
	return m ? vmcs_caps_for_model(cpuid_model_name(m)) : NULL;
}

struct vmcs_caps *vmcs_caps_widened(const struct vmcs_caps *c, uint32_t entry_allowed1,
				    uint64_t cr4_fixed1)
{
	struct vmcs_caps *w = malloc(sizeof(*w));
	if (!w)
		return NULL;
	*w = *c;
	w->entry |= (uint64_t)entry_allowed1 << 32;
	w->true_entry |= (uint64_t)entry_allowed1 << 32;
	w->cr4_fixed1 |= cr4_fixed1;
	return w;
}

const char *vmcs_caps_model_name(const struct vmcs_caps *c)
{
	return c->model;
}

static uint32_t lo(uint64_t v)
{
	return (uint32_t)v;
}

static uint32_t hi(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

/* The MSR VM entry checks each of the four original control words against. */
static const size_t ctl_msr[][2] = {   /* [ctl][use the TRUE MSR]: the member */
	[VMCS_CTL_PIN] = { offsetof(struct vmcs_caps, pin), offsetof(struct vmcs_caps, true_pin) },
	[VMCS_CTL_PROC] = { offsetof(struct vmcs_caps, proc), offsetof(struct vmcs_caps, true_proc) },
	[VMCS_CTL_EXIT] = { offsetof(struct vmcs_caps, exit), offsetof(struct vmcs_caps, true_exit) },
	[VMCS_CTL_ENTRY] = { offsetof(struct vmcs_caps, entry), offsetof(struct vmcs_caps, true_entry) },
};

/* Only for the four controls above (every VM entry asks: a look-up, no switch). */
static uint64_t effective_ctls(const struct vmcs_caps *c, enum vmcs_ctl ctl)
{
	bool use_true = c->basic & VMX_BASIC_TRUE_CTLS;
	return *(const uint64_t *)((const char *)c + ctl_msr[ctl][use_true]);
}

/* Existence of the MSRs that depend on other capabilities (caps.h). */
static bool has_proc2(const struct vmcs_caps *c)
{
	return hi(c->proc) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
}

static bool has_ept_vpid_cap(const struct vmcs_caps *c)
{
	return has_proc2(c) &&
	       (hi(c->proc2) & (SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID));
}

static bool has_vmfunc(const struct vmcs_caps *c)
{
	return has_proc2(c) && (hi(c->proc2) & SECONDARY_EXEC_ENABLE_VMFUNC);
}

static bool has_proc3(const struct vmcs_caps *c)
{
	return hi(c->proc) & CPU_BASED_ACTIVATE_TERTIARY_CONTROLS;
}

static bool has_exit2(const struct vmcs_caps *c)
{
	return hi(c->exit) & VM_EXIT_ACTIVATE_SECONDARY_CONTROLS;
}

static bool has_true_ctls(const struct vmcs_caps *c)
{
	return c->basic & VMX_BASIC_TRUE_CTLS;
}

uint64_t vmcs_caps_allowed0(const struct vmcs_caps *c, enum vmcs_ctl ctl)
{
	switch (ctl) {
	case VMCS_CTL_PIN:
	case VMCS_CTL_PROC:
	case VMCS_CTL_EXIT:
	case VMCS_CTL_ENTRY:
		return lo(effective_ctls(c, ctl));
	case VMCS_CTL_PROC2:
		return has_proc2(c) ? lo(c->proc2) : 0;
	default:
		return 0;  /* 64-bit control words have no allowed-0 half; not controls */
	}
}

uint64_t vmcs_caps_allowed1(const struct vmcs_caps *c, enum vmcs_ctl ctl)
{
	switch (ctl) {
	case VMCS_CTL_PIN:
	case VMCS_CTL_PROC:
	case VMCS_CTL_EXIT:
	case VMCS_CTL_ENTRY:
		return hi(effective_ctls(c, ctl));
	case VMCS_CTL_PROC2:  return has_proc2(c) ? hi(c->proc2) : 0;
	case VMCS_CTL_PROC3:  return has_proc3(c) ? c->proc3 : 0;
	case VMCS_CTL_EXIT2:  return has_exit2(c) ? c->exit2 : 0;
	case VMCS_CTL_VMFUNC: return has_vmfunc(c) ? c->vmfunc : 0;
	default:              return 0;
	}
}

bool vmcs_caps_ctl_valid(const struct vmcs_caps *c, enum vmcs_ctl ctl, uint64_t value)
{
	uint64_t must1 = vmcs_caps_allowed0(c, ctl);

	return (value & must1) == must1 && !(value & ~vmcs_caps_allowed1(c, ctl));
}

static bool gate_open(const struct vmcs_caps *c, enum vmcs_ctl ctl, unsigned bit)
{
	switch (ctl) {
	case VMCS_CTL_NONE:  return true;
	case VMCS_CTL_BASIC: return (c->basic >> bit) & 1;
	case VMCS_CTL_SEAM:  return c->seam;
	default:             return (vmcs_caps_allowed1(c, ctl) >> bit) & 1;
	}
}

bool vmcs_caps_feature_supported(const struct vmcs_caps *c, enum vmcs_feature f)
{
	const struct vmcs_feature_info *fi = vmcs_feature_info(f);

	if (!fi)
		return false;
	return gate_open(c, fi->ctl, fi->bit) ||
	       (fi->alt_ctl != VMCS_CTL_NONE && gate_open(c, fi->alt_ctl, fi->alt_bit));
}

bool vmcs_caps_field_supported(const struct vmcs_caps *c, const struct vmcs_field_info *f)
{
	/* Most fields have no gate: no lookup for them (VMREAD/VMWRITE ask each time). */
	return f && (f->feature == FEAT_NONE || vmcs_caps_feature_supported(c, f->feature));
}

/* IA32_VMX_VMCS_ENUM: bits 9:1 hold the highest index of any field the model has. */
static uint64_t vmcs_enum(const struct vmcs_caps *c)
{
	unsigned max = 0;

	for (size_t i = 0; i < vmcs_field_count(); i++) {
		const struct vmcs_field_info *f = vmcs_field_at(i);
		unsigned idx = vmcs_enc_index(f->encoding);

		if (idx > max && vmcs_caps_field_supported(c, f))
			max = idx;
	}
	return (uint64_t)max << 1;
}

/* IA32_VMX_CR4_FIXED1: the CR4 bits the model supports, each from the CPUID flag that
 * announces it (SDM Vol. 3, "Control Registers", CR4). */
enum { REG_EBX, REG_ECX, REG_EDX, REG_EAX, ALWAYS };

static const struct {
	uint8_t cr4_bit;
	uint8_t leaf;       /* 1 or 7 */
	uint8_t subleaf;
	uint8_t reg;        /* ALWAYS: no CPUID flag, present on every Intel 64 part */
	uint32_t mask;
} cr4_sources[] = {
	{  0, 1, 0, REG_EDX, CPUID_01_EDX_VME },        /* VME: virtual-8086 extensions */
	{  1, 1, 0, REG_EDX, CPUID_01_EDX_VME },        /* PVI: protected-mode virtual IF */
	{  2, 1, 0, REG_EDX, CPUID_01_EDX_TSC },        /* TSD: RDTSC at CPL 0 only */
	{  3, 1, 0, REG_EDX, CPUID_01_EDX_DE },         /* DE: DR4/DR5 references fault */
	{  4, 1, 0, REG_EDX, CPUID_01_EDX_PSE },        /* PSE: 4 MiB pages */
	{  5, 1, 0, REG_EDX, CPUID_01_EDX_PAE },        /* PAE */
	{  6, 1, 0, REG_EDX, CPUID_01_EDX_MCE },        /* MCE: machine-check exceptions */
	{  7, 1, 0, REG_EDX, CPUID_01_EDX_PGE },        /* PGE: global pages */
	{  8, 0, 0, ALWAYS,  0 },                       /* PCE: RDPMC at any CPL */
	{  9, 1, 0, REG_EDX, CPUID_01_EDX_FXSR },       /* OSFXSR */
	{ 10, 1, 0, REG_EDX, CPUID_01_EDX_SSE },        /* OSXMMEXCPT: SIMD FP exceptions */
	{ 11, 7, 0, REG_ECX, CPUID_07_0_ECX_UMIP },     /* UMIP */
	{ 12, 7, 0, REG_ECX, CPUID_07_0_ECX_LA57 },     /* LA57: 5-level paging */
	{ 13, 1, 0, REG_ECX, CPUID_01_ECX_VMX },        /* VMXE */
	{ 14, 1, 0, REG_ECX, CPUID_01_ECX_SMX },        /* SMXE */
	{ 16, 7, 0, REG_EBX, CPUID_07_0_EBX_FSGSBASE }, /* FSGSBASE */
	{ 17, 1, 0, REG_ECX, CPUID_01_ECX_PCID },       /* PCIDE */
	{ 18, 1, 0, REG_ECX, CPUID_01_ECX_XSAVE },      /* OSXSAVE */
	{ 19, 7, 0, REG_ECX, 1u << 23 },                /* KL: Key Locker */
	{ 20, 7, 0, REG_EBX, CPUID_07_0_EBX_SMEP },     /* SMEP */
	{ 21, 7, 0, REG_EBX, CPUID_07_0_EBX_SMAP },     /* SMAP */
	{ 22, 7, 0, REG_ECX, CPUID_07_0_ECX_PKU },      /* PKE: user protection keys */
	{ 23, 7, 0, REG_ECX, CPUID_07_0_ECX_CET_SS },   /* CET: shadow stacks ... */
	{ 23, 7, 0, REG_EDX, 1u << 20 },                /* ... or indirect-branch tracking */
	{ 24, 7, 0, REG_ECX, 1u << 31 },                /* PKS: supervisor protection keys */
	{ 25, 7, 0, REG_EDX, 1u << 5 },                 /* UINTR: user interrupts */
	{ 28, 7, 1, REG_EAX, 1u << 26 },                /* LAM_SUP: linear-address masking */
	{ 32, 7, 1, REG_EAX, 1u << 17 },                /* FRED */
};

uint64_t vmcs_caps_cr4_fixed1_from_cpuid(const struct vmcs_caps *c)
{
	const struct cpu_model *m = cpuid_model_find(c->model);
	uint64_t mask = c->cr4_fixed0;

	if (!m)
		return mask;
	for (size_t i = 0; i < ARRAY_SIZE(cr4_sources); i++) {
		struct cpuid_regs r;
		uint32_t v;

		if (cr4_sources[i].reg == ALWAYS) {
			mask |= BIT64(cr4_sources[i].cr4_bit);
			continue;
		}
		cpuid_query(m, NULL, false, cr4_sources[i].leaf, cr4_sources[i].subleaf, &r);
		switch (cr4_sources[i].reg) {
		case REG_EAX: v = r.eax; break;
		case REG_EBX: v = r.ebx; break;
		case REG_ECX: v = r.ecx; break;
		default:      v = r.edx; break;
		}
		if (v & cr4_sources[i].mask)
			mask |= BIT64(cr4_sources[i].cr4_bit);
	}
	return mask;
}

int vmcs_caps_rdmsr(const struct vmcs_caps *c, uint32_t msr, uint64_t *val)
{
	uint64_t v;

	switch (msr) {
	case MSR_IA32_VMX_BASIC:           v = c->basic; break;
	case MSR_IA32_VMX_PINBASED_CTLS:   v = c->pin; break;
	case MSR_IA32_VMX_PROCBASED_CTLS:  v = c->proc; break;
	case MSR_IA32_VMX_EXIT_CTLS:       v = c->exit; break;
	case MSR_IA32_VMX_ENTRY_CTLS:      v = c->entry; break;
	case MSR_IA32_VMX_MISC:            v = c->misc; break;
	case MSR_IA32_VMX_CR0_FIXED0:      v = c->cr0_fixed0; break;
	case MSR_IA32_VMX_CR0_FIXED1:      v = c->cr0_fixed1; break;
	case MSR_IA32_VMX_CR4_FIXED0:      v = c->cr4_fixed0; break;
	case MSR_IA32_VMX_CR4_FIXED1:      v = c->cr4_fixed1; break;
	case MSR_IA32_VMX_VMCS_ENUM:       v = vmcs_enum(c); break;
	case MSR_IA32_VMX_PROCBASED_CTLS2:
		if (!has_proc2(c))
			return -1;
		v = c->proc2;
		break;
	case MSR_IA32_VMX_EPT_VPID_CAP:
		if (!has_ept_vpid_cap(c))
			return -1;
		v = c->ept_vpid_cap;
		break;
	case MSR_IA32_VMX_TRUE_PINBASED_CTLS:
	case MSR_IA32_VMX_TRUE_PROCBASED_CTLS:
	case MSR_IA32_VMX_TRUE_EXIT_CTLS:
	case MSR_IA32_VMX_TRUE_ENTRY_CTLS:
		if (!has_true_ctls(c))
			return -1;
		v = msr == MSR_IA32_VMX_TRUE_PINBASED_CTLS ? c->true_pin :
		    msr == MSR_IA32_VMX_TRUE_PROCBASED_CTLS ? c->true_proc :
		    msr == MSR_IA32_VMX_TRUE_EXIT_CTLS ? c->true_exit : c->true_entry;
		break;
	case MSR_IA32_VMX_VMFUNC:
		if (!has_vmfunc(c))
			return -1;
		v = c->vmfunc;
		break;
	case MSR_IA32_VMX_PROCBASED_CTLS3:
		if (!has_proc3(c))
			return -1;
		v = c->proc3;
		break;
	case MSR_IA32_VMX_EXIT_CTLS2:
		if (!has_exit2(c))
			return -1;
		v = c->exit2;
		break;
	default:
		return -1;
	}
	*val = v;
	return 0;
}

uint32_t vmcs_caps_revision_id(const struct vmcs_caps *c)
{
	return (uint32_t)(c->basic & 0x7FFFFFFFu);
}

bool vmcs_caps_vmwrite_exit_info(const struct vmcs_caps *c)
{
	return c->misc & VMX_MISC_VMWRITE_SHADOW_RO_FIELDS;
}

bool vmcs_caps_has_seam(const struct vmcs_caps *c)
{
	return c->seam;
}
