/* Non-canonical linear addresses in 64-bit mode (SDM Vol. 1 "Canonical Addressing",
 * Vol. 3A "Linear-Address Pre-Processing"; the 64-bit-mode exceptions of JMP, Jcc,
 * CALL, RET and LOOP in Vol. 2).
 *
 * Why vtsim checks them itself: the guest engine asks vtsim for every translation
 * (guest_tlb.c) and hands it the whole 64-bit address, so the engine's own canonical
 * check never runs there; and in both engines a branch to a non-canonical target
 * executes, the fault coming at the target's fetch with RIP already the target,
 * where Intel processors raise #GP(0) at the branch itself, before it changes
 * anything. */
#ifndef VTSIM_CPU_NONCANON_H
#define VTSIM_CPU_NONCANON_H

#include <stdbool.h>
#include <stdint.h>

struct lp;

/* Canonical: bits 63:47 all equal, or 63:56 with 5-level paging (CR4.LA57, bit
 * 12 of `cr4`; 0 for the narrower rule, which every wider-canonical address also
 * meets the other way round). */
static inline bool la_canonical(uint64_t la, uint64_t cr4)
{
	unsigned s = (cr4 & (1ull << 12)) ? 7 : 16;
	return (uint64_t)((int64_t)(la << s) >> s) == la;
}

/* The LP runs 64-bit code (EFER.LMA and CS.L) and `la` is not canonical there. */
bool noncanon_in_64bit_mode(struct lp *lp, uint64_t la);

/* The instruction at RIP made a non-canonical data access: #SS(0) when it went
 * through SS (RSP or RBP as base, an SS override, the stack itself), else #GP(0). */
bool noncanon_via_stack(struct lp *lp, uint64_t rip);
void noncanon_data_fault(struct lp *lp);

/* The engine fetched from a non-canonical address. When RIP is one, a branch went
 * there: it is undone and faults with #GP(0) at its own RIP when vtsim knows which
 * instruction it was (the last instruction boundary or block it saw, checked
 * against the branch's target), else #GP(0) comes at RIP. An instruction that
 * starts canonical and runs on into the non-canonical range is #GP(0) itself. */
void noncanon_fetch_fault(struct lp *lp);

#endif
