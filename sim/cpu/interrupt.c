/* Taking the local APIC's events at an instruction boundary (interrupt.h). */
#include "sim/cpu/interrupt.h"

#include "sim/cpu/exception.h"
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

/* The shutdown activity state: no interrupt wakes the guest (only INIT here;
 * NMIs and SMIs have no source on this machine). */
static bool in_shutdown(const struct lp *lp)
{
	return lp->vmx.non_root && lp->vmx.guest_activity == 2;
}

bool intr_ready(struct lp *lp)
{
	int vector;
	return (lp->init_pending && (lp->vmx.non_root || !lp->vmx.on)) ||
	       (!in_shutdown(lp) && intr_action(lp, &vector) != INTR_NONE);
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
		lp->activity = LP_WAIT_FOR_SIPI;
		trace_event(lp->m, VTSIM_TRACE_RUN, "run lp%u init: waits for a start-up IPI", lp->id);
		smp_yield(lp);
		return true;
	}
	int vector;
	if (in_shutdown(lp))
		return false;
	switch (intr_action(lp, &vector)) {
	case INTR_EXIT:
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
