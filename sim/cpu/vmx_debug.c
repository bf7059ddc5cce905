/* Pending debug exceptions across VM entry and VM exit: see vmx_debug.h. */
#include "sim/cpu/vmx_debug.h"

#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/noncanon.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

#define RFLAGS_TF (1ull << 8)
#define INTERRUPTIBILITY_MOV_SS 2u

bool vmx_dbg_enter(struct lp *lp, bool injected)
{
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	uint64_t pending = vmcs_read_enc(v, GUEST_PENDING_DBG_EXCEPTIONS);
	lp->vmx.pending_dbg = 0;
	/* "Delivery of Pending Debug Exceptions after VM Entry": nothing is pending
	 * unless BS or "enabled breakpoint" is set, and an injected event makes
	 * them lost. */
	if (!(pending & PENDING_DBG_VALID) || injected)
		return false;
	if (vmcs_read_enc(v, GUEST_INTERRUPTIBILITY_INFO) & INTERRUPTIBILITY_MOV_SS) {
		/* MOV-SS blocking defers them past the guest's first instruction. */
		lp->vmx.pending_dbg = pending;
		return false;
	}
	/* A trap: before the first instruction, with RIP at it. */
	uint64_t rip = vmcs_read_enc(v, GUEST_RIP);
	exc_debug(lp, pending & PENDING_DBG_DR6, EXC_TRAP, rip, rip);
	return true;
}

uint64_t vmx_dbg_take(struct lp *lp)
{
	uint64_t held = lp->vmx.pending_dbg & PENDING_DBG_DR6;
	lp->vmx.pending_dbg = 0;
	return held;
}

void vmx_dbg_single_step(struct lp *lp, uint64_t rip)
{
	struct vmx_lp *v = &lp->vmx;
	/* The instruction went to a non-canonical RIP: it was a branch that faults
	 * (#GP(0)) instead of completing, so there is no trap after it. */
	if (noncanon_in_64bit_mode(lp, rip)) {
		noncanon_fetch_fault(lp);
		return;
	}
	/* "Monitor Trap Flag": an MTF VM exit outranks the single-step trap of the
	 * instruction it follows, which is saved as pending (BS). */
	if (v->non_root && v->mtf) {
		v->pending_dbg |= PENDING_DBG_BS;
		struct vmx_exit_info xi = { .rip = rip };
		vmx_exit(lp, EXIT_REASON_MONITOR_TRAP_FLAG, &xi);
		return;
	}
	exc_debug(lp, DR6_BS | vmx_dbg_take(lp), EXC_TRAP, rip, rip);
}

bool vmx_dbg_boundary(struct lp *lp, uint64_t rip)
{
	if (!lp->vmx.pending_dbg)
		return false;
	exc_debug(lp, vmx_dbg_take(lp), EXC_TRAP, rip, rip);
	return true;
}

static bool is_db_exception_exit(uint32_t reason, const struct vmx_exit_info *info)
{
	return reason == EXIT_REASON_EXCEPTION_NMI && (info->intr_info & 0x80000000u) &&
	       (info->intr_info & 0xff) == VEC_DB && ((info->intr_info >> 8) & 7) == 3;
}

uint64_t vmx_dbg_at_exit(struct lp *lp, uint32_t reason, const struct vmx_exit_info *info,
			 uint32_t interruptibility, uint64_t rflags)
{
	uint64_t saved = lp->vmx.pending_dbg;
	lp->vmx.pending_dbg = 0;
	if (is_db_exception_exit(reason, info))
		return 0;
	/* MOV SS/POP SS executed with TF = 1 defers its single-step trap; an exit
	 * in its shadow saves it ("Saving Non-Register State"). */
	if ((interruptibility & INTERRUPTIBILITY_MOV_SS) && (rflags & RFLAGS_TF))
		saved |= PENDING_DBG_BS;
	return saved;
}
