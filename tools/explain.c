/* `vtsim explain`: what a number a student or developer already has means: a
 * VM-instruction error, an exit reason with its qualification, a TDX module status,
 * a VM-entry check ID. Every answer comes from the tables the simulator runs on. */
#include "tools/explain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cpu/exit_decode.h"
#include "sim/seam/seam_diag.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "sim/tdx_module_stub/status_text.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/error_rules.h"
#include "sim/vmcs/errors.h"
#include "sim/vmcs/exit_reasons.h"
#include "vtsim/vtsim.h"

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

static int explain_error(const char *arg)
{
	uint64_t n;
	if (parse_u64(arg, &n) || n > 0xffffffffu) {
		fprintf(stderr, "vtsim: explain error: '%s' is not a number\n", arg);
		return 2;
	}
	const struct vmx_fail_rule *rule = vmx_insn_error_rule((unsigned)n);
	printf("VM-instruction error %llu: %s.\n", (unsigned long long)n, vmx_insn_error_str((unsigned)n));
	if (rule)
		printf("The rule: %s: %s.\n", rule->rule, rule->fix);
	printf("(SDM Vol. 3C, \"VM Instruction Error Numbers\"%s%s.)\n", rule ? "; the check: " : "",
	       rule ? rule->section : "");
	return 0;
}

static int explain_exit(const char *reason_s, const char *qual_s)
{
	uint64_t reason, q = 0;
	if (parse_u64(reason_s, &reason) || reason > 0xffffffffu || (qual_s && parse_u64(qual_s, &q))) {
		fprintf(stderr, "vtsim: explain exit: expected REASON [QUALIFICATION] as numbers\n");
		return 2;
	}
	unsigned basic = reason & 0xffff;
	bool failed = reason & 0x80000000u;
	printf("Exit reason %llu (0x%llx): basic reason %u, %s%s.\n", (unsigned long long)reason,
	       (unsigned long long)reason, basic,
	       vmx_exit_reason_name(basic), failed ? ", and bit 31 set: the VM entry failed (the "
	       "guest never ran; host state was loaded as for an exit)" : "");
	if (!qual_s)
		return 0;
	struct exit_decoded d;
	printf("Qualification 0x%llx:\n", (unsigned long long)q);
	if (exit_qual_decode((uint32_t)reason, q, 0, &d))
		printf("  %s\n  (trace: %s)\n", d.text, d.kv);
	else
		printf("  %s\n", q ? "this reason defines no qualification; the value should be 0"
				   : "none (0) for this reason");
	return 0;
}

/* Interruption information: VM-exit interruption information, IDT-vectoring
 * information or VM-entry interruption information (one format). */
static int explain_intr(const char *info_s, const char *err_s)
{
	uint64_t info, err = 0;
	if (parse_u64(info_s, &info) || info > 0xffffffffu || (err_s && parse_u64(err_s, &err)) ||
	    err > 0xffffffffu) {
		fprintf(stderr, "vtsim: explain intr: expected INFO [ERROR_CODE] as 32-bit numbers\n");
		return 2;
	}
	struct exit_decoded d;
	intr_info_decode((uint32_t)info, (uint32_t)err, "", &d);
	printf("Interruption information 0x%llx: %s.\n  (trace: %s)\n", (unsigned long long)info, d.text, d.kv);
	printf("(SDM Vol. 3C, \"Information for VM Exits Due to Vectored Events\"; IDT-vectoring and "
	       "VM-entry interruption information use the same format.)\n");
	return 0;
}

/* VMX-abort indicators (SDM Vol. 3C, "VMX Aborts"): what went wrong during a VM
 * exit that the processor could not report to the VMM as an exit. */
static const char *const abort_causes[] = {
	[1] = "saving guest MSRs failed: an entry of the VM-exit MSR-store list names an MSR "
	      "that cannot be read there (or the list is not in memory); fix the list at "
	      "VM_EXIT_MSR_STORE_ADDR / VM_EXIT_MSR_STORE_COUNT",
	[2] = "the host's PDPTEs (PAE paging without IA-32e mode) failed their checks while "
	      "loading host CR3",
	[3] = "the current VMCS region was corrupted (written with ordinary memory writes while "
	      "current) so that the exit could not complete",
	[4] = "loading host MSRs failed: an entry of the VM-exit MSR-load list names an MSR "
	      "that may not be loaded that way or a value it does not accept; fix the list at "
	      "VM_EXIT_MSR_LOAD_ADDR / VM_EXIT_MSR_LOAD_COUNT",
	[5] = "a machine-check event occurred during the VM exit",
	[6] = "the processor was in IA-32e mode before the exit and the \"host address-space "
	      "size\" VM-exit control was 0",
};

static int explain_abort(const char *arg)
{
	uint64_t n;
	if (parse_u64(arg, &n)) {
		fprintf(stderr, "vtsim: explain abort: '%s' is not a number\n", arg);
		return 2;
	}
	const char *why = n < sizeof(abort_causes) / sizeof(abort_causes[0]) ? abort_causes[n] : NULL;
	printf("VMX-abort indicator %llu: %s.\n", (unsigned long long)n,
	       why ? why : "not an indicator the SDM defines");
	printf("A VMX abort happens during a VM exit; the processor writes the indicator at offset 4 "
	       "of the current VMCS region and shuts the logical processor down (vtsim: exit status 3). "
	       "(SDM Vol. 3C, \"VMX Aborts\".)\n");
	return 0;
}

/* The control fields VM entry checks against capability MSRs, by short name and by
 * field name. */
static const struct {
	const char *short_name, *field, *msr;
	enum vmcs_ctl ctl;
} controls[] = {
	{ "pin", "PIN_BASED_VM_EXEC_CONTROL", "IA32_VMX_(TRUE_)PINBASED_CTLS", VMCS_CTL_PIN },
	{ "proc", "CPU_BASED_VM_EXEC_CONTROL", "IA32_VMX_(TRUE_)PROCBASED_CTLS", VMCS_CTL_PROC },
	{ "proc2", "SECONDARY_VM_EXEC_CONTROL", "IA32_VMX_PROCBASED_CTLS2", VMCS_CTL_PROC2 },
	{ "proc3", "TERTIARY_VM_EXEC_CONTROL", "IA32_VMX_PROCBASED_CTLS3", VMCS_CTL_PROC3 },
	{ "exit", "VM_EXIT_CONTROLS", "IA32_VMX_(TRUE_)EXIT_CTLS", VMCS_CTL_EXIT },
	{ "exit2", "SECONDARY_VM_EXIT_CONTROLS", "IA32_VMX_EXIT_CTLS2", VMCS_CTL_EXIT2 },
	{ "entry", "VM_ENTRY_CONTROLS", "IA32_VMX_(TRUE_)ENTRY_CTLS", VMCS_CTL_ENTRY },
	{ "vmfunc", "VM_FUNCTION_CONTROL", "IA32_VMX_VMFUNC", VMCS_CTL_VMFUNC },
};

static void print_bits(uint64_t v)
{
	const char *sep = "";
	printf(" (bit%s", (v & (v - 1)) ? "s " : " ");
	for (unsigned i = 0; i < 64; i++)
		if ((v >> i) & 1) {
			printf("%s%u", sep, i);
			sep = ", ";
		}
	printf(")");
}

/* A control value against a CPU model's allowed-0 and allowed-1 settings. */
static int explain_control(const char *which, const char *value_s, const char *model)
{
	uint64_t v;
	size_t i, n = sizeof(controls) / sizeof(controls[0]);
	for (i = 0; i < n; i++)
		if (!strcmp(which, controls[i].short_name) || !strcmp(which, controls[i].field))
			break;
	if (i == n || parse_u64(value_s, &v)) {
		fprintf(stderr, "vtsim: explain control: expected FIELD VALUE [MODEL], FIELD one of "
			"pin, proc, proc2, proc3, exit, exit2, entry, vmfunc (or the field's name)\n");
		return 2;
	}
	const struct vmcs_caps *caps = vmcs_caps_for_model(model ? model : vtsim_cpu_model_name(0, NULL));
	if (!caps) {
		fprintf(stderr, "vtsim: explain control: no CPU model '%s' (vtsim cpus lists them)\n", model);
		return 2;
	}
	uint64_t a0 = vmcs_caps_allowed0(caps, controls[i].ctl), a1 = vmcs_caps_allowed1(caps, controls[i].ctl);
	bool ok = vmcs_caps_ctl_valid(caps, controls[i].ctl, v);
	printf("%s = 0x%llx on CPU model %s: %s.\n", controls[i].field, (unsigned long long)v,
	       vmcs_caps_model_name(caps), ok ? "valid" : "not valid, VM entry fails with VMfailValid(7)");
	printf("  must be 1 (allowed-0 settings): 0x%llx", (unsigned long long)a0);
	if (a0 & ~v) {
		printf("; this value lacks 0x%llx", (unsigned long long)(a0 & ~v));
		print_bits(a0 & ~v);
	}
	printf("\n  may be 1 (allowed-1 settings): 0x%llx", (unsigned long long)a1);
	if (v & ~a1) {
		printf("; this value sets 0x%llx that must be 0", (unsigned long long)(v & ~a1));
		print_bits(v & ~a1);
	}
	printf("\n");
	if (!ok)
		printf("  The value closest to it that the model accepts: (value | allowed-0) & allowed-1 = 0x%llx.\n",
		       (unsigned long long)((v | a0) & a1));
	printf("(%s; SDM Vol. 3D, \"VMX Capability Reporting Facility\", and \"VM Entries\", \"Checks on "
	       "VMX Controls\".)\n", controls[i].msr);
	return 0;
}

/* A SEAMCALL leaf number (RAX bits 15:0; bits 23:16 the version) by its ABI name. */
static int explain_leaf(const char *arg)
{
	uint64_t n;
	if (parse_u64(arg, &n)) {
		fprintf(stderr, "vtsim: explain leaf: '%s' is not a number\n", arg);
		return 2;
	}
	const char *name = tdx_leaf_name((unsigned)(n & 0xffff));
	printf("SEAMCALL leaf %llu: %s", (unsigned long long)(n & 0xffff), name ? name : "not a leaf of vtsim's TDX module");
	if (n >> 16)
		printf(", version %llu", (unsigned long long)((n >> 16) & 0xff));
	printf(".\n");
	return 0;
}

static int explain_status(const char *arg)
{
	uint64_t s;
	if (parse_u64(arg, &s)) {
		fprintf(stderr, "vtsim: explain status: '%s' is not a number\n", arg);
		return 2;
	}
	const char *name = tdx_status_name(s);
	if ((s & 0xffffffff00000000ull) == (TDX_SEAMCALL_VMFAILINVALID & 0xffffffff00000000ull) &&
	    (uint32_t)s == 0xffff0000u) {
		printf("TDX_SEAMCALL_VMFAILINVALID: Linux's code for a SEAMCALL that found no TDX module "
		       "(VMfailInvalid, RAX unchanged).\n");
		return 0;
	}
	if ((s & 0xffffffff00000000ull) == TDX_SW_ERROR) {
		printf("TDX_SW_ERROR | %u: Linux's code for a SEAMCALL that raised vector %u (%s).\n",
		       (unsigned)s, (unsigned)s, (uint32_t)s == 6 ? "#UD" : (uint32_t)s == 13 ? "#GP" : "?");
		return 0;
	}
	printf("Status 0x%016llx: %s.\n", (unsigned long long)s, name ? name : "not a code of the TDX module");
	printf("  %s%s%s, class 0x%02x, details 0x%02x / 0x%08x\n",
	       (s >> 63) & 1 ? "error" : "not an error (informational)",
	       (s >> 62) & 1 ? ", non-recoverable" : "", (s >> 61) & 1 ? ", fatal" : "",
	       (unsigned)(s >> 40) & 0xff, (unsigned)(s >> 32) & 0xff, (unsigned)s);
	const char *rule = tdx_status_rule(s);
	if (rule)
		printf("  What it means: %s.\n", rule);
	char op[96];
	int kind = seam_status_operand(s, op, sizeof(op));
	if (kind)
		printf("  bits 31:0: %s\n", op);
	printf("(%s%s.)\n", SEAM_ABI_STATUS_SECTION,
	       kind == SEAM_STATUS_OPERAND ? "; operand ids: \"Operand IDs\"" : "");
	return 0;
}

/* How a check of each class fails VM entry; the basic checks and the steps after
 * the checks say it in their own summary. */
static const struct { const char *cls, *outcome; } check_outcomes[] = {
	{ "control", "VMfailValid(7)" },
	{ "host", "VMfailValid(8)" },
	{ "guest", "exit reason 33 | 0x80000000" },
	{ "msr-load", "exit reason 34 | 0x80000000 (the entry's number in the qualification)" },
};

static int explain_check(const char *id)
{
	const char *cls, *sec, *sum, *cid;
	for (unsigned i = 0; (cid = vtsim_entry_check(i, &cls, &sec, &sum)); i++)
		if (!strcmp(cid, id)) {
			printf("%s (%s check, SDM Vol. 3C \"VM Entries\" %s): %s.\n", cid, cls, sec, sum);
			for (size_t k = 0; k < sizeof(check_outcomes) / sizeof(check_outcomes[0]); k++)
				if (!strcmp(cls, check_outcomes[k].cls))
					printf("It fails VM entry with %s.\n", check_outcomes[k].outcome);
			return 0;
		}
	fprintf(stderr, "vtsim: explain check: no check '%s' (vtsim checks lists them)\n", id);
	return 2;
}

int vtsim_explain_main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "error"))
		return explain_error(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "exit"))
		return explain_exit(argv[2], argc >= 4 ? argv[3] : NULL);
	if (argc >= 4 && !strcmp(argv[1], "control"))
		return explain_control(argv[2], argv[3], argc >= 5 ? argv[4] : NULL);
	if (argc >= 3 && !strcmp(argv[1], "leaf"))
		return explain_leaf(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "abort"))
		return explain_abort(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "intr"))
		return explain_intr(argv[2], argc >= 4 ? argv[3] : NULL);
	if (argc >= 3 && !strcmp(argv[1], "status"))
		return explain_status(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "check"))
		return explain_check(argv[2]);
	fprintf(stderr, "usage: vtsim explain error N | exit REASON [QUALIFICATION] | intr INFO [ERROR_CODE] | abort N | leaf N | control FIELD VALUE [MODEL] | status VALUE | check ID\n");
	return 2;
}
