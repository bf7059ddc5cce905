/* Page-modification logging (SDM Vol. 3C, "Page-Modification Logging"): with
 * "enable PML" and EPT accessed/dirty flags on (EPTP bit 6), a write that sets an
 * EPT dirty flag logs the 4-KByte-aligned guest-physical address it wrote at
 * PML address + 8 * PML index, and the index counts down (from 0 to FFFFH). When
 * the walk must set an accessed or dirty flag and the index is outside 0-511, it
 * sets no flag and the access does not happen: a page-modification log-full VM
 * exit (reason 62) comes instead.
 *
 * The PML index is a guest-state field: VM entry loads it here and VM exit saves
 * it back, as the other guest state moves between the VMCS and the processor. */
#ifndef VTSIM_PML_H
#define VTSIM_PML_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/phys.h"

#define PML_ENTRIES 512u

struct pml {
	uint64_t address;     /* PML address: the 4-KByte log */
	uint16_t index;       /* PML index: the entry written next */
};

/* Is there room for an entry? (Checked before any EPT flag is set.) */
bool pml_has_room(const struct pml *p);

/* Logs the page of `gpa` (a dirty flag went from 0 to 1) and counts down. */
void pml_log(struct phys *pm, struct pml *p, uint64_t gpa);

struct lp;
/* VM entry: the log of the VMCS that entered, when "enable PML" is 1 (with EPT). */
void pml_enter(struct lp *lp);
/* VM exit: the PML index back into the VMCS. */
void pml_save(struct lp *lp);

#endif
