/* Linear-to-physical translation by the architected page walk (32-bit, PAE and
 * 4/5-level paging), with permission checks, the #PF error code, and accessed/
 * dirty updates. The software CPU walks guest tables itself for ordinary
 * execution; this walker serves the simulator's own accesses: exception delivery,
 * descriptor-table reads, VMX instruction operands, code scanning. */
#ifndef VTSIM_MMU_H
#define VTSIM_MMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/cpu/phys.h"

struct ept;

/* The control state that decides how a linear address translates. */
struct mmu_ctx {
	uint64_t cr0, cr3, cr4, efer;
	unsigned cpl;
	bool rflags_ac;
	/* In VMX non-root operation with EPT: the tables the guest-physical addresses
	 * (the guest's paging structures and the final one) go through. NULL: guest-
	 * physical is host-physical. */
	const struct ept *ept;
	/* PAE paging: the four PDPTE registers the walk uses instead of the table at
	 * CR3 (loaded when CR3 or the paging mode changes, and by VM entry), or NULL to
	 * read that table (the software CPU's own walk does; pdpte.h says when). */
	const uint64_t *pdpte;
};

enum mmu_access { MMU_READ, MMU_WRITE, MMU_FETCH };

/* Flags for an access. */
#define MMU_SUPERVISOR  1u  /* implicit supervisor access (IDT, GDT, TSS, frame pushes) */
#define MMU_NO_AD       2u  /* a look only: set no accessed/dirty bits (code scanning, traces) */

/* #PF error-code bits (SDM Vol. 3, "Interrupt 14—Page-Fault Exception"). */
#define PFEC_P     (1u << 0)
#define PFEC_W     (1u << 1)
#define PFEC_U     (1u << 2)
#define PFEC_RSVD  (1u << 3)
#define PFEC_I     (1u << 4)

/* A failed translation: a page fault, or (with EPT) an EPT violation or
 * misconfiguration or a full page-modification log, which are VM exits rather
 * than guest exceptions. */
enum mmu_fault_kind { MMU_FAULT_PF, MMU_FAULT_EPT_VIOLATION, MMU_FAULT_EPT_MISCONFIG,
		      MMU_FAULT_PML_FULL };

struct mmu_fault {
	enum mmu_fault_kind kind;
	uint32_t error_code;       /* #PF */
	uint64_t la;               /* the linear address: CR2, or the guest-linear address */
	uint64_t gpa;              /* EPT: the guest-physical address */
	uint64_t qualification;    /* EPT violation: the exit qualification */
	bool final;                /* EPT: the final translation, not a paging-structure access */
	bool suppress_ve;          /* EPT violation: the entry at fault says "suppress #VE" */
};

/* 0 and *pa, or -1 and *f for a page fault. */
int mmu_translate(struct phys *pm, const struct mmu_ctx *c, uint64_t la,
		  enum mmu_access acc, unsigned flags, uint64_t *pa, struct mmu_fault *f);

/* As mmu_translate, and *allowed gets the accesses (bit 1 << enum mmu_access) that
 * the same translation permits without a further walk: no accessed or dirty flag
 * left to set. A software TLB may cache the translation with those rights. */
int mmu_translate_rights(struct phys *pm, const struct mmu_ctx *c, uint64_t la,
			 enum mmu_access acc, unsigned flags, uint64_t *pa, unsigned *allowed,
			 struct mmu_fault *f);

/* What a successful translation rests on: the paging-structure entries it read, at
 * their host-physical addresses, with the values the walk left there (accessed and
 * dirty flags set). A software TLB may keep the translation across an event that
 * architecturally invalidates it (a VM entry without VPID) while every entry still
 * holds that value: a new walk would then give the same translation and set no flag.
 * `exact` is false when the translation also rests on something not listed (EPT
 * entries, PAE's PDPTE registers). */
#define MMU_LOG_MAX 5
struct mmu_walk_log {
	unsigned n;
	bool exact;
	uint8_t page_shift;         /* the guest page the walk ended in: 12, 21, 22 or 30 */
	bool wide[MMU_LOG_MAX];     /* an 8-byte entry; else 4 bytes (32-bit paging) */
	uint64_t hpa[MMU_LOG_MAX];
	uint64_t val[MMU_LOG_MAX];
};

/* mmu_translate_rights that also fills *log (when it succeeds). */
int mmu_translate_logged(struct phys *pm, const struct mmu_ctx *c, uint64_t la,
			 enum mmu_access acc, unsigned flags, uint64_t *pa, unsigned *allowed,
			 struct mmu_fault *f, struct mmu_walk_log *log);

/* PAE paging's PDPTE load (SDM Vol. 3, "PDPTE Registers"): the four entries of the
 * 32-byte table at CR3[31:5] (through the EPT when c->ept). 0 and out[]; 1 when a
 * present entry has a reserved bit set (bits 2:1, 8:5, 63:MAXPHYADDR: the
 * instruction's #GP(0)); -1 and *f when the EPT refuses the read. */
int mmu_load_pdptes(struct phys *pm, const struct mmu_ctx *c, uint64_t cr3, uint64_t out[4],
		    struct mmu_fault *f);

/* Whole accesses that may cross pages; a fault leaves memory untouched for writes
 * (all pages are translated first). */
int mmu_read(struct phys *pm, const struct mmu_ctx *c, uint64_t la, void *buf, size_t n,
	     unsigned flags, struct mmu_fault *f);
int mmu_write(struct phys *pm, const struct mmu_ctx *c, uint64_t la, const void *buf,
	      size_t n, unsigned flags, struct mmu_fault *f);
int mmu_fetch(struct phys *pm, const struct mmu_ctx *c, uint64_t la, void *buf, size_t n,
	      unsigned flags, struct mmu_fault *f);

#endif
