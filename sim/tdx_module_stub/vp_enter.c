/* TD execution: TDH.VP.ENTER runs a TD vCPU in SEAM non-root operation through
 * the LP's VMX unit, with the TD VMCS in the vCPU's first TDCX page and the S-EPT
 * as its EPT. The module is the TD's VMM: what the guest may not see is handled
 * here (CPUID virtualized, #VE for the instructions the GHCI routes through the
 * VMM, #UD for VMX instructions, TDCALL leaves); the rest are TD exits, returned
 * to the host VMM in the ABI's registers (RAX = status | exit reason, RCX
 * qualification, RDX extended qualification, R8 GPA, R9 interruption info).
 * TDH.VP.FLUSH drops a vCPU's state from its LP. */
#include "sim/tdx_module_stub/td.h"

#include <stddef.h>
#include <string.h>

#include "sim/cpu/keyed_mem.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

#define VEC_DF 8
#define VEC_UD 6
#define VEC_GP 13
#define VEC_VE 20
#define GUEST_INTR_STATE_NMI (1u << 3)

/* The TD's attributes and configuration bits the module acts on. */
#define TD_ATTR_SEPT_VE_DISABLE (1ull << 28)
#define TD_EXT_QUAL_PENDING_EPT_VIOLATION 6

uint64_t td_vmread(struct td_run *r, uint32_t field)
{
	return r->mod->cpu.vmread(r->mod->cpu.ctx, r->lp, field);
}

void td_vmwrite(struct td_run *r, uint32_t field, uint64_t value)
{
	r->mod->cpu.vmwrite(r->mod->cpu.ctx, r->lp, field, value);
}

void td_inject(struct td_run *r, unsigned vector, bool has_error, uint32_t error)
{
	td_vmwrite(r, VM_ENTRY_INTR_INFO_FIELD, 0x80000000u | 3u << 8 | vector | (has_error ? 1u << 11 : 0));
	if (has_error)
		td_vmwrite(r, VM_ENTRY_EXCEPTION_ERROR_CODE, error);
}

void td_skip_insn(struct td_run *r)
{
	td_vmwrite(r, GUEST_RIP, td_vmread(r, GUEST_RIP) + td_vmread(r, VM_EXIT_INSTRUCTION_LEN));
	/* Blocking by STI and by MOV SS ends with the instruction. */
	uint64_t intr = td_vmread(r, GUEST_INTERRUPTIBILITY_INFO);
	if (intr & 3)
		td_vmwrite(r, GUEST_INTERRUPTIBILITY_INFO, intr & ~3ull);
}

bool td_private_hpa(struct td_run *r, uint64_t gpa, uint64_t *hpa)
{
	uint64_t at;
	unsigned level;
	if (gpa >= TD_SHARED_BIT || sept_leaf_state(r->mod, &r->t, gpa, &at, &level) != SEPT_MAPPED)
		return false;
	uint64_t offset = gpa & ((1ull << (12 + 9 * level)) - 1);   /* within a 4 KiB or larger page */
	*hpa = (phys_read64(r->mod->pm, at) & 0x000ffffffffff000ull) + offset;
	return true;
}

/* ---- the TD VMCS ------------------------------------------------------------------ */

/* A control value the CPU allows: `want`, plus the bits that must be 1, minus the
 * bits that must be 0 (the capability MSR's allowed-0 and allowed-1 halves). */
static uint32_t ctl(struct td_run *r, uint32_t msr, uint32_t want)
{
	uint64_t cap = r->mod->cpu.rdmsr(r->mod->cpu.ctx, r->lp, msr);
	return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

/* What TDH.VP.INIT architecturally leaves in a vCPU (the TDX module ABI's initial
 * state): 32-bit protected mode without paging at the reset vector. */
static const struct { uint32_t field; uint64_t value; } td_initial_state[] = {
	{ GUEST_RIP, 0xfffffff0 }, { GUEST_RFLAGS, 2 }, { GUEST_RSP, 0 },
	{ GUEST_CR0, 0x21 }, { GUEST_CR3, 0 }, { GUEST_CR4, 0x2040 }, { CR0_READ_SHADOW, 0x21 },
	{ CR4_READ_SHADOW, 0x40 }, { GUEST_IA32_EFER, 0x901 }, { GUEST_DR7, 0x400 },
	{ GUEST_IA32_PAT, 0x0007040600070406ull },
	{ GUEST_CS_SELECTOR, 0x08 }, { GUEST_CS_BASE, 0 }, { GUEST_CS_LIMIT, 0xffffffff },
	{ GUEST_CS_AR_BYTES, 0xc09b },
	{ GUEST_SS_SELECTOR, 0x10 }, { GUEST_SS_LIMIT, 0xffffffff }, { GUEST_SS_AR_BYTES, 0xc093 },
	{ GUEST_DS_SELECTOR, 0x10 }, { GUEST_DS_LIMIT, 0xffffffff }, { GUEST_DS_AR_BYTES, 0xc093 },
	{ GUEST_ES_SELECTOR, 0x10 }, { GUEST_ES_LIMIT, 0xffffffff }, { GUEST_ES_AR_BYTES, 0xc093 },
	{ GUEST_FS_SELECTOR, 0x10 }, { GUEST_FS_LIMIT, 0xffffffff }, { GUEST_FS_AR_BYTES, 0xc093 },
	{ GUEST_GS_SELECTOR, 0x10 }, { GUEST_GS_LIMIT, 0xffffffff }, { GUEST_GS_AR_BYTES, 0xc093 },
	{ GUEST_LDTR_SELECTOR, 0 }, { GUEST_LDTR_LIMIT, 0xffff }, { GUEST_LDTR_AR_BYTES, 0x10082 },
	{ GUEST_TR_SELECTOR, 0 }, { GUEST_TR_LIMIT, 0xffff }, { GUEST_TR_AR_BYTES, 0x8b },
	{ GUEST_GDTR_LIMIT, 0xffff }, { GUEST_IDTR_LIMIT, 0xffff },
	{ GUEST_ACTIVITY_STATE, 0 }, { GUEST_INTERRUPTIBILITY_INFO, 0 },
	{ GUEST_PENDING_DBG_EXCEPTIONS, 0 }, { VMCS_LINK_POINTER, ~0ull },
	{ CR0_GUEST_HOST_MASK, 0 }, { CR4_GUEST_HOST_MASK, 0 }, { EXCEPTION_BITMAP, 1u << 18 },   /* #MC */
	{ CR3_TARGET_COUNT, 0 }, { VM_EXIT_MSR_STORE_COUNT, 0 }, { VM_EXIT_MSR_LOAD_COUNT, 0 },
	{ VM_ENTRY_MSR_LOAD_COUNT, 0 }, { VM_ENTRY_INTR_INFO_FIELD, 0 },
	/* Not set up until the VMM writes them (TDH.VP.WR): the ABI's initial values. */
	{ POSTED_INTR_NV, 0xffff }, { POSTED_INTR_DESC_ADDR, ~0ull },
};

static void td_vmcs_init(struct td_run *r)
{
	bool true_msrs = r->mod->cpu.rdmsr(r->mod->cpu.ctx, r->lp, MSR_IA32_VMX_BASIC) & (1ull << 55);
	for (size_t i = 0; i < sizeof(td_initial_state) / sizeof(td_initial_state[0]); i++)
		td_vmwrite(r, td_initial_state[i].field, td_initial_state[i].value);
	td_vmwrite(r, PIN_BASED_VM_EXEC_CONTROL,
		   ctl(r, true_msrs ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
		       PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS));
	td_vmwrite(r, CPU_BASED_VM_EXEC_CONTROL,
		   ctl(r, true_msrs ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
		       CPU_BASED_HLT_EXITING | CPU_BASED_MWAIT_EXITING | CPU_BASED_RDPMC_EXITING |
		       CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_MONITOR_EXITING | CPU_BASED_USE_MSR_BITMAPS |
		       CPU_BASED_USE_TSC_OFFSETTING | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS |
		       CPU_BASED_TPR_SHADOW));
	/* The native MSRs pass through (td_msr.c); every other access exits. */
	td_vmwrite(r, MSR_BITMAP, td_msr_bitmap_pa(r->mod, &r->t));
	/* EPT violations the shared EPT marks convertible (MMIO) are the guest's #VE. */
	td_vmwrite(r, SECONDARY_VM_EXEC_CONTROL,
		   ctl(r, MSR_IA32_VMX_PROCBASED_CTLS2,
		       SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_RDTSCP |
		       SECONDARY_EXEC_WBINVD_EXITING | SECONDARY_EXEC_UNRESTRICTED_GUEST |
		       SECONDARY_EXEC_EPT_VIOLATION_VE | SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE |
		       SECONDARY_EXEC_APIC_REGISTER_VIRT | SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY));
	/* The TD's local APIC is virtual (TDVPS page): its x2APIC MSRs read the page and
	 * TPR, EOI and SELF IPI are virtualized (td_msr.c's VAPIC rows); interrupts come
	 * as virtual interrupts, posted by the VMM (TDH.VP.WR turns posting on). */
	td_vmwrite(r, VIRTUAL_APIC_PAGE_ADDR, td_vcpu_page(r, TDVPS_VAPIC_PAGE));
	td_vmwrite(r, VE_INFORMATION_ADDRESS, td_vcpu_page(r, TDVPS_VE_INFO_PAGE));
	td_vmwrite(r, VM_EXIT_CONTROLS,
		   ctl(r, true_msrs ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
		       VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT |
		       VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER));
	td_vmwrite(r, VM_ENTRY_CONTROLS,
		   ctl(r, true_msrs ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
		       VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_IA32_EFER));
	td_vmwrite(r, EPT_POINTER, sept_eptp(r->mod, &r->t, &r->c));
	/* One VPID per TD (its HKID): the TLB of another TD or VM never serves it. */
	td_vmwrite(r, VIRTUAL_PROCESSOR_ID, 0x8000 | r->t.hkid);
	td_vmwrite(r, TSC_OFFSET, r->c.tsc_offset);
}

/* ---- exits the module handles ------------------------------------------------------- */

/* The exit interrupted the delivery of a #DF: a fault now is the third (SDM
 * "Interrupt 8 - Double Fault Exception"), the vCPU shuts down, a TD exit with
 * reason TRIPLE_FAULT. */
static bool td_delivering_df(struct td_run *r)
{
	uint32_t idt = (uint32_t)td_vmread(r, IDT_VECTORING_INFO_FIELD);
	return (idt & 0x80000000u) && ((idt >> 8) & 7) == 3 && (idt & 0xff) == VEC_DF;
}

static enum td_exit_action td_triple_fault(struct td_run *r)
{
	r->reason = EXIT_REASON_TRIPLE_FAULT;
	r->qualification = r->gpa = 0;
	return TD_EXIT_TO_VMM;
}

/* A virtualization exception: the guest learns what happened from
 * TDG.VP.VEINFO.GET and asks the VMM itself (GHCI). A #VE while the last one's
 * information is unread (its delivery faulted on an unaccepted IDT page, say) is
 * a #DF instead, as the TDX module injects it; a #VE that interrupted a #DF's
 * delivery, a triple fault. The injection replaces an event the exit interrupted. */
enum td_exit_action td_exit_ve(struct td_run *r)
{
	struct phys *pm = r->mod->pm;
	uint64_t area = td_vcpu_page(r, TDVPS_VE_INFO_PAGE);
	if (td_delivering_df(r))
		return td_triple_fault(r);
	if (phys_read32(pm, area + VE_VALID)) {
		td_inject(r, VEC_DF, true, 0);
		return TD_RESUME;
	}
	phys_write32(pm, area + VE_EXIT_REASON, r->reason);
	phys_write32(pm, area + VE_VALID, VE_INFO_IN_USE);
	phys_write64(pm, area + VE_QUALIFICATION, r->qualification);
	phys_write64(pm, area + VE_GLA, td_vmread(r, GUEST_LINEAR_ADDRESS));
	phys_write64(pm, area + VE_GPA, td_vmread(r, GUEST_PHYSICAL_ADDRESS));
	phys_write32(pm, area + VE_INSN_LEN, (uint32_t)td_vmread(r, VM_EXIT_INSTRUCTION_LEN));
	phys_write32(pm, area + VE_INSN_INFO, (uint32_t)td_vmread(r, VMX_INSTRUCTION_INFO));
	td_inject(r, VEC_VE, false, 0);
	return TD_RESUME;
}

/* CPUID: the module's answer (cpuid.c), or a #VE for the guest to handle when the
 * module leaves the leaf to it or the guest asked for #VEs at this CPL. */
static enum td_exit_action exit_cpuid(struct td_run *r)
{
	uint32_t leaf = (uint32_t)r->guest[R_RAX], sub = (uint32_t)r->guest[R_RCX], out[4];
	unsigned cpl = (td_vmread(r, GUEST_SS_AR_BYTES) >> 5) & 3;
	if (cpl ? r->v.cpuid_user_ve : r->v.cpuid_supervisor_ve)
		return td_exit_ve(r);
	if (!td_cpuid(r->mod, r->lp, &r->c, r->v.x2apic_id, leaf, sub, out))
		return td_exit_ve(r);
	r->guest[R_RAX] = out[0];
	r->guest[R_RBX] = out[1];
	r->guest[R_RCX] = out[2];
	r->guest[R_RDX] = out[3];
	td_skip_insn(r);
	return TD_RESUME;
}

static enum td_exit_action exit_ud(struct td_run *r)
{
	td_inject(r, VEC_UD, false, 0);
	return TD_RESUME;
}

/* An EPT violation on a private page the VMM added but the guest has not accepted
 * yet is the guest's to handle (#VE), unless the TD asked for exits instead. */
static enum td_exit_action exit_ept_violation(struct td_run *r)
{
	uint64_t gpa = r->gpa, at;
	unsigned level;
	if (gpa < TD_SHARED_BIT && sept_leaf_state(r->mod, &r->t, gpa, &at, &level) == SEPT_PENDING) {
		if (!(r->c.attributes & TD_ATTR_SEPT_VE_DISABLE) && !(r->c.td_ctls & TD_CTLS_PENDING_VE_DISABLE))
			return td_exit_ve(r);
		r->ext_qualification = TD_EXT_QUAL_PENDING_EPT_VIOLATION;
	}
	return TD_EXIT_TO_VMM;
}

static enum td_exit_action exit_to_vmm(struct td_run *r)
{
	return TD_EXIT_TO_VMM;
}

/* The module intercepts #MC: a machine check in the TD leaves its memory or state
 * untrustworthy, so the TD is fatal and the VMM learns it with the exit's
 * interruption information (R9); an NMI exit goes to the VMM as it is. */
static enum td_exit_action exit_exception_nmi(struct td_run *r)
{
	uint32_t info = (uint32_t)td_vmread(r, VM_EXIT_INTR_INFO);
	return (info & 0x7ff) == ((3u << 8) | 18) ? TD_EXIT_FATAL : TD_EXIT_TO_VMM;
}

/* By basic exit reason; reasons not listed go to the VMM. */
static enum td_exit_action (*const td_exit_handlers[])(struct td_run *) = {
	[EXIT_REASON_EXCEPTION_NMI] = exit_exception_nmi,
	[EXIT_REASON_CPUID] = exit_cpuid,
	[EXIT_REASON_HLT] = td_exit_ve, [EXIT_REASON_IO_INSTRUCTION] = td_exit_ve,
	[EXIT_REASON_VMCALL] = td_exit_ve, [EXIT_REASON_WBINVD] = td_exit_ve, [EXIT_REASON_INVD] = td_exit_ve,
	[EXIT_REASON_MWAIT_INSTRUCTION] = td_exit_ve, [EXIT_REASON_MONITOR_INSTRUCTION] = td_exit_ve,
	[EXIT_REASON_MSR_READ] = td_msr_exit, [EXIT_REASON_MSR_WRITE] = td_msr_exit,
	[EXIT_REASON_RDPMC] = td_exit_ve, [EXIT_REASON_PCONFIG] = td_exit_ve,
	[EXIT_REASON_GETSEC] = exit_ud, [EXIT_REASON_VMCLEAR] = exit_ud, [EXIT_REASON_VMLAUNCH] = exit_ud,
	[EXIT_REASON_VMPTRLD] = exit_ud, [EXIT_REASON_VMPTRST] = exit_ud, [EXIT_REASON_VMREAD] = exit_ud,
	[EXIT_REASON_VMRESUME] = exit_ud, [EXIT_REASON_VMWRITE] = exit_ud, [EXIT_REASON_VMOFF] = exit_ud,
	[EXIT_REASON_VMON] = exit_ud, [EXIT_REASON_INVEPT] = exit_ud, [EXIT_REASON_INVVPID] = exit_ud,
	[EXIT_REASON_VMFUNC] = exit_ud, [EXIT_REASON_SEAMCALL] = exit_ud, [EXIT_REASON_RSM] = exit_ud,
	[EXIT_REASON_TDCALL] = td_tdcall,
	[EXIT_REASON_EPT_VIOLATION] = exit_ept_violation,
	[EXIT_REASON_XSETBV] = td_xsetbv_exit,
};

uint64_t td_vcpu_page(const struct td_run *r, unsigned i)
{
	return td_keyed(r->mod, r->v.tdcx[i], r->t.hkid);
}

int td_vmcs_make_current(struct td_run *r, bool clear)
{
	struct tdx_module *mod = r->mod;
	/* A private page of the TD written through another KeyID: the module's VMPTRLD
	 * of the TD VMCS, TD memory, would take the machine check; the TD is done. */
	if (keyed_mem_key_poisoned(mod->pm, r->t.hkid)) {
		r->t.fatal = 1;
		tdr_put(mod, r->v.tdr, &r->t);
		return -1;
	}
	if (mod->cpu.vmcs_load(mod->cpu.ctx, r->lp, td_vcpu_page(r, 0), clear || !r->v.vmcs_ready))
		return -1;
	if (!r->v.vmcs_ready) {
		td_vmcs_init(r);
		/* The TD's exits come back to the module without loading host state
		 * (the LP keeps the VMM's): the host-state area only has to be valid. */
		mod->cpu.write_host_state(mod->cpu.ctx, r->lp);
		r->v.vmcs_ready = 1;
	}
	return 0;
}

/* ---- TDH.VP.ENTER ---------------------------------------------------------------- */

/* The initial GPRs of a vCPU (TDX module ABI): RCX and R8 the VMM's initial value,
 * RDX the platform's CPUID(1).EAX, RBX the GPAW, RSI the vCPU index. */
static void initial_gprs(struct td_run *r)
{
	uint32_t id[4];
	r->mod->cpu.cpuid(r->mod->cpu.ctx, r->lp, 1, 0, id);
	memset(r->guest, 0, sizeof(r->guest));
	r->guest[R_RCX] = r->guest[R_R8] = r->v.initial_rcx;
	r->guest[R_RDX] = id[0];
	r->guest[R_RBX] = 48;
	r->guest[R_RSI] = r->v.vcpu_index;
}

/* After a TDVMCALL exit, the VMM's answer: the registers the guest exposed, taken
 * from the VMM's, and TDCALL's own success. */
static void tdvmcall_return(struct td_run *r)
{
	uint32_t mask = r->v.tdvmcall_mask;
	for (unsigned i = R_RDX; i < 16; i++)
		if (mask & (1u << i))
			r->guest[i] = r->vmm[i];
	r->guest[R_RAX] = TDX_SUCCESS;
	r->guest[R_RCX] = mask;
}

/* What the VMM receives at a TD exit. */
static uint64_t td_exit_outputs(struct td_run *r, uint64_t status)
{
	uint64_t *o = r->vmm;
	bool tdvmcall = r->reason == EXIT_REASON_TDCALL;
	for (unsigned i = R_RCX; i < 16; i++)
		if (i != R_RSP)
			o[i] = 0;
	if (tdvmcall) {
		for (unsigned i = R_RDX; i < 16; i++)
			if (r->v.tdvmcall_mask & (1u << i))
				o[i] = r->guest[i];
		o[R_RCX] = r->v.tdvmcall_mask;
		r->v.last_td_exit = TD_EXIT_TDVMCALL;
	} else {
		o[R_RCX] = r->qualification;
		o[R_RDX] = r->ext_qualification;
		o[R_R8] = r->gpa;
		o[R_R9] = td_vmread(r, VM_EXIT_INTR_INFO);
		r->v.last_td_exit = TD_EXIT_ASYNC_FAULT;
	}
	return status | (r->reason & 0xffff);
}

static void td_set_fatal(struct td_run *r)
{
	r->t.fatal = 1;
	tdr_put(r->mod, r->tdr_pa, &r->t);
}

/* A VM entry of the TD VMCS that failed (exit reason bit 31), as the module's
 * dispatcher answers it, with the exit reason and qualification: invalid guest
 * state is the VMM's doing on a debug TD (TDH.VP.WR) and an ordinary TD exit
 * there, which it may correct and enter again; on any other TD it cannot go on
 * (NON_RECOVERABLE_TD). A machine check during the entry makes the TD fatal
 * (NON_ACCESSIBLE), as does an MSR-loading failure (the module loads no MSR
 * list, so only a corrupted VMCS could have one). */
static uint64_t td_entry_failed(struct td_run *r)
{
	uint64_t st = TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE;
	if ((r->reason & 0xffff) == EXIT_REASON_INVALID_STATE)
		st = (r->c.attributes & TD_ATTR_DEBUG) ? TDX_SUCCESS : TDX_NON_RECOVERABLE_TD;
	if (st != TDX_SUCCESS)
		td_set_fatal(r);
	r->qualification = td_vmread(r, EXIT_QUALIFICATION);
	r->ext_qualification = 0;
	r->gpa = 0;
	uint64_t out = td_exit_outputs(r, st);
	r->vmm[R_R9] = 0;            /* no interruption information with a failed entry */
	return (out & ~0xffffffffull) | r->reason;
}

/* The TD's count of vCPUs running in `epoch`, written back alone. */
/* The TDCS's count of vCPUs running in `epoch`, where the module keeps it. */
static uint64_t refcount_at(struct td_run *r, uint64_t epoch)
{
	return td_keyed(r->mod, r->t.tdcx[0], r->t.hkid) + offsetof(struct tdcs, refcount) + 8 * (epoch & 1);
}

static uint64_t refcount_get(struct td_run *r, uint64_t epoch)
{
	return phys_read64(r->mod->pm, refcount_at(r, epoch));
}

static void refcount_put(struct td_run *r, uint64_t epoch)
{
	phys_write64(r->mod->pm, refcount_at(r, epoch), r->c.refcount[epoch & 1]);
}

static void vcpu_put(struct td_run *r)
{
	tdvps_put(r->mod, &r->t, r->tdvpr_pa, &r->v);
}

uint64_t tdh_vp_enter(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct td_run run = { .mod = mod, .lp = lp, .vmm = gpr }, *r = &run;
	r->tdvpr_pa = gpr[R_RCX] & ~(3ull << 52);       /* bits 52-53: hints */
	uint64_t st = td_enter_vcpu_leaf(mod, TDH_VP_ENTER, r->tdvpr_pa, TDX_OPERAND_ID_RCX, &r->v,
					 &r->t, &r->c);
	if (st)
		return st;
	if (!mod->cpu.run)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	/* A private page written through another KeyID: the TD's next access to it is
	 * a machine check, and the TD cannot go on. */
	if (keyed_mem_key_poisoned(mod->pm, r->t.hkid)) {
		r->t.fatal = 1;
		tdr_put(mod, r->v.tdr, &r->t);
		return TDX_TD_FATAL;
	}
	if (r->v.state != VCPU_READY)
		return TDX_VCPU_STATE_INCORRECT;
	if (r->v.assoc_lp && r->v.assoc_lp != lp + 1)
		return TDX_VCPU_ASSOCIATED;
	r->tdr_pa = r->v.tdr;
	uint64_t eptp = sept_eptp(mod, &r->t, &r->c);
	bool flush = false, migrated = false;
	if (!r->v.assoc_lp) {                /* first entry on this LP since a flush */
		migrated = true;
		r->v.assoc_lp = lp + 1;
		r->c.num_assoc_vcpus++;
		flush = true;
	}
	if (r->v.vcpu_epoch != r->c.td_epoch) {
		r->v.vcpu_epoch = r->c.td_epoch;
		flush = true;
	}
	uint64_t epoch = r->c.td_epoch;
	r->c.refcount[epoch & 1]++;
	if (flush)                   /* association and epoch: the whole TDCS */
		tdcs_put(mod, &r->t, &r->c);
	else
		refcount_put(r, epoch);

	/* A vCPU coming to this LP (first entry, or since TDH.VP.FLUSH) has its VMCS in
	 * memory, cleared where it last ran: VMCLEAR it here before VMPTRLD, so that
	 * this LP does not resume a copy it kept from an earlier visit (VP.FLUSH leaves
	 * the flushed VMCS loaded on its LP). */
	bool fresh = !r->v.vmcs_ready;
	if (td_vmcs_make_current(r, migrated)) {
		st = TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE;
		goto out;
	}
	if (fresh) {
		initial_gprs(r);
	} else {
		memcpy(r->guest, r->v.gpr, sizeof(r->guest));
		if (r->v.last_td_exit == TD_EXIT_TDVMCALL)
			tdvmcall_return(r);
	}
	/* An NMI the VMM asked for (PEND_NMI) is injected unless the guest's last NMI
	 * is still blocking or another event is on its way. */
	if (r->v.pend_nmi && !(td_vmread(r, VM_ENTRY_INTR_INFO_FIELD) & 0x80000000u) &&
	    !(td_vmread(r, GUEST_INTERRUPTIBILITY_INFO) & 8)) {
		td_vmwrite(r, VM_ENTRY_INTR_INFO_FIELD, 0x80000000u | 2u << 8 | 2);
		r->v.pend_nmi = 0;
	}
	if (flush)
		mod->cpu.invept(mod->cpu.ctx, lp, eptp);
	r->v.state = VCPU_ACTIVE;
	td_msr_switch_to_td(r);
	td_xstate_switch_to_td(r);
	for (;;) {
		int rc = mod->cpu.run(mod->cpu.ctx, lp, !r->v.launched, r->guest);
		if (rc == -2) {              /* the machine stopped under the guest */
			st = TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE;
			break;
		}
		if (rc < 0) {
			/* A VMfail of the module's own VMCS: the TD cannot go on. */
			td_set_fatal(r);
			st = TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE;
			break;
		}
		r->reason = (uint32_t)td_vmread(r, VM_EXIT_REASON);
		if (rc) {
			st = td_entry_failed(r);
			break;
		}
		r->v.launched = 1;           /* only an entry that did not fail launches */
		r->qualification = td_vmread(r, EXIT_QUALIFICATION);
		r->gpa = td_vmread(r, GUEST_PHYSICAL_ADDRESS);
		r->ext_qualification = 0;
		/* An event the exit interrupted is delivered again at the next entry. */
		uint32_t idt = (uint32_t)td_vmread(r, IDT_VECTORING_INFO_FIELD);
		if (idt & 0x80000000u) {
			/* An NMI's delivery left virtual-NMI blocking set: the NMI goes
			 * in again unblocked (an entry check refuses it otherwise). */
			if (((idt >> 8) & 7) == 2)
				td_vmwrite(r, GUEST_INTERRUPTIBILITY_INFO,
					   td_vmread(r, GUEST_INTERRUPTIBILITY_INFO) & ~(uint64_t)GUEST_INTR_STATE_NMI);
			td_vmwrite(r, VM_ENTRY_INTR_INFO_FIELD, idt & ~(1u << 12));
			td_vmwrite(r, VM_ENTRY_EXCEPTION_ERROR_CODE, td_vmread(r, IDT_VECTORING_ERROR_CODE));
			td_vmwrite(r, VM_ENTRY_INSTRUCTION_LEN, td_vmread(r, VM_EXIT_INSTRUCTION_LEN));
		}
		unsigned basic = r->reason & 0xffff;
		enum td_exit_action (*h)(struct td_run *) =
			basic < sizeof(td_exit_handlers) / sizeof(td_exit_handlers[0]) && td_exit_handlers[basic]
			? td_exit_handlers[basic] : exit_to_vmm;
		enum td_exit_action act = h(r);
		if (act == TD_RESUME)
			continue;
		if ((r->reason & 0xffff) == EXIT_REASON_TRIPLE_FAULT) {
			r->v.state = VCPU_DISABLED;
			st = td_exit_outputs(r, TDX_NON_RECOVERABLE_VCPU);
		} else if (act == TD_EXIT_FATAL) {
			td_set_fatal(r);
			st = td_exit_outputs(r, TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE);
		} else {
			st = td_exit_outputs(r, TDX_SUCCESS);
		}
		break;
	}
	td_xstate_switch_to_host(r);
	td_msr_switch_to_host(r);
	/* The VMM goes on with what the exit left in the LP, not what it had. */
	if (mod->cpu.leave_to_vmm)
		mod->cpu.leave_to_vmm(mod->cpu.ctx, lp);
	if (r->v.state == VCPU_ACTIVE)
		r->v.state = VCPU_READY;
	memcpy(r->v.gpr, r->guest, sizeof(r->guest));
out:
	/* Only the count: the guest's leaves may have changed the rest of the TDCS. */
	r->c.refcount[epoch & 1] = refcount_get(r, epoch) - 1;
	refcount_put(r, epoch);
	vcpu_put(r);
	return st;
}

uint64_t tdh_vp_flush(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct td_run run = { .mod = mod, .lp = lp, .vmm = gpr }, *r = &run;
	r->tdvpr_pa = gpr[R_RCX];
	uint64_t st = td_enter_vcpu_leaf(mod, TDH_VP_FLUSH, r->tdvpr_pa, TDX_OPERAND_ID_RCX, &r->v,
					 &r->t, &r->c);
	if (st)
		return st;
	if (!r->v.assoc_lp)
		return TDX_SUCCESS;
	if (r->v.assoc_lp != lp + 1)
		return TDX_VCPU_NOT_ASSOCIATED;
	/* VMCLEAR writes the VMCS back and ends its launch; the TLB goes too. */
	if (r->v.vmcs_ready && mod->cpu.vmcs_load)
		mod->cpu.vmcs_load(mod->cpu.ctx, lp, td_vcpu_page(r, 0), true);
	if (mod->cpu.invept)
		mod->cpu.invept(mod->cpu.ctx, lp, sept_eptp(mod, &r->t, &r->c));
	r->v.launched = 0;
	r->v.assoc_lp = 0;
	r->c.num_assoc_vcpus--;
	tdcs_put(mod, &r->t, &r->c);
	vcpu_put(r);
	return TDX_SUCCESS;
}
