/* SEAMCALL told on the diagnostics stream: a status that says the TD or vCPU
 * cannot go on (non-recoverable, or fatal), every other error status a leaf
 * returns in `vtsim run`, and a SEAMCALL the processor refuses, each explained in
 * a sentence with the ABI section. Error statuses and refusals are told once per
 * distinct (leaf, status, RIP), like VMfails (sim/cpu/diag_once.h). */
#ifndef VTSIM_SEAM_DIAG_H
#define VTSIM_SEAM_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "sim/seam/seam.h"

struct lp;
struct cpu_view;

/* After a SEAMCALL of `leaf` (RAX as the VMM passed it) returned `status`. */
void seam_report_fatal(struct lp *lp, uint64_t leaf, uint64_t status);

/* After a SEAMCALL at `rip` (DIAG_HOSTED, diag_once.h, for a hosted VMM's) of
 * `leaf` (RAX as the VMM passed it) ended with `outcome`: an error status (bit 63)
 * the module returned in `status`, not a fatal one, is explained with the leaf, its
 * operand id and the rule; a SEAMCALL the processor refused (#UD, #GP,
 * VMfailInvalid) with the rule it broke and what would satisfy it. Each is told
 * once per distinct failure. */
void seam_tell_outcome(struct lp *lp, const struct cpu_view *v, uint64_t rip, uint64_t leaf,
		       enum seamcall_outcome outcome, uint64_t status);

/* What bits 31:0 of a status name, for the statuses that put something there: an
 * operand id ("operand RCX (operand id 1)"), or a TDMR error's indices. Returns
 * SEAM_STATUS_OPERAND or SEAM_STATUS_DETAIL for which; writes nothing and returns
 * 0 when the status carries none (bits 31:0 are 0 and the status is not
 * TDX_OPERAND_INVALID, whose operand id 0 is RAX: the leaf). */
enum { SEAM_STATUS_OPERAND = 1, SEAM_STATUS_DETAIL = 2 };
int seam_status_operand(uint64_t status, char *buf, size_t size);

/* The ABI's sections a status is defined in, for citing. */
#define SEAM_ABI_STATUS_SECTION "TDX module ABI, \"Completion Status Codes\""

#endif
