/* The coverage collector's recording side (include/vtsim/coverage.h), for sim/. */
#ifndef VTSIM_SIM_COVERAGE_H
#define VTSIM_SIM_COVERAGE_H

#include <stdint.h>

#include "vtsim/coverage.h"
#include "sim/vmcs/entry_coverage.h"

#define COVERAGE_EXIT_REASONS 128
#define COVERAGE_PAIRS        1024

struct coverage_pair {
	uint16_t leaf;
	uint64_t status;                                /* bits 63:32 of RAX */
	uint64_t n;
};

struct vtsim_coverage {
	struct entry_coverage entry;
	uint64_t exits[COVERAGE_EXIT_REASONS];          /* VM exits by basic reason */
	uint64_t failed_entries[COVERAGE_EXIT_REASONS]; /* exit reason with bit 31 */
	struct coverage_pair pairs[COVERAGE_PAIRS];
	unsigned npairs;
	uint64_t pairs_dropped;
};

/* The collector a machine created now records into (NULL: none). */
struct vtsim_coverage *coverage_installed(void);

/* One VM entry's checks, as entry_run_all_recording counts them (the entry itself
 * runs its own, cached, checks). */
void coverage_entry(struct vtsim_coverage *cov, const struct entry_ctx *c);
void coverage_exit(struct vtsim_coverage *cov, uint32_t reason);
/* The status class of a SEAMCALL's RAX (bits 63:32; the operand id dropped). */
void coverage_seamcall(struct vtsim_coverage *cov, unsigned leaf, uint64_t status);

#endif
