/* The local APIC of a logical processor in xAPIC mode: its registers in the 4 KiB page
 * at 0xFEE00000 (SDM Vol. 3A "Local APIC Register Address Map"), visible while
 * IA32_APIC_BASE enables the APIC and still points there (relocation moves it away
 * from 0xFEE00000 but is not decoded at the new address: the page reads as open bus).
 *
 * Registers: ID (bits 31:24), version 0x00050014 (version 14H, 6 LVT entries), TPR,
 * APR and PPR (no interrupt is ever in service, so PPR follows TPR), EOI (write-only),
 * LDR, DFR, SPIV, ISR/TMR/IRR (empty), ESR, ICR low/high, the six LVT entries, and the
 * timer's initial count, current count (0: the timer does not count) and divide
 * configuration. Reset values as the SDM gives them ("after power-up or reset"): DFR
 * all ones, SPIV 0xFF, LVT entries masked, the rest 0.
 *
 * Interprocessor interrupts (a write of ICR low): the delivery-status bit always
 * reads 0, the IPI having been sent at once. INIT puts each target into
 * wait-for-SIPI (not a target in VMX root operation: INIT is blocked there); a
 * start-up IPI to a target waiting for SIPI would start it, which the run loop cannot
 * do yet, so the run stops (status 70, said why). With one processor an IPI to "all
 * excluding self" has no target and does nothing. IPIs that deliver an interrupt
 * (fixed, lowest priority, SMI, NMI, ExtINT) to an existing processor stop the run
 * the same way: this machine has no interrupt delivery yet. */
#ifndef VTSIM_LAPIC_H
#define VTSIM_LAPIC_H

#include <stdint.h>

struct lp;

#define LAPIC_DEFAULT_BASE 0xfee00000ull
#define LAPIC_NR_LVT       6

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
};

/* Power-up state of the APIC whose ID is `apic_id`. */
void lapic_reset(struct lapic *a, uint32_t apic_id);

/* Accesses to the APIC page, `offset` bytes into it (the MMIO table's row). */
uint64_t lapic_mmio_read(struct lp *lp, uint64_t offset, unsigned size);
void lapic_mmio_write(struct lp *lp, uint64_t offset, unsigned size, uint64_t v);

#endif
