/* VM-instruction errors as rules: one table, indexed by error number. */
#include "sim/vmcs/error_rules.h"

static const char *const rules[] = {
	[1] = "VMCALL in VMX root operation asks for the dual-monitor treatment of SMM, which "
	      "needs an SMM monitor; a VMM calls its guest's hypervisor only from non-root operation",
	[2] = "VMCLEAR's operand must be a 4 KiB-aligned physical address below MAXPHYADDR",
	[3] = "VMCLEAR's operand must not be the VMXON region's address: clear a VMCS, not the VMXON region",
	[4] = "VMLAUNCH needs a current VMCS whose launch state is clear: after a successful "
	      "VMLAUNCH use VMRESUME, or VMCLEAR and VMPTRLD the VMCS to launch it again",
	[5] = "VMRESUME needs a current VMCS whose launch state is launched: the first entry with a "
	      "VMCS (and the first after VMCLEAR) must be VMLAUNCH",
	[6] = "VMRESUME of a VMCS launched in an earlier VMX operation (VMXOFF and VMXON since its "
	      "VMLAUNCH, no VMCLEAR): VMCLEAR it before VMXOFF, or VMCLEAR and VMLAUNCH it again",
	[7] = "a VM-execution, VM-exit or VM-entry control field breaks a rule of the checks on VMX "
	      "controls (vtsim names the check, CTL_*; `vtsim explain check ID`)",
	[8] = "a host-state field breaks a rule of the checks on the host-state area (vtsim names "
	      "the check, HOST_*; `vtsim explain check ID`)",
	[9] = "VMPTRLD's operand must be a 4 KiB-aligned physical address below MAXPHYADDR",
	[10] = "VMPTRLD's operand must not be the VMXON region's address",
	[11] = "VMPTRLD needs the VMCS region's dword 0 to hold the revision identifier of "
	       "IA32_VMX_BASIC[30:0] (and bit 31 clear unless VMCS shadowing is meant): write it "
	       "before VMPTRLD",
	[12] = "VMREAD and VMWRITE need the encoding of a field this processor supports (bits 63:32 "
	       "of the register operand clear too); the trace (`--trace=vmx`) shows the encoding and "
	       "its name",
	[13] = "VMWRITE to a VM-exit information field needs IA32_VMX_MISC bit 29; those fields are "
	       "written by the processor at VM exits",
	[15] = "VMXON in VMX root operation: the processor is already in VMX operation",
	[16] = "VM entry with an invalid executive-VMCS pointer (dual-monitor treatment of SMM)",
	[17] = "VM entry with a non-launched executive VMCS (dual-monitor treatment of SMM)",
	[18] = "VM entry with an executive-VMCS pointer that is not the VMXON pointer (dual-monitor "
	       "treatment of SMM)",
	[19] = "VMCALL to the SMM monitor needs a clear current VMCS",
	[20] = "VMCALL to the SMM monitor with invalid VM-exit control fields",
	[22] = "VMCALL to the SMM monitor with an incorrect MSEG revision identifier",
	[23] = "VMXOFF is refused while SMIs and SMM have the dual-monitor treatment",
	[24] = "VMCALL to the SMM monitor with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in the executive VMCS "
	       "(dual-monitor treatment of SMM)",
	[26] = "VM entry with blocking by MOV SS in GUEST_INTERRUPTIBILITY_INFO bit 1: an entry "
	       "right after MOV SS or POP SS is refused; clear that bit",
	[28] = "INVEPT and INVVPID need a type the capability MSR IA32_VMX_EPT_VPID_CAP reports, "
	       "and an operand valid for that type (a valid EPTP, or a nonzero VPID and a canonical "
	       "address for the individual-address type)",
};

const char *vmx_insn_error_rule(unsigned n)
{
	return n < sizeof(rules) / sizeof(rules[0]) ? rules[n] : 0;
}
