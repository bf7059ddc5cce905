/* What the TDX module's completion statuses mean, as rules in our words: which
 * state or operand was wrong and what would satisfy the leaf (TDX module ABI,
 * "Completion Status Codes" and the leaves' descriptions). For `vtsim explain
 * status` and the diagnostics of fatal TD events. */
#ifndef VTSIM_TDX_STATUS_TEXT_H
#define VTSIM_TDX_STATUS_TEXT_H

#include <stdint.h>

/* The sentence for a status (its bits 63:32; the operand id in 31:0 does not
 * matter), or NULL for a status with none recorded. */
const char *tdx_status_rule(uint64_t status);

#endif
