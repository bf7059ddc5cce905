/* APIC virtualization in VMX non-root operation (SDM Vol. 3C, "APIC Virtualization
 * and Virtual Interrupts"), as far as vtsim models it:
 *  - "virtualize APIC accesses": a linear access whose physical address falls in the
 *    APIC-access page is refused by the guest engine's TLB fill (guest_tlb.c: no
 *    per-instruction cost) and comes here. It is an APIC-access VM exit (reason 44,
 *    fault-like; qualification = page offset | access type << 12) unless the SDM
 *    virtualizes it: with "use TPR shadow", a read or write of at most 32 bits
 *    within VTPR (offset 080H-083H) goes to the virtual-APIC page, and a write is
 *    followed by TPR virtualization.
 *  - "use TPR shadow": MOV to/from CR8 read and write VTPR (virtual-APIC page +
 *    80H, bits 7:4) instead of the TPR, and TPR virtualization makes a trap-like
 *    TPR-below-threshold VM exit (reason 43) when VTPR[7:4] drops below TPR
 *    threshold[3:0].
 *  - "APIC-register virtualization": reads of the listed registers come from the
 *    virtual-APIC page; writes of the listed registers land there and are followed
 *    by APIC-write emulation: VTPR, EOI and ICR low as below, ICR high has bits
 *    23:0 cleared, any other an APIC-write VM exit (56, trap-like, qualification =
 *    the register's offset).
 *  - "virtual-interrupt delivery": RVI and SVI (the guest interrupt status), PPR
 *    virtualization, evaluation and delivery of virtual interrupts through the
 *    guest's IDT (at a boundary where RFLAGS.IF = 1 and no STI/MOV-SS blocking;
 *    vmx_events.c), EOI virtualization with a virtualized-EOI exit (45,
 *    qualification = the vector) for vectors in the EOI-exit bitmap, and self-IPI
 *    virtualization of a fixed self-IPI written to ICR low (other ICR writes exit
 *    with 56).
 *  - "process posted interrupts": an interrupt with the posted-interrupt
 *    notification vector that the processor recognizes in VMX non-root operation
 *    (where "external-interrupt exiting" is set) is no VM exit: the local APIC has
 *    it acknowledged and dismissed (EOI), the descriptor's outstanding-notification
 *    bit (256) is cleared, its PIR (bits 255:0) ORed into VIRR and cleared, RVI raised
 *    to the highest vector posted, and virtual interrupts evaluated. A notification
 *    pending at VM entry is processed before the guest's first instruction.
 *  - "virtualize x2APIC mode" (SDM "Virtualizing MSR-Based APIC Accesses"): an
 *    RDMSR or WRMSR of 800H-8FFH that the MSR bitmap lets through, whatever mode the
 *    local APIC is in. RDMSR reads the 8 bytes at page offset (ECX & FFH) << 4: TPR
 *    (808H) only, or every index with APIC-register virtualization. WRMSR of TPR
 *    (808H; EDX:EAX bits 63:8 set: #GP(0)) is followed by TPR virtualization; with
 *    virtual-interrupt delivery, of EOI (80BH; nonzero: #GP(0)) by EOI
 *    virtualization, of SELF IPI (83FH; bits 63:8 set: #GP(0)) by self-IPI
 *    virtualization, or an APIC-write exit (qualification 3F0H) for a vector below
 *    16. Every other access reaches the LP's local APIC (lapic_x2apic.h).
 * Not modelled: IPI virtualization, the wake of a guest in HLT by a virtual interrupt,
 * and APIC accesses during event delivery or by guest-physical accesses (paging
 * structures in the APIC-access page). A virtualizable access that is
 * not a plain MOV between memory and a 32-bit register (or from an immediate) is
 * left to the VMM as an APIC-access exit: vtsim performs only that form itself. */
#ifndef VTSIM_APICV_H
#define VTSIM_APICV_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/mmu.h"

struct lp;

#define APICV_NO_PAGE (~0ull)

/* The APIC-access address of the current VMCS when "virtualize APIC accesses" is
 * on, else APICV_NO_PAGE. */
uint64_t apicv_access_page(const struct lp *lp);

/* The instruction at RIP made an access of kind `acc` to the linear page `page`,
 * which maps the APIC-access page: virtualizes it or exits (see above). */
void apicv_access(struct lp *lp, uint64_t page, enum mmu_access acc);

/* At VM entry, after event injection (`injected`: an event was), before the
 * guest's first instruction: with virtual-interrupt delivery, PPR virtualization
 * and evaluation of pending virtual interrupts; without it, when no event was
 * injected, the TPR-below-threshold exit if VTPR[7:4] < TPR threshold[3:0] already
 * (SDM "VM Exits Induced by the TPR Threshold"; the entry checks refuse that state
 * unless APIC accesses are virtualized). True when it exited. */
bool apicv_enter(struct lp *lp, bool injected);

/* Is a virtual interrupt recognized (virtual-interrupt delivery on, RVI[7:4] >
 * VPPR[7:4], no interrupt-window exiting)? */
bool apicv_virq(const struct lp *lp);

/* A recognized virtual interrupt at a boundary where interrupts are
 * open, RIP `rip`: delivered through the guest's IDT (VISR, SVI, VPPR, VIRR, RVI). */
void apicv_deliver(struct lp *lp, uint64_t rip);

/* A recognized external interrupt `vector` in VMX non-root operation: when it is
 * the posted-interrupt notification vector (posted-interrupt processing on), it is
 * processed as above and true is returned; otherwise false (a VM exit follows). */
bool apicv_posted_notification(struct lp *lp, unsigned vector);

/* MOV to CR8 (value v, bits 63:4 clear) or from CR8 into GPR `reg` of a guest with
 * "use TPR shadow" and no CR8 exiting: performed on VTPR; the instruction retires
 * (length len) or a TPR-below-threshold exit follows it. False when the guest has
 * no TPR shadow (the instruction is the engine's). */
bool apicv_mov_to_cr8(struct lp *lp, uint64_t rip, unsigned len, uint64_t v);
bool apicv_mov_from_cr8(struct lp *lp, uint64_t rip, unsigned len, unsigned reg);

/* RDMSR of x2APIC MSR `idx` (800H-8FFH) in VMX non-root operation, past the MSR
 * bitmap: true with *val read from the virtual-APIC page, false when the local
 * APIC answers. */
bool apicv_rdmsr(struct lp *lp, uint32_t idx, uint64_t *val);

/* WRMSR of x2APIC MSR `idx` with EDX:EAX `val`, likewise. APICV_MSR_DONE: virtualized
 * (the instruction retired to next_rip or a trap-like exit followed it). */
enum apicv_msr { APICV_MSR_APIC, APICV_MSR_GP, APICV_MSR_DONE };
enum apicv_msr apicv_wrmsr(struct lp *lp, uint32_t idx, uint64_t val, uint64_t next_rip);

#endif
