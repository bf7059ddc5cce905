/* The local APIC timer (SDM Vol. 3A "APIC Timer"), counting on virtual time.
 *
 * Its input clock is the LP's clock (lp_clock: retired instructions plus event
 * costs, tsc_cost.h), the clock the TSC counts: one tick per TSC tick, divided by the
 * divide configuration register (bits 0, 1 and 3: 2, 4, ..., 128, or 1). The xeon
 * model says so in CPUID leaf 15H (TSC / core crystal clock = 1/1: the APIC timer
 * runs at the core crystal clock).
 *
 * Modes (LVT timer bits 18:17): one-shot (00b) counts the initial count down once;
 * periodic (01b) reloads it each time it reaches 0; TSC-deadline (10b) fires when
 * the TSC reaches IA32_TSC_DEADLINE (MSR 6E0H; CPUID.01H:ECX[24]), which then reads
 * 0. 11b is reserved: counted as one-shot. Writing the initial count (re)starts
 * the count (0 stops it); in TSC-deadline mode the write is ignored and the current
 * count reads 0; a write of 0 to IA32_TSC_DEADLINE disarms it, a deadline already
 * past fires at once; outside TSC-deadline mode the MSR reads 0 and ignores writes.
 * A change of mode into or out of TSC-deadline mode disarms the timer. A masked timer
 * counts but requests no interrupt; an unmasked one requests its vector in IRR
 * (vectors 0-15 are dropped), from where the processor accepts it like any fixed
 * interrupt (interrupt.h).
 *
 * No per-instruction hook: the deadline is one more point where lp_retire's slow
 * path runs (lp_retire_recompute). The count modes run on the clock an instruction
 * sees (lp_clock_seen: a block's start), so the count reaches 0, and the interrupt
 * is requested, at the first block start at or past the deadline; the engine stops
 * there when it can be taken: a read of the current count gives 0 only from then
 * on. TSC-deadline mode runs on the TSC's clock (lp_clock, the running block's end,
 * what RDTSC reads): requested at the start of the block that reaches the deadline,
 * taken at the next block start. The same points on every run. While the
 * timer's vector waits in IRR (RFLAGS.IF = 0, or a higher priority in service) each
 * block start looks again, so it is taken as soon as it can be. A processor that
 * halts with the timer armed sleeps until the deadline: its clock moves there. */
#ifndef VTSIM_LAPIC_TIMER_H
#define VTSIM_LAPIC_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct lp;
struct lapic;

#define MSR_IA32_TSC_DEADLINE 0x6e0u

/* At APIC reset: nothing counts. */
void lapic_timer_reset(struct lapic *a);

/* Register writes (the values are already stored where the register has storage). */
void lapic_timer_write_lvt(struct lp *lp);
void lapic_timer_write_initial(struct lp *lp, uint32_t count);
void lapic_timer_write_divide(struct lp *lp);
/* The current-count register. */
uint32_t lapic_timer_current(const struct lp *lp);

/* IA32_TSC_DEADLINE (msr.c's row). */
int lapic_timer_rdmsr(struct lp *lp, uint32_t idx, uint64_t *v);
int lapic_timer_wrmsr(struct lp *lp, uint32_t idx, uint64_t v);

/* Where lp->insns must reach before lp_retire's slow path has to call
 * lapic_timer_run (~0 when nothing is due). */
uint64_t lapic_timer_check_point(const struct lp *lp);
/* From lp_retire's slow path: fires the timer if its deadline has come, and stops
 * the engine when its interrupt can be taken. */
void lapic_timer_run(struct lp *lp);

/* The LP halts: if the timer would fire before clock `limit` (~0: any time) with an
 * interrupt that is not yet requested, time moves on to its deadline and it fires.
 * True when it did. */
bool lapic_timer_sleep(struct lp *lp, uint64_t limit);

#endif
