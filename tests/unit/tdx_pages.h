/* Pages for the TDX tests and fuzzers: 2 MiB of free pages from a 2 MiB boundary.
 * kvmlike's page pool gives runs, not alignment, so a run of 4 MiB is trimmed to
 * its aligned 2 MiB and the rest goes back. 0 when the pool has no such run. */
#ifndef VTSIM_TEST_TDX_PAGES_H
#define VTSIM_TEST_TDX_PAGES_H

#include <stdint.h>

#include "kvmlike/runtime.h"

static inline uint64_t alloc_2m(void)
{
	const uint64_t size = 2ull << 20, run_pages = 1024;
	uint64_t run = kvm_alloc_pages((unsigned)run_pages);
	if (!run)
		return 0;
	uint64_t base = (run + size - 1) & ~(size - 1);
	if (base > run)
		kvm_free_pages(run, (unsigned)((base - run) >> 12));
	kvm_free_pages(base + size, (unsigned)((run + run_pages * 4096 - base - size) >> 12));
	return base;
}

#endif
