/* Loading host state at a VM exit, or after a VM entry that failed while loading
 * guest state (SDM Vol. 3, "VM Exits", "Loading Host State"): control registers,
 * debug state, MSRs the exit controls name, segment registers with the hidden parts
 * the SDM fixes, descriptor tables, RSP, RIP, and RFLAGS = 2. */
#include <string.h>

#include "sim/cpu/coverage.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/pdpte.h"
#include "sim/cpu/pml.h"
#include "sim/cpu/tsc_cost.h"
#include "sim/cpu/vmx_carry.h"
#include "sim/cpu/vmx_debug.h"
#include "sim/cpu/vmx_exit.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/cpu/vmx_seg_image.h"
#include "sim/cpu/vmx_timer.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/fields.h"
#include "sim/debug/gdbstub.h"


/* ---- MSR lists ---------------------------------------------------------------- */

/* The lists never reach the x2APIC MSRs (bits 31:8 of the index 000008H), whatever
 * the APIC's mode (SDM Vol. 3C "Loading MSRs", "Saving MSRs"). */
static bool x2apic_msr(uint32_t idx)
{
	return idx >> 8 == 8;
}

/* An MSR list (VM-entry load, VM-exit store and load): 16-byte entries, MSR index
 * in bits 31:0, data in bits 127:64. Each applies to the LP's active engine.
 * Return 0, or the 1-based index of the entry that failed. */
uint32_t vmx_msr_list_load(struct lp *lp, uint64_t addr, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		uint32_t idx = phys_read32(&lp->m->pm, addr + 16ull * i);
		uint64_t val = phys_read64(&lp->m->pm, addr + 16ull * i + 8);
		if (x2apic_msr(idx) || msr_write(lp, idx, val))
			return i + 1;
	}
	return 0;
}

/* Each MSR as RDMSR reads it, but IA32_TIME_STAMP_COUNTER: the counter itself, without
 * the TSC offset and multiplier that a guest's RDMSR sees (hardware stores it so, and
 * kvm-unit-tests' vmx_store_tsc_test checks it against RDTSC in root operation). */
static uint32_t msr_list_store(struct lp *lp, uint64_t addr, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		uint32_t idx = phys_read32(&lp->m->pm, addr + 16ull * i);
		uint64_t val;
		if (idx == MSR_IA32_TIME_STAMP_COUNTER)
			val = lp_tsc(lp);
		else if (x2apic_msr(idx) || msr_read(lp, idx, &val))
			return i + 1;
		phys_write64(&lp->m->pm, addr + 16ull * i + 8, val);
	}
	return 0;
}

/* VMX abort (SDM "VMX Aborts"): the indicator goes into the VMCS region and the
 * logical processor shuts down. `entry` is the MSR list's failing entry (1-based). */
static void vmx_abort(struct lp *lp, uint32_t code, const char *what, uint64_t list, uint32_t entry)
{
	phys_write32(&lp->m->pm, lp->vmx.current + VMCS_OFF_ABORT, code);
	uint32_t msr = phys_read32(&lp->m->pm, list + 16ull * (entry - 1));
	/* What the list may hold (SDM Vol. 3C "Saving MSRs" and "Loading MSRs" of VM exits). */
	const char *fix = code == 1
		? "a VM-exit MSR-store list may name only MSRs that RDMSR at CPL 0 would read: no x2APIC "
		  "MSR (800H-8FFH), not IA32_SMBASE outside SMM, and bits 63:32 of each entry's first "
		  "quadword 0"
		: "a VM-exit MSR-load list may name only MSRs that WRMSR at CPL 0 would accept with that "
		  "value: not IA32_FS_BASE or IA32_GS_BASE, no x2APIC MSR (800H-8FFH), not "
		  "IA32_SMM_MONITOR_CTL, and bits 63:32 of each entry's first quadword 0";
	machine_stop(lp->m, lp, VTSIM_STOP_TRIPLE_FAULT, 3,
		     "VMX abort %u (%s): entry %u of the list at 0x%llx names MSR 0x%x, which cannot be "
		     "%s there; the processor wrote %u to the VMX-abort indicator (offset 4 of the VMCS "
		     "region 0x%llx) and the logical processor shuts down. To avoid it, %s (SDM Vol. 3C "
		     "\"VMX Aborts\"; `vtsim explain abort %u`)", code, what, entry, (unsigned long long)list,
		     msr, code == 1 ? "read" : "loaded", code, (unsigned long long)lp->vmx.current, fix, code);
}

/* VMX abort 2: the host's PDPTEs, loaded from HOST_CR3 for PAE paging outside IA-32e
 * mode, include a present one with a reserved bit set. */
static void vmx_abort_pdpte(struct lp *lp, uint64_t cr3, const uint64_t e[4])
{
	phys_write32(&lp->m->pm, lp->vmx.current + VMCS_OFF_ABORT, 2);
	machine_stop(lp->m, lp, VTSIM_STOP_TRIPLE_FAULT, 3,
		     "VMX abort 2 (host checking of the page-directory-pointer-table entries failed): "
		     "the host resumes with PAE paging outside IA-32e mode (CR0.PG = 1, CR4.PAE = 1, "
		     "'host address-space size' 0), and the PDPTEs at HOST_CR3 0x%llx are %#llx %#llx "
		     "%#llx %#llx, of which a present one sets a reserved bit (2:1, 8:5 or at or "
		     "beyond MAXPHYADDR); the processor wrote 2 to the VMX-abort indicator (offset 4 "
		     "of the VMCS region 0x%llx) and the logical processor shuts down (SDM Vol. 3C "
		     "\"Checking and Loading Host Page-Directory-Pointer-Table Entries\", \"VMX "
		     "Aborts\"; `vtsim explain abort 2`)", (unsigned long long)cr3,
		     (unsigned long long)e[0], (unsigned long long)e[1], (unsigned long long)e[2],
		     (unsigned long long)e[3], (unsigned long long)lp->vmx.current);
}

void vmx_exit_msr_load(struct lp *lp)
{
	if (lp->m->stopped)
		return;                       /* a VMX abort in host-state loading */
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	uint32_t n = (uint32_t)vmcs_read_enc(v, VM_EXIT_MSR_LOAD_COUNT), bad;
	uint64_t list = vmcs_read_enc(v, VM_EXIT_MSR_LOAD_ADDR);
	if (n && (bad = vmx_msr_list_load(lp, list, n)))
		vmx_abort(lp, 4, "loading host MSRs from the VM-exit MSR-load list failed", list, bad);
}

/* The same, without a call for the usual empty list. */
static inline void exit_msr_load(struct lp *lp)
{
	if (vmcs_read_enc(&lp->vmx.vmcs, VM_EXIT_MSR_LOAD_COUNT))
		vmx_exit_msr_load(lp);
}

static struct seg host_data_seg(uint16_t sel, uint64_t base)
{
	/* Type 3 (read/write, accessed), S, DPL 0, P, D/B, G; a null selector makes
	 * the register unusable. */
	struct seg s = { sel, base, 0xffffffff, 0xc093 };
	if (!(sel & 0xfffc))
		s.attr |= SEG_ATTR_UNUSABLE;
	return s;
}

/* The host's segment registers, GDTR and IDTR, with the GPRs and RIP in the same
 * write; the segments only if the root engine would not hold the same bytes
 * after (vmx_seg_image.h: the VMM loaded none since the last exit, and wrote
 * none of their fields). */
static void load_host_segs(struct lp *lp, bool lm, const uint64_t *gpr, const uint64_t *rip)
{
	struct vmcs_cache *v = &lp->vmx.vmcs;
	struct seg_image *im = &lp->vmx.seg_images.host;
	bool in_loop = lp->active->in_loop;
	if (seg_image_load_skips(im, SEG_IMAGE_HOST, v, &lp->cs)) {
		cpustate_set_segs_tables(&lp->cs, NULL, 0, NULL, NULL, gpr, rip, in_loop);
		return;
	}
	struct seg s[SEG_COUNT];
	s[SEG_CS] = (struct seg){ (uint16_t)vmcs_read_enc(v, HOST_CS_SELECTOR), 0, 0xffffffff,
				  lm ? 0xa09bu : 0xc09bu };
	s[SEG_SS] = host_data_seg((uint16_t)vmcs_read_enc(v, HOST_SS_SELECTOR), 0);
	s[SEG_SS].attr &= ~0x60u;   /* SS.DPL := 0 even when unusable */
	s[SEG_DS] = host_data_seg((uint16_t)vmcs_read_enc(v, HOST_DS_SELECTOR), 0);
	s[SEG_ES] = host_data_seg((uint16_t)vmcs_read_enc(v, HOST_ES_SELECTOR), 0);
	s[SEG_FS] = host_data_seg((uint16_t)vmcs_read_enc(v, HOST_FS_SELECTOR), vmcs_read_enc(v, HOST_FS_BASE));
	s[SEG_GS] = host_data_seg((uint16_t)vmcs_read_enc(v, HOST_GS_SELECTOR), vmcs_read_enc(v, HOST_GS_BASE));
	s[SEG_TR] = (struct seg){ (uint16_t)vmcs_read_enc(v, HOST_TR_SELECTOR), vmcs_read_enc(v, HOST_TR_BASE),
				  0x67, 0x8b };
	s[SEG_LDTR] = (struct seg){ 0, 0, 0, SEG_ATTR_UNUSABLE };
	/* The engine's IA32_FS_BASE and IA32_GS_BASE are the FS and GS bases. */
	struct dtr gdtr = { .base = vmcs_read_enc(v, HOST_GDTR_BASE), .limit = 0xffff };
	struct dtr idtr = { .base = vmcs_read_enc(v, HOST_IDTR_BASE), .limit = 0xffff };
	cpustate_set_segs_tables(&lp->cs, s, 0xff, &gdtr, &idtr, gpr, rip, in_loop);
	const uint64_t sysenter[3] = { vmcs_read_enc(v, HOST_IA32_SYSENTER_CS),
				       vmcs_read_enc(v, HOST_IA32_SYSENTER_ESP),
				       vmcs_read_enc(v, HOST_IA32_SYSENTER_EIP) };
	cpustate_set_sysenter(&lp->cs, sysenter);
	seg_image_loaded(im, SEG_IMAGE_HOST, v, &lp->cs);
}

void vmx_load_host_state(struct lp *lp)
{
	vmx_load_host_state_gprs(lp, NULL, cpu_msr(lp->uc, MSR_IA32_EFER));
}

void vmx_load_host_state_gprs(struct lp *lp, const uint64_t *guest_gpr, uint64_t efer)
{
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	uint64_t exit_ctls = vmcs_read_enc(v, VM_EXIT_CONTROLS);
	bool lm = exit_ctls & VM_EXIT_HOST_ADDR_SPACE_SIZE;

	/* EFER first, so that loading CR0 sets or clears IA-32e mode as the host's
	 * address-space size says. Without "load IA32_EFER" the processor keeps the
	 * EFER it has (after a VM exit, the guest's) but for LMA and LME. */
	if (exit_ctls & VM_EXIT_LOAD_IA32_EFER)
		efer = vmcs_read_enc(v, HOST_IA32_EFER);
	else
		efer = lm ? (efer | 0x500) : (efer & ~0x500ull);
	/* CR0: ET stays set; the rest comes from the field. */
	load_control_state(&lp->cs, vmcs_read_enc(v, HOST_CR0), vmcs_read_enc(v, HOST_CR3),
			   vmcs_read_enc(v, HOST_CR4), efer);
	cpustate_set_dr7(&lp->cs, 0x400);
	lp->debugctl = 0;   /* "The IA32_DEBUGCTL MSR is cleared to 00000000H" */

	if (exit_ctls & VM_EXIT_LOAD_IA32_PAT)
		lp->pat = vmcs_read_enc(v, HOST_IA32_PAT);

	/* RFLAGS first: its VM flag (now clear) decides the mode the segments load in. */
	cpustate_set_rflags(&lp->cs, 0x2);
	uint64_t rip = vmcs_read_enc(v, HOST_RIP);
	/* The guest's GPRs go in with the segments, RSP (the host's) after them. */
	load_host_segs(lp, lm, guest_gpr, &rip);
	cpustate_set_gpr(&lp->cs, 4, vmcs_read_enc(v, HOST_RSP));
	/* Last, as the SDM orders host-state loading: a 32-bit host with PAE paging gets
	 * its PDPTEs from HOST_CR3, checked. */
	uint64_t pdpte[4];
	if (pdpte_host_check(lp, vmcs_read_enc(v, HOST_CR0), vmcs_read_enc(v, HOST_CR3),
			     vmcs_read_enc(v, HOST_CR4), lm ? 1ull << 10 : 0, pdpte))   /* LMA */
		vmx_abort_pdpte(lp, vmcs_read_enc(v, HOST_CR3), pdpte);
}

/* ---- VM exits from the guest ------------------------------------------------- */

#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/exit_reasons.h"



static void write_guest_segs(struct vmcs_cache *v, struct engine *g, const struct cpu_view *cv)
{
	uint64_t sysenter[3];
	cpustate_get_sysenter(&g->cs, sysenter);
	vmcs_write_enc(v, GUEST_SYSENTER_CS, sysenter[0]);
	vmcs_write_enc(v, GUEST_SYSENTER_ESP, sysenter[1]);
	vmcs_write_enc(v, GUEST_SYSENTER_EIP, sysenter[2]);
	for (int i = 0; i < SEG_COUNT; i++) {
		const struct guest_seg_fields *f = &vmx_guest_seg_fields[i];
		/* Every segment's fields have ES's widths. */
		vmcs_set_slot(v, f->sel_slot, vmcs_enc_width(GUEST_ES_SELECTOR), VMCS_TYPE_GUEST, false,
			      cv->segs[i].sel);
		vmcs_set_slot(v, f->base_slot, vmcs_enc_width(GUEST_ES_BASE), VMCS_TYPE_GUEST, false,
			      cv->segs[i].base);
		vmcs_set_slot(v, f->limit_slot, vmcs_enc_width(GUEST_ES_LIMIT), VMCS_TYPE_GUEST, false,
			      cv->segs[i].limit);
		vmcs_set_slot(v, f->ar_slot, vmcs_enc_width(GUEST_ES_AR_BYTES), VMCS_TYPE_GUEST, false,
			      cv->segs[i].attr);
	}
	vmcs_write_enc(v, GUEST_GDTR_BASE, cv->gdtr.base);
	vmcs_write_enc(v, GUEST_GDTR_LIMIT, cv->gdtr.limit);
	vmcs_write_enc(v, GUEST_IDTR_BASE, cv->idtr.base);
	vmcs_write_enc(v, GUEST_IDTR_LIMIT, cv->idtr.limit);
}

/* The segment registers, GDTR and IDTR of `g`, from `cv` (or, when it holds no
 * segments, a whole view read now: `g` has not changed since): from the guest
 * engine only if the fields would not keep their values (vmx_seg_image.h: the
 * guest loaded none since the last entry, and the VMM wrote none of their
 * fields). */
static void save_guest_segs(struct lp *lp, struct engine *g, const struct cpu_view *cv)
{
	struct vmcs_cache *v = &lp->vmx.vmcs;
	struct seg_image *im = &lp->vmx.seg_images.guest;
	bool guest = g == &lp->guest;
	if (guest && seg_image_save_skips(im, v, &g->cs))
		return;
	bool held = guest && seg_image_load_skips(im, SEG_IMAGE_GUEST, v, &g->cs);
	struct cpu_view whole;
	if (!cv->has_segs) {
		cpustate_view(&g->cs, &whole);
		cv = &whole;
	}
	write_guest_segs(v, g, cv);
	if (guest)
		seg_image_saved(im, v, held);
}

/* Saves the guest's state into the guest-state area (SDM "Saving Guest State"). */
uint64_t vmx_save_guest_state(struct lp *lp, struct engine *g, uint64_t rip, const struct cpu_view *view)
{
	struct vmcs_cache *v = &lp->vmx.vmcs;
	uc_engine *uc = g->uc;
	uint64_t exit_ctls = vmcs_read_enc(v, VM_EXIT_CONTROLS);
	/* One read of the engine's state (or the exiting site's, `view`) gives the
	 * control registers, RSP, the segment registers, GDTR/IDTR and EFER; RFLAGS
	 * needs the engine's lazily computed arithmetic flags (cpustate_rflags). */
	struct cpu_view own;
	const struct cpu_view *cv = view;
	if (!cv) {
		cpustate_view(&g->cs, &own);
		cv = &own;
	}
	uint64_t rflags = cpustate_rflags(&g->cs);
	vmcs_write_enc(v, GUEST_CR0, cv->cr0);
	vmcs_write_enc(v, GUEST_CR3, cv->cr3);
	vmcs_write_enc(v, GUEST_CR4, cv->cr4);
	if (exit_ctls & VM_EXIT_SAVE_DEBUG_CONTROLS) {
		vmcs_write_enc(v, GUEST_DR7, cpu_reg(uc, UC_X86_REG_DR7));
		vmcs_write_enc(v, GUEST_IA32_DEBUGCTL, lp->debugctl);
	}
	vmcs_write_enc(v, GUEST_RSP, cv->gpr[4]);
	vmcs_write_enc(v, GUEST_RIP, rip);
	vmcs_write_enc(v, GUEST_RFLAGS, rflags);
	save_guest_segs(lp, g, cv);
	uint64_t efer = cv->efer;
	if (exit_ctls & VM_EXIT_SAVE_IA32_EFER)
		vmcs_write_enc(v, GUEST_IA32_EFER, efer);
	if (exit_ctls & VM_EXIT_SAVE_IA32_PAT)
		vmcs_write_enc(v, GUEST_IA32_PAT, lp->pat);
	/* "IA-32e mode guest" follows EFER.LMA (IA32_VMX_MISC[5] on every model here). */
	uint64_t entry = vmcs_read_enc(v, VM_ENTRY_CONTROLS);
	entry = (efer & (1u << 10)) ? entry | VM_ENTRY_IA32E_MODE : entry & ~VM_ENTRY_IA32E_MODE;
	vmcs_write_enc(v, VM_ENTRY_CONTROLS, entry);
	if (lp->vmx.timer_active && (exit_ctls & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER))
		vmcs_write_enc(v, VMX_PREEMPTION_TIMER_VALUE, vmx_timer_left(lp));
	lp->vmx.timer_active = false;
	vmcs_write_enc(v, GUEST_ACTIVITY_STATE, 0);
	/* STI or MOV SS blocking (the engine keeps one flag: STI's when IF is set),
	 * and virtual-NMI blocking. */
	uint32_t intr_state = 0;
	if (cv->intr_shadow)
		intr_state |= (rflags & (1u << 9)) ? 1 : 2;
	bool vnmis = vmcs_read_enc(v, PIN_BASED_VM_EXEC_CONTROL) & PIN_BASED_VIRTUAL_NMIS;
	if (vnmis ? lp->vmx.vnmi_blocked : lp->nmi.blocked)
		intr_state |= 8;
	vmcs_write_enc(v, GUEST_INTERRUPTIBILITY_INFO, intr_state);
	return efer;
}

void vmx_exit(struct lp *lp, uint32_t reason, const struct vmx_exit_info *info)
{
	struct vmcs_cache *v = &lp->vmx.vmcs;
	tsc_add(lp, TSC_EVENT_VM_EXIT);    /* the retire check is recomputed below */
	/* The guest's GPRs pass to the VMM (RSP is the host's): taken from the view
	 * the save reads, and loaded with the host's segment registers. */
	struct cpu_view own;
	const struct cpu_view *cv = info->view;
	if (!cv) {
		cpustate_view_mode(&lp->guest.cs, &own);
		cv = &own;
	}
	uint64_t guest_efer = vmx_save_guest_state(lp, &lp->guest, info->rip, cv);
	pml_save(lp);
	pdpte_vm_exit(lp);
	if (info->halted || lp->vmx.guest_activity)
		vmcs_write_enc(v, GUEST_ACTIVITY_STATE, lp->vmx.guest_activity ? lp->vmx.guest_activity : 1);
	lp->vmx.guest_activity = 0;
	if (info->wait_for_sipi)
		vmcs_write_enc(v, GUEST_ACTIVITY_STATE, 3);
	vmcs_write_enc(v, GUEST_PENDING_DBG_EXCEPTIONS,
		       vmx_dbg_at_exit(lp, reason, info, (uint32_t)vmcs_read_enc(v, GUEST_INTERRUPTIBILITY_INFO),
				       vmcs_read_enc(v, GUEST_RFLAGS)));
	if (lp->m->cov)
		coverage_exit(lp->m->cov, reason);
	vmcs_write_enc(v, VM_EXIT_REASON, reason);
	vmcs_write_enc(v, EXIT_QUALIFICATION, info->qualification);
	vmcs_write_enc(v, VM_EXIT_INSTRUCTION_LEN, info->insn_len);
	vmcs_write_enc(v, VMX_INSTRUCTION_INFO, info->insn_info);
	vmcs_write_enc(v, VM_EXIT_INTR_INFO, info->intr_info);
	vmcs_write_enc(v, VM_EXIT_INTR_ERROR_CODE, info->intr_error);
	nmi_vm_exit(lp, reason, info->intr_info);
	vmcs_write_enc(v, IDT_VECTORING_INFO_FIELD, info->idt_vectoring_info);
	vmcs_write_enc(v, IDT_VECTORING_ERROR_CODE, info->idt_vectoring_error);
	vmcs_write_enc(v, GUEST_LINEAR_ADDRESS, info->guest_linear);
	vmcs_write_enc(v, GUEST_PHYSICAL_ADDRESS, info->guest_physical);
	/* The event injected at entry has been delivered. */
	vmcs_write_enc(v, VM_ENTRY_INTR_INFO_FIELD,
		       vmcs_read_enc(v, VM_ENTRY_INTR_INFO_FIELD) & ~0x80000000ull);
	unsigned tcls = trace_cls_transition(lp) | VTSIM_TRACE_EXITS;
	if (trace_on(lp->m, tcls))
		vmx_trace_exit(lp, reason, info);
	if (lp->m->cfg.check_exits && info->insn_len)
		vmx_check_exit_insn(lp, reason, info);
	lp->vmx.exits++;

	/* The VM-exit MSR-store list holds guest values, read in the guest. */
	uint32_t ns = (uint32_t)vmcs_read_enc(v, VM_EXIT_MSR_STORE_COUNT), bad;
	uint64_t list = vmcs_read_enc(v, VM_EXIT_MSR_STORE_ADDR);
	if (ns && (bad = msr_list_store(lp, list, ns)))
		vmx_abort(lp, 1, "saving guest MSRs to the VM-exit MSR-store list failed", list, bad);

	vmx_carry(lp, &lp->guest, &lp->root);
	lp->vmx.non_root = false;
	lp_retire_recompute(lp);
	intr_watch_arm(lp);      /* an interrupt left in IRR waits for the host's window */
	lp->block_insns = 0;     /* the guest's block is over */
	lp_switch(lp, &lp->root);
	/* From a TD, the exit goes back to the TDX module, which returns to the VMM at
	 * SEAMRET with the VMM's state as it left it: the root engine keeps its own. */
	if (!lp->vmx.seam_root) {
		vmx_load_host_state_gprs(lp, cv->gpr, guest_efer);
		exit_msr_load(lp);
	} else {
		cpustate_set_gprs(&lp->root.cs, cv->gpr, true);
	}
	if (lp->m->dbg)
		gdbstub_on_vmexit(lp->m->dbg, lp, reason, info->qualification, info->rip);
	lp_leave_guest(lp, info->restart || lp->m->stopped);
}

/* A convertible EPT violation (SDM "Virtualization Exceptions"): with "EPT-violation
 * #VE" on, an entry that does not suppress #VE, and the VE-information area free
 * (its dword at 4 clear), the guest gets a #VE instead of its VMM an exit: the
 * area records what the exit would have (reason, qualification, addresses) and is
 * marked in use. Not while delivering an event. */
static bool ept_violation_to_ve(struct lp *lp, const struct mmu_fault *f, uint64_t rip, uint32_t idt_info)
{
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	uint64_t proc2 = vmcs_secondary_controls(v);
	if (!(proc2 & SECONDARY_EXEC_EPT_VIOLATION_VE) || f->suppress_ve || (idt_info & 0x80000000u))
		return false;
	struct phys *pm = &lp->m->pm;
	uint64_t area = vmcs_read_enc(v, VE_INFORMATION_ADDRESS);
	if (!phys_is_ram(pm, area, 40) || phys_read32(pm, area + 4))
		return false;
	phys_write32(pm, area, EXIT_REASON_EPT_VIOLATION);
	phys_write32(pm, area + 4, 0xffffffffu);
	phys_write64(pm, area + 8, f->qualification);
	phys_write64(pm, area + 16, (f->qualification & (1u << 7)) ? f->la : 0);
	phys_write64(pm, area + 24, f->gpa);
	uint16_t index = (uint16_t)vmcs_read_enc(v, EPTP_INDEX);
	phys_write(pm, area + 32, &index, 2);
	exc_deliver(lp, VEC_VE, 0, EXC_FAULT, rip, rip);
	return true;
}

/* Bit 12 of an EPT-violation or PML-full qualification (SDM "Exit Qualification
 * for EPT Violations"): the access that exits belongs to an IRET that began
 * under virtual-NMI blocking, which stays in effect (saved in the guest's
 * interruptibility state) since the IRET did not complete. */
static uint64_t nmi_unblocking_by_iret(const struct lp *lp)
{
	return nmi_unblocked_by_iret(lp) ? 1ull << 12 : 0;
}

static const uint32_t ept_exit_reason[] = {
	[MMU_FAULT_EPT_VIOLATION] = EXIT_REASON_EPT_VIOLATION,
	[MMU_FAULT_EPT_MISCONFIG] = EXIT_REASON_EPT_MISCONFIG,
	[MMU_FAULT_PML_FULL] = EXIT_REASON_PML_FULL,
};

void vmx_exit_ept(struct lp *lp, const struct mmu_fault *f, uint64_t rip, uint32_t idt_info,
		  uint32_t idt_error, uint32_t insn_len)
{
	bool violation = f->kind == MMU_FAULT_EPT_VIOLATION;
	if (violation && ept_violation_to_ve(lp, f, rip, idt_info))
		return;
	/* A misconfiguration has no qualification; a full log has only bit 12, and
	 * saves no guest-physical address. */
	uint64_t qual = violation ? f->qualification | nmi_unblocking_by_iret(lp)
		      : f->kind == MMU_FAULT_PML_FULL ? nmi_unblocking_by_iret(lp) : 0;
	struct vmx_exit_info xi = {
		.qualification = qual,
		.guest_physical = f->kind == MMU_FAULT_PML_FULL ? 0 : f->gpa,
		/* A misconfiguration saves no guest-linear address. */
		.guest_linear = violation && (f->qualification & (1u << 7)) ? f->la : 0,
		.idt_vectoring_info = idt_info,
		.idt_vectoring_error = (idt_info & (1u << 11)) ? idt_error : 0,
		.insn_len = insn_len,
		.rip = rip,
	};
	vmx_exit(lp, ept_exit_reason[f->kind], &xi);
}
