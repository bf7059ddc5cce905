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

/* The control state that decides how a linear address translates. */
struct mmu_ctx {
	uint64_t cr0, cr3, cr4, efer;
	unsigned cpl;
	bool rflags_ac;
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

struct mmu_fault {
	uint32_t error_code;
	uint64_t la;               /* becomes CR2 */
};

/* 0 and *pa, or -1 and *f for a page fault. */
int mmu_translate(struct phys *pm, const struct mmu_ctx *c, uint64_t la,
		  enum mmu_access acc, unsigned flags, uint64_t *pa, struct mmu_fault *f);

/* Whole accesses that may cross pages; a fault leaves memory untouched for writes
 * (all pages are translated first). */
int mmu_read(struct phys *pm, const struct mmu_ctx *c, uint64_t la, void *buf, size_t n,
	     unsigned flags, struct mmu_fault *f);
int mmu_write(struct phys *pm, const struct mmu_ctx *c, uint64_t la, const void *buf,
	      size_t n, unsigned flags, struct mmu_fault *f);
int mmu_fetch(struct phys *pm, const struct mmu_ctx *c, uint64_t la, void *buf, size_t n,
	      unsigned flags, struct mmu_fault *f);

#endif
