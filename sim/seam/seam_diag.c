/* Fatal TD events (TDX module ABI: TD_FATAL, the non-recoverable statuses): the leaf,
 * the status and what it means, on the machine's diagnostics stream. */
#include "sim/seam/seam_diag.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

/* Operand ids (TDX module ABI, "Operand IDs"): registers 0-15, TD_PARAMS fields
 * 64-72, then structures and locks. */
static const struct {
	uint32_t id;
	const char *name;
} operand_ids[] = {
	{ 0, "RAX" }, { 1, "RCX" }, { 2, "RDX" }, { 3, "RBX" }, { 4, "RSP" }, { 5, "RBP" },
	{ 6, "RSI" }, { 7, "RDI" }, { 8, "R8" }, { 9, "R9" }, { 10, "R10" }, { 11, "R11" },
	{ 12, "R12" }, { 13, "R13" }, { 14, "R14" }, { 15, "R15" },
	{ 64, "TD_PARAMS.ATTRIBUTES" }, { 65, "TD_PARAMS.XFAM" }, { 66, "TD_PARAMS.EXEC_CONTROLS" },
	{ 67, "TD_PARAMS.EPTP_CONTROLS" }, { 68, "TD_PARAMS.MAX_VCPUS" },
	{ 69, "TD_PARAMS.CPUID_CONFIG" }, { 70, "TD_PARAMS.TSC_FREQUENCY" },
	{ 71, "TD_PARAMS.NUM_L2_VMS" }, { 72, "TD_PARAMS.IA32_ARCH_CAP_CONFIG" },
	{ 95, "PAGE" }, { 96, "TDMR_INFO_PA" }, { 0x80, "TDR" }, { 0x81, "TDCX" }, { 0x82, "TDVPR" },
	{ 0x90, "TDCS" }, { 0x91, "TDVPS" }, { 0x92, "SEPT_TREE" }, { 0x93, "SEPT_ENTRY" },
	{ 0xA8, "RTMR" }, { 0xA9, "TD_EPOCH" }, { 0xAC, "OP_STATE" }, { 0xB0, "METADATA_FIELD" },
	{ 0xB8, "SYS" }, { 0xB9, "TDMR" }, { 0xBA, "KOT" }, { 0xBB, "KET" }, { 0xBC, "WBCACHE" },
};

/* The TDMR errors put indices in bits 31:0 instead: the TDMR in 7:0, then the
 * reserved area or PAMT level in 15:8, and an overlapping TDMR in 23:16. */
static const uint64_t tdmr_statuses[] = {
	TDX_INVALID_TDMR, TDX_NON_ORDERED_TDMR, TDX_TDMR_OUTSIDE_CMRS, TDX_INVALID_PAMT,
	TDX_PAMT_OUTSIDE_CMRS, TDX_PAMT_OVERLAP, TDX_INVALID_RESERVED_IN_TDMR,
	TDX_NON_ORDERED_RESERVED_IN_TDMR,
};

int seam_status_operand(uint64_t status, char *buf, size_t size)
{
	uint64_t code = status & 0xFFFFFFFF00000000ull;
	uint32_t low = (uint32_t)status;
	if (size)
		buf[0] = 0;
	for (size_t i = 0; i < sizeof(tdmr_statuses) / sizeof(tdmr_statuses[0]); i++)
		if (tdmr_statuses[i] == code)
			return snprintf(buf, size, "TDMR %u (detail 0x%x, 0x%x)", low & 0xff, (low >> 8) & 0xff,
					(low >> 16) & 0xff) > 0 ? SEAM_STATUS_DETAIL : 0;
	if (!low && code != TDX_OPERAND_INVALID)
		return 0;
	for (size_t i = 0; i < sizeof(operand_ids) / sizeof(operand_ids[0]); i++)
		if (operand_ids[i].id == low)
			return snprintf(buf, size, "operand %s (operand id %u)", operand_ids[i].name, low) > 0
				       ? SEAM_STATUS_OPERAND : 0;
	return snprintf(buf, size, "operand id or detail 0x%x", low) > 0 ? SEAM_STATUS_OPERAND : 0;
}
