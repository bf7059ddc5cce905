/* VM-entry checks, class ctl: see entry.h. Rows in SDM order ("VM Entries" 2.1.1
 * VM-execution control fields, 2.1.2 VM-exit control fields, 2.1.3 VM-entry control
 * fields); every failure is VMfailValid(7).
 *
 * Each predicate reads the controls as the processor applies them: the secondary
 * controls count as 0 unless "activate secondary controls" is 1, the tertiary ones
 * unless "activate tertiary controls" is 1, the secondary VM-exit controls unless
 * "activate secondary VM-exit controls" is 1, the VM-function controls unless "enable
 * VM functions" is 1. A rule whose control a model cannot set holds there trivially
 * (the RESERVED row of its control word rejects the control first); each is written
 * so that it is right on a model that offers the control. The rows are those of an
 * entry outside SMM; VM entries in SMM (the SMM-transfer monitor's) run them through
 * smm_entry_run_ctl (sim/cpu/smm.c), which skips CTL_SMM_OUTSIDE_SMM and, for
 * entries that return from SMM, the VM-execution control rows (section 2.1.1). */
#include "sim/vmcs/entry.h"
#include "sim/vmcs/entry_model.h"

#define BIT(n) (1ull << (n))

/* Pin-based VM-execution controls. */
#define PIN_EXTINT_EXITING  BIT(0)
#define PIN_NMI_EXITING     BIT(3)
#define PIN_VIRTUAL_NMIS    BIT(5)
#define PIN_PREEMPT_TIMER   BIT(6)
#define PIN_POSTED_INTR     BIT(7)

/* Primary processor-based VM-execution controls. */
#define PROC_TERTIARY       BIT(17)
#define PROC_TPR_SHADOW     BIT(21)
#define PROC_NMI_WINDOW     BIT(22)
#define PROC_IO_BITMAPS     BIT(25)
#define PROC_MTF            BIT(27)
#define PROC_MSR_BITMAPS    BIT(28)
#define PROC_SECONDARY      BIT(31)

/* Secondary processor-based VM-execution controls. */
#define PROC2_APIC_ACCESS   BIT(0)
#define PROC2_EPT           BIT(1)
#define PROC2_X2APIC_MODE   BIT(4)
#define PROC2_VPID          BIT(5)
#define PROC2_UG            BIT(7)
#define PROC2_APIC_REG_VIRT BIT(8)
#define PROC2_VID           BIT(9)
#define PROC2_VMFUNC        BIT(13)
#define PROC2_SHADOW_VMCS   BIT(14)
#define PROC2_PML           BIT(17)
#define PROC2_EPT_VE        BIT(18)
#define PROC2_MBEC          BIT(22)
#define PROC2_SPP           BIT(23)
#define PROC2_PT_GPA        BIT(24)
#define PROC2_TSC_SCALING   BIT(25)

/* Tertiary processor-based VM-execution controls. */
#define PROC3_HLAT          BIT(1)
#define PROC3_EPT_PW        BIT(2)   /* EPT paging-write control */
#define PROC3_GPV           BIT(3)   /* guest-paging verification */
#define PROC3_IPIV          BIT(4)

/* Primary VM-exit controls. */
#define EXIT_ACK_INTR       BIT(15)
#define EXIT_SAVE_PREEMPT   BIT(22)
#define EXIT_CLEAR_RTIT     BIT(25)
#define EXIT_SECONDARY      BIT(31)

/* VM-entry controls. */
#define ENTRY_SMM           BIT(10)
#define ENTRY_DEACT_DUAL    BIT(11)
#define ENTRY_LOAD_RTIT     BIT(18)
#define ENTRY_LOAD_FRED     BIT(23)

/* VM-function controls. */
#define VMFUNC_EPTP_SWITCH  BIT(0)

/* VM-entry interruption-information field. */
#define INTR_VALID          BIT(31)
#define INTR_DELIVER_EC     BIT(11)
#define INTR_NESTED         BIT(13)
#define INTR_RSVD           0x7FFFF000ull   /* bits 30:12 */
#define INTR_TYPE(i)        ((unsigned)(((i) >> 8) & 7))
#define INTR_VECTOR(i)      ((unsigned)((i) & 0xff))
enum {
	INTR_TYPE_EXTINT = 0, INTR_TYPE_RESERVED = 1, INTR_TYPE_NMI = 2, INTR_TYPE_HW_EXC = 3,
	INTR_TYPE_SW_INT = 4, INTR_TYPE_PRIV_SW_EXC = 5, INTR_TYPE_SW_EXC = 6,
	INTR_TYPE_OTHER = 7,
};

/* Capability-MSR bits. */
#define BASIC_NO_HW_EC_CC   BIT(56)  /* hardware exceptions may omit/carry an error code */
#define BASIC_NESTED_EXC    BIT(58)  /* FRED: "nested exception" bit in event injection */
#define MISC_ZERO_LEN_INS   BIT(30)  /* software events with instruction length 0 */
#define EPTCAP_WALK4        BIT(6)
#define EPTCAP_WALK5        BIT(7)
#define EPTCAP_UC           BIT(8)
#define EPTCAP_WB           BIT(14)
#define EPTCAP_AD           BIT(21)
#define EPTCAP_SSS          BIT(23)  /* EPTP bit 7: supervisor shadow-stack control */

#define GUEST_CR0_PE        BIT(0)
#define GUEST_CR4_FRED      BIT(32)

/* ---- the controls as the processor applies them ---- */

static uint64_t pin(const struct entry_ctx *c)
{
	return entry_field(c, PIN_BASED_VM_EXEC_CONTROL);
}

static uint64_t proc(const struct entry_ctx *c)
{
	return entry_field(c, CPU_BASED_VM_EXEC_CONTROL);
}

static uint64_t proc2(const struct entry_ctx *c)
{
	return (proc(c) & PROC_SECONDARY) ? entry_field(c, SECONDARY_VM_EXEC_CONTROL) : 0;
}

static uint64_t proc3(const struct entry_ctx *c)
{
	return (proc(c) & PROC_TERTIARY) ? entry_field(c, TERTIARY_VM_EXEC_CONTROL) : 0;
}

static uint64_t exit_ctls(const struct entry_ctx *c)
{
	return entry_field(c, VM_EXIT_CONTROLS);
}

static uint64_t exit2(const struct entry_ctx *c)
{
	return (exit_ctls(c) & EXIT_SECONDARY) ? entry_field(c, SECONDARY_VM_EXIT_CONTROLS) : 0;
}

static uint64_t entry_ctls(const struct entry_ctx *c)
{
	return entry_field(c, VM_ENTRY_CONTROLS);
}

static uint64_t vmfunc(const struct entry_ctx *c)
{
	return (proc2(c) & PROC2_VMFUNC) ? entry_field(c, VM_FUNCTION_CONTROL) : 0;
}

/* A capability MSR, 0 if the model lacks it. */
static uint64_t cap_msr(const struct entry_ctx *c, uint32_t msr)
{
	return entry_model_msr(c->caps, msr, 0);
}

/* A control word against allowed-0 (must be 1) and allowed-1 (may be 1). */
static bool ctl_word_ok(struct entry_ctx *c, enum vmcs_ctl ctl, uint32_t field, uint64_t v,
			const char *what, const char *msr)
{
	uint64_t must1 = vmcs_caps_allowed0(c->caps, ctl);
	uint64_t may1 = vmcs_caps_allowed1(c->caps, ctl);

	if ((v & must1) != must1)
		return entry_fail(c, field, v,
				  "%s 0x%llx lack bits 0x%llx that %s requires (allowed-0 settings)",
				  what, (unsigned long long)v, (unsigned long long)(must1 & ~v), msr);
	if (v & ~may1)
		return entry_fail(c, field, v,
				  "%s 0x%llx set bits 0x%llx that %s does not allow (allowed-1 settings)",
				  what, (unsigned long long)v, (unsigned long long)(v & ~may1), msr);
	return true;
}

/* An address field a control enables: aligned to `align` bytes, below MAXPHYADDR. */
static bool addr_ok(struct entry_ctx *c, uint32_t field, const char *what, uint64_t align,
		    const char *because)
{
	uint64_t pa = entry_field(c, field);

	if (entry_pa_ok(c, pa, align))
		return true;
	return entry_fail(c, field, pa,
			  "%s 0x%llx must be %llu-byte aligned and below 2^%u (MAXPHYADDR) since %s",
			  what, (unsigned long long)pa, (unsigned long long)align, c->maxphyaddr,
			  because);
}

/* An MSR list: if the count is nonzero, 16-byte aligned, its first and last byte below
 * MAXPHYADDR (the sum is computed without truncation: a 32-bit count times 16 plus an
 * address already below 2^MAXPHYADDR cannot overflow 64 bits). */
static bool msr_area_ok(struct entry_ctx *c, uint32_t addr_field, uint32_t count_field,
			const char *what)
{
	uint64_t count = entry_field(c, count_field) & 0xffffffffull;
	uint64_t pa = entry_field(c, addr_field);

	if (!count)
		return true;
	if (!entry_pa_ok(c, pa, 16))
		return entry_fail(c, addr_field, pa,
				  "%s address 0x%llx must be 16-byte aligned and below 2^%u (MAXPHYADDR) "
				  "when its count (%llu) is nonzero",
				  what, (unsigned long long)pa, c->maxphyaddr, (unsigned long long)count);
	uint64_t last = pa + count * 16 - 1;
	if (last >> c->maxphyaddr)
		return entry_fail(c, addr_field, pa,
				  "%s of %llu entries at 0x%llx ends at 0x%llx, beyond 2^%u (MAXPHYADDR)",
				  what, (unsigned long long)count, (unsigned long long)pa,
				  (unsigned long long)last, c->maxphyaddr);
	return true;
}

/* ---- A.1 VM-execution control fields (2.1.1) ---- */

static bool ctl_pin_reserved(struct entry_ctx *c)
{
	return ctl_word_ok(c, VMCS_CTL_PIN, PIN_BASED_VM_EXEC_CONTROL, pin(c),
			   "pin-based controls", "IA32_VMX_(TRUE_)PINBASED_CTLS");
}

static bool ctl_proc1_reserved(struct entry_ctx *c)
{
	return ctl_word_ok(c, VMCS_CTL_PROC, CPU_BASED_VM_EXEC_CONTROL, proc(c),
			   "primary processor-based controls", "IA32_VMX_(TRUE_)PROCBASED_CTLS");
}

static bool ctl_proc2_reserved(struct entry_ctx *c)
{
	if (!(proc(c) & PROC_SECONDARY))
		return true;
	return ctl_word_ok(c, VMCS_CTL_PROC2, SECONDARY_VM_EXEC_CONTROL,
			   entry_field(c, SECONDARY_VM_EXEC_CONTROL),
			   "secondary processor-based controls", "IA32_VMX_PROCBASED_CTLS2");
}

static bool ctl_proc3_reserved(struct entry_ctx *c)
{
	if (!(proc(c) & PROC_TERTIARY))
		return true;
	return ctl_word_ok(c, VMCS_CTL_PROC3, TERTIARY_VM_EXEC_CONTROL,
			   entry_field(c, TERTIARY_VM_EXEC_CONTROL),
			   "tertiary processor-based controls", "IA32_VMX_PROCBASED_CTLS3");
}

static bool ctl_cr3_target_count(struct entry_ctx *c)
{
	uint64_t n = entry_field(c, CR3_TARGET_COUNT);
	uint64_t max = (cap_msr(c, MSR_IA32_VMX_MISC) >> 16) & 0x1ff;

	if (n <= max)
		return true;
	return entry_fail(c, CR3_TARGET_COUNT, n,
			  "CR3-target count %llu exceeds the %llu CR3-target values IA32_VMX_MISC[24:16] "
			  "announces", (unsigned long long)n, (unsigned long long)max);
}

static bool ctl_io_bitmap_addr(struct entry_ctx *c)
{
	if (!(proc(c) & PROC_IO_BITMAPS))
		return true;
	return addr_ok(c, IO_BITMAP_A, "I/O-bitmap A address", 4096, "\"use I/O bitmaps\" is 1") &&
	       addr_ok(c, IO_BITMAP_B, "I/O-bitmap B address", 4096, "\"use I/O bitmaps\" is 1");
}

static bool ctl_msr_bitmap_addr(struct entry_ctx *c)
{
	if (!(proc(c) & PROC_MSR_BITMAPS))
		return true;
	return addr_ok(c, MSR_BITMAP, "MSR-bitmap address", 4096, "\"use MSR bitmaps\" is 1");
}

static bool ctl_vapic_addr(struct entry_ctx *c)
{
	if (!(proc(c) & PROC_TPR_SHADOW))
		return true;
	return addr_ok(c, VIRTUAL_APIC_PAGE_ADDR, "virtual-APIC address", 4096,
		       "\"use TPR shadow\" is 1");
}

static bool ctl_tpr_threshold_rsvd(struct entry_ctx *c)
{
	if (!(proc(c) & PROC_TPR_SHADOW) || (proc2(c) & PROC2_VID))
		return true;
	uint64_t t = entry_field(c, TPR_THRESHOLD);
	if (!(t & ~0xfull))
		return true;
	return entry_fail(c, TPR_THRESHOLD, t,
			  "TPR threshold 0x%llx sets bits 31:4, which must be 0 with \"use TPR shadow\" "
			  "1 and \"virtual-interrupt delivery\" 0", (unsigned long long)t);
}

static bool ctl_tpr_threshold_vtpr(struct entry_ctx *c)
{
	if (!(proc(c) & PROC_TPR_SHADOW) || (proc2(c) & (PROC2_VID | PROC2_APIC_ACCESS)))
		return true;
	if (!c->pm)
		return true;  /* no memory to read the virtual-APIC page from */
	uint64_t t = entry_field(c, TPR_THRESHOLD);
	uint64_t page = entry_field(c, VIRTUAL_APIC_PAGE_ADDR);
	uint8_t vtpr;
	phys_read(c->pm, page + 0x80, &vtpr, 1);
	if ((t & 0xf) <= (uint64_t)(vtpr >> 4))
		return true;
	return entry_fail(c, TPR_THRESHOLD, t,
			  "TPR threshold bits 3:0 (%llu) exceed VTPR bits 7:4 (%u; VTPR 0x%02x at "
			  "virtual-APIC page 0x%llx + 80H)", (unsigned long long)(t & 0xf), vtpr >> 4,
			  vtpr, (unsigned long long)page);
}

static bool ctl_vnmi_needs_nmi_exit(struct entry_ctx *c)
{
	uint64_t p = pin(c);

	if (!(p & PIN_VIRTUAL_NMIS) || (p & PIN_NMI_EXITING))
		return true;
	return entry_fail(c, PIN_BASED_VM_EXEC_CONTROL, p,
			  "pin-based controls 0x%llx set \"virtual NMIs\" (bit 5) without \"NMI exiting\" "
			  "(bit 3)", (unsigned long long)p);
}

static bool ctl_nmiwin_needs_vnmi(struct entry_ctx *c)
{
	uint64_t p = proc(c);

	if (!(p & PROC_NMI_WINDOW) || (pin(c) & PIN_VIRTUAL_NMIS))
		return true;
	return entry_fail(c, CPU_BASED_VM_EXEC_CONTROL, p,
			  "primary processor-based controls 0x%llx set \"NMI-window exiting\" (bit 22) "
			  "but \"virtual NMIs\" is 0", (unsigned long long)p);
}

static bool ctl_apic_access_addr(struct entry_ctx *c)
{
	if (!(proc2(c) & PROC2_APIC_ACCESS))
		return true;
	return addr_ok(c, APIC_ACCESS_ADDR, "APIC-access address", 4096,
		       "\"virtualize APIC accesses\" is 1");
}

static bool ctl_apicv_needs_tpr(struct entry_ctx *c)
{
	uint64_t p2 = proc2(c);
	uint64_t need = PROC2_X2APIC_MODE | PROC2_APIC_REG_VIRT | PROC2_VID;

	if ((proc(c) & PROC_TPR_SHADOW) || !(p2 & need))
		return true;
	return entry_fail(c, SECONDARY_VM_EXEC_CONTROL, p2,
			  "secondary controls 0x%llx set APIC-virtualization bits 0x%llx (x2APIC mode, "
			  "register virtualization, virtual-interrupt delivery), which need \"use TPR "
			  "shadow\"", (unsigned long long)p2, (unsigned long long)(p2 & need));
}

static bool ctl_x2apic_xor_apicacc(struct entry_ctx *c)
{
	uint64_t p2 = proc2(c);

	if ((p2 & (PROC2_X2APIC_MODE | PROC2_APIC_ACCESS)) != (PROC2_X2APIC_MODE | PROC2_APIC_ACCESS))
		return true;
	return entry_fail(c, SECONDARY_VM_EXEC_CONTROL, p2,
			  "secondary controls 0x%llx set both \"virtualize x2APIC mode\" (bit 4) and "
			  "\"virtualize APIC accesses\" (bit 0); at most one may be 1",
			  (unsigned long long)p2);
}

static bool ctl_vid_needs_extint(struct entry_ctx *c)
{
	uint64_t p = pin(c);

	if (!(proc2(c) & PROC2_VID) || (p & PIN_EXTINT_EXITING))
		return true;
	return entry_fail(c, PIN_BASED_VM_EXEC_CONTROL, p,
			  "pin-based controls 0x%llx lack \"external-interrupt exiting\" (bit 0), which "
			  "\"virtual-interrupt delivery\" requires", (unsigned long long)p);
}

static bool ctl_pi_needs_vid(struct entry_ctx *c)
{
	uint64_t p2 = proc2(c);

	if (!(pin(c) & PIN_POSTED_INTR) || (p2 & PROC2_VID))
		return true;
	return entry_fail(c, SECONDARY_VM_EXEC_CONTROL, p2,
			  "\"process posted interrupts\" is 1 but the secondary controls 0x%llx lack "
			  "\"virtual-interrupt delivery\" (bit 9)", (unsigned long long)p2);
}

static bool ctl_pi_needs_ack(struct entry_ctx *c)
{
	uint64_t x = exit_ctls(c);

	if (!(pin(c) & PIN_POSTED_INTR) || (x & EXIT_ACK_INTR))
		return true;
	return entry_fail(c, VM_EXIT_CONTROLS, x,
			  "\"process posted interrupts\" is 1 but the VM-exit controls 0x%llx lack "
			  "\"acknowledge interrupt on exit\" (bit 15)", (unsigned long long)x);
}

static bool ctl_pi_vector(struct entry_ctx *c)
{
	if (!(pin(c) & PIN_POSTED_INTR))
		return true;
	uint64_t nv = entry_field(c, POSTED_INTR_NV);
	if (!(nv & 0xff00))
		return true;
	return entry_fail(c, POSTED_INTR_NV, nv,
			  "posted-interrupt notification vector 0x%llx sets bits 15:8; it must be a "
			  "vector 0-255", (unsigned long long)nv);
}

static bool ctl_pi_desc_addr(struct entry_ctx *c)
{
	if (!(pin(c) & PIN_POSTED_INTR))
		return true;
	return addr_ok(c, POSTED_INTR_DESC_ADDR, "posted-interrupt descriptor address", 64,
		       "\"process posted interrupts\" is 1");
}

static bool ctl_vpid_nonzero(struct entry_ctx *c)
{
	if (!(proc2(c) & PROC2_VPID) || entry_field(c, VIRTUAL_PROCESSOR_ID))
		return true;
	return entry_fail(c, VIRTUAL_PROCESSOR_ID, 0,
			  "VPID is 0000H with \"enable VPID\" 1; VPID 0 belongs to VMX root operation");
}

static bool ctl_eptp_valid(struct entry_ctx *c)
{
	if (!(proc2(c) & PROC2_EPT))
		return true;
	uint64_t e = entry_field(c, EPT_POINTER);
	uint64_t cap = cap_msr(c, MSR_IA32_VMX_EPT_VPID_CAP);
	unsigned mt = e & 7, walk = ((e >> 3) & 7) + 1;

	if (!((mt == 0 && (cap & EPTCAP_UC)) || (mt == 6 && (cap & EPTCAP_WB))))
		return entry_fail(c, EPT_POINTER, e,
				  "EPTP 0x%llx: memory type %u (bits 2:0) is not one IA32_VMX_EPT_VPID_CAP "
				  "allows (UC=0 if bit 8, WB=6 if bit 14)", (unsigned long long)e, mt);
	if (!((walk == 4 && (cap & EPTCAP_WALK4)) || (walk == 5 && (cap & EPTCAP_WALK5))))
		return entry_fail(c, EPT_POINTER, e,
				  "EPTP 0x%llx: page-walk length %u (bits 5:3 + 1) is not supported; "
				  "IA32_VMX_EPT_VPID_CAP allows 4 if bit 6, 5 if bit 7",
				  (unsigned long long)e, walk);
	if ((e & BIT(6)) && !(cap & EPTCAP_AD))
		return entry_fail(c, EPT_POINTER, e,
				  "EPTP 0x%llx enables accessed/dirty flags (bit 6) but "
				  "IA32_VMX_EPT_VPID_CAP[21] is 0", (unsigned long long)e);
	if ((e & BIT(7)) && !(cap & EPTCAP_SSS))
		return entry_fail(c, EPT_POINTER, e,
				  "EPTP 0x%llx enables supervisor shadow-stack control (bit 7) but "
				  "IA32_VMX_EPT_VPID_CAP[23] is 0", (unsigned long long)e);
	if ((e & 0xf00) || (e >> c->maxphyaddr))
		return entry_fail(c, EPT_POINTER, e,
				  "EPTP 0x%llx sets reserved bits 11:8 or bits at or above 2^%u (MAXPHYADDR)",
				  (unsigned long long)e, c->maxphyaddr);
	return true;
}

/* "enable EPT" must be 1 for `what`, which is set in the secondary controls. */
static bool needs_ept(struct entry_ctx *c, uint64_t bit, const char *what)
{
	uint64_t p2 = proc2(c);

	if (!(p2 & bit) || (p2 & PROC2_EPT))
		return true;
	return entry_fail(c, SECONDARY_VM_EXEC_CONTROL, p2,
			  "secondary controls 0x%llx set \"%s\" without \"enable EPT\" (bit 1)",
			  (unsigned long long)p2, what);
}

static bool ctl_pml_needs_ept(struct entry_ctx *c)
{
	return needs_ept(c, PROC2_PML, "enable PML");
}

static bool ctl_pml_addr(struct entry_ctx *c)
{
	if (!(proc2(c) & PROC2_PML))
		return true;
	return addr_ok(c, PML_ADDRESS, "PML address", 4096, "\"enable PML\" is 1");
}

static bool ctl_ug_needs_ept(struct entry_ctx *c)
{
	return needs_ept(c, PROC2_UG, "unrestricted guest");
}

static bool ctl_spp(struct entry_ctx *c)
{
	if (!(proc2(c) & PROC2_SPP))
		return true;
	return needs_ept(c, PROC2_SPP, "sub-page write permissions for EPT") &&
	       addr_ok(c, SPPT_POINTER, "SPPTP", 4096,
		       "\"sub-page write permissions for EPT\" is 1");
}

static bool ctl_mbec_needs_ept(struct entry_ctx *c)
{
	return needs_ept(c, PROC2_MBEC, "mode-based execute control for EPT");
}

static bool ctl_pt_gpa(struct entry_ctx *c)
{
	if (!(proc2(c) & PROC2_PT_GPA))
		return true;
	if (!needs_ept(c, PROC2_PT_GPA, "Intel PT uses guest-physical addresses"))
		return false;
	uint64_t en = entry_ctls(c), x = exit_ctls(c);
	if (!(en & ENTRY_LOAD_RTIT))
		return entry_fail(c, VM_ENTRY_CONTROLS, en,
				  "\"Intel PT uses guest-physical addresses\" is 1 but the VM-entry controls "
				  "0x%llx lack \"load IA32_RTIT_CTL\" (bit 18)", (unsigned long long)en);
	if (!(x & EXIT_CLEAR_RTIT))
		return entry_fail(c, VM_EXIT_CONTROLS, x,
				  "\"Intel PT uses guest-physical addresses\" is 1 but the VM-exit controls "
				  "0x%llx lack \"clear IA32_RTIT_CTL\" (bit 25)", (unsigned long long)x);
	return true;
}

static bool ctl_vmfunc_rsvd(struct entry_ctx *c)
{
	if (!(proc2(c) & PROC2_VMFUNC))
		return true;
	uint64_t f = entry_field(c, VM_FUNCTION_CONTROL);
	uint64_t may1 = vmcs_caps_allowed1(c->caps, VMCS_CTL_VMFUNC);
	if (!(f & ~may1))
		return true;
	return entry_fail(c, VM_FUNCTION_CONTROL, f,
			  "VM-function controls 0x%llx set bits 0x%llx that IA32_VMX_VMFUNC does not allow",
			  (unsigned long long)f, (unsigned long long)(f & ~may1));
}

static bool ctl_eptp_switch(struct entry_ctx *c)
{
	if (!(vmfunc(c) & VMFUNC_EPTP_SWITCH))
		return true;
	uint64_t p2 = proc2(c);
	if (!(p2 & PROC2_EPT))
		return entry_fail(c, SECONDARY_VM_EXEC_CONTROL, p2,
				  "EPTP switching (VM function 0) is enabled but the secondary controls "
				  "0x%llx lack \"enable EPT\" (bit 1)", (unsigned long long)p2);
	return addr_ok(c, EPTP_LIST_ADDRESS, "EPTP-list address", 4096,
		       "EPTP switching is enabled");
}

static bool ctl_shadow_bitmaps(struct entry_ctx *c)
{
	if (!(proc2(c) & PROC2_SHADOW_VMCS))
		return true;
	return addr_ok(c, VMREAD_BITMAP, "VMREAD-bitmap address", 4096,
		       "\"VMCS shadowing\" is 1") &&
	       addr_ok(c, VMWRITE_BITMAP, "VMWRITE-bitmap address", 4096,
		       "\"VMCS shadowing\" is 1");
}

static bool ctl_ve_info_addr(struct entry_ctx *c)
{
	if (!(proc2(c) & PROC2_EPT_VE))
		return true;
	return addr_ok(c, VE_INFORMATION_ADDRESS, "virtualization-exception information address",
		       4096, "\"EPT-violation #VE\" is 1");
}

/* HLAT and its companions (tertiary bits 1-3) work on EPT; HLATP is formatted like CR3
 * without PCID (bits 2:0 and 11:5 reserved), and the prefix size may not exceed the
 * maximum IA32_VMX_EPT_VPID_CAP[53:48] announces. */
static bool ctl_hlat(struct entry_ctx *c)
{
	uint64_t p3 = proc3(c);
	uint64_t p2 = proc2(c);

	if (!(p3 & (PROC3_HLAT | PROC3_EPT_PW | PROC3_GPV)))
		return true;
	if (!(p2 & PROC2_EPT))
		return entry_fail(c, SECONDARY_VM_EXEC_CONTROL, p2,
				  "tertiary controls 0x%llx enable HLAT, EPT paging-write control or "
				  "guest-paging verification, but the secondary controls 0x%llx lack "
				  "\"enable EPT\"", (unsigned long long)p3, (unsigned long long)p2);
	if (!(p3 & PROC3_HLAT))
		return true;
	uint64_t hp = entry_field(c, HLAT_POINTER);
	if ((hp & 0xfe7) || (hp >> c->maxphyaddr))
		return entry_fail(c, HLAT_POINTER, hp,
				  "HLATP 0x%llx sets reserved bits 2:0 or 11:5, or bits at or above 2^%u "
				  "(MAXPHYADDR)", (unsigned long long)hp, c->maxphyaddr);
	uint64_t ps = entry_field(c, HLAT_PREFIX_SIZE);
	uint64_t max = (cap_msr(c, MSR_IA32_VMX_EPT_VPID_CAP) >> 48) & 0x3f;
	if (ps > max)
		return entry_fail(c, HLAT_PREFIX_SIZE, ps,
				  "HLAT prefix size %llu exceeds the maximum %llu of "
				  "IA32_VMX_EPT_VPID_CAP[53:48]", (unsigned long long)ps,
				  (unsigned long long)max);
	return true;
}

/* IPI virtualization: the PID-pointer table is an array of 8-byte entries. */
static bool ctl_ipiv(struct entry_ctx *c)
{
	if (!(proc3(c) & PROC3_IPIV))
		return true;
	return addr_ok(c, PID_POINTER_TABLE, "PID-pointer table address", 8,
		       "\"IPI virtualization\" is 1");
}

/* Bochs alone refuses a zero TSC multiplier; the SDM has no such rule (a multiplier of
 * 0 is architecturally legal), so the row exists for the checklist and holds. */
static bool ctl_bochs_tsc_mult(struct entry_ctx *c)
{
	(void)c;
	return true;
}

/* ---- A.2 VM-exit control fields (2.1.2) ---- */

static bool ctl_exit_reserved(struct entry_ctx *c)
{
	return ctl_word_ok(c, VMCS_CTL_EXIT, VM_EXIT_CONTROLS, exit_ctls(c),
			   "primary VM-exit controls", "IA32_VMX_(TRUE_)EXIT_CTLS");
}

static bool ctl_exit2_reserved(struct entry_ctx *c)
{
	if (!(exit_ctls(c) & EXIT_SECONDARY))
		return true;
	return ctl_word_ok(c, VMCS_CTL_EXIT2, SECONDARY_VM_EXIT_CONTROLS, exit2(c),
			   "secondary VM-exit controls", "IA32_VMX_EXIT_CTLS2");
}

static bool ctl_preempt_save(struct entry_ctx *c)
{
	uint64_t x = exit_ctls(c);

	if (!(x & EXIT_SAVE_PREEMPT) || (pin(c) & PIN_PREEMPT_TIMER))
		return true;
	return entry_fail(c, VM_EXIT_CONTROLS, x,
			  "VM-exit controls 0x%llx set \"save VMX-preemption timer value\" (bit 22) but "
			  "\"activate VMX-preemption timer\" is 0", (unsigned long long)x);
}

static bool ctl_exit_msr_store(struct entry_ctx *c)
{
	return msr_area_ok(c, VM_EXIT_MSR_STORE_ADDR, VM_EXIT_MSR_STORE_COUNT,
			   "VM-exit MSR-store area");
}

static bool ctl_exit_msr_load(struct entry_ctx *c)
{
	return msr_area_ok(c, VM_EXIT_MSR_LOAD_ADDR, VM_EXIT_MSR_LOAD_COUNT,
			   "VM-exit MSR-load area");
}

/* ---- A.3 VM-entry control fields (2.1.3) ---- */

static bool ctl_entry_reserved(struct entry_ctx *c)
{
	return ctl_word_ok(c, VMCS_CTL_ENTRY, VM_ENTRY_CONTROLS, entry_ctls(c),
			   "VM-entry controls", "IA32_VMX_(TRUE_)ENTRY_CTLS");
}

/* The interruption-information field if its valid bit is set, else 0. */
static uint64_t inj(const struct entry_ctx *c)
{
	uint64_t i = entry_field(c, VM_ENTRY_INTR_INFO_FIELD);

	return (i & INTR_VALID) ? i : 0;
}

/* FRED injects SYSCALL/SYSENTER as "other event" vectors 1 and 2 when the model has
 * FRED (its "load guest FRED state" entry control may be 1) and guest CR4.FRED = 1. */
static bool fred_guest(const struct entry_ctx *c)
{
	return ((vmcs_caps_allowed1(c->caps, VMCS_CTL_ENTRY) & ENTRY_LOAD_FRED) != 0) &&
	       (entry_field(c, GUEST_CR4) & GUEST_CR4_FRED);
}

static bool ctl_inj_type(struct entry_ctx *c)
{
	uint64_t i = inj(c);

	if (!i)
		return true;
	unsigned t = INTR_TYPE(i);
	if (t == INTR_TYPE_RESERVED)
		return entry_fail(c, VM_ENTRY_INTR_INFO_FIELD, i,
				  "injected event 0x%llx has interruption type 1, which is reserved",
				  (unsigned long long)i);
	if (t == INTR_TYPE_OTHER && !(vmcs_caps_allowed1(c->caps, VMCS_CTL_PROC) & PROC_MTF))
		return entry_fail(c, VM_ENTRY_INTR_INFO_FIELD, i,
				  "injected event 0x%llx has type 7 (other event), reserved on a processor "
				  "without the \"monitor trap flag\" control", (unsigned long long)i);
	return true;
}

static bool ctl_inj_vector(struct entry_ctx *c)
{
	uint64_t i = inj(c);

	if (!i)
		return true;
	unsigned t = INTR_TYPE(i), v = INTR_VECTOR(i);
	if (t == INTR_TYPE_NMI && v != 2)
		return entry_fail(c, VM_ENTRY_INTR_INFO_FIELD, i,
				  "injected NMI 0x%llx has vector %u; an NMI must use vector 2",
				  (unsigned long long)i, v);
	if (t == INTR_TYPE_HW_EXC && v > 31)
		return entry_fail(c, VM_ENTRY_INTR_INFO_FIELD, i,
				  "injected hardware exception 0x%llx has vector %u; exceptions are 0-31",
				  (unsigned long long)i, v);
	if (t == INTR_TYPE_OTHER && v != 0 && !((v == 1 || v == 2) && fred_guest(c)))
		return entry_fail(c, VM_ENTRY_INTR_INFO_FIELD, i,
				  "injected other event 0x%llx has vector %u; it must be 0 (pending MTF VM "
				  "exit), or 1/2 (SYSCALL/SYSENTER) for a FRED guest",
				  (unsigned long long)i, v);
	return true;
}

static bool ctl_inj_errcode_bit(struct entry_ctx *c)
{
	uint64_t i = inj(c);

	if (!i)
		return true;
	unsigned t = INTR_TYPE(i), v = INTR_VECTOR(i);
	bool has = i & INTR_DELIVER_EC;
	bool pe_ok = !(proc2(c) & PROC2_UG) || (entry_field(c, GUEST_CR0) & GUEST_CR0_PE);
	bool ec_vec = v == 8 || (v >= 10 && v <= 14) || v == 17;
	bool relaxed = c->caps && (cap_msr(c, MSR_IA32_VMX_BASIC) & BASIC_NO_HW_EC_CC);

	if (has && !(pe_ok && t == INTR_TYPE_HW_EXC))
		return entry_fail(c, VM_ENTRY_INTR_INFO_FIELD, i,
				  "injected event 0x%llx asks to deliver an error code, but only a hardware "
				  "exception (type 3) into a guest with CR0.PE=1 or without unrestricted "
				  "guest may carry one", (unsigned long long)i);
	if (!has && !relaxed && pe_ok && t == INTR_TYPE_HW_EXC && ec_vec)
		return entry_fail(c, VM_ENTRY_INTR_INFO_FIELD, i,
				  "injected exception %u (0x%llx) must deliver an error code (bit 11) since "
				  "IA32_VMX_BASIC[56] is 0", v, (unsigned long long)i);
	if (has && !relaxed && !ec_vec)
		return entry_fail(c, VM_ENTRY_INTR_INFO_FIELD, i,
				  "injected exception %u (0x%llx) has no error code, so bit 11 must be 0 "
				  "(IA32_VMX_BASIC[56] is 0)", v, (unsigned long long)i);
	return true;
}

static bool ctl_inj_rsvd(struct entry_ctx *c)
{
	uint64_t i = inj(c);

	if (!i)
		return true;
	uint64_t rsvd = INTR_RSVD;
	bool nested_ok = (cap_msr(c, MSR_IA32_VMX_BASIC) & BASIC_NESTED_EXC) &&
			 INTR_TYPE(i) == INTR_TYPE_HW_EXC;
	if (nested_ok)
		rsvd &= ~INTR_NESTED;
	if (!(i & rsvd))
		return true;
	return entry_fail(c, VM_ENTRY_INTR_INFO_FIELD, i,
			  "VM-entry interruption information 0x%llx sets reserved bits 0x%llx "
			  "(30:12; bit 13 only for a hardware exception with FRED nested-exception "
			  "support)", (unsigned long long)i, (unsigned long long)(i & rsvd));
}

static bool ctl_inj_errcode_rsvd(struct entry_ctx *c)
{
	if (!(inj(c) & INTR_DELIVER_EC))
		return true;
	uint64_t ec = entry_field(c, VM_ENTRY_EXCEPTION_ERROR_CODE);
	if (!(ec & 0xffff0000ull))
		return true;
	return entry_fail(c, VM_ENTRY_EXCEPTION_ERROR_CODE, ec,
			  "VM-entry exception error code 0x%llx sets bits 31:16, which must be 0",
			  (unsigned long long)ec);
}

static bool ctl_inj_ilen(struct entry_ctx *c)
{
	uint64_t i = inj(c);
	unsigned t = INTR_TYPE(i);

	if (!i || (t != INTR_TYPE_SW_INT && t != INTR_TYPE_PRIV_SW_EXC && t != INTR_TYPE_SW_EXC))
		return true;
	uint64_t len = entry_field(c, VM_ENTRY_INSTRUCTION_LEN);
	bool zero_ok = cap_msr(c, MSR_IA32_VMX_MISC) & MISC_ZERO_LEN_INS;
	if (len <= 15 && (len > 0 || zero_ok))
		return true;
	return entry_fail(c, VM_ENTRY_INSTRUCTION_LEN, len,
			  "VM-entry instruction length %llu for a software event (type %u) must be "
			  "1-15%s", (unsigned long long)len, t,
			  zero_ok ? " or 0" : " (0 needs IA32_VMX_MISC[30])");
}

static bool ctl_entry_msr_load(struct entry_ctx *c)
{
	return msr_area_ok(c, VM_ENTRY_MSR_LOAD_ADDR, VM_ENTRY_MSR_LOAD_COUNT,
			   "VM-entry MSR-load area");
}

static bool ctl_smm_outside_smm(struct entry_ctx *c)
{
	uint64_t en = entry_ctls(c);

	if (!(en & (ENTRY_SMM | ENTRY_DEACT_DUAL)))
		return true;
	return entry_fail(c, VM_ENTRY_CONTROLS, en,
			  "VM-entry controls 0x%llx set \"entry to SMM\" (bit 10) or \"deactivate "
			  "dual-monitor treatment\" (bit 11), which must be 0 outside SMM",
			  (unsigned long long)en);
}

static bool ctl_smm_both(struct entry_ctx *c)
{
	uint64_t en = entry_ctls(c);

	if ((en & (ENTRY_SMM | ENTRY_DEACT_DUAL)) != (ENTRY_SMM | ENTRY_DEACT_DUAL))
		return true;
	return entry_fail(c, VM_ENTRY_CONTROLS, en,
			  "VM-entry controls 0x%llx set both \"entry to SMM\" and \"deactivate "
			  "dual-monitor treatment\"; at most one may be 1", (unsigned long long)en);
}

const struct entry_check entry_checks_ctl[] = {
	/* A.1 VM-execution control fields */
	{ "CTL_PIN_RESERVED", "2.1.1",
	  "pin-based controls within IA32_VMX_(TRUE_)PINBASED_CTLS", ctl_pin_reserved },
	{ "CTL_PROC1_RESERVED", "2.1.1",
	  "primary processor-based controls within IA32_VMX_(TRUE_)PROCBASED_CTLS",
	  ctl_proc1_reserved },
	{ "CTL_PROC2_RESERVED", "2.1.1",
	  "secondary controls (when activated) within IA32_VMX_PROCBASED_CTLS2",
	  ctl_proc2_reserved },
	{ "CTL_PROC3_RESERVED", "2.1.1",
	  "tertiary controls (when activated) within IA32_VMX_PROCBASED_CTLS3",
	  ctl_proc3_reserved },
	{ "CTL_CR3_TARGET_COUNT", "2.1.1",
	  "CR3-target count at most IA32_VMX_MISC[24:16]", ctl_cr3_target_count },
	{ "CTL_IO_BITMAP_ADDR", "2.1.1",
	  "I/O-bitmap addresses page-aligned and below MAXPHYADDR", ctl_io_bitmap_addr },
	{ "CTL_MSR_BITMAP_ADDR", "2.1.1",
	  "MSR-bitmap address page-aligned and below MAXPHYADDR", ctl_msr_bitmap_addr },
	{ "CTL_VAPIC_ADDR", "2.1.1",
	  "virtual-APIC address page-aligned and below MAXPHYADDR", ctl_vapic_addr },
	{ "CTL_TPR_THRESHOLD_RSVD", "2.1.1",
	  "TPR threshold bits 31:4 zero (TPR shadow without VID)", ctl_tpr_threshold_rsvd },
	{ "CTL_TPR_THRESHOLD_VTPR", "2.1.1",
	  "TPR threshold[3:0] not above VTPR[7:4] (no VID, no APIC-access virtualization)",
	  ctl_tpr_threshold_vtpr },
	{ "CTL_VNMI_NEEDS_NMI_EXIT", "2.1.1",
	  "virtual NMIs only with NMI exiting", ctl_vnmi_needs_nmi_exit },
	{ "CTL_NMIWIN_NEEDS_VNMI", "2.1.1",
	  "NMI-window exiting only with virtual NMIs", ctl_nmiwin_needs_vnmi },
	{ "CTL_APIC_ACCESS_ADDR", "2.1.1",
	  "APIC-access address page-aligned and below MAXPHYADDR", ctl_apic_access_addr },
	{ "CTL_APICV_NEEDS_TPR", "2.1.1",
	  "x2APIC-mode, register virtualization and VID only with TPR shadow",
	  ctl_apicv_needs_tpr },
	{ "CTL_X2APIC_XOR_APICACC", "2.1.1",
	  "not both x2APIC-mode and APIC-access virtualization", ctl_x2apic_xor_apicacc },
	{ "CTL_VID_NEEDS_EXTINT", "2.1.1",
	  "virtual-interrupt delivery only with external-interrupt exiting", ctl_vid_needs_extint },
	{ "CTL_PI_NEEDS_VID", "2.1.1",
	  "posted interrupts only with virtual-interrupt delivery", ctl_pi_needs_vid },
	{ "CTL_PI_NEEDS_ACK", "2.1.1",
	  "posted interrupts only with acknowledge-interrupt-on-exit", ctl_pi_needs_ack },
	{ "CTL_PI_VECTOR", "2.1.1",
	  "posted-interrupt notification vector 0-255", ctl_pi_vector },
	{ "CTL_PI_DESC_ADDR", "2.1.1",
	  "posted-interrupt descriptor 64-byte aligned below MAXPHYADDR", ctl_pi_desc_addr },
	{ "CTL_VPID_NONZERO", "2.1.1",
	  "VPID nonzero when enabled", ctl_vpid_nonzero },
	{ "CTL_EPTP_VALID", "2.1.1",
	  "EPTP memory type, walk length, A/D and SSS bits as EPT_VPID_CAP allows, no reserved bits",
	  ctl_eptp_valid },
	{ "CTL_PML_NEEDS_EPT", "2.1.1",
	  "PML only with EPT", ctl_pml_needs_ept },
	{ "CTL_PML_ADDR", "2.1.1",
	  "PML address page-aligned and below MAXPHYADDR", ctl_pml_addr },
	{ "CTL_UG_NEEDS_EPT", "2.1.1",
	  "unrestricted guest only with EPT", ctl_ug_needs_ept },
	{ "CTL_SPP", "2.1.1",
	  "sub-page permissions only with EPT and a valid SPPTP (not in the models: holds)",
	  ctl_spp },
	{ "CTL_MBEC_NEEDS_EPT", "2.1.1",
	  "mode-based execute control only with EPT (not in the models: holds)",
	  ctl_mbec_needs_ept },
	{ "CTL_PT_GPA", "2.1.1",
	  "PT guest-physical addresses need EPT and RTIT_CTL load/clear (not in the models: holds)",
	  ctl_pt_gpa },
	{ "CTL_VMFUNC_RSVD", "2.1.1",
	  "VM-function controls (when enabled) within IA32_VMX_VMFUNC", ctl_vmfunc_rsvd },
	{ "CTL_EPTP_SWITCH", "2.1.1",
	  "EPTP switching needs EPT and a page-aligned EPTP list below MAXPHYADDR",
	  ctl_eptp_switch },
	{ "CTL_SHADOW_BITMAPS", "2.1.1",
	  "VMREAD/VMWRITE bitmaps page-aligned and below MAXPHYADDR", ctl_shadow_bitmaps },
	{ "CTL_VE_INFO_ADDR", "2.1.1",
	  "#VE information address page-aligned and below MAXPHYADDR", ctl_ve_info_addr },
	{ "CTL_HLAT", "2.1.1",
	  "HLAT needs EPT, a valid HLATP and a supported prefix size (not in the models: holds)",
	  ctl_hlat },
	{ "CTL_IPIV", "2.1.1",
	  "PID-pointer table 8-byte aligned below MAXPHYADDR with IPI virtualization", ctl_ipiv },
	{ "CTL_BOCHS_TSC_MULT", "2.1.1",
	  "Bochs-only nonzero TSC multiplier; not an SDM rule: holds", ctl_bochs_tsc_mult },
	/* A.2 VM-exit control fields */
	{ "CTL_EXIT_RESERVED", "2.1.2",
	  "primary VM-exit controls within IA32_VMX_(TRUE_)EXIT_CTLS", ctl_exit_reserved },
	{ "CTL_EXIT2_RESERVED", "2.1.2",
	  "secondary VM-exit controls (when activated) within IA32_VMX_EXIT_CTLS2",
	  ctl_exit2_reserved },
	{ "CTL_PREEMPT_SAVE", "2.1.2",
	  "save preemption timer only with the timer active", ctl_preempt_save },
	{ "CTL_EXIT_MSR_STORE", "2.1.2",
	  "VM-exit MSR-store area 16-byte aligned, wholly below MAXPHYADDR", ctl_exit_msr_store },
	{ "CTL_EXIT_MSR_LOAD", "2.1.2",
	  "VM-exit MSR-load area 16-byte aligned, wholly below MAXPHYADDR", ctl_exit_msr_load },
	/* A.3 VM-entry control fields */
	{ "CTL_ENTRY_RESERVED", "2.1.3",
	  "VM-entry controls within IA32_VMX_(TRUE_)ENTRY_CTLS", ctl_entry_reserved },
	{ "CTL_INJ_TYPE", "2.1.3",
	  "injected event type not reserved (7 needs MTF support)", ctl_inj_type },
	{ "CTL_INJ_VECTOR", "2.1.3",
	  "injected vector fits the type (NMI 2, exception <32, other event 0)", ctl_inj_vector },
	{ "CTL_INJ_ERRCODE_BIT", "2.1.3",
	  "deliver-error-code bit matches type, vector and guest CR0.PE", ctl_inj_errcode_bit },
	{ "CTL_INJ_RSVD", "2.1.3",
	  "interruption-information bits 30:12 zero", ctl_inj_rsvd },
	{ "CTL_INJ_ERRCODE_RSVD", "2.1.3",
	  "injected error code bits 31:16 zero", ctl_inj_errcode_rsvd },
	{ "CTL_INJ_ILEN", "2.1.3",
	  "software-event instruction length 1-15 (0 if IA32_VMX_MISC[30])", ctl_inj_ilen },
	{ "CTL_ENTRY_MSR_LOAD", "2.1.3",
	  "VM-entry MSR-load area 16-byte aligned, wholly below MAXPHYADDR", ctl_entry_msr_load },
	{ "CTL_SMM_OUTSIDE_SMM", "2.1.3",
	  "no entry-to-SMM or deactivate-dual-monitor outside SMM",
	  ctl_smm_outside_smm },
	{ "CTL_SMM_BOTH", "2.1.3",
	  "not both entry-to-SMM and deactivate-dual-monitor", ctl_smm_both },
};
const size_t entry_checks_ctl_count = sizeof(entry_checks_ctl) / sizeof(entry_checks_ctl[0]);
