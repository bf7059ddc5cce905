/* EPT: the guest-physical to host-physical translation of VMX non-root operation
 * (SDM Vol. 3, "The Extended Page Table Mechanism (EPT)"): the walk with its
 * misconfiguration and violation rules, accessed/dirty flags, and the exit
 * qualification of an EPT violation. */
#ifndef VTSIM_EPT_H
#define VTSIM_EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/phys.h"

/* Access rights: bits 2:0 of an EPT entry, and the kinds of access. */
#define EPT_R 1u
#define EPT_W 2u
#define EPT_X 4u
/* With an access kind: a look by the simulator (code scanning, traces) that sets
 * no accessed or dirty flag and logs nothing. */
#define EPT_LOOK 8u

struct pml;

/* What a walk needs from the EPTP and the capability MSR. */
struct ept {
	uint64_t eptp;
	uint64_t root;        /* address of the PML4 table */
	unsigned levels;      /* 4 (EPTP bits 5:3 = 3) or 5 */
	bool ad;              /* EPTP bit 6: accessed and dirty flags */
	bool exec_only;       /* IA32_VMX_EPT_VPID_CAP[0]: execute-only entries allowed */
	bool pages_2m, pages_1g;
	unsigned maxphyaddr;
	/* A TD's guest (SEAM non-root operation): GPAs with the shared bit go through
	 * the shared EPT the VMM owns, the others through the Secure EPT (`root`). */
	uint64_t shared_bit;   /* 0 outside a TD */
	uint64_t shared_root;
	/* Page-modification logging (pml.h), with A/D flags on; NULL when off. */
	struct pml *pml;
};

void ept_init(struct ept *e, uint64_t eptp, uint64_t ept_vpid_cap, unsigned maxphyaddr);

enum ept_outcome { EPT_OK, EPT_VIOLATION, EPT_MISCONFIG, EPT_PML_FULL };

struct ept_walk {
	uint64_t hpa;
	unsigned rwx;         /* AND of bits 2:0 over the entries used (qualification 5:3) */
	bool dirty;           /* with A/D on: the leaf's dirty flag is set (after this access) */
	bool suppress_ve;     /* a violation: bit 63 of the entry that caused it */
};

/* Translates `gpa` for an access of kind `acc` (one of EPT_R, EPT_W, EPT_X, or
 * EPT_R | EPT_W, with EPT_LOOK or not). With A/D flags on, a successful walk sets
 * the accessed flags, and the dirty flag for a write, which PML logs; with a full
 * log, a walk that would set a flag sets none and gives EPT_PML_FULL. Entries
 * outside RAM read as all ones (a misconfiguration). */
enum ept_outcome ept_translate(struct phys *pm, const struct ept *e, uint64_t gpa, unsigned acc,
			       struct ept_walk *w);

/* The exit qualification of an EPT violation (SDM "Exit Qualification for EPT
 * Violations"): the access, the rights the walk found, and whether a guest linear
 * address is known and this was the final translation of it (not an access to a
 * guest paging-structure entry). */
uint64_t ept_violation_qualification(unsigned acc, unsigned rwx, bool linear_valid, bool final);

#endif
