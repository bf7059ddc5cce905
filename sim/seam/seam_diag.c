/* Fatal TD events (TDX module ABI: TD_FATAL, the non-recoverable statuses): the leaf,
 * the status and what it means, on the machine's diagnostics stream. */
#include "sim/seam/seam_diag.h"

#include <stdbool.h>
#include <stdio.h>

#include "sim/cpu/machine.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "sim/tdx_module_stub/status_text.h"

#define TDX_STATUS_ERROR (1ull << 63)
#define TDX_STATUS_NON_RECOVERABLE (1ull << 62)
#define TDX_STATUS_FATAL (1ull << 61)

/* A fatal status (TDX_TD_FATAL, the NON_RECOVERABLE_TD_* exits), or a non-recoverable
 * TD exit that is no error (NON_RECOVERABLE_VCPU, NON_RECOVERABLE_TD). An ordinary
 * error (bits 63 and 62: retrying will not help) is the VMM's to handle. */
static bool td_cannot_go_on(uint64_t status)
{
	return (status & TDX_STATUS_FATAL) ||
	       ((status & TDX_STATUS_NON_RECOVERABLE) && !(status & TDX_STATUS_ERROR));
}

void seam_report_fatal(struct lp *lp, uint64_t leaf, uint64_t status)
{
	if (!td_cannot_go_on(status))
		return;
	const char *name = tdx_leaf_name((unsigned)(leaf & 0xffff)), *st = tdx_status_name(status);
	const char *rule = tdx_status_rule(status);
	fflush(lp->m->console);
	if (lp->m->cfg.json)
		fprintf(lp->m->diag, "{\"event\": \"td-fatal\", \"lp\": %u, \"leaf\": \"%s\", \"status\": "
			"\"0x%016llx\", \"name\": \"%s\", \"rule\": \"%s\"}\n", lp->id, name ? name : "?",
			(unsigned long long)status, st ? st : "?", rule ? rule : "");
	else
		fprintf(lp->m->diag, "vtsim: SEAMCALL %s on lp%u returned %s (0x%016llx): %s (TDX module "
			"ABI, \"Completion Status Codes\")\n", name ? name : "?", lp->id, st ? st : "?",
			(unsigned long long)status, rule ? rule : "the TD or vCPU cannot go on");
}
