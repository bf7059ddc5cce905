/* Unicorn's private hook record and code-hook count, for the sites' one code hook
 * per engine (sites.h, "One code hook").
 *
 * Why: with more than one code hook on an engine, every hooked instruction calls
 * Unicorn's helper_uc_tracecode, which walks the whole hook list and checks each
 * hook's range (about 14 host instructions a hook); with exactly one, Unicorn
 * compiles a direct call to its callback into the block when it translates it, and
 * the hook's range [begin, end] only decides, at translation, which instructions
 * get the call. One hook whose range is set before each block with sites is
 * translated gives every site that direct call. Unicorn has no API to change a
 * hook's range, so the range is written into its record (the uc_hook handle is the
 * record's address); and to know whether an engine's translations take the
 * direct call, the engine's count of code hooks is read from its uc_struct.
 *
 * Both places are found, not assumed, on the first engine a machine opens, fresh
 * (as cpustate_calibrate uses it): the range is the pair of words followed by the hook's
 * callback and user data; the count is the int that follows code hooks being added
 * and deleted, with the block hooks' count after it. Then the engine runs four
 * NOPs to verify the behaviour the sites rely on: a range written into the
 * record decides which instruction calls the hook when the block is translated,
 * a block already translated keeps its calls when the range moves (no check at run
 * time with one code hook), and an engine's first translation after its first
 * block ran is reported to the edge hook, in a later run and after its block was
 * dropped too.
 * Anything else and the sites use one hook per site, as before (`err` says why).
 */
#ifndef VTSIM_HOOK_LAYOUT_H
#define VTSIM_HOOK_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unicorn/unicorn.h>

struct hook_layout {
	bool tried;
	bool ok;
	size_t range_at;        /* begin, then end (uint64_t each), in a hook's record */
	size_t code_count_at;   /* the engine's count of code hooks (int), in its uc_struct */
	char err[160];
};

/* Finds and verifies both places on a fresh engine, with an empty exit list and
 * nothing mapped at 1000H, which it leaves in an unspecified CPU state with no hook,
 * mapping or translation of its own. */
void hook_layout_calibrate(struct hook_layout *hl, uc_engine *fresh);

/* A code hook's range: it calls its callback at the instructions of [begin, end]
 * (begin > end: every instruction) of the blocks translated from now on. */
static inline void hook_range_write(const struct hook_layout *hl, uc_hook h, uint64_t begin,
				    uint64_t end)
{
	uint64_t r[2] = { begin, end };
	memcpy((uint8_t *)(uintptr_t)h + hl->range_at, r, sizeof(r));
}

/* How many code hooks the engine has (deleted ones not counted). */
static inline int hook_code_count(const struct hook_layout *hl, uc_engine *uc)
{
	int n;
	memcpy(&n, (const uint8_t *)uc + hl->code_count_at, sizeof(n));
	return n;
}

#endif
