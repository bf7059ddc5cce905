/* The VMX-preemption timer as a deadline in virtual time (vmx_timer.h). */
#include "sim/cpu/vmx_timer.h"

#include "sim/cpu/machine.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/tsc_cost.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

void vmx_timer_arm(struct lp *lp)
{
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	lp->vmx.timer_active = vmcs_read_enc(v, PIN_BASED_VM_EXEC_CONTROL) & PIN_BASED_VMX_PREEMPTION_TIMER;
	if (!lp->vmx.timer_active)
		return;
	uint64_t misc = 0;
	vmcs_caps_rdmsr(lp->m->vmx_caps, MSR_IA32_VMX_MISC, &misc);
	unsigned x = misc & 0x1f;
	uint64_t value = (uint32_t)vmcs_read_enc(v, VMX_PREEMPTION_TIMER_VALUE);
	/* The first count comes when bit X next changes, not 2^X ticks after the
	 * entry: the deadline is on a multiple of 2^X. */
	uint64_t deadline_tsc = ((lp_tsc(lp) >> x) + value) << x;
	lp->vmx.timer_rate = x;
	lp->vmx.timer_deadline = deadline_tsc - lp->tsc_offset;
}

uint64_t vmx_timer_check_point(const struct lp *lp)
{
	if (!lp->vmx.non_root || !lp->vmx.timer_active)
		return ~0ull;
	/* The deadline is in clock ticks; events that cost ticks bring it nearer in
	 * instructions (tsc_charge recomputes this). */
	uint64_t d = lp->vmx.timer_deadline;
	if (d < lp->event_ticks)
		return 0;
	d -= lp->event_ticks;
	return d > VMX_TIMER_BLOCK_MAX ? d - VMX_TIMER_BLOCK_MAX : 0;
}

bool vmx_timer_due(const struct lp *lp, uint64_t n)
{
	return lp->vmx.non_root && lp->vmx.timer_active && lp_clock(lp) + n > lp->vmx.timer_deadline;
}

uint32_t vmx_timer_left(struct lp *lp)
{
	if (lp_clock(lp) >= lp->vmx.timer_deadline)
		return 0;
	uint64_t now = lp_tsc(lp), end = lp->vmx.timer_deadline + lp->tsc_offset;
	return (uint32_t)((end >> lp->vmx.timer_rate) - (now >> lp->vmx.timer_rate));
}

void vmx_timer_expire(struct lp *lp, uint64_t rip, bool halted)
{
	if (lp_clock(lp) < lp->vmx.timer_deadline)
		lp->insns += lp->vmx.timer_deadline - lp_clock(lp);
	struct vmx_exit_info xi = { .rip = rip, .halted = halted };
	vmx_exit(lp, EXIT_REASON_PREEMPTION_TIMER, &xi);
}
