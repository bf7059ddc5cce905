/* Fatal TD events told on the diagnostics stream: a SEAMCALL whose status says the
 * TD or vCPU cannot go on (non-recoverable, or fatal) is explained in a sentence. */
#ifndef VTSIM_SEAM_DIAG_H
#define VTSIM_SEAM_DIAG_H

#include <stddef.h>
#include <stdint.h>

struct lp;

/* After a SEAMCALL of `leaf` (RAX as the VMM passed it) returned `status`. */
void seam_report_fatal(struct lp *lp, uint64_t leaf, uint64_t status);

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
