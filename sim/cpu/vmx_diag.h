/* A VMX instruction's outcome told: the `vmx` trace line, and each VMfail and
 * failed VM entry explained on the diagnostics stream in a sentence (or a JSON
 * object): the rule, the operand, what would satisfy it and the SDM section. */
#ifndef VTSIM_VMX_DIAG_H
#define VTSIM_VMX_DIAG_H

#include <stdint.h>

#include "sim/cpu/vmx.h"

struct lp;

/* After the instruction unit returned `r` for instruction `id` at `rip` (DIAG_HOSTED
 * for a hosted VMM's instruction, which has no RIP and no trace line of its own). */
void vmx_tell_outcome(struct lp *lp, uint64_t rip, enum vmx_insn_id id, const struct vmx_result *r);

#endif
