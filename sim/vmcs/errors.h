/* VM-instruction error numbers (SDM Vol. 3, "VM Instruction Error Numbers"), one
 * list giving the name (Linux's spelling) and a short meaning wherever one is
 * printed. */
#ifndef VTSIM_VMCS_ERRORS_H
#define VTSIM_VMCS_ERRORS_H

#define VMX_INSN_ERRORS(X)                                                                  \
	X(0,  VMXERR_NONE, "no error")                                                      \
	X(1,  VMXERR_VMCALL_IN_VMX_ROOT_OPERATION, "VMCALL executed in VMX root operation")  \
	X(2,  VMXERR_VMCLEAR_INVALID_ADDRESS, "VMCLEAR with invalid physical address")       \
	X(3,  VMXERR_VMCLEAR_VMXON_POINTER, "VMCLEAR with VMXON pointer")                    \
	X(4,  VMXERR_VMLAUNCH_NONCLEAR_VMCS, "VMLAUNCH with non-clear VMCS")                 \
	X(5,  VMXERR_VMRESUME_NONLAUNCHED_VMCS, "VMRESUME with non-launched VMCS")           \
	X(6,  VMXERR_VMRESUME_AFTER_VMXOFF, "VMRESUME after VMXOFF")                         \
	X(7,  VMXERR_ENTRY_INVALID_CONTROL_FIELD, "VM entry with invalid control field(s)")  \
	X(8,  VMXERR_ENTRY_INVALID_HOST_STATE_FIELD, "VM entry with invalid host-state field(s)") \
	X(9,  VMXERR_VMPTRLD_INVALID_ADDRESS, "VMPTRLD with invalid physical address")       \
	X(10, VMXERR_VMPTRLD_VMXON_POINTER, "VMPTRLD with VMXON pointer")                    \
	X(11, VMXERR_VMPTRLD_INCORRECT_VMCS_REVISION_ID, "VMPTRLD with incorrect VMCS revision identifier") \
	X(12, VMXERR_UNSUPPORTED_VMCS_COMPONENT, "VMREAD/VMWRITE from/to unsupported VMCS component") \
	X(13, VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT, "VMWRITE to read-only VMCS component") \
	X(15, VMXERR_VMXON_IN_VMX_ROOT_OPERATION, "VMXON executed in VMX root operation")    \
	X(16, VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS_POINTER, "VM entry with invalid executive-VMCS pointer") \
	X(17, VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS, "VM entry with non-launched executive VMCS") \
	X(18, VMXERR_ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON_POINTER, "VM entry with executive-VMCS pointer not VMXON pointer") \
	X(19, VMXERR_VMCALL_NONCLEAR_VMCS, "VMCALL with non-clear VMCS")                     \
	X(20, VMXERR_VMCALL_INVALID_VM_EXIT_CONTROL_FIELDS, "VMCALL with invalid VM-exit control fields") \
	X(22, VMXERR_VMCALL_INCORRECT_MSEG_REVISION_ID, "VMCALL with incorrect MSEG revision identifier") \
	X(23, VMXERR_VMXOFF_UNDER_DUAL_MONITOR_TREATMENT_OF_SMIS_AND_SMM, "VMXOFF under dual-monitor treatment of SMIs and SMM") \
	X(24, VMXERR_VMCALL_INVALID_SMM_MONITOR_FEATURES, "VMCALL with invalid SMM-monitor features") \
	X(25, VMXERR_ENTRY_INVALID_VM_EXECUTION_CONTROL_FIELDS_IN_EXECUTIVE_VMCS, "VM entry with invalid VM-execution control fields in executive VMCS") \
	X(26, VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS, "VM entry with events blocked by MOV SS") \
	X(28, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID, "invalid operand to INVEPT/INVVPID")

enum vmx_insn_error {
#define VMX_ERR_ENUM(n, name, what) name = n,
	VMX_INSN_ERRORS(VMX_ERR_ENUM)
#undef VMX_ERR_ENUM
};

/* The meaning of an error number ("reserved" for numbers the SDM does not assign). */
static inline const char *vmx_insn_error_str(unsigned n)
{
	switch (n) {
#define VMX_ERR_CASE(num, name, what) case num: return what;
	VMX_INSN_ERRORS(VMX_ERR_CASE)
#undef VMX_ERR_CASE
	default: return "reserved error number";
	}
}

#endif
