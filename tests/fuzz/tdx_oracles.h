/* The oracles issue #9 names for the SEAMCALL targets, on the machine itself, shared
 * by fuzz_td_leaves (which also holds them against its model) and fuzz_seamcall
 * (which has no model of TDs):
 *  - KOT: the module's key ownership table agrees with the TDs whose TDR pages the
 *    target knows (tdx_module_kot_check, sim/tdx_module_stub/invariants.c);
 *  - no host-visible read returns TD private data: a page private to a KeyID reads
 *    as zeros (docs/design.md, "sim/seam") through KeyID 0, what the host, a VM or
 *    DMA reads, unless a write there poisoned it, and through every other TDX
 *    KeyID.
 * Each gives true, or false with what differs in `why`. */
#ifndef VTSIM_FUZZ_TDX_ORACLES_H
#define VTSIM_FUZZ_TDX_ORACLES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sim/cpu/keyed_mem.h"
#include "sim/cpu/phys.h"
#include "sim/tdx_module_stub/module.h"

#define TDX_ORACLE_PAGE 4096u

static inline bool tdx_oracle_page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[TDX_ORACLE_PAGE];
	return !memcmp(p, zero, TDX_ORACLE_PAGE);
}

/* The page at `pa`, private to `key`, through KeyID 0 and through each of the
 * `nkeys` KeyIDs in `keys` other than `key`. */
static inline bool tdx_oracle_private_page(const struct phys *pm, uint64_t pa, unsigned key,
					   const unsigned *keys, unsigned nkeys, char *why,
					   size_t len)
{
	if (!keyed_mem_page_poisoned(pm, pa) && !tdx_oracle_page_is_zero(phys_byte(pm, pa))) {
		snprintf(why, len, "page %#llx (private to KeyID %u) does not read as zeros through KeyID 0",
			 (unsigned long long)pa, key);
		return false;
	}
	for (unsigned i = 0; i < nkeys; i++) {
		if (keys[i] == key)
			continue;
		const uint8_t *view = phys_byte(pm, pa | (uint64_t)keys[i] << pm->keyid_shift);
		if (view && !tdx_oracle_page_is_zero(view)) {
			snprintf(why, len, "page %#llx (private to KeyID %u) does not read as zeros through KeyID %u",
				 (unsigned long long)pa, key, keys[i]);
			return false;
		}
	}
	return true;
}

/* Every private page of RAM, through KeyID 0 and every TDX KeyID
 * [first, first + n). */
static inline bool tdx_oracle_private_all(const struct phys *pm, unsigned first, unsigned n,
					  char *why, size_t len)
{
	unsigned keys[256];
	if (n > 256)
		n = 256;
	for (unsigned i = 0; i < n; i++)
		keys[i] = first + i;
	for (uint64_t pa = 0; pa < pm->size; pa += TDX_ORACLE_PAGE) {
		unsigned key = keyed_mem_owner(pm, pa);
		if (key && !tdx_oracle_private_page(pm, pa, key, keys, n, why, len))
			return false;
	}
	return true;
}

/* The KOT against the TDs whose TDR pages are `tdrs` (every TD the module has). */
static inline bool tdx_oracle_kot(const struct tdx_module *mod, const uint64_t *tdrs, unsigned n,
				  char *why, size_t len)
{
	return tdx_module_kot_check(mod, tdrs, n, why, len);
}

#endif
