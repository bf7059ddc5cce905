/* What each VM-instruction error number means as a rule, in our words: which
 * instruction, what was wrong, what would satisfy it (SDM Vol. 3C, "VM Instruction
 * Error Numbers" and each instruction's operation section). */
#ifndef VTSIM_VMCS_ERROR_RULES_H
#define VTSIM_VMCS_ERROR_RULES_H

/* NULL for a number the SDM does not assign. */
const char *vmx_insn_error_rule(unsigned n);

#endif
