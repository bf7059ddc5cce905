/* What events cost in TSC ticks, beyond the instructions they retire.
 *
 * vtsim's TSC is virtual time: one tick per retired instruction, plus a fixed
 * number of ticks for each event a real processor spends many cycles on without
 * retiring an instruction (an event delivered through the IDT, a VM exit, a VM
 * entry). The SDM fixes no such latency; real parts take hundreds to thousands of
 * cycles for each, so a guest that single-steps itself (a #DB per instruction)
 * sees time pass at about that rate, and a VMX-preemption timer set in TSC ticks
 * expires after as many events as it would on hardware. The costs are constants,
 * so runs stay deterministic. The table is docs/machine.md's "Virtual time". */
#ifndef VTSIM_TSC_COST_H
#define VTSIM_TSC_COST_H

#include <stdint.h>

struct lp;

enum tsc_event {
	TSC_EVENT_DELIVERY,   /* an exception, NMI or interrupt delivered through the IDT */
	TSC_EVENT_VM_EXIT,    /* a VM exit */
	TSC_EVENT_VM_ENTRY,   /* a VM entry that reaches the guest */
	TSC_EVENT_COUNT
};

/* The ticks one event costs. */
uint64_t tsc_event_cost(enum tsc_event e);

/* The event happened: the LP's clock (and so its TSC and a running VMX-preemption
 * timer) moves on by its cost. */
void tsc_charge(struct lp *lp, enum tsc_event e);
/* The same for a caller that recomputes the retire check itself before the engine
 * runs again (VM entry and exit, which change the mode it depends on). */
void tsc_add(struct lp *lp, enum tsc_event e);

/* The LP's clock: retired instructions plus the ticks events cost. IA32_TSC is
 * this plus the LP's TSC offset (msr.c). */
uint64_t lp_clock(const struct lp *lp);

/* The clock as an instruction of the running block sees it: the block is counted
 * whole at its start, and which of its instructions runs is not known, so each
 * sees the block's start. The APIC timer's count runs on it, so that a read of the
 * current count never gives 0 before the block in which the interrupt is
 * requested (and, with RFLAGS.IF = 1, taken at its start). */
uint64_t lp_clock_seen(const struct lp *lp);

#endif
