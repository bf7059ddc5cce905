/* The guest engine's translations when EPT is on. The engine's TLB is filled by a
 * callback that walks the guest's page tables and the EPT (mmu.c, ept.c), so the
 * guest runs at engine speed between misses. A failed walk is a #PF, an EPT
 * violation or an EPT misconfiguration: the engine stops at the instruction and
 * the run loop delivers the event (guest_tlb_take_fault). */
#ifndef VTSIM_GUEST_TLB_H
#define VTSIM_GUEST_TLB_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/mmu.h"

struct lp;

/* A data access that must fault is given a TLB entry to a "poison" page: a
 * physical address no engine maps, above any model's MAXPHYADDR. The access then
 * reaches the unmapped-memory hook with its exact offset, which the TLB callback
 * (told only the page) cannot know; CR2 and the guest-physical address need it. */
#define GUEST_TLB_POISON_BASE (1ull << 50)
#define GUEST_TLB_POISON_SLOTS 16

struct guest_tlb_slot {
	uint64_t va;               /* linear page */
	enum mmu_access acc;
	struct mmu_fault f;
};

struct guest_tlb {
	bool virtual_mode;         /* the engine's TLB is filled by the callback */
	uint64_t tag_eptp;         /* what the TLB holds translations for */
	unsigned nslots;
	struct guest_tlb_slot slot[GUEST_TLB_POISON_SLOTS];
	bool pending;              /* the engine stopped on this fault */
	struct guest_tlb_slot fault;
};

/* Installs the fill hook on the guest engine (once, at its creation). */
int guest_tlb_init(struct lp *lp);

/* At VM entry: EPT on or off, and whether what the TLB holds may stay. */
void guest_tlb_enter(struct lp *lp, bool ept, uint64_t eptp, bool keep);

/* Drops every translation of the guest engine (INVEPT, INVVPID). */
void guest_tlb_flush(struct lp *lp);

/* The unmapped-memory hook met a poison page: records the fault. */
bool guest_tlb_on_poison(struct lp *lp, uint64_t addr);

/* After the engine stopped: delivers a recorded fault (a #PF to the guest, or a VM
 * exit). False when there was none. */
bool guest_tlb_take_fault(struct lp *lp);

#endif
