/* What each VM-instruction error number means as a rule, in our words: which
 * instruction, what was wrong, what would satisfy it, and where the SDM says so
 * (SDM Vol. 3C, "VM Instruction Error Numbers" and each instruction's operation
 * section). VMfailInvalid carries no number: its causes have a table of their own,
 * for the same sentences. */
#ifndef VTSIM_VMCS_ERROR_RULES_H
#define VTSIM_VMCS_ERROR_RULES_H

struct vmx_fail_rule {
	const char *rule;         /* what the instruction needs, or what was wrong */
	const char *fix;          /* what would satisfy it */
	const char *section;      /* the SDM section of the check, quoted */
};

/* NULL for a number the SDM does not assign. */
const struct vmx_fail_rule *vmx_insn_error_rule(unsigned n);

/* Why an instruction ended in VMfailInvalid (CF = 1: no VM-instruction error
 * field to write). VMFAIL_INVALID_NO_VMCS_FOR_ERROR is VMfail(n) of an
 * instruction with error n but no current VMCS: n's rule tells what was wrong. */
#define VMFAIL_INVALID_CAUSES(X) \
	X(VMFAIL_INVALID_NONE) X(VMFAIL_INVALID_NO_VMCS_FOR_ERROR) X(VMFAIL_INVALID_NO_CURRENT_VMCS) \
	X(VMFAIL_INVALID_SHADOW_VMCS) X(VMFAIL_INVALID_VMXON_ADDRESS) X(VMFAIL_INVALID_VMXON_REVISION) \
	X(VMFAIL_INVALID_VMCALL_NO_VMCS)

enum vmfail_invalid_cause {
#define VMFAIL_INVALID_ENUM(n) n,
	VMFAIL_INVALID_CAUSES(VMFAIL_INVALID_ENUM)
#undef VMFAIL_INVALID_ENUM
	VMFAIL_INVALID_NR_CAUSES
};

/* NULL for VMFAIL_INVALID_NONE and numbers beyond the table. */
const struct vmx_fail_rule *vmx_fail_invalid_rule(unsigned cause);

#endif
