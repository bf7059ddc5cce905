/* What vtsim tells of a VMX instruction's outcome: the trace line, and on the
 * diagnostics stream each VMfail and failed VM entry explained (diag_once.h), for
 * code on the software CPU and for a hosted VMM alike. */
#include "sim/cpu/vmx_diag.h"

#include <ctype.h>
#include <stdio.h>

#include "sim/cpu/diag_once.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/vmcs/error_rules.h"
#include "sim/vmcs/errors.h"
#include "sim/vmcs/vmcs_dump.h"
#include "sim/debug/gdbstub.h"

/* This and the two reports below are out of line: their buffers would make every
 * VMX instruction's vmx_tell_outcome set up a large frame, traced or not. */
static __attribute__((noinline)) void trace_vmx(struct lp *lp, uint64_t rip, enum vmx_insn_id id,
						const struct vmx_result *r)
{
	char what[96] = "", outcome[112];
	if (r->has_field) {
		const char *name = vmcs_field_name(r->field);
		if (id == VMX_VMWRITE)
			snprintf(what, sizeof(what), " %s(0x%llx) <- 0x%llx", name ? name : "?",
				 (unsigned long long)r->field, (unsigned long long)r->value);
		else
			snprintf(what, sizeof(what), " %s(0x%llx)", name ? name : "?",
				 (unsigned long long)r->field);
	} else if (id == VMX_VMXON || id == VMX_VMCLEAR || id == VMX_VMPTRLD || id == VMX_VMPTRST) {
		snprintf(what, sizeof(what), " 0x%llx", (unsigned long long)r->value);
	}
	switch (r->status) {
	case VMX_SUCCEED:
		if (id == VMX_VMREAD)
			snprintf(outcome, sizeof(outcome), "-> 0x%llx : ok", (unsigned long long)r->value);
		else
			snprintf(outcome, sizeof(outcome), ": ok");
		break;
	case VMX_FAIL_INVALID:
		snprintf(outcome, sizeof(outcome), ": VMfailInvalid");
		break;
	case VMX_FAIL_VALID:
		snprintf(outcome, sizeof(outcome), ": VMfailValid(%u) %s", r->error, vmx_insn_error_str(r->error));
		break;
	case VMX_FAULT:
		snprintf(outcome, sizeof(outcome), ": %s(0x%x)", exc_name(r->fault.vector), r->fault.error_code);
		break;
	case VMX_ENTERED:
		snprintf(outcome, sizeof(outcome), ": entered the guest");
		break;
	case VMX_VMEXIT:
		snprintf(outcome, sizeof(outcome), ": VM exit");
		break;
	case VMX_ENTRY_FAILED:
		snprintf(outcome, sizeof(outcome), ": VM-entry failure");
		break;
	default:
		snprintf(outcome, sizeof(outcome), ": not modelled");
		break;
	}
	trace_event(lp->m, VTSIM_TRACE_VMX, "vmx lp%u %s%s %s rip=0x%llx", lp->id, vmx_insn_name(id),
		    what, outcome, (unsigned long long)rip);
}

/* With --vmcs-dump and --vmcs-diff: the VMCS that failed entry by field name, and
 * what changed in it since the last entry on this LP that passed the checks. */
static void report_vmcs(struct lp *lp, enum vmx_insn_id id)
{
	const struct vtsim_config *cfg = &lp->m->cfg;
	FILE *out = lp->m->diag;
	const struct vmcs_cache *now = &lp->vmx.vmcs;
	unsigned long long ptr = (unsigned long long)lp->vmx.current;
	if (cfg->vmcs_dump) {
		if (cfg->json)
			fprintf(out, "{\"event\": \"vmcs-dump\", \"lp\": %u, \"vmcs\": \"0x%llx\", \"fields\": [", lp->id, ptr);
		else
			fprintf(out, "vtsim: %s: VMCS 0x%llx on lp%u at the failed entry, by field:\n",
				vmx_insn_name(id), ptr, lp->id);
		vmcs_dump(out, now, lp->m->vmx_caps, cfg->json);
		if (cfg->json)
			fprintf(out, "]}\n");
	}
	if (!cfg->vmcs_diff)
		return;
	if (!lp->vmx.has_last_entered) {
		if (cfg->json)
			fprintf(out, "{\"event\": \"vmcs-diff\", \"lp\": %u, \"vmcs\": \"0x%llx\", \"earlier\": null}\n",
				lp->id, ptr);
		else
			fprintf(out, "vtsim: %s: --vmcs-diff: no VM entry on lp%u has succeeded yet, so there is "
				"no earlier VMCS to compare with\n", vmx_insn_name(id), lp->id);
		return;
	}
	const struct vmcs_cache *then = &lp->vmx.last_entered;
	if (cfg->json)
		fprintf(out, "{\"event\": \"vmcs-diff\", \"lp\": %u, \"vmcs\": \"0x%llx\", \"earlier\": \"0x%llx\", "
			"\"fields\": [", lp->id, ptr, (unsigned long long)then->ptr);
	else
		fprintf(out, "vtsim: %s: VMCS 0x%llx against the last VMCS that entered on lp%u (0x%llx), "
			"fields changed (old -> new):\n", vmx_insn_name(id), ptr, lp->id,
			(unsigned long long)then->ptr);
	unsigned n = vmcs_diff(out, then, now, lp->m->vmx_caps, cfg->json);
	if (cfg->json)
		fprintf(out, "]}\n");
	else if (!n)
		fprintf(out, "  (none: every field the VMM writes has the value it had then)\n");
}

/* A failed VM-entry check, told the way vtsim tells it: the check's ID, the rule in
 * our words, the field and value, the SDM section, and the architected result. */
static __attribute__((noinline)) void report_entry_failure(struct lp *lp, enum vmx_insn_id id,
							  const struct vmx_result *r)
{
	const struct entry_diag *d = r->entry_diag;
	char result[64];
	if (r->status == VMX_FAIL_VALID)
		snprintf(result, sizeof(result), "VMfailValid(%u)", r->error);
	else
		snprintf(result, sizeof(result), "VM-entry failure, exit reason %u, qualification %u",
			 (unsigned)(vmcs_read_enc(&lp->vmx.vmcs, VM_EXIT_REASON) & 0xffff), d->qualification);
	const char *fname = d->field ? vmcs_field_name(d->field) : NULL;
	fflush(lp->m->console);
	if (lp->m->cfg.json) {
		fprintf(lp->m->diag, "{\"event\": \"vm-entry-failed\", \"lp\": %u, \"instruction\": \"%s\", "
			"\"check\": \"%s\", \"class\": \"%s\", \"field\": \"%s\", \"value\": \"0x%llx\", "
			"\"sdm\": \"VM Entries %s\", \"result\": \"%s\", \"rule\": \"",
			lp->id, vmx_insn_name(id), d->id, entry_class_name(d->cls), fname ? fname : "",
			(unsigned long long)d->value, d->section, result);
		diag_json_str(lp->m->diag, d->rule);
		fprintf(lp->m->diag, "\"}\n");
	}
	char why[512];
	snprintf(why, sizeof(why), "%s: VM-entry failed: %s: %s (%s=0x%llx; SDM \"VM Entries\" %s) -> %s",
		 vmx_insn_name(id), d->id, d->rule, fname ? fname : "field", (unsigned long long)d->value,
		 d->section, result);
	if (!lp->m->cfg.json)
		fprintf(lp->m->diag, "vtsim: %s\n", why);
	if (lp->m->dbg)
		gdbstub_on_entry_fail(lp->m->dbg, lp, why);
	trace_event(lp->m, VTSIM_TRACE_VMX, "entry lp%u %s fail %s class=%s field=%s value=0x%llx -> %s",
		    lp->id, vmx_insn_name(id), d->id, entry_class_name(d->cls), fname ? fname : "-",
		    (unsigned long long)d->value, result);
	report_vmcs(lp, id);
}

/* The operand a VMfail concerns, in words: the pointer, the field and value, the
 * INVEPT/INVVPID type and descriptor, or the current VMCS. */
static void describe_operand(struct lp *lp, enum vmx_insn_id id, const struct vmx_result *r,
			     char *buf, size_t size)
{
	const char *name = r->has_field ? vmcs_field_name(r->field) : NULL;
	unsigned long long v = r->value, cur = lp->vmx.current;
	switch (id) {
	case VMX_VMXON:
		if (r->status == VMX_FAIL_INVALID && r->invalid_cause != VMFAIL_INVALID_NO_VMCS_FOR_ERROR)
			snprintf(buf, size, "VMXON pointer 0x%llx", v);
		else   /* in VMX root operation already: the operand was not read */
			snprintf(buf, size, "in VMX operation since VMXON of 0x%llx",
				 (unsigned long long)lp->vmx.vmxon_ptr);
		break;
	case VMX_VMCLEAR:
	case VMX_VMPTRLD:
		snprintf(buf, size, "VMCS pointer 0x%llx", v);
		break;
	case VMX_VMREAD:
	case VMX_VMWRITE: {
		/* Error 12 for a field the SDM defines but the model lacks names it. */
		bool lacks = r->status == VMX_FAIL_VALID && r->error == VMXERR_UNSUPPORTED_VMCS_COMPONENT;
		int n = snprintf(buf, size, "field 0x%llx (%s%s)", (unsigned long long)r->field,
				 name ? name : "no field of this CPU model",
				 name && lacks ? ", which this CPU model does not have" : "");
		if (id == VMX_VMWRITE && n > 0 && (size_t)n < size)
			snprintf(buf + n, size - n, ", value 0x%llx", v);
		break;
	}
	case VMX_INVEPT:
		snprintf(buf, size, "type %llu, descriptor EPTP 0x%llx and 0x%llx", v,
			 (unsigned long long)r->desc[0], (unsigned long long)r->desc[1]);
		break;
	case VMX_INVVPID:
		snprintf(buf, size, "type %llu, descriptor VPID 0x%llx (bits 63:0 of the first quadword) "
			 "and linear address 0x%llx", v, (unsigned long long)r->desc[0],
			 (unsigned long long)r->desc[1]);
		break;
	case VMX_VMXOFF:
		snprintf(buf, size, "no operand");
		break;
	default:
		if (cur == VMCS_PTR_NONE)
			snprintf(buf, size, "no current VMCS");
		else
			snprintf(buf, size, "current VMCS 0x%llx", cur);
		break;
	}
}

/* A VMfail explained on the diagnostics stream, each distinct (instruction,
 * outcome, RIP) once per run: the instruction, the outcome and error, the
 * operand, the rule in our words, what would satisfy it and the SDM section. */
static __attribute__((noinline)) void report_vmfail(struct lp *lp, uint64_t rip, enum vmx_insn_id id,
						   const struct vmx_result *r)
{
	bool valid = r->status == VMX_FAIL_VALID;
	uint64_t what = (uint64_t)id << 40 | (uint64_t)valid << 32 | (uint64_t)r->invalid_cause << 16 | r->error;
	FILE *out = lp->m->diag;
	fflush(lp->m->console);
	if (!diag_first_time(&lp->m->told, what, rip, out, lp->m->cfg.json))
		return;
	/* The error's rule (VMfailValid, or VMfail(n) without a current VMCS), the
	 * cause's for the other VMfailInvalids. */
	bool has_error = valid || r->invalid_cause == VMFAIL_INVALID_NO_VMCS_FOR_ERROR;
	const struct vmx_fail_rule *rule = has_error ? vmx_insn_error_rule(r->error)
						     : vmx_fail_invalid_rule(r->invalid_cause);
	const struct vmx_fail_rule *why_invalid = vmx_fail_invalid_rule(r->invalid_cause);
	char operand[160], outcome[160];
	describe_operand(lp, id, r, operand, sizeof(operand));
	if (valid)
		snprintf(outcome, sizeof(outcome), "VMfailValid(%u), %s", r->error, vmx_insn_error_str(r->error));
	else if (has_error)
		snprintf(outcome, sizeof(outcome), "VMfailInvalid (error %u, %s, with no current VMCS to "
			 "hold it)", r->error, vmx_insn_error_str(r->error));
	else
		snprintf(outcome, sizeof(outcome), "VMfailInvalid");
	const char *text = rule ? rule->rule : "vtsim has no rule recorded for it";
	const char *fix = rule ? rule->fix : "";
	const char *section = rule ? rule->section : "\"VM Instruction Error Numbers\"";
	bool entry = id == VMX_VMLAUNCH || id == VMX_VMRESUME;
	if (lp->m->cfg.json) {
		fprintf(out, "{\"event\": \"%s\", \"lp\": %u, \"instruction\": \"%s\", ",
			entry ? "vm-entry-vmfail" : "vmfail", lp->id, vmx_insn_name(id));
		if (has_error)
			fprintf(out, "\"error\": %u, \"what\": \"%s\", ", r->error, vmx_insn_error_str(r->error));
		else
			fprintf(out, "\"error\": null, \"what\": \"VMfailInvalid\", ");
		fprintf(out, "\"rule\": \"");
		diag_json_str(out, text);
		if (rule)
			fprintf(out, ": ");
		diag_json_str(out, fix);
		char rip_s[24];
		fprintf(out, "\", \"result\": \"%s\", \"rip\": \"%s\", \"operand\": \"", valid ? "VMfailValid" :
			"VMfailInvalid", diag_where(rip, true, rip_s, sizeof(rip_s)));
		diag_json_str(out, operand);
		fprintf(out, "\", \"sdm\": \"");
		diag_json_str(out, section);
		fprintf(out, "\"}\n");
		return;
	}
	char where[40];
	diag_where(rip, false, where, sizeof(where));
	fprintf(out, "vtsim: %s %s on lp%u: %s; %s. %c%s%s%s (SDM Vol. 3C, %s", vmx_insn_name(id), where,
		lp->id, outcome, operand, toupper((unsigned char)text[0]), text + 1,
		rule ? ": " : "", fix, section);
	if (!valid && has_error && why_invalid)
		fprintf(out, "; VMfailInvalid: %s", why_invalid->section);
	fprintf(out, ")\n");
}


void vmx_tell_outcome(struct lp *lp, uint64_t rip, enum vmx_insn_id id, const struct vmx_result *r)
{
	if (rip != DIAG_HOSTED && trace_on(lp->m, VTSIM_TRACE_VMX))
		trace_vmx(lp, rip, id, r);
	if (r->entry_diag)
		report_entry_failure(lp, id, r);
	else if (r->status == VMX_FAIL_VALID || r->status == VMX_FAIL_INVALID)
		report_vmfail(lp, rip, id, r);
}
