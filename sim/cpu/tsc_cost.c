/* Fixed TSC costs of events (tsc_cost.h). */
#include "sim/cpu/tsc_cost.h"

#include "sim/cpu/machine.h"

/* Ticks per event: of the order real Intel cores spend (an exception delivered
 * and returned from, or a VM exit and the VM entry back, each take roughly a
 * thousand cycles). */
static const uint64_t cost[TSC_EVENT_COUNT] = {
	[TSC_EVENT_DELIVERY] = 1000,
	[TSC_EVENT_VM_EXIT]  = 1000,
	[TSC_EVENT_VM_ENTRY] = 1000,
};

uint64_t tsc_event_cost(enum tsc_event e)
{
	return (unsigned)e < TSC_EVENT_COUNT ? cost[e] : 0;
}

void tsc_add(struct lp *lp, enum tsc_event e)
{
	lp->event_ticks += tsc_event_cost(e);
}

void tsc_charge(struct lp *lp, enum tsc_event e)
{
	tsc_add(lp, e);
	lp_retire_recompute(lp);   /* a running preemption timer's deadline came nearer */
}

uint64_t lp_clock(const struct lp *lp)
{
	return lp->insns + lp->event_ticks;
}

uint64_t lp_clock_seen(const struct lp *lp)
{
	uint64_t c = lp_clock(lp);
	return c >= lp->block_insns ? c - lp->block_insns : 0;
}
