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
#include "sim/cpu/tlb_ctx.h"

struct lp;

/* A fill that finds a fault answers "no translation": the engine then stops at
 * the faulting instruction with RIP and the registers exact (the callback itself
 * sees neither the instruction nor the byte offset: the exact address comes from
 * decoding the instruction, insn_mem.c). */
#define GUEST_TLB_KEPT_MAX 32

struct guest_tlb {
	bool virtual_mode;         /* the engine's TLB is filled by the callback */
	/* What the engine's TLB was filled from since it was last emptied: a walk log
	 * per distinct fill, and the control state of the fills (all the same, or
	 * kept_inexact). A VM entry without VPID keeps the TLB while every entry
	 * listed still holds what the walk left there (guest_tlb_enter). */
	struct mmu_walk_log kept[GUEST_TLB_KEPT_MAX];
	unsigned nkept;
	/* The paging entries of those logs, each (address, value) once, with where it
	 * lies in the simulator's memory: what every entry reads again. */
	struct kept_entry {
		const uint8_t *at;
		uint64_t val;
		bool wide;             /* 8 bytes; else 4 (32-bit paging) */
	} kept_entry[GUEST_TLB_KEPT_MAX * MMU_LOG_MAX];
	unsigned nkept_entries;
	bool kept_inexact;         /* a fill the logs cannot vouch for, or too many */
	uint64_t kept_cr0, kept_cr3, kept_cr4, kept_efer;
	/* The translations kept per context (tlb_ctx.h), and the one the engine's TLB
	 * is filled from now (NULL before the first entry). */
	struct tlb_ctx_set *ctxs;
	struct tlb_ctx *cur;
	uint64_t tag_eptp;         /* the EPTP of cur (0 without EPT) */
	bool pending;              /* a fill failed: the access that faulted */
	uint64_t fault_page;
	enum mmu_access fault_acc;
	bool fault_apic;           /* ... refused because it maps the APIC-access page */
	bool fault_noncanon;       /* ... a non-canonical address in 64-bit mode */
	uint64_t apic_page;        /* the APIC-access page (apicv.h), or APICV_NO_PAGE */
	bool identity;             /* fills map linear = physical (snapshot.c drops a
				    * physical page's translated code through it) */
};

/* Installs the fill hook on the guest engine (once, at its creation); fini frees
 * the contexts. */
int guest_tlb_init(struct lp *lp);
void guest_tlb_fini(struct lp *lp);

/* At VM entry: the context the guest runs in (its VPID when "enable VPID" is on,
 * else 0; its EPTP with EPT; a TD's shared EPTP). A context with a VPID keeps what
 * it cached across entries and exits, into this VM or others; without VPID an
 * entry invalidates the guest's linear and combined translations (SDM Vol. 3C
 * "VPID and TLB"), unless the guest's control state is the one they were filled
 * under and every paging-structure entry they rest on still holds the value the
 * fill left (only an accessed or dirty flag set since): a new walk would then give
 * each of them again and set no flag, so keeping them is not visible. The
 * APIC-access page, when the VMCS virtualizes APIC accesses, is never given a
 * translation: its accesses stop the engine and go to apicv_access. The engine
 * always runs on the virtual TLB, so that each fill is seen. The guest engine's
 * control registers must be loaded already. */
void guest_tlb_enter(struct lp *lp, const struct tlb_key *k);

/* A guest's INVLPG of la that does not exit: the engine drops the 4 KiB piece it
 * holds for la itself; when la lies in a larger guest page, the other pieces of
 * that page go too (SDM Vol. 3A "INVLPG"). */
void guest_tlb_invlpg(struct lp *lp, uint64_t la);

/* The guest now runs under another EPTP (VMFUNC's EPTP switching): it uses that
 * EPTP's context from now on (nothing is invalidated). */
void guest_tlb_switch_eptp(struct lp *lp, uint64_t eptp);

/* Drops every translation of the guest engine (a TD's TLB tracking, SMM, snapshots). */
void guest_tlb_flush(struct lp *lp);

/* INVEPT: type 1 drops the contexts of the EPTRTA in `eptp`, type 2 all. */
void guest_tlb_invept(struct lp *lp, unsigned type, uint64_t eptp);

/* INVVPID: type 0 the translations of la tagged with `vpid`, 1 and 3 all tagged
 * with it, 2 all tagged with a VPID other than 0. */
void guest_tlb_invvpid(struct lp *lp, unsigned type, uint16_t vpid, uint64_t la);

/* The guest wrote CR0, CR3 or CR4 (or ran INVPCID) without an exit: the
 * translations of its current VPID go. */
void guest_tlb_invalidate_vpid(struct lp *lp);

/* After the engine stopped with `e`: delivers the fault a fill recorded (a #PF to
 * the guest, or a VM exit), or hands an access to the APIC-access page to apicv. False when there was none. */
bool guest_tlb_take_fault(struct lp *lp, uc_err e);

#endif
