/* Alignment checking (SDM Vol. 3, "Alignment Check Exception (#AC)"): with CR0.AM = 1,
 * RFLAGS.AC = 1 and CPL 3, a data access at an address its size does not divide is
 * #AC(0), a fault. The engine never checks alignment: while a guest's CR0.AM is set,
 * the guest engine's per-instruction hook (vmx_events.c) asks here before each
 * instruction. Root-mode code is not checked. */
#ifndef VTSIM_ALIGN_CHECK_H
#define VTSIM_ALIGN_CHECK_H

#include <stdbool.h>
#include <stdint.h>

struct lp;

#define CR0_AM (1ull << 18)

/* Can alignment checking fault under this CR0 (at some CPL and RFLAGS)? */
static inline bool align_check_armed(uint64_t cr0)
{
	return cr0 & CR0_AM;
}

/* Before the instruction at `rip` (the running engine's): delivers #AC(0), or the
 * VM exit the exception bitmap makes of it, when alignment checking is on and the
 * instruction accesses misaligned data. True when it did. */
bool align_check_fault(struct lp *lp, uint64_t rip);

#endif
