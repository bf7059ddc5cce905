/* The processor's instruction breakpoints (SDM Vol. 3, "Debug Registers" and
 * "Instruction-Breakpoint Exception Condition"): a breakpoint n that DR7 enables
 * (Ln or Gn) with R/Wn = 00 is a #DB fault before the instruction at the linear
 * address in DRn executes, unless RFLAGS.RF is set; DR6 (or, when the exception
 * bitmap makes the #DB a VM exit, the exit qualification) gets the Bn bits of the
 * enabled breakpoints at that address. The processor does not set RF in the
 * RFLAGS image it pushes for this fault: the handler sets it to go on.
 *
 * Each armed address is a code hook of the engine, bound to that address. Hooks
 * change only while the engine is stopped (its translated code calls the hooks that
 * existed when it was translated), so a MOV to DR0-DR3 or DR7 that changes what is
 * armed stops the engine after it, and a VM entry that does restarts the guest
 * engine. Data and I/O breakpoints (R/Wn = 01, 11, 10) are not modelled. */
#ifndef VTSIM_BREAKPOINT_H
#define VTSIM_BREAKPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

struct lp;
struct engine;

#define BP_COUNT 4

/* An engine's armed breakpoints: hook[n] watches la[n] when bit n of `armed` is set. */
struct bp_watch {
	uc_hook hook[BP_COUNT];
	uint64_t la[BP_COUNT];
	uint8_t armed;
};

/* Does what the engine's DR0-DR3 and DR7 arm differ from its hooks? */
bool bp_differs(struct lp *lp, struct engine *e);

/* The usual case in one look (bp_differs asks first; VM entry inline): nothing
 * armed, and DR7 (the engine's) enables no breakpoint at all. */
static inline bool bp_none(const struct bp_watch *w, uint64_t dr7)
{
	return !w->armed && !(dr7 & 0xff);
}

/* The active engine is stopped: makes its hooks match its debug registers. */
void bp_apply(struct lp *lp);

/* A MOV to a debug register just retired in the active engine: it stops there when
 * the armed set changed, so that bp_apply runs before the next instruction. */
void bp_dr_written(struct lp *lp);

#endif
