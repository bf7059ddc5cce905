/* VM entry, once the checks have passed: load the guest-state area into the guest
 * engine (SDM Vol. 3, "VM Entries", "Loading Guest State"), give it the VMM's
 * general-purpose registers, inject the event the VMCS asks for, and switch. */
#include "sim/cpu/apicv.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/pdpte.h"
#include "sim/cpu/tsc_cost.h"
#include "sim/cpu/vmx_carry.h"
#include "sim/cpu/vmx_debug.h"
#include "sim/cpu/vmx_exit.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/cpu/vmx_timer.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/fields.h"
#include "sim/debug/gdbstub.h"


#define GUEST_SEG_FIELDS(S)                                                              \
	{ GUEST_##S##_SELECTOR, GUEST_##S##_BASE, GUEST_##S##_LIMIT, GUEST_##S##_AR_BYTES,  \
	  VMCS_POS_GUEST_##S##_SELECTOR, VMCS_POS_GUEST_##S##_BASE,                         \
	  VMCS_POS_GUEST_##S##_LIMIT, VMCS_POS_GUEST_##S##_AR_BYTES }
const struct guest_seg_fields vmx_guest_seg_fields[8] = {
	[SEG_ES] = GUEST_SEG_FIELDS(ES), [SEG_CS] = GUEST_SEG_FIELDS(CS),
	[SEG_SS] = GUEST_SEG_FIELDS(SS), [SEG_DS] = GUEST_SEG_FIELDS(DS),
	[SEG_FS] = GUEST_SEG_FIELDS(FS), [SEG_GS] = GUEST_SEG_FIELDS(GS),
	[SEG_LDTR] = GUEST_SEG_FIELDS(LDTR), [SEG_TR] = GUEST_SEG_FIELDS(TR),
};
#undef GUEST_SEG_FIELDS


/* Whether the engine holds this CR0 (with ET), CR4 and EFER but for LMA already:
 * then at most CR3 needs a write. */
static inline bool paging_mode_held(uint64_t cur, uint64_t cur_cr4, uint64_t cur_efer, uint64_t cr0,
				    uint64_t cr4, uint64_t efer)
{
	return cur == cr0 && cur_cr4 == cr4 && (cur_efer & ~(1ull << 10)) == (efer & ~(1ull << 10));
}

/* Puts the engine in the paging mode CR0/CR4/EFER describe the way software gets
 * there: out of IA-32e mode first, then EFER, CR4, CR3, and CR0 last. */
static __attribute__((noinline)) void load_paging_mode(struct cpustate *cs, uint64_t cr0, uint64_t cr3,
							uint64_t cr4, uint64_t efer)
{
	uc_engine *uc = cs->uc;
	/* What the engine holds, in one copy of its state rather than four register
	 * calls. Writing a control register flushes the engine's TLB: skip what is
	 * unchanged (the common case from one exit to the next entry). */
	uint64_t cur, cur_cr3, cur_cr4, cur_efer;
	cpustate_control(cs, &cur, &cur_cr3, &cur_cr4, &cur_efer);
	if (paging_mode_held(cur, cur_cr4, cur_efer, cr0, cr4, efer)) {
		if (cur_cr3 != cr3)
			cpu_set_reg(uc, UC_X86_REG_CR3, cr3);
		return;
	}
	if ((cur_efer & (1ull << 10)) && !(cur & (1ull << 31))) {
		/* A fresh engine starts in long mode with paging off, a state software
		 * cannot reach; EFER.LMA only clears the architected way, by turning
		 * paging off in IA-32e mode: go through paging on first. */
		cpu_set_reg(uc, UC_X86_REG_CR4, cpu_reg(uc, UC_X86_REG_CR4) | (1ull << 5));
		cur |= 1ull << 31;
		cpu_set_reg(uc, UC_X86_REG_CR0, cur);
	}
	if (cur & (1ull << 31))
		cpu_set_reg(uc, UC_X86_REG_CR0, cur & ~(1ull << 31));
	cpu_set_msr(uc, MSR_IA32_EFER, efer & ~(1ull << 10));
	cpu_set_reg(uc, UC_X86_REG_CR4, cr4);
	cpu_set_reg(uc, UC_X86_REG_CR3, cr3);
	cpu_set_reg(uc, UC_X86_REG_CR0, cr0);
}

void load_control_state(struct cpustate *cs, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer)
{
	cr0 |= 0x10;
	/* Nearly every entry and exit changes nothing but CR3, if that: with the
	 * engine's state in place, that is told from it without a call or a copy. */
	if (cs->env) {
		uint64_t cur, cur_cr3, cur_cr4, cur_efer;
		cpustate_control(cs, &cur, &cur_cr3, &cur_cr4, &cur_efer);
		if (paging_mode_held(cur, cur_cr4, cur_efer, cr0, cr4, efer) && cur_cr3 == cr3)
			return;
	}
	load_paging_mode(cs, cr0, cr3, cr4, efer);
}

/* EPT and VPID at entry (SDM "VMX Support for Address Translation"): the TLB
 * context the guest runs in (guest_tlb_enter says what an entry keeps). */
static void enter_translation(struct lp *lp, bool launch)
{
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	uint64_t proc2 = vmcs_secondary_controls(v);
	bool ept = proc2 & SECONDARY_EXEC_ENABLE_EPT;
	uint16_t vpid = (proc2 & SECONDARY_EXEC_ENABLE_VPID) ? (uint16_t)vmcs_read_enc(v, VIRTUAL_PROCESSOR_ID) : 0;
	lp->vmx.ept_active = NULL;
	if (ept) {
		uint64_t cap = 0;
		vmcs_caps_rdmsr(lp->m->vmx_caps, MSR_IA32_VMX_EPT_VPID_CAP, &cap);
		ept_init(&lp->vmx.ept, vmcs_read_enc(v, EPT_POINTER), cap, lp->m->pm.maxphyaddr);
		lp->vmx.ept_active = &lp->vmx.ept;
	}
	uint64_t shared = 0;
	if (ept && lp->vmx.seam_root) {
		shared = vmcs_read_enc(v, SHARED_EPT_POINTER);
		lp->vmx.ept.shared_bit = 1ull << 47;       /* GPAW 48: 4-level S-EPT */
		lp->vmx.ept.shared_root = shared & ((1ull << lp->m->pm.maxphyaddr) - 1) & ~0xfffull;
	}
	/* Another guest (a relaunched VMCS may be a new VM in recycled pages) can
	 * have other code at the linear addresses the last one ran. */
	uint64_t eptp = ept ? lp->vmx.ept.eptp : 0;
	if (v->ptr != lp->vmx.space_vmcs || eptp != lp->gtlb.tag_eptp ||
	    shared != lp->vmx.shared_eptp) {
		sites_new_space(&lp->guest.sites);
		lp->vmx.space_vmcs = v->ptr;
	}
	/* The engine's translations are keyed by the addresses it ran at, not by the
	 * bytes: pages the last guest ran code from may hold another guest's code now
	 * (the simulator and the VMM write RAM behind the engine's back, e.g. the TDX
	 * module's PAGE.ADD into pages of a torn-down TD with the same KeyID), and a
	 * stale translation would run it without the sites it needs (a TDCALL as #UD).
	 * A launch drops them (all of them, or with a snapshot armed those of the pages
	 * written since: snapshot_sync_guest_code); the guest engine starts afresh to
	 * do it. */
	if (launch) {
		lp->co_flush_tb = true;
		lp->co_force_restart = true;
	}
	lp->vmx.shared_eptp = shared;
	lp->vmx.vpid = vpid;
	const struct tlb_key key = { .vpid = vpid, .ept = ept, .eptp = eptp, .shared = shared };
	guest_tlb_enter(lp, &key);
	pml_enter(lp);
}

static void load_guest_segs(struct cpustate *cs, struct vmcs_cache *v, const uint64_t *gpr,
			    const uint64_t *rip, bool in_loop, struct seg_image *im)
{
	struct seg s[SEG_COUNT];
	for (int i = 0; i < SEG_COUNT; i++) {
		const struct guest_seg_fields *f = &vmx_guest_seg_fields[i];
		s[i].sel = (uint16_t)v->val[f->sel_slot];
		s[i].base = v->val[f->base_slot];
		s[i].limit = (uint32_t)v->val[f->limit_slot];
		s[i].attr = (uint32_t)v->val[f->ar_slot] & 0x1f0ff;
	}
	struct dtr gdtr = { .base = vmcs_read_enc(v, GUEST_GDTR_BASE),
			    .limit = (uint32_t)vmcs_read_enc(v, GUEST_GDTR_LIMIT) };
	struct dtr idtr = { .base = vmcs_read_enc(v, GUEST_IDTR_BASE),
			    .limit = (uint32_t)vmcs_read_enc(v, GUEST_IDTR_LIMIT) };
	/* The engine's IA32_FS_BASE and IA32_GS_BASE are the FS and GS bases. */
	cpustate_set_segs_tables(cs, s, 0xff, &gdtr, &idtr, gpr, rip, in_loop);
	const uint64_t sysenter[3] = { vmcs_read_enc(v, GUEST_SYSENTER_CS), vmcs_read_enc(v, GUEST_SYSENTER_ESP),
				       vmcs_read_enc(v, GUEST_SYSENTER_EIP) };
	cpustate_set_sysenter(cs, sysenter);
	if (im)
		seg_image_loaded(im, SEG_IMAGE_GUEST, v, cs);
}

void vmx_load_guest_tables(struct cpustate *cs, uc_engine *uc, struct vmcs_cache *v,
			   const uint64_t *gpr, const uint64_t *rip, bool in_loop, struct seg_image *im)
{
	if (im && seg_image_load_skips(im, SEG_IMAGE_GUEST, v, cs))
		cpustate_set_segs_tables(cs, NULL, 0, NULL, NULL, gpr, rip, in_loop);
	else
		load_guest_segs(cs, v, gpr, rip, in_loop, im);
}

/* The run's --inject-guest-mce count reached this entry: its guest takes the machine
 * check, and the next count, if any, runs down from here. */
static void guest_mce_due(struct lp *lp)
{
	const unsigned *at = lp->m->cfg.inject_guest_mce;
	unsigned i = lp->vmx.guest_mce_next++;
	lp->vmx.guest_mce = true;
	lp->vmx.guest_mce_countdown = i + 1 < VTSIM_MAX_GUEST_MCE && at[i + 1] > at[i] ? at[i + 1] - at[i] : 0;
}

int vmx_enter_guest(struct lp *lp, bool launch)
{
	struct vmcs_cache *v = &lp->vmx.vmcs;
	if (!lp->guest.uc && lp_guest_engine(lp))   /* the first entry creates it */
		return -1;
	struct engine *g = &lp->guest;
	uc_engine *uc = g->uc;
	if (lp->m->cfg.vmcs_diff) {
		lp->vmx.last_entered = *v;
		lp->vmx.has_last_entered = true;
	}
	uint64_t entry = vmcs_read_enc(v, VM_ENTRY_CONTROLS);
	uint64_t cr0 = vmcs_read_enc(v, GUEST_CR0);
	uint64_t efer;
	if (entry & VM_ENTRY_LOAD_IA32_EFER) {
		efer = vmcs_read_enc(v, GUEST_IA32_EFER);
	} else {
		/* LMA and LME follow "IA-32e mode guest" (LME only with paging on). */
		uint64_t cr0_root, cr3_root, cr4_root;
		cpustate_control(&lp->root.cs, &cr0_root, &cr3_root, &cr4_root, &efer);
		efer &= ~0x500ull;
		if (entry & VM_ENTRY_IA32E_MODE)
			efer |= (cr0 & (1ull << 31)) ? 0x500 : 0x400;
	}
	/* The VMM's GPRs pass to the guest (RSP is the guest's), loaded with the
	 * segment registers below. */
	uint64_t gpr[16];
	const uint64_t *vmm_gpr = cpustate_gprs_live(&lp->root.cs);
	if (!vmm_gpr) {
		cpustate_get_gprs(&lp->root.cs, gpr);
		vmm_gpr = gpr;
	}
	vmx_carry(lp, &lp->root, g);
	load_control_state(&g->cs, cr0, vmcs_read_enc(v, GUEST_CR3), vmcs_read_enc(v, GUEST_CR4), efer);
	/* DR7 and IA32_DEBUGCTL come from the guest-state area only with "load debug
	 * controls" (SDM "Loading Guest Control Registers, Debug Registers, and MSRs");
	 * otherwise the guest keeps the processor's DR7. */
	if (entry & VM_ENTRY_LOAD_DEBUG_CONTROLS) {
		cpustate_set_dr7(&g->cs, (vmcs_read_enc(v, GUEST_DR7) & ~0xc000ull) | 0x400);
		lp->debugctl = vmcs_read_enc(v, GUEST_IA32_DEBUGCTL);
	} else {
		cpustate_set_dr7(&g->cs, cpustate_dr7(&lp->root.cs));
	}

	/* RFLAGS before the segments: its VM flag decides the mode they load in. */
	cpustate_set_rflags(&g->cs, vmcs_read_enc(v, GUEST_RFLAGS) | 2);
	uint64_t rip = vmcs_read_enc(v, GUEST_RIP);
	vmx_load_guest_tables(&g->cs, uc, v, vmm_gpr, &rip, g->in_loop, &lp->vmx.seg_images.guest);
	cpustate_set_gpr(&g->cs, 4, vmcs_read_enc(v, GUEST_RSP));
	if (entry & VM_ENTRY_LOAD_IA32_PAT)
		lp->pat = vmcs_read_enc(v, GUEST_IA32_PAT);

	if (launch) {
		v->launched = true;
		v->dirty = true;
	}
	tsc_add(lp, TSC_EVENT_VM_ENTRY);   /* before the timer starts counting; recomputed below */
	lp->vmx.ple_seen = false;             /* the next PAUSE starts a loop */
	lp->vmx.wait_for_sipi = vmcs_read_enc(v, GUEST_ACTIVITY_STATE) == 3;
	lp->vmx.sipi_vector = -1;
	vmx_timer_arm(lp);
	enter_translation(lp, launch);
	pdpte_vm_entry(lp);
	lp->vmx.non_root = true;
	lp->block_insns = 0;                  /* the root engine's block stops here */
	lp_retire_recompute(lp);
	lp_switch(lp, g);
	/* The VM-entry MSR-load list, checked already (MSRLD_*), loads into the guest. */
	uint32_t nl = (uint32_t)vmcs_read_enc(v, VM_ENTRY_MSR_LOAD_COUNT);
	if (nl)
		vmx_msr_list_load(lp, vmcs_read_enc(v, VM_ENTRY_MSR_LOAD_ADDR), nl);

	/* Event injection (SDM "Event Injection"): delivered through the guest's IDT
	 * before its first instruction. */
	/* Blocking by NMI (interruptibility bit 3) is virtual-NMI blocking when
	 * "virtual NMIs" is set; an injected NMI sets it. */
	bool vnmis = vmcs_read_enc(v, PIN_BASED_VM_EXEC_CONTROL) & PIN_BASED_VIRTUAL_NMIS;
	lp->vmx.vnmi_blocked = vnmis && (vmcs_read_enc(v, GUEST_INTERRUPTIBILITY_INFO) & 8);
	uint32_t intr = (uint32_t)vmcs_read_enc(v, VM_ENTRY_INTR_INFO_FIELD);
	/* Blocking by STI or by MOV SS (interruptibility bits 0, 1) holds for the
	 * guest's first instruction (SDM "Guest Non-Register State"; an injected event
	 * is delivered first and ends it). */
	cpustate_set_interrupt_shadow(&g->cs, vmcs_read_enc(v, GUEST_INTERRUPTIBILITY_INFO) & 3);
	/* Without virtual NMIs it is blocking by NMI (interrupt.h); an injected NMI
	 * sets whichever blocking applies. */
	bool inj_nmi = (intr & 0x80000000u) && ((intr >> 8) & 7) == 2;
	if (!vnmis)
		lp->nmi.blocked = inj_nmi || (vmcs_read_enc(v, GUEST_INTERRUPTIBILITY_INFO) & 8);
	if (vnmis && inj_nmi)
		lp->vmx.vnmi_blocked = true;
	if (intr & 0x80000000u) {
		unsigned vector = intr & 0xff, type = (intr >> 8) & 7;
		uint32_t ec = (uint32_t)vmcs_read_enc(v, VM_ENTRY_EXCEPTION_ERROR_CODE);
		uint64_t rip = vmcs_read_enc(v, GUEST_RIP);
		uint64_t next = rip + vmcs_read_enc(v, VM_ENTRY_INSTRUCTION_LEN);
		enum exc_source src = type == 0 || type == 2 ? EXC_EXTERNAL
				    : type >= 4 && type <= 6 ? EXC_SOFT : EXC_FAULT;
		exc_deliver_injected(lp, vector, ec, (intr >> 11) & 1, src, rip, next);
		/* Delivering it may itself have ended in a VM exit (an EPT violation on the
		 * IDT, a triple fault): then the guest never runs. */
		if (!lp->vmx.non_root)
			return 0;
	}
	/* A machine check armed by vtsim_inject_guest_mce (or the run's
	 * --inject-guest-mce counting entries that get this far down to it): a fault
	 * at the guest's first instruction, through the exception bitmap like any
	 * other; an entry that injects an event keeps it for the next entry. */
	if (lp->vmx.guest_mce_countdown && !--lp->vmx.guest_mce_countdown)
		guest_mce_due(lp);
	if (lp->vmx.guest_mce && !(intr & 0x80000000u)) {
		lp->vmx.guest_mce = false;
		uint64_t at = vmcs_read_enc(v, GUEST_RIP);
		exc_deliver(lp, VEC_MC, 0, EXC_FAULT, at, at);
		if (!lp->vmx.non_root)
			return 0;
	}
	if (apicv_enter(lp, intr & 0x80000000u))
		return 0;
	/* Pending debug exceptions come after the injected event (which loses them). */
	bool delivered = vmx_dbg_enter(lp, intr & 0x80000000u);
	if (!lp->vmx.non_root)
		return 0;
	/* Activity state (SDM "Activity State" under "Loading Guest State"): in HLT or
	 * shutdown the guest runs nothing until an event wakes it (machine.c); an event
	 * delivered at entry has already woken it. */
	uint64_t act = vmcs_read_enc(v, GUEST_ACTIVITY_STATE);
	lp->vmx.guest_activity = (act == 1 || act == 2) && !(intr & 0x80000000u) && !delivered ? (uint8_t)act : 0;
	if (lp->vmx.guest_activity)
		lp->co_force_restart = true;   /* the engine must not go on with the guest's code */
	if (vmx_events_enter(lp, (intr & 0x80000000u) || delivered))
		return 0;
	if (!bp_none(&g->bp, cpustate_dr7(&g->cs)) && bp_differs(lp, g))
		lp->co_force_restart = true;   /* its breakpoint hooks change while it is stopped */
	/* The guest runs until its next VM exit (or the end of the machine). */
	if (lp->m->dbg)
		gdbstub_on_vmentry(lp->m->dbg, lp);
	if (!lp->m->stopped)
		lp_enter_guest(lp);
	return 0;
}
