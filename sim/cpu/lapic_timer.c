/* The local APIC timer as a deadline in virtual time (lapic_timer.h). */
#include "sim/cpu/lapic_timer.h"

#include "sim/cpu/interrupt.h"
#include "sim/cpu/lapic.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/tsc_cost.h"

#define LVT_MASKED      (1u << 16)
#define LVT_VECTOR(v)   ((v) & 0xffu)
#define LVT_MODE(v)     (((v) >> 17) & 3u)

enum timer_mode { MODE_ONE_SHOT, MODE_PERIODIC, MODE_TSC_DEADLINE, MODE_RESERVED };

#define NEVER (~0ull)

void lapic_timer_reset(struct lapic *a)
{
	a->timer = (struct lapic_timer){ .deadline = NEVER, .shift = 1 };   /* divide by 2 */
}

/* The clock the timer runs on: the count modes on the clock an instruction sees
 * (lp_clock_seen: a read of the current count in the block where it reaches 0
 * still gives 1 or more, and the interrupt is requested at the next block start);
 * TSC-deadline mode on the TSC's clock, as RDTSC reads it. */
static uint64_t timer_clock(const struct lp *lp)
{
	return lp->lapic.timer.mode == MODE_TSC_DEADLINE ? lp_clock(lp) : lp_clock_seen(lp);
}

/* timer_clock when the timer reaches 0 (now if the TSC deadline has passed), or NEVER. */
static uint64_t timer_deadline(const struct lp *lp)
{
	const struct lapic_timer *t = &lp->lapic.timer;
	if (t->mode != MODE_TSC_DEADLINE)
		return t->deadline;
	if (!t->tsc_deadline)
		return NEVER;
	uint64_t now = lp_clock(lp), tsc = now + lp->tsc_offset;
	return t->tsc_deadline <= tsc ? now : now + (t->tsc_deadline - tsc);
}

/* The timer's interrupt is requested and not yet accepted. */
static bool vector_waiting(const struct lapic *a)
{
	uint32_t lvt = a->lvt[0];
	return !(lvt & LVT_MASKED) && LVT_VECTOR(lvt) >= 16 && lapic_requested(a, LVT_VECTOR(lvt));
}

/* The count reaches 0 (the TSC its deadline) at clock `now` or before: the next
 * period starts (whole periods that went by meanwhile make one interrupt, as a
 * requested vector cannot be requested twice), the interrupt is requested unless
 * the timer is masked. */
static void timer_fire(struct lp *lp, uint64_t now)
{
	struct lapic *a = &lp->lapic;
	struct lapic_timer *t = &a->timer;
	if (t->mode == MODE_TSC_DEADLINE) {
		t->tsc_deadline = 0;
	} else if (t->mode == MODE_PERIODIC) {
		uint64_t period = (uint64_t)a->timer_initial << t->shift;
		t->start = t->deadline + (now - t->deadline) / period * period;
		t->deadline = t->start + period;
	} else {
		t->deadline = NEVER;
	}
	uint32_t lvt = a->lvt[0];
	if (!(lvt & LVT_MASKED))
		lapic_request(a, LVT_VECTOR(lvt));
	if (trace_on(lp->m, VTSIM_TRACE_EXC))
		trace_event(lp->m, VTSIM_TRACE_EXC, "apic lp%u timer fires vector=0x%02x%s", lp->id,
			    LVT_VECTOR(lvt), (lvt & LVT_MASKED) ? " (masked)" : "");
}

void lapic_timer_write_lvt(struct lp *lp)
{
	struct lapic *a = &lp->lapic;
	struct lapic_timer *t = &a->timer;
	unsigned mode = LVT_MODE(a->lvt[0]);
	/* Into or out of TSC-deadline mode: disarmed (SDM "TSC-Deadline Mode"). */
	if ((mode == MODE_TSC_DEADLINE) != (t->mode == MODE_TSC_DEADLINE)) {
		t->deadline = NEVER;
		t->tsc_deadline = 0;
		a->timer_initial = 0;
	}
	t->mode = mode;
	lp_retire_recompute(lp);
}

void lapic_timer_write_initial(struct lp *lp, uint32_t count)
{
	struct lapic *a = &lp->lapic;
	struct lapic_timer *t = &a->timer;
	if (t->mode == MODE_TSC_DEADLINE)
		return;
	a->timer_initial = count;
	lp_count_instructions(lp);      /* the count runs on virtual time from now on */
	t->start = timer_clock(lp);
	t->deadline = count ? t->start + ((uint64_t)count << t->shift) : NEVER;
	lp_retire_recompute(lp);
}

void lapic_timer_write_divide(struct lp *lp)
{
	struct lapic *a = &lp->lapic;
	struct lapic_timer *t = &a->timer;
	/* Bits 3, 1, 0: 000b divides by 2, ..., 110b by 128, 111b by 1. */
	unsigned code = (a->timer_divide & 3u) | ((a->timer_divide >> 1) & 4u);
	unsigned shift = (code + 1) & 7u;
	if (t->deadline != NEVER && shift != t->shift) {
		/* The count goes on from its current value at the new rate. */
		uint64_t now = timer_clock(lp);
		uint32_t cur = lapic_timer_current(lp);
		t->start = now - ((uint64_t)(a->timer_initial - cur) << shift);
		t->deadline = now + ((uint64_t)cur << shift);
	}
	t->shift = shift;
	lp_retire_recompute(lp);
}

uint32_t lapic_timer_current(const struct lp *lp)
{
	const struct lapic *a = &lp->lapic;
	const struct lapic_timer *t = &a->timer;
	if (t->mode == MODE_TSC_DEADLINE || t->deadline == NEVER)
		return 0;
	uint64_t now = timer_clock(lp), ticks = (now - t->start) >> t->shift;
	if (t->mode == MODE_PERIODIC)
		return a->timer_initial - (uint32_t)(ticks % a->timer_initial);
	return now >= t->deadline ? 0 : a->timer_initial - (uint32_t)ticks;
}

/* The timer's interrupt waits and the processor would take it now: the engine
 * stops so that lp_boundary takes it. From an instruction's handler (WRMSR, which
 * has set RIP past itself) it stops after the instruction. From lp_retire's slow
 * path it asks the block hook for a stop at a block start, whose RIP the hook
 * records (sites.c): at this block's start when the slow path ran before the block
 * was counted (an interrupt that waited, say for RFLAGS.IF), else at the next one
 * (the deadline fell in the block just counted, which runs). A stop from the block
 * hook alone would leave a stale RIP when the block was entered by a chained jump,
 * and skip a block already counted. */
static void stop_if_takeable(struct lp *lp, bool in_insn)
{
	if (!vector_waiting(&lp->lapic) || !intr_ready(lp))
		return;
	lp->stop_due = true;
	if (in_insn) {
		uc_emu_stop(lp->uc);
		return;
	}
	lp->stop_at_block = true;
	lp_retire_recompute(lp);
}

int lapic_timer_rdmsr(struct lp *lp, uint32_t idx, uint64_t *v)
{
	(void)idx;
	*v = lp->lapic.timer.mode == MODE_TSC_DEADLINE ? lp->lapic.timer.tsc_deadline : 0;
	return 0;
}

int lapic_timer_wrmsr(struct lp *lp, uint32_t idx, uint64_t v)
{
	(void)idx;
	struct lapic_timer *t = &lp->lapic.timer;
	if (t->mode != MODE_TSC_DEADLINE)
		return 0;                  /* ignored outside TSC-deadline mode */
	lp_count_instructions(lp);
	t->tsc_deadline = v;
	/* A deadline already past fires now: taken after this instruction, or
	 * from the next block start on (lapic_timer_check_point). */
	if (timer_deadline(lp) <= lp_clock(lp)) {
		timer_fire(lp, lp_clock(lp));
		stop_if_takeable(lp, true);
	}
	lp_retire_recompute(lp);
	return 0;
}

uint64_t lapic_timer_check_point(const struct lp *lp)
{
	if (vector_waiting(&lp->lapic))
		return lp->insns;          /* every block start, until it is accepted */
	uint64_t d = timer_deadline(lp);
	if (d == NEVER)
		return NEVER;
	return d > lp->event_ticks ? d - lp->event_ticks : 0;
}

void lapic_timer_run(struct lp *lp)
{
	uint64_t now = timer_clock(lp);
	if (timer_deadline(lp) <= now)
		timer_fire(lp, now);
	stop_if_takeable(lp, false);
}

bool lapic_timer_sleep(struct lp *lp, uint64_t limit)
{
	struct lapic *a = &lp->lapic;
	uint32_t lvt = a->lvt[0];
	uint64_t d = timer_deadline(lp);
	/* Only an interrupt that is not requested yet changes anything: a masked
	 * timer, an illegal vector or one already waiting would sleep for ever. */
	if (d == NEVER || d >= limit || (lvt & LVT_MASKED) || LVT_VECTOR(lvt) < 16 ||
	    lapic_requested(a, LVT_VECTOR(lvt)))
		return false;
	uint64_t now = lp_clock(lp);
	if (now < d)
		lp->insns += d - now;
	timer_fire(lp, lp_clock(lp));
	lp_retire_recompute(lp);
	return true;
}
