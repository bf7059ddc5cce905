/* Several logical processors in one host thread, deterministically. Each LP runs on
 * a coroutine of its own (its root engine's stack; a guest it enters has its own, as
 * with one LP). The scheduler gives each runnable LP in turn, in LP order, a quantum
 * of SMP_QUANTUM retired instructions (virtual time), so a run is the same every
 * time: same output, same trace, same record.
 *
 * Runnable: active, or halted with something that wakes it (an INIT for a guest,
 * or an interrupt it would accept now). An LP waiting for a start-up IPI does not
 * run. When no LP is runnable the run ends as a HLT does (status 0).
 *
 * The block counter (sites.c), which runs with several LPs anyway, ends a quantum:
 * it stops the LP at the first translated block's start at or past it, before the
 * block runs (stop_at_block). An event the running LP raises for itself from an
 * MMIO write (a self-IPI, an EOI or TPR write that lets a waiting vector through)
 * cannot stop the engine from the callback (it would restart the instruction):
 * by default the block hook stops it at the next block start; with --smp-events
 * instruction (cfg.smp_exact_events) a hook on every instruction stops the LP
 * before the next one (exact, and ten times slower).
 *
 * With one LP none of this is used: the run loop runs LP 0 alone, as before. */
#ifndef VTSIM_SMP_H
#define VTSIM_SMP_H

#include <stdbool.h>
#include <stdint.h>

struct lp;
struct vtsim_machine;

/* Instructions an LP runs before the next one gets its turn. Small enough that a
 * processor spinning on a flag another sets costs little, large enough that the
 * switch (the engine leaving and re-entering its run) stays a small share. */
#define SMP_QUANTUM 20000u

/* Runs every LP until the machine stops (vtsim_machine_run with nr_lps > 1). */
void smp_run(struct vtsim_machine *m);

/* The LP's quantum is over: back to the scheduler until its next turn. On the
 * LP's own stack (root or guest coroutine), outside an engine run. */
void smp_yield(struct lp *lp);

/* The LP halted (HLT) at `rip`: it waits, on the scheduler, until something wakes
 * it. False when the run is over instead. */
bool smp_halt(struct lp *lp, uint64_t rip, bool interrupts_enabled);

/* Something the LP must look at (an interrupt requested, an INIT): with several
 * LPs, if its engine runs, it stops before the next instruction (or block, see
 * above); a suspended LP looks at it when it resumes, before its next instruction. */
void smp_kick(struct lp *lp);

/* A guest entered in the wait-for-SIPI activity state (SDM Vol. 3C "Guest
 * Non-Register State": activity state 3, allowed by IA32_VMX_MISC[8]) runs nothing:
 * its LP waits, on the scheduler, for a start-up IPI, which is a VM exit (reason 4,
 * qualification = the SIPI's vector, the activity state saved as wait-for-SIPI).
 * Called at the LP's instruction boundaries; true when it waited or exited. */
bool smp_guest_wait_for_sipi(struct lp *lp);

/* A start-up IPI to `t`: taken by a guest waiting for one (true), else the LP's. */
bool smp_sipi_to_guest(struct lp *t, uint8_t vector);

/* An IPI from `from` reaches `t`. An LP that is halted or waits for a start-up IPI
 * runs nothing, but time passed for it as for the sender (its TSC and APIC timer
 * count in those states, and so does a VMX-preemption timer, which causes no VM
 * exit in wait-for-SIPI: SDM Vol. 3C "VMX-Preemption Timer"): its clock catches up
 * with the sender's, so a processor that wakes never reads a TSC below the one its
 * waker read before sending. A running LP keeps its own clock (the turns keep the
 * clocks of running LPs within a quantum or so of each other). */
void smp_catch_up(const struct lp *from, struct lp *t);

/* Would the LP take an event now (interrupt or INIT), so that a halted LP wakes? */
bool smp_lp_wakes(struct lp *lp);

#endif
