/* The VMX-preemption timer (SDM Vol. 3, "VMX-Preemption Timer"): VM entry with
 * "activate VMX-preemption timer" (pin-based control 6) starts it at the
 * timer-value field; it counts down by 1 each time bit X of the TSC changes
 * (X = IA32_VMX_MISC[4:0]), also in the HLT state, and when it reaches 0 the guest
 * leaves with a VM exit (reason 52) before its next instruction.
 *
 * vtsim's TSC is virtual time (the LP's clock: retired instructions plus the ticks
 * events cost, tsc_cost.h; plus IA32_TSC's offset, msr.c), so the timer is a
 * deadline on that clock: where the TSC's bit X has changed `value` times since
 * the entry. The engine reports time a
 * translated block at a time; the block in which the deadline falls does not run,
 * the exit comes at its start and time moves on to the deadline, so no
 * instruction of the guest ever sees a TSC past it. */
#ifndef VTSIM_VMX_TIMER_H
#define VTSIM_VMX_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct lp;

/* The most instructions the engine runs in one translated block: from this far
 * before the deadline on, each block start asks vmx_timer_due. */
#define VMX_TIMER_BLOCK_MAX 512u

/* At VM entry: arms the timer from the VMCS (or disarms it). */
void vmx_timer_arm(struct lp *lp);

/* Where lp->insns must reach before the next block start has to look at the
 * timer (~0 when it is not running). Recomputed when an event costs ticks. */
uint64_t vmx_timer_check_point(const struct lp *lp);

/* Would the timer reach 0 before `n` more instructions complete? */
bool vmx_timer_due(const struct lp *lp, uint64_t n);

/* The timer-value field a VM exit saves ("save VMX-preemption timer value"). */
uint32_t vmx_timer_left(struct lp *lp);

/* The timer reaches 0: time moves on to the deadline and the guest exits with
 * reason 52 at `rip` (saved in the HLT activity state when `halted`). */
void vmx_timer_expire(struct lp *lp, uint64_t rip, bool halted);

#endif
