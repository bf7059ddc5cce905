/* The scheduler of several LPs (smp.h). */
#include "sim/cpu/smp.h"

#include <stdlib.h>

#include "sim/cpu/interrupt.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/tsc_cost.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/exit_reasons.h"

/* An LP's root coroutine runs Unicorn, its hooks and VM entry: as much stack as
 * the guest coroutine gets, twice. */
#define LP_STACK_SIZE (2u << 20)

/* The LP's coroutine: the run loop of one LP, as vtsim_machine_run's with one. */
static void lp_main(void *arg)
{
	struct lp *lp = arg;
	while (!lp->m->stopped && lp_run_once(lp))
		;
	lp->sched_done = true;
	coro_switch(&lp->co_sched, &lp->m->co_sched);   /* for good */
}

void smp_yield(struct lp *lp)
{
	if (lp->m->nr_lps == 1) {   /* no scheduler: only an INIT gets here */
		machine_stop(lp->m, lp, VTSIM_STOP_HALT, 0, "lp0 waits for a start-up IPI after an "
			     "INIT, and there is no other processor to send one");
		return;
	}
	coro_switch(&lp->co_sched, &lp->m->co_sched);
}

void smp_kick(struct lp *lp)
{
	/* Not uc_emu_stop here: from an MMIO callback the engine would leave the
	 * block with RIP at its start (mmio.h). With several LPs a running LP is the sender itself (another
	 * is suspended and looks at its events when its turn comes): the block
	 * hook stops it at the next block start, or with --smp-events instruction
	 * the hook on every instruction before the next one. With one LP the
	 * window watch (interrupt.h) stops it at a block start once the event can be
	 * taken, which needs the instruction count: the first such event turns it on
	 * (without it the event would wait for the engine's next stop, a HLT or an
	 * exit, and a loop polling for the interrupt's effect would never end). That
	 * stops the engine at once, inside the site or the device access that raised
	 * the event (mmio.h says how the access's instruction completes). */
	lp->stop_due = true;
	if (lp->m->nr_lps > 1)
		lp->stop_at_block = true;
	else
		lp_count_instructions(lp);
	lp_retire_recompute(lp);
}

bool smp_guest_wait_for_sipi(struct lp *lp)
{
	struct vmx_lp *v = &lp->vmx;
	if (!v->non_root || !v->wait_for_sipi)
		return false;
	if (v->sipi_vector < 0) {
		if (lp->m->nr_lps == 1) {
			machine_stop(lp->m, lp, VTSIM_STOP_HALT, 0, "lp0's guest waits for a start-up "
				     "IPI (wait-for-SIPI activity state), and there is no other processor "
				     "to send one");
			return true;
		}
		lp->activity = LP_WAIT_FOR_SIPI;
		trace_event(lp->m, VTSIM_TRACE_RUN, "run lp%u guest waits for a start-up IPI", lp->id);
		smp_yield(lp);
		return true;
	}
	struct vmx_exit_info xi = { .qualification = (uint8_t)v->sipi_vector,
				    .rip = cpu_reg(lp->uc, UC_X86_REG_RIP), .wait_for_sipi = true };
	v->wait_for_sipi = false;
	v->sipi_vector = -1;
	vmx_exit(lp, EXIT_REASON_SIPI_SIGNAL, &xi);
	return true;
}

bool smp_sipi_to_guest(struct lp *t, uint8_t vector)
{
	if (!t->vmx.non_root || !t->vmx.wait_for_sipi)
		return false;
	t->vmx.sipi_vector = vector;
	t->activity = LP_ACTIVE;
	smp_kick(t);
	return true;
}

void smp_catch_up(const struct lp *from, struct lp *t)
{
	uint64_t now = lp_clock(from), then = lp_clock(t);
	if (t == from || t->activity == LP_ACTIVE || now <= then)
		return;
	t->event_ticks += now - then;
	lp_retire_recompute(t);
}

bool smp_lp_wakes(struct lp *lp)
{
	return intr_ready(lp);
}

bool smp_halt(struct lp *lp, uint64_t rip, bool interrupts_enabled)
{
	struct vtsim_machine *m = lp->m;
	lp->activity = LP_HALTED;
	lp->halt_rip = rip;
	lp->halt_if = interrupts_enabled;
	lp->halt_seq = ++m->halt_seq;
	trace_event(m, VTSIM_TRACE_RUN, "run lp%u halt rip=0x%llx if=%d", lp->id,
		    (unsigned long long)rip, interrupts_enabled);
	smp_yield(lp);
	return !m->stopped;
}

static bool lp_runnable(struct lp *lp)
{
	if (lp->sched_done)
		return false;
	if (lp->activity == LP_ACTIVE)
		return true;
	if (lp->activity == LP_HALTED && smp_lp_wakes(lp)) {
		trace_event(lp->m, VTSIM_TRACE_RUN, "run lp%u wakes", lp->id);
		lp->activity = LP_ACTIVE;
		return true;
	}
	return false;
}

/* Runs `lp` for one quantum (or until it halts or the machine stops). */
static void run_quantum(struct vtsim_machine *m, struct lp *lp)
{
	if (!lp->sched_stack) {
		if (!(lp->sched_stack = malloc(LP_STACK_SIZE))) {
			machine_stop(m, lp, VTSIM_STOP_INTERNAL, 70, "out of memory for lp%u's stack", lp->id);
			return;
		}
		coro_init(&lp->co_sched, lp->sched_stack, LP_STACK_SIZE, lp_main, lp);
	}
	lp->quantum_end = lp->insns + SMP_QUANTUM;
	lp_retire_recompute(lp);
	m->running = lp;
	coro_switch(&m->co_sched, &lp->co_sched);
	m->running = NULL;
	lp->quantum_end = 0;
	lp_retire_recompute(lp);
}

/* No LP can run: the run ends as a HLT does, at the LP that halted last. */
static void all_halted(struct vtsim_machine *m)
{
	struct lp *last = NULL;
	unsigned waiting = 0;
	for (unsigned i = 0; i < m->nr_lps; i++) {
		struct lp *lp = &m->lps[i];
		if (lp->activity == LP_WAIT_FOR_SIPI)
			waiting++;
		else if (lp->activity == LP_HALTED && (!last || lp->halt_seq > last->halt_seq))
			last = lp;
	}
	if (!last) {
		machine_stop(m, NULL, VTSIM_STOP_INTERNAL, 70, "no processor can run");
		return;
	}
	machine_stop(m, NULL, VTSIM_STOP_HALT, 0,
		     "halted at RIP=0x%llx (lp%u, the last to halt%s; %u of %u processors halted, "
		     "%u wait for a start-up IPI)",
		     (unsigned long long)last->halt_rip, last->id,
		     last->halt_if ? ", with interrupts enabled and none pending" : "",
		     m->nr_lps - waiting, m->nr_lps, waiting);
	m->result.rip = last->halt_rip;
}

/* The run is over: every LP suspended in a run unwinds it (its engines stop), so the
 * machine can go away as with one LP. */
static void wind_down(struct vtsim_machine *m)
{
	for (unsigned i = 0; i < m->nr_lps; i++) {
		struct lp *lp = &m->lps[i];
		if (!lp->sched_stack || lp->sched_done)
			continue;
		if (lp->co_started)
			uc_emu_stop(lp->root.uc);   /* its VM entry returns into a stopped run */
		m->running = lp;
		coro_switch(&m->co_sched, &lp->co_sched);
		m->running = NULL;
	}
}

void smp_run(struct vtsim_machine *m)
{
	while (!m->stopped) {
		bool ran = false;
		for (unsigned i = 0; i < m->nr_lps && !m->stopped; i++) {
			struct lp *lp = &m->lps[i];
			if (!lp_runnable(lp))
				continue;
			ran = true;
			run_quantum(m, lp);
		}
		if (!ran && !m->stopped)
			all_halted(m);
	}
	wind_down(m);
}
