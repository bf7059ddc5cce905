/* VMX instructions met in guest code: decode the operands from the instruction bytes,
 * reach memory operands through segmentation and paging, call the instruction unit,
 * and apply its outcome (RFLAGS, the destination, RIP, or an exception). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sim/cpu/diag_once.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/modrm.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/vmx.h"
#include "sim/cpu/vmx_exit.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/error_rules.h"
#include "sim/vmcs/errors.h"
#include "sim/vmcs/vmcs_dump.h"
#include "sim/debug/gdbstub.h"

#define RFLAGS_ARITH 0x8d5u   /* CF PF AF ZF SF OF */
#define RFLAGS_CF 0x1u
#define RFLAGS_ZF 0x40u

/* The memory operand as the instruction reaches it. */
struct mem_ctx {
	struct lp *lp;
	struct mmu_ctx mc;
	struct seg seg;
	int seg_reg;
	uint64_t ea;              /* effective address (offset in the segment) */
	bool long64;
};

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

/* Segmentation: the linear address of the operand, or a #GP/#SS. */
static int linear(struct mem_ctx *c, unsigned n, bool write, uint64_t *la, struct vmx_fault *f)
{
	uint8_t vec = c->seg_reg == SEG_SS ? VEC_SS : VEC_GP;
	if (c->long64) {
		uint64_t base = (c->seg_reg == SEG_FS || c->seg_reg == SEG_GS) ? c->seg.base : 0;
		*la = base + c->ea;
		if (!canonical(*la) || !canonical(*la + n - 1)) {
			*f = (struct vmx_fault){ .vector = vec };
			return -1;
		}
		return 0;
	}
	const struct seg *s = &c->seg;
	bool code = s->attr & 8;
	bool bad = (s->attr & SEG_ATTR_UNUSABLE) || (write && (code || !(s->attr & 2))) ||
		   (!write && code && !(s->attr & 2));
	bool expand_down = !code && (s->attr & 4);
	uint64_t last = c->ea + n - 1;
	if (expand_down)
		bad = bad || c->ea <= s->limit || last > ((s->attr & (1u << 14)) ? 0xffffffffull : 0xffff);
	else
		bad = bad || last > s->limit;
	if (bad) {
		*f = (struct vmx_fault){ .vector = vec };
		return -1;
	}
	*la = (s->base + c->ea) & 0xffffffffull;
	return 0;
}

static int mem_access(struct mem_ctx *c, void *rbuf, const void *wbuf, unsigned n, struct vmx_fault *f)
{
	uint64_t la;
	if (linear(c, n, wbuf != NULL, &la, f))
		return -1;
	struct mmu_fault mf;
	int r = wbuf ? mmu_write(&c->lp->m->pm, &c->mc, la, wbuf, n, 0, &mf)
		     : mmu_read(&c->lp->m->pm, &c->mc, la, rbuf, n, 0, &mf);
	if (r) {
		*f = (struct vmx_fault){ .vector = VEC_PF, .error_code = mf.error_code,
					 .cr2_valid = true, .cr2 = mf.la };
		return -1;
	}
	return 0;
}

static int mem_read(void *ctx, void *buf, unsigned n, struct vmx_fault *f)
{
	return mem_access(ctx, buf, NULL, n, f);
}

static int mem_write(void *ctx, const void *buf, unsigned n, struct vmx_fault *f)
{
	return mem_access(ctx, NULL, buf, n, f);
}

static void trace_vmx(struct lp *lp, uint64_t rip, enum vmx_insn_id id, const struct vmx_result *r)
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
static void report_entry_failure(struct lp *lp, enum vmx_insn_id id, const struct vmx_result *r)
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
		for (const char *p = d->rule; *p; p++)     /* the rule text, JSON-escaped */
			if (*p == '"' || *p == '\\')
				fprintf(lp->m->diag, "\\%c", *p);
			else if ((unsigned char)*p >= 0x20)
				fputc(*p, lp->m->diag);
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

/* JSON string contents: quotes and backslashes escaped, control bytes dropped. */
static void json_str(FILE *out, const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if ((unsigned char)*p >= 0x20)
			fputc(*p, out);
}

/* A VMfail explained on the diagnostics stream, each distinct (instruction,
 * outcome, RIP) once per run: the instruction, the outcome and error, the
 * operand, the rule in our words, what would satisfy it and the SDM section. */
static void report_vmfail(struct lp *lp, uint64_t rip, enum vmx_insn_id id, const struct vmx_result *r)
{
	bool valid = r->status == VMX_FAIL_VALID;
	uint64_t what = (uint64_t)id << 40 | (uint64_t)valid << 32 | (uint64_t)r->invalid_cause << 16 | r->error;
	enum diag_verdict verdict = diag_once(&lp->m->told, what, rip);
	FILE *out = lp->m->diag;
	if (verdict == DIAG_SEEN)
		return;
	fflush(lp->m->console);
	if (verdict == DIAG_TELL_OVERFLOW) {
		if (!lp->m->cfg.json)
			fprintf(out, "vtsim: %u distinct VMfails and SEAMCALL errors explained; no more are "
				"(--trace=vmx shows each)\n", DIAG_ONCE_MAX);
		return;
	}
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
		json_str(out, text);
		if (rule)
			fprintf(out, ": ");
		json_str(out, fix);
		fprintf(out, "\", \"result\": \"%s\", \"rip\": \"0x%llx\", \"operand\": \"", valid ? "VMfailValid" :
			"VMfailInvalid", (unsigned long long)rip);
		json_str(out, operand);
		fprintf(out, "\", \"sdm\": \"");
		json_str(out, section);
		fprintf(out, "\"}\n");
		return;
	}
	fprintf(out, "vtsim: %s at RIP=0x%llx on lp%u: %s; %s. %c%s%s%s (SDM Vol. 3C, %s", vmx_insn_name(id),
		(unsigned long long)rip, lp->id, outcome, operand, toupper((unsigned char)text[0]), text + 1,
		rule ? ": " : "", fix, section);
	if (!valid && has_error && why_invalid)
		fprintf(out, "; VMfailInvalid: %s", why_invalid->section);
	fprintf(out, ")\n");
}

/* VM-exit instruction information for the VMX instructions: the operand fields, and
 * Reg2 31:28 (the ModRM.reg operand). The exit qualification is the displacement. */
static uint32_t vmx_insn_info(const struct modrm *o, bool has_modrm, uint64_t *qualification)
{
	*qualification = 0;
	if (!has_modrm)
		return 0;
	*qualification = o->reg_form ? 0 : (uint64_t)o->disp;
	return modrm_insn_info(o) | (uint32_t)(o->reg & 15) << 28;
}

static bool has_lock_prefix(const struct site_insn *in)
{
	for (unsigned i = 0; i < in->len; i++) {
		uint8_t b = in->bytes[i];
		if (b == 0xf0)
			return true;
		/* REX bytes (40-4F) among the prefixes: a site's bytes hold them only in
		 * 64-bit mode, where they are no instruction of their own. */
		if (!(b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 ||
		      b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65 || (b & 0xf0) == 0x40))
			return false;
	}
	return false;
}

void site_vmx(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	uint64_t rip = v->rip;
	enum vmx_insn_id id = (enum vmx_insn_id)in->vmx_id;
	/* LOCK makes every VMX instruction #UD, before anything else. */
	if (has_lock_prefix(in)) {
		if (trace_on(lp->m, VTSIM_TRACE_VMX))
			trace_event(lp->m, VTSIM_TRACE_VMX, "vmx lp%u %s : #UD(0x0) (LOCK prefix) rip=0x%llx",
				    lp->id, vmx_insn_name(id), (unsigned long long)rip);
		exc_fault(lp, VEC_UD, 0);
		return;
	}
	bool long64 = cpu_view_long64(v);
	bool cs32 = v->segs[SEG_CS].attr & (1u << 14);

	struct vmx_operands ops = { .opsize = long64 ? 8 : 4, .insn_len = in->len, .read = mem_read,
				    .write = mem_write };
	struct mem_ctx mctx = { .lp = lp, .long64 = long64 };
	ops.ctx = &mctx;
	bool has_modrm = id == VMX_VMXON || id == VMX_VMCLEAR || id == VMX_VMPTRLD ||
			 id == VMX_VMPTRST || id == VMX_VMREAD || id == VMX_VMWRITE ||
			 id == VMX_INVEPT || id == VMX_INVVPID;
	struct modrm o = { 0 };
	if (has_modrm) {
		if (modrm_decode(in, long64, cs32, &o)) {
			machine_stop(lp->m, lp, VTSIM_STOP_INTERNAL, 70,
				     "%s at RIP=0x%llx uses an addressing form vtsim does not model",
				     vmx_insn_name(id), (unsigned long long)rip);
			return;
		}
		ops.reg_form = o.reg_form;
		ops.reg_value = v->gpr[o.reg];
		if (o.reg_form) {
			ops.rm_value = v->gpr[o.rm];
		} else {
			mctx.ea = modrm_offset(&o, v, in->len);
			mctx.seg_reg = o.seg;
			mctx.seg = v->segs[o.seg];
			mmu_ctx_from_view(&mctx.mc, lp, v);
		}
	}

	struct vmx_result r;
	vmx_execute(lp, v, id, &ops, &r);
	if (trace_on(lp->m, VTSIM_TRACE_VMX))
		trace_vmx(lp, rip, id, &r);

	if (r.entry_diag)
		report_entry_failure(lp, id, &r);
	else if (r.status == VMX_FAIL_VALID || r.status == VMX_FAIL_INVALID)
		report_vmfail(lp, rip, id, &r);

	uint64_t rflags;
	switch (r.status) {
	case VMX_ENTRY_FAILED:
		/* As a VM exit: host state from the VMCS, RIP = HOST_RIP, RFLAGS = 2, and
		 * the VM-exit MSR-load list (but no guest state saved). */
		vmx_load_host_state(lp);
		vmx_exit_msr_load(lp);
		return;
	case VMX_ENTERED:
		/* The guest ran and exited (host state is loaded), or the machine stopped. */
		if (lp->m->stopped)
			uc_emu_stop(lp->root.uc);
		return;
	case VMX_VMEXIT: {
		struct vmx_exit_info xi = { .insn_len = in->len, .rip = rip };
		xi.insn_info = vmx_insn_info(&o, has_modrm, &xi.qualification);
		vmx_exit(lp, r.exit_reason, &xi);
		return;
	}
	case VMX_STATE_LOADED:
		return;
	case VMX_FAULT:
		if (r.fault.cr2_valid)
			cpustate_set_cr2(&lp->cs, r.fault.cr2);
		exc_fault(lp, r.fault.vector, r.fault.error_code);
		return;
	case VMX_NOT_MODELLED:
		machine_stop(lp->m, lp, VTSIM_STOP_INTERNAL, 70, "%s at RIP=0x%llx: %s", vmx_insn_name(id),
			     (unsigned long long)rip, r.why);
		return;
	case VMX_SUCCEED:
	case VMX_FAIL_INVALID:
	case VMX_FAIL_VALID:
		/* All six arithmetic flags are the outcome's: the view has the rest. */
		rflags = v->eflags & ~(uint64_t)RFLAGS_ARITH;
		if (r.status == VMX_FAIL_INVALID)
			rflags |= RFLAGS_CF;
		else if (r.status == VMX_FAIL_VALID)
			rflags |= RFLAGS_ZF;
		cpu_set_reg(lp->uc, UC_X86_REG_EFLAGS, rflags);
		if (r.reg_out)
			cpu_set_reg(lp->uc, cpu_gpr_ids[o.rm], r.out);
		cpu_set_reg(lp->uc, UC_X86_REG_RIP, rip + in->len);
		return;
	}
}
