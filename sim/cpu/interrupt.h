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
 *    (IRR to ISR) and delivered through the IDT of the running code (root or guest);
 *  - before it, a pending NMI, unless NMIs are blocked (struct nmi_state) or MOV SS
 *    blocking holds: in non-root operation with "NMI exiting" a VM exit, reason 0,
 *    exit interruption information 80000202H (valid, type 2 NMI, vector 2), after
 *    which NMIs are blocked in VMX root operation; otherwise delivered through the
 *    IDT of the running code as vector 2 (RFLAGS.IF does not matter), which blocks
 *    NMIs. An NMI wakes a HLT. */
#ifndef VTSIM_INTERRUPT_H
#define VTSIM_INTERRUPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lp;

/* The processor's NMI state (SDM Vol. 3A "NMI Handling"): an NMI the APIC delivered
 * and not yet taken (one is latched; more while one is pending are lost), and
 * blocking by NMI, from the delivery of an NMI (or an NMI-caused VM exit) until
 * the next IRET completes. In VMX non-root operation with "virtual NMIs" clear, this
 * blocking is the guest's "blocking by NMI" (interruptibility bit 3), loaded by VM
 * entry and saved by VM exit; with "virtual NMIs" set the guest has its own
 * virtual-NMI blocking instead (vmx.h) and this state is left as it was. In VMX
 * root operation and outside VMX an IRET is found by a per-instruction hook on the
 * root engine, present only while NMIs are blocked there (struct nmi_watch: not
 * part of the state a snapshot keeps). */
struct nmi_state {
	bool pending;
	bool blocked;
	bool iret_seen;      /* an IRET is executing: the blocking ends once it completes */
};

struct nmi_watch {
	bool hooked;         /* the root engine's hook is in place */
	size_t hook;
};

/* The window watch. An interrupt above PPR (or an NMI) that RFLAGS.IF or the
 * STI/MOV-SS shadow holds back is taken at the first instruction boundary where
 * they let it through: after the instruction in an STI's shadow, after a POPF or
 * IRET that sets IF. Each of those ends the engine's translated block (and the
 * instruction in a shadow is a block of its own), so the block hook sees every
 * such boundary: while an event waits, every block start takes lp_retire's slow
 * path (intr_check_point), which asks for a stop there once the event can be
 * taken (intr_watch_run); the block hook needs the LP to count instructions,
 * which intr_watch_arm turns on where the engine may be stopped (the run loop's
 * boundary, VM exit). Ordinary code pays nothing while no event waits. An EOI or
 * TPR write that lets a requested vector through is seen at the next block start
 * (the write's own instruction ends none); by WRMSR (x2APIC) or MOV to CR8 it is
 * a site, which stops after itself. */
uint64_t intr_check_point(const struct lp *lp);
void intr_watch_arm(struct lp *lp);
void intr_watch_run(struct lp *lp);

/* Is an event waiting for the LP (INIT, an NMI, a requested interrupt), taken or
 * not? */
bool intr_pending(const struct lp *lp);

/* Before the engine runs: adds the root engine's IRET hook while NMIs are blocked
 * there, removes it once they are not. */
void nmi_watch_apply(struct lp *lp);

/* Is the instruction at linear `la` an IRET (CF, with REX.W or an operand-size
 * prefix)? Read as the processor fetches, setting no accessed flag. */
bool insn_is_iret(struct lp *lp, uint64_t la);

/* At an instruction boundary at linear `la` while NMIs are blocked: an IRET that
 * completed ends the blocking (true when it did); an IRET at `la` is noted. */
bool nmi_iret_boundary(struct lp *lp, uint64_t la);

/* Is the instruction executing an IRET that ends blocking by NMI or virtual-NMI
 * blocking (the "NMI unblocking due to IRET" bit 12 of an exit's qualification or
 * exit interruption information, SDM Vol. 3C "Information for VM Exits Due to
 * Vectored Events")? */
bool nmi_unblocked_by_iret(const struct lp *lp);

/* A VM exit with `reason` and exit interruption information `intr_info` has saved
 * the guest's state: an NMI-caused exit leaves NMIs blocked in VMX root operation. */
void nmi_vm_exit(struct lp *lp, uint32_t reason, uint32_t intr_info);

/* Takes one pending event if it can be taken now. True when it was (the LP's state
 * changed: run it again from its RIP). */
bool intr_take(struct lp *lp);

/* Could an event be taken now (what intr_take would do, without doing it)? */
bool intr_ready(struct lp *lp);

#endif
