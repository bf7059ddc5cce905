/* x2APIC mode of the local APIC (SDM Vol. 3A "Extended XAPIC (x2APIC)"), which the
 * CPU models claim (CPUID.01H:ECX[21]).
 *
 * Mode (IA32_APIC_BASE bit 11 EN, bit 10 EXTD): disabled (0, 0), xAPIC (1, 0), x2APIC
 * (1, 1). A WRMSR into the invalid state (0, 1), from x2APIC mode straight to xAPIC
 * mode, or from disabled straight to x2APIC mode is #GP(0) (SDM "x2APIC State
 * Transitions"). Entering x2APIC mode sets the LDR from the x2APIC ID (cluster ID
 * bits 31:16 = ID[19:4], bit ID[3:0] of bits 15:0); leaving it for the disabled
 * state resets the APIC's registers but for the IDs, so that xAPIC mode starts from
 * reset values; an INIT keeps the mode and derives the LDR again.
 *
 * Registers (in x2APIC mode only; otherwise, like every MSR 800H-8FFH not listed,
 * RDMSR and WRMSR are #GP(0)): MSR 800H + xAPIC offset / 16, 32 bits wide, bits 63:32
 * reserved, but the ICR (830H), one 64-bit register whose bits 63:32 are the
 * destination (an x2APIC ID, or a cluster and a bit per APIC in it; FFFFFFFFH is a
 * broadcast) and whose delivery-status bit is gone. No DFR (80EH), no ICR high (831H),
 * no APR or RRD, and no CMCI LVT entry on this model. The x2APIC ID (802H, the LP's
 * initial APIC ID) and LDR (80DH) are read-only; EOI (80BH) and SELF IPI (83FH) are
 * write-only; a WRMSR of a read-only register, an RDMSR of a write-only one, a write of
 * a reserved bit, and a nonzero write of EOI or ESR are #GP(0). SELF IPI requests the
 * fixed vector in its bits 7:0 at this APIC. An interrupt such a write lets through
 * (self-IPI, EOI, TPR) is taken before the next instruction: the WRMSR stops the
 * engine after itself, with or without --smp-events block.
 *
 * In VMX non-root operation an access the MSR bitmap lets through reaches this APIC
 * unless "virtualize x2APIC mode" sends it to the virtual-APIC page (apicv.h). MSR lists never name
 * these MSRs (the VM-entry checks, and a VMX abort for the VM-exit lists). */
#ifndef VTSIM_LAPIC_X2APIC_H
#define VTSIM_LAPIC_X2APIC_H

#include <stdint.h>

struct lp;

/* msr.c's rows: IA32_APIC_BASE's mode bits (after its reserved-bit check), and the
 * registers. 0, or -1 for #GP(0). */
int x2apic_write_apic_base(struct lp *lp, uint64_t v);
int x2apic_rdmsr(struct lp *lp, uint32_t idx, uint64_t *v);
int x2apic_wrmsr(struct lp *lp, uint32_t idx, uint64_t v);

/* After an INIT reset of the APIC: in x2APIC mode the LDR follows the ID again. */
void x2apic_after_init(struct lp *lp);

#endif
