/* Fatal TD events told on the diagnostics stream: a SEAMCALL whose status says the
 * TD or vCPU cannot go on (non-recoverable, or fatal) is explained in a sentence. */
#ifndef VTSIM_SEAM_DIAG_H
#define VTSIM_SEAM_DIAG_H

#include <stdint.h>

struct lp;

/* After a SEAMCALL of `leaf` (RAX as the VMM passed it) returned `status`. */
void seam_report_fatal(struct lp *lp, uint64_t leaf, uint64_t status);

#endif
