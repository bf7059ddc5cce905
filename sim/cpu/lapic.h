/* The local APIC of a logical processor in xAPIC mode: its registers in the 4 KiB page
 * at 0xFEE00000 (SDM Vol. 3A "Local APIC Register Address Map"), visible while
 * IA32_APIC_BASE enables the APIC and still points there (relocation moves it away
 * from 0xFEE00000 but is not decoded at the new address: the page reads as open bus).
 *
 * Registers: ID (bits 31:24), version 0x00050014 (version 14H, 6 LVT entries), TPR,
 * APR, PPR (from TPR and the highest vector in service), EOI (write-only),
 * LDR, DFR, SPIV, ISR/TMR/IRR (read-only), ESR, ICR low/high, the six LVT entries, and the
 * timer's initial count, current count and divide configuration (the timer itself:
 * lapic_timer.h). Reset values as the SDM gives them ("after power-up or reset"): DFR
 * all ones, SPIV 0xFF, LVT entries masked, the rest 0.
 *
 * Interprocessor interrupts (a write of ICR low): the delivery-status bit always
 * reads 0, the IPI having been sent at once. INIT puts each target outside VMX into
 * wait-for-SIPI (its APIC reset but for its ID); it is blocked in VMX root operation
 * and is a VM exit (reason 3) in VMX non-root operation. A start-up IPI starts a
 * target waiting for one in real mode at vector << 12 (boot.h). Fixed IPIs set the
 * vector in each target's IRR; lowest priority goes to the first target in APIC ID
 * order (a fixed, reproducible arbitration). The processor accepts the highest
 * pending vector whose priority class is above PPR's (interrupt.h), moving it to the
 * ISR; EOI retires the highest vector in service (and, when its TMR bit says it was
 * level-triggered, an I/O APIC message's, tells the I/O APIC). An NMI IPI (delivery mode 100b)
 * latches an NMI for each target (interrupt.h takes it). SMI and ExtINT IPIs stop
 * the run (status 70, said why): those deliveries are not modelled.
 *
 * x2APIC mode (IA32_APIC_BASE bits 11 and 10 set; lapic_x2apic.h) reaches the same
 * registers through MSRs 800H-8FFH; the page then reads as open bus. */
#ifndef VTSIM_LAPIC_H
#define VTSIM_LAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct lp;

#define LAPIC_DEFAULT_BASE 0xfee00000ull
#define LAPIC_BASE_EXTD    (1ull << 10)   /* IA32_APIC_BASE: x2APIC mode */
#define LAPIC_BASE_ENABLE  (1ull << 11)   /* IA32_APIC_BASE: APIC globally enabled */
#define LAPIC_NR_LVT       6

/* The timer's state besides its registers (lapic_timer.h). */
struct lapic_timer {
	uint64_t deadline;       /* lp_clock when the count reaches 0; ~0: not counting */
	uint64_t start;          /* lp_clock when the current count was (re)loaded */
	uint64_t tsc_deadline;   /* IA32_TSC_DEADLINE; 0: disarmed */
	unsigned shift;          /* log2 of the divisor the count runs at */
	unsigned mode;           /* LVT timer bits 18:17 the timer runs in */
};

struct lapic {
	uint32_t id;
	uint32_t tpr;
	uint32_t ldr;
	uint32_t dfr;
	uint32_t spiv;
	uint32_t esr;
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[LAPIC_NR_LVT];   /* timer, thermal, performance, LINT0, LINT1, error */
	uint32_t timer_initial;
	uint32_t timer_divide;
	uint32_t isr[8], tmr[8], irr[8];   /* bit v%32 of word v/32 for vector v */
	struct lapic_timer timer;
};

/* Power-up state of the APIC whose ID is `apic_id`. */
void lapic_reset(struct lapic *a, uint32_t apic_id);

/* Whether a 256-bit register (IRR, ISR, TMR) has no bit set: one test of the whole. */
static inline bool lapic_reg_empty(const uint32_t bits[8])
{
	uint64_t q[4];
	memcpy(q, bits, sizeof(q));
	return !(q[0] | q[1] | q[2] | q[3]);
}

/* lapic_deliverable for a non-empty IRR. */
int lapic_deliverable_irr(const struct lapic *a);

/* The highest vector the processor would accept now (in IRR, its priority class
 * above PPR's), or -1. Inline for the empty IRR of nearly every entry and exit. */
static inline int lapic_deliverable(const struct lapic *a)
{
	return lapic_reg_empty(a->irr) ? -1 : lapic_deliverable_irr(a);
}
/* The processor accepts `vector`: from IRR into ISR. */
void lapic_accept(struct lapic *a, unsigned vector);
/* `vector` (requested in IRR) is accepted and its EOI written at once: it leaves IRR
 * and is never in service (a posted-interrupt notification, apicv.h). */
void lapic_dismiss(struct lapic *a, unsigned vector);
/* Is any vector requested (IRR not empty)? */
bool lapic_irr_pending(const struct lapic *a);
/* A fixed interrupt with `vector` is requested (IRR); vectors 0-15 are dropped. */
void lapic_request(struct lapic *a, unsigned vector);
/* Is `vector` requested (in IRR)? */
bool lapic_requested(const struct lapic *a, unsigned vector);

/* Is the APIC enabled in x2APIC mode? */
bool lapic_x2apic(const struct lp *lp);

/* The register at `offset` in the xAPIC page (a doubleword at a 16-byte step; 0
 * for none), and a write of it: its writable bits stored, then its side effect. */
uint32_t lapic_reg_read(struct lp *lp, uint64_t offset);
void lapic_reg_write(struct lp *lp, uint64_t offset, uint32_t v);
/* The IPI the ICR (icr_lo, icr_hi) names, sent now. */
void lapic_send_ipi(struct lp *lp);
/* An interrupt message from a device (the I/O APIC, ioapic.h), sent from `from`'s
 * instruction: `lo` in the ICR's low-word layout (vector, delivery mode, logical
 * destination, trigger mode; no shorthand), to 8-bit destination `dest`, delivered
 * as an IPI would be. A fixed interrupt's trigger mode goes into the target's TMR:
 * the EOI of a level-triggered vector is broadcast to the I/O APIC. */
void lapic_deliver_message(struct lp *from, uint32_t lo, uint8_t dest);

/* Accesses to the APIC page, `offset` bytes into it (the MMIO table's row). */
uint64_t lapic_mmio_read(struct lp *lp, uint64_t offset, unsigned size);
void lapic_mmio_write(struct lp *lp, uint64_t offset, unsigned size, uint64_t v);

#endif
