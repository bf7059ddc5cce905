/* The guest engine's translations when EPT or "virtualize APIC accesses" is on. The engine's TLB is filled by a
 * callback that walks the guest's page tables and the EPT (mmu.c, ept.c), so the
 * guest runs at engine speed between misses. A failed walk is a #PF, an EPT
 * violation or an EPT misconfiguration: the engine stops at the instruction and
 * the run loop delivers the event (guest_tlb_take_fault). Each costs an engine
 * stop and restart (microseconds), like any event the engine cannot take inside. */
#ifndef VTSIM_GUEST_TLB_H
#define VTSIM_GUEST_TLB_H

#include <stdbool.h>
#include <stdint.h>

#include <unicorn/unicorn.h>

#include "sim/cpu/mmu.h"

struct lp;

/* A fill that finds a fault answers "no translation": the engine then stops at
 * the faulting instruction with RIP and the registers exact (the callback itself
 * sees neither the instruction nor the byte offset: the exact address comes from
 * decoding the instruction, insn_mem.c). */
#define GUEST_TLB_KEPT_MAX 32
#define GUEST_TLB_LARGE_MAX 16

struct guest_tlb {
	bool virtual_mode;         /* the engine's TLB is filled by the callback */
	/* What the engine's TLB was filled from since it was last emptied: a walk log
	 * per distinct fill, and the control state of the fills (all the same, or
	 * kept_inexact). A VM entry without VPID keeps the TLB while every entry
	 * listed still holds what the walk left there (guest_tlb_enter). */
	struct mmu_walk_log kept[GUEST_TLB_KEPT_MAX];
	unsigned nkept;
	bool kept_inexact;         /* a fill the logs cannot vouch for, or too many */
	uint64_t kept_cr0, kept_cr3, kept_cr4, kept_efer;
	/* The guest pages larger than 4 KiB the TLB holds pieces of (base | shift, the
	 * engine caches 4 KiB at a time): INVLPG of any address in one must drop them
	 * all (guest_tlb_invlpg). large_overflow: more than fit. */
	uint64_t large[GUEST_TLB_LARGE_MAX];
	unsigned nlarge;
	bool large_overflow;
	uint64_t tag_eptp;         /* what the TLB holds translations for */
	bool pending;              /* a fill failed: the access that faulted */
	uint64_t fault_page;
	enum mmu_access fault_acc;
	bool fault_apic;           /* ... refused because it maps the APIC-access page */
	uint64_t apic_page;        /* the APIC-access page (apicv.h), or APICV_NO_PAGE */
	bool identity;             /* fills map linear = physical (snapshot.c drops a
				    * physical page's translated code through it) */
};

/* Installs the fill hook on the guest engine (once, at its creation). */
int guest_tlb_init(struct lp *lp);

/* At VM entry: EPT on or off, and whether what the TLB holds may stay (a VPID
 * that matches). The APIC-access page, when the VMCS virtualizes APIC accesses,
 * is never given a translation: its accesses stop the engine and go to
 * apicv_access. The engine always runs on the virtual TLB, so that each fill is
 * seen: without VPID and EPT, an entry that must invalidate the guest's linear
 * translations keeps them when the guest's control state is the one they were
 * filled under and every paging-structure entry they rest on still holds the
 * value the fill left (only an accessed or dirty flag set since): a new walk
 * would then give each of them again and set no flag, so keeping them is not
 * visible. The guest engine's control registers must be loaded already. */
void guest_tlb_enter(struct lp *lp, bool ept, uint64_t eptp, bool keep);

/* A guest's INVLPG of la that does not exit: the engine drops the 4 KiB piece it
 * holds for la itself; when la lies in a larger guest page, the other pieces of
 * that page go too (SDM Vol. 3A "INVLPG"). */
void guest_tlb_invlpg(struct lp *lp, uint64_t la);

/* The guest now runs under another EPTP (VMFUNC's EPTP switching): the TLB,
 * filled under the old one, is dropped. */
void guest_tlb_switch_eptp(struct lp *lp, uint64_t eptp);

/* Drops every translation of the guest engine (INVEPT, INVVPID). */
void guest_tlb_flush(struct lp *lp);

/* After the engine stopped with `e`: delivers the fault a fill recorded (a #PF to
 * the guest, or a VM exit), or hands an access to the APIC-access page to apicv. False when there was none. */
bool guest_tlb_take_fault(struct lp *lp, uc_err e);

#endif
