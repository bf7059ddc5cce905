/* SEAMCALL told on the machine's diagnostics stream: fatal TD events (TDX module
 * ABI: TD_FATAL, the non-recoverable statuses), every other error status a leaf
 * returns, and a SEAMCALL the processor refused (#UD, #GP, VMfailInvalid). */
#include "sim/seam/seam_diag.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sim/cpu/cpustate.h"
#include "sim/cpu/diag_once.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/vmx.h"
#include "sim/vmcs/caps.h"
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

/* What is told once per run is keyed by these kinds (diag_once.h). */
#define TOLD_SEAM_STATUS (1ull << 62)
#define TOLD_SEAM_REFUSED (1ull << 61)

static bool first_time(struct lp *lp, uint64_t what, uint64_t rip)
{
	return diag_first_time(&lp->m->told, what, rip, lp->m->diag, lp->m->cfg.json);
}

static void report_status(struct lp *lp, uint64_t rip, uint64_t leaf, uint64_t status)
{
	if (!(status & TDX_STATUS_ERROR) || td_cannot_go_on(status))
		return;   /* informational, or told by seam_report_fatal already */
	unsigned n = (unsigned)(leaf & 0xffff);
	fflush(lp->m->console);
	if (!first_time(lp, TOLD_SEAM_STATUS | (uint64_t)n << 32 | status >> 32, rip))
		return;
	const char *name = tdx_leaf_name(n), *st = tdx_status_name(status), *rule = tdx_status_rule(status);
	char op[96], leaf_s[48];
	int kind = seam_status_operand(status, op, sizeof(op));
	if (name)
		snprintf(leaf_s, sizeof(leaf_s), "%s(%u)", name, n);
	else
		snprintf(leaf_s, sizeof(leaf_s), "leaf %u (not one of the module)", n);
	FILE *out = lp->m->diag;
	if (lp->m->cfg.json) {
		char rip_s[24];
		fprintf(out, "{\"event\": \"seamcall-error\", \"lp\": %u, \"leaf\": \"%s\", \"rip\": \"%s\", "
			"\"status\": \"0x%016llx\", \"name\": \"%s\", \"operand\": \"%s\", \"rule\": \"", lp->id,
			leaf_s, diag_where(rip, true, rip_s, sizeof(rip_s)), (unsigned long long)status, st ? st : "?",
			kind ? op : "");
		diag_json_str(out, rule ? rule : "");
		fprintf(out, "\", \"abi\": \"%s%s%s\"}\n", name ? name : "", name ? " Leaf; " : "",
			"Completion Status Codes");
		return;
	}
	char where[40];
	diag_where(rip, false, where, sizeof(where));
	fprintf(out, "vtsim: SEAMCALL %s %s on lp%u returned %s (0x%016llx)%s%s: %s (TDX module "
		"ABI, ", leaf_s, where, lp->id, st ? st : "a status the module does not define",
		(unsigned long long)status, kind ? ", " : "", kind ? op : "",
		rule ? rule : "vtsim has no sentence for this status");
	if (name)
		fprintf(out, "\"%s Leaf\" and ", name);
	fprintf(out, "\"Completion Status Codes\"%s)\n", kind == SEAM_STATUS_OPERAND ? "; \"Operand IDs\"" : "");
}

/* Why the processor refused a SEAMCALL, in the order the SEAMCALL pseudocode
 * checks (seam_seamcall): each row's predicate is true when its rule is broken. */
struct refusal_ctx {
	struct lp *lp;
	const struct cpu_view *v;
};

static bool no_seam(const struct refusal_ctx *c) { return !vmcs_caps_has_seam(c->lp->m->vmx_caps); }
static bool not_vmx(const struct refusal_ctx *c) { return !c->lp->vmx.on; }
static bool not_64(const struct refusal_ctx *c) { return !cpu_view_long64(c->v); }
static bool cpl_above_0(const struct refusal_ctx *c) { return c->v->cpl > 0; }
static bool no_module(const struct refusal_ctx *c) { return !c->lp->m->seam.module; }

static const struct {
	enum seamcall_outcome outcome;
	bool (*broken)(const struct refusal_ctx *c);
	const char *result, *rule, *fix;
} refusals[] = {
	{ SEAMCALL_UD, no_seam, "#UD", "this CPU model has no SEAM (Intel TDX), so SEAMCALL does not exist",
	  "use a TDX-capable model (--cpu xeon, the default) with --tdx" },
	{ SEAMCALL_UD, not_vmx, "#UD", "SEAMCALL exists only in VMX operation", "execute VMXON first" },
	{ SEAMCALL_UD, not_64, "#UD", "SEAMCALL exists only in 64-bit mode", "call it from 64-bit code" },
	{ SEAMCALL_GP, cpl_above_0, "#GP(0)", "SEAMCALL needs CPL 0", "call it from the kernel" },
	{ SEAMCALL_VMFAIL_INVALID, no_module, "VMfailInvalid (CF=1, RAX unchanged; Linux reports "
	  "TDX_SEAMCALL_VMFAILINVALID)", "no TDX module is loaded in the SEAM range (SEAMRR)",
	  "run with --tdx, which loads vtsim's TDX module" },
};

static void report_refused(struct lp *lp, const struct cpu_view *v, uint64_t rip,
			   enum seamcall_outcome outcome)
{
	struct refusal_ctx c = { lp, v };
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		if (refusals[i].outcome != outcome || !refusals[i].broken(&c))
			continue;
		fflush(lp->m->console);
		if (!first_time(lp, TOLD_SEAM_REFUSED | i, rip))
			return;
		char where[40];
		diag_where(rip, lp->m->cfg.json, where, sizeof(where));
		if (lp->m->cfg.json)
			fprintf(lp->m->diag, "{\"event\": \"seamcall-refused\", \"lp\": %u, \"rip\": \"%s\", "
				"\"result\": \"%s\", \"rule\": \"%s: %s\", \"spec\": \"SEAMCALL\"}\n", lp->id,
				where, refusals[i].outcome == SEAMCALL_VMFAIL_INVALID ?
				"VMfailInvalid" : refusals[i].result, refusals[i].rule, refusals[i].fix);
		else
			fprintf(lp->m->diag, "vtsim: SEAMCALL %s on lp%u: %s. %c%s: %s (Intel TDX CPU "
				"architecture specification, \"SEAMCALL\")\n", where, lp->id,
				refusals[i].result, toupper((unsigned char)refusals[i].rule[0]), refusals[i].rule + 1,
				refusals[i].fix);
		return;
	}
}

void seam_tell_outcome(struct lp *lp, const struct cpu_view *v, uint64_t rip, uint64_t leaf,
		       enum seamcall_outcome outcome, uint64_t status)
{
	if (outcome == SEAMCALL_DONE)
		report_status(lp, rip, leaf, status);
	else if (outcome != SEAMCALL_VMEXIT)
		report_refused(lp, v, rip, outcome);
}
