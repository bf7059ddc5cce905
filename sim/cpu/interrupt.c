/* Taking the local APIC's events at an instruction boundary (interrupt.h). */
#include "sim/cpu/interrupt.h"

#include "sim/cpu/apicv.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/lapic_x2apic.h"
#include "sim/cpu/mmu.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/smp.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"

#define RFLAGS_IF (1ull << 9)

/* What the LP would do with its highest deliverable interrupt. */
enum intr_action { INTR_NONE, INTR_EXIT, INTR_DELIVER };

static enum intr_action intr_action(struct lp *lp, int *vector)
{
	*vector = lapic_deliverable(&lp->lapic);
	if (*vector < 0 || cpustate_interrupt_shadow(&lp->cs))
		return INTR_NONE;
	/* With "external-interrupt exiting", RFLAGS.IF does not block the exit. */
	if (lp->vmx.non_root &&
	    (vmcs_read_enc(&lp->vmx.vmcs, PIN_BASED_VM_EXEC_CONTROL) & PIN_BASED_EXT_INTR_MASK))
		return INTR_EXIT;
	return (cpu_reg(lp->uc, UC_X86_REG_EFLAGS) & RFLAGS_IF) ? INTR_DELIVER : INTR_NONE;
}

/* The shutdown activity state: no interrupt wakes the guest (only INIT here: an
 * NMI leaving shutdown is not modelled, and SMIs have no source but the APM port). */
static bool in_shutdown(const struct lp *lp)
{
	return lp->vmx.non_root && lp->vmx.guest_activity == 2;
}

/* A pending NMI can be taken now: NMIs are not blocked, nor is there MOV SS
 * blocking (the engine has one flag for STI and MOV SS: an STI shadow delays the
 * NMI by one instruction too). */
static bool nmi_ready(struct lp *lp)
{
	return lp->nmi.pending && !lp->nmi.blocked && !in_shutdown(lp) &&
	       !cpustate_interrupt_shadow(&lp->cs);
}

/* An event the processor would take at the next instruction boundary if RFLAGS.IF
 * (for an interrupt) and the STI/MOV-SS shadow let it: the highest requested
 * vector above PPR, or an NMI not blocked by NMI. */
static bool waits_for_window(const struct lp *lp)
{
	return !in_shutdown(lp) &&
	       (lapic_deliverable(&lp->lapic) >= 0 || (lp->nmi.pending && !lp->nmi.blocked));
}

uint64_t intr_check_point(const struct lp *lp)
{
	return waits_for_window(lp) ? lp->insns : ~0ull;
}

void intr_watch_arm(struct lp *lp)
{
	if (!lp->counting && waits_for_window(lp))
		lp_count_instructions(lp);
}

void intr_watch_run(struct lp *lp)
{
	if (lp->stop_at_block || !waits_for_window(lp) || !intr_ready(lp))
		return;
	lp->stop_due = true;
	lp->stop_at_block = true;
}

bool intr_pending(const struct lp *lp)
{
	return lp->init_pending || lp->nmi.pending || lapic_irr_pending(&lp->lapic);
}

bool intr_ready(struct lp *lp)
{
	int vector;
	return (lp->init_pending && (lp->vmx.non_root || !lp->vmx.on)) || nmi_ready(lp) ||
	       (!in_shutdown(lp) && intr_action(lp, &vector) != INTR_NONE);
}

/* ---- NMIs ---- */

bool insn_is_iret(struct lp *lp, uint64_t la)
{
	uint8_t b[2] = { 0 };
	struct mmu_ctx c;
	struct mmu_fault f;
	lp_mmu_ctx(lp, &c);
	if (mmu_read(&lp->m->pm, &c, la, b, 2, MMU_SUPERVISOR | MMU_NO_AD, &f))
		return false;
	return b[0] == 0xcf || ((b[0] == 0x48 || b[0] == 0x66) && b[1] == 0xcf);
}

bool nmi_iret_boundary(struct lp *lp, uint64_t la)
{
	bool ended = false;
	if (lp->nmi.iret_seen) {
		lp->nmi.iret_seen = false;
		lp->nmi.blocked = false;
		ended = true;
	}
	if (lp->nmi.blocked && insn_is_iret(lp, la))
		lp->nmi.iret_seen = true;
	return ended;
}

bool nmi_unblocked_by_iret(const struct lp *lp)
{
	return (lp->vmx.vnmi_blocked && lp->vmx.iret_done) || (lp->nmi.blocked && lp->nmi.iret_seen);
}

/* The root engine's hook while NMIs are blocked there: once an IRET has completed,
 * the engine stops so that a pending NMI is taken and the hook goes. */
static void on_root_insn(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	(void)size;
	struct lp *lp = user;
	if (lp->active != &lp->root || !nmi_iret_boundary(lp, address))
		return;
	lp->stop_due = true;
	uc_emu_stop(uc);
}

void nmi_watch_apply(struct lp *lp)
{
	struct nmi_watch *n = &lp->nmi_watch;
	uc_engine *uc = lp->root.uc;
	bool want = lp->nmi.blocked;
	/* Only from the root engine's own boundary: while the guest runs, the root
	 * engine is inside the VM-entry instruction's handler (its hook ignores the
	 * guest's instructions). */
	if (want == n->hooked || !uc || lp->active != &lp->root)
		return;
	if (want && uc_hook_add(uc, &n->hook, UC_HOOK_CODE, (void *)on_root_insn, lp, 1, 0) != UC_ERR_OK)
		return;
	if (!want)
		uc_hook_del(uc, n->hook);
	n->hooked = want;
	lp->nmi.iret_seen = false;
	/* Code already translated was instrumented without (or with) the hook. */
	uc_ctl_flush_tb(uc);
}

void nmi_vm_exit(struct lp *lp, uint32_t reason, uint32_t intr_info)
{
	lp->nmi.iret_seen = false;
	if (reason == EXIT_REASON_EXCEPTION_NMI && (intr_info & 0x7ff) == ((2u << 8) | VEC_NMI))
		lp->nmi.blocked = true;
	/* Blocking by NMI goes on in VMX root operation until an IRET there. The root
	 * engine is inside the VM-entry instruction's handler, which has written RIP:
	 * it may stop there and come back with its IRET hook. */
	if (lp->nmi.blocked && !lp->nmi_watch.hooked && lp->root.uc) {
		lp->stop_due = true;
		uc_emu_stop(lp->root.uc);
	}
}

/* Takes the pending NMI (nmi_ready holds). */
static void nmi_take(struct lp *lp, uint64_t rip)
{
	lp->nmi.pending = false;
	if (lp->vmx.non_root &&
	    (vmcs_read_enc(&lp->vmx.vmcs, PIN_BASED_VM_EXEC_CONTROL) & PIN_BASED_NMI_EXITING)) {
		/* The guest's blocking is saved as it was; the exit blocks NMIs in VMX
		 * root operation (nmi_vm_exit). */
		struct vmx_exit_info xi = { .rip = rip, .intr_info = 0x80000000u | (2u << 8) | VEC_NMI };
		vmx_exit(lp, EXIT_REASON_EXCEPTION_NMI, &xi);
		return;
	}
	trace_event(lp->m, VTSIM_TRACE_EXC, "nmi lp%u delivered rip=0x%llx", lp->id, (unsigned long long)rip);
	lp->nmi.blocked = true;
	if (lp->vmx.non_root) {
		lp->vmx.guest_activity = 0;          /* an NMI wakes a halted guest */
		vmx_events_watch_iret(lp);
	}
	exc_deliver(lp, VEC_NMI, 0, EXC_EXTERNAL, rip, rip);
}

static void exit_for_interrupt(struct lp *lp, unsigned vector, uint64_t rip)
{
	struct vmx_exit_info xi = { .rip = rip };
	if (vmcs_read_enc(&lp->vmx.vmcs, VM_EXIT_CONTROLS) & VM_EXIT_ACK_INTR_ON_EXIT) {
		lapic_accept(&lp->lapic, vector);
		xi.intr_info = 0x80000000u | vector;   /* valid, type 0 (external interrupt) */
	}
	vmx_exit(lp, EXIT_REASON_EXTERNAL_INTERRUPT, &xi);
}

bool intr_take(struct lp *lp)
{
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	if (lp->init_pending && lp->vmx.non_root) {
		lp->init_pending = false;
		struct vmx_exit_info xi = { .rip = rip };
		vmx_exit(lp, EXIT_REASON_INIT_SIGNAL, &xi);
		return true;
	}
	if (lp->init_pending && !lp->vmx.on) {
		/* Outside VMX operation: wait for a start-up IPI, the APIC reset but for
		 * its ID. */
		lp->init_pending = false;
		lapic_reset(&lp->lapic, lp->lapic.id >> 24);
		x2apic_after_init(lp);
		lp->activity = LP_WAIT_FOR_SIPI;
		trace_event(lp->m, VTSIM_TRACE_RUN, "run lp%u init: waits for a start-up IPI", lp->id);
		smp_yield(lp);
		return true;
	}
	if (nmi_ready(lp)) {
		nmi_take(lp, rip);
		return true;
	}
	int vector;
	if (in_shutdown(lp))
		return false;
	switch (intr_action(lp, &vector)) {
	case INTR_EXIT:
		if (!apicv_posted_notification(lp, (unsigned)vector))
			exit_for_interrupt(lp, (unsigned)vector, rip);
		return true;
	case INTR_DELIVER:
		lapic_accept(&lp->lapic, (unsigned)vector);
		lp->vmx.guest_activity = 0;      /* the interrupt wakes a halted guest */
		exc_deliver(lp, (unsigned)vector, 0, EXC_EXTERNAL, rip, rip);
		return true;
	default:
		return false;
	}
}
