/* The state VM entry and VM exit do not switch.
 *
 * A processor has one register file: VMX transitions load and save only what the
 * VMCS names (control registers, segments, RIP/RSP/RFLAGS, DR7 and some MSRs by
 * the controls). Everything else is the same in VMX root and non-root operation,
 * and VMMs rely on it (KVM reads the guest's CR2 after an exit, hands the guest
 * FPU state in the registers, lets guests write the SYSCALL MSRs). vtsim runs root
 * and non-root in two engines (machine.h: lp->root, lp->guest), so that state is
 * copied from the engine the transition leaves to the one it starts, here and
 * nowhere else. vmx_carry.c's table lists what and why. */
#ifndef VTSIM_VMX_CARRY_H
#define VTSIM_VMX_CARRY_H

#include "sim/cpu/cpustate.h"

struct lp;
struct engine;

/* At VM entry (root -> guest) and VM exit (guest -> root). Nothing across the
 * TDX module: it saves and restores a TD's state itself, and the VMM never sees
 * it (SEAM root keeps the VMM's registers in the root engine). */
void vmx_carry(struct lp *lp, struct engine *from, struct engine *to);

/* The copy itself, between two engines' states: the calibrated raw copy, or the
 * register API when this Unicorn build's layout was not found (which cannot carry
 * XCR0). */
void vmx_carry_state(struct cpustate *from, struct cpustate *to);

#endif
