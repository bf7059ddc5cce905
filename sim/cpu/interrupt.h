/* Accepting what the local APIC holds for its processor, at an instruction
 * boundary the run loop reaches (lp_run_once, before the engine starts):
 *  - INIT: held in VMX root operation; in non-root operation a VM exit, reason 3
 *    (INIT signal); outside VMX operation the processor resets its APIC (but for the
 *    ID) and waits for a start-up IPI (with several LPs it yields; with one, nothing
 *    can send it one);
 *  - the highest deliverable interrupt (lapic_deliverable): blocked by STI or MOV SS
 *    blocking; in non-root operation with "external-interrupt exiting" a VM exit,
 *    reason 1, that acknowledges it (vector in the exit interruption information) if
 *    "acknowledge interrupt on exit" is set; otherwise, when RFLAGS.IF = 1, accepted
 *    (IRR to ISR) and delivered through the IDT of the running code (root or guest). */
#ifndef VTSIM_INTERRUPT_H
#define VTSIM_INTERRUPT_H

#include <stdbool.h>

struct lp;

/* Takes one pending event if it can be taken now. True when it was (the LP's state
 * changed: run it again from its RIP). */
bool intr_take(struct lp *lp);

/* Could an event be taken now (what intr_take would do, without doing it)? */
bool intr_ready(struct lp *lp);

#endif
