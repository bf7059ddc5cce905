/* Architecture coverage: which VM-entry checks passed and which failed, which VM
 * exit reasons and which SEAMCALL leaf/status pairs occurred, over every machine
 * created while a collector is installed. `vtsim checks --coverage` runs a fuzz
 * corpus through its target with one installed and prints the map.
 *
 * The collector is installed for the process, as a profiler is, because the code
 * that creates machines (a fuzz target, kvmlike's tests) does not know about it;
 * nothing is recorded while none is. */
#ifndef VTSIM_COVERAGE_H
#define VTSIM_COVERAGE_H

#include <stdint.h>
#include <stdio.h>

struct vtsim_coverage;

struct vtsim_coverage *vtsim_coverage_new(void);
void vtsim_coverage_free(struct vtsim_coverage *cov);
/* Machines created from now on record into `cov`; NULL stops it for new machines. */
void vtsim_coverage_install(struct vtsim_coverage *cov);

/* Every entry-check row ("ID passed=N failed=M", then the summary line), the exit
 * reasons that occurred ("exit NAME (N): count", failed entries apart), and the
 * SEAMCALL leaf/status pairs ("seamcall LEAF STATUS: count"). */
void vtsim_coverage_print(FILE *out, const struct vtsim_coverage *cov);

#endif
