/* VM-instruction errors and the causes of VMfailInvalid as rules: one table each,
 * indexed by error number or cause. */
#include "sim/vmcs/error_rules.h"

#define SDM_VMCALL "\"VMCALL-Call to VM Monitor\""
#define SDM_VMCLEAR "\"VMCLEAR-Clear Virtual-Machine Control Structure\""
#define SDM_VMLAUNCH "\"VMLAUNCH/VMRESUME-Launch/Resume Virtual Machine\""
#define SDM_VMPTRLD "\"VMPTRLD-Load Pointer to Virtual-Machine Control Structure\""
#define SDM_VMREAD_WRITE "\"VMREAD-Read Field from Virtual-Machine Control Structure\" and \"VMWRITE\""
#define SDM_VMWRITE "\"VMWRITE-Write Field to Virtual-Machine Control Structure\""
#define SDM_VMXON "\"VMXON-Enter VMX Operation\""
#define SDM_VMXOFF "\"VMXOFF-Leave VMX Operation\""
#define SDM_INV "\"INVEPT-Invalidate Translations Derived from EPT\" and \"INVVPID\""
#define SDM_BASIC "\"Basic VM-Entry Checks\""
#define SDM_SMM_ENTRY "\"VM Entries That Return from SMM\""
#define SDM_SMM_ACTIVATE "\"Activating the Dual-Monitor Treatment\""

static const struct vmx_fail_rule rules[] = {
	[1] = { "VMCALL in VMX root operation calls the SMM monitor, so it needs the dual-monitor "
		"treatment to be possible: outside SMM, IA32_VMX_BASIC bit 49 set and IA32_SMM_MONITOR_CTL's "
		"valid bit set",
		"a VMM calls its guest's hypervisor only from VMX non-root operation; VMCALL in root "
		"operation is for activating an SMM monitor", SDM_VMCALL },
	[2] = { "VMCLEAR's operand must be a 4 KiB-aligned physical address below MAXPHYADDR",
		"pass the address of a 4 KiB-aligned VMCS region in RAM", SDM_VMCLEAR },
	[3] = { "VMCLEAR's operand must not be the VMXON region's address",
		"clear a VMCS region, not the VMXON region", SDM_VMCLEAR },
	[4] = { "VMLAUNCH needs a current VMCS whose launch state is clear",
		"after a successful VMLAUNCH use VMRESUME, or VMCLEAR and VMPTRLD the VMCS to launch it "
		"again", SDM_VMLAUNCH },
	[5] = { "VMRESUME needs a current VMCS whose launch state is launched",
		"the first entry with a VMCS (and the first after VMCLEAR) must be VMLAUNCH", SDM_VMLAUNCH },
	[6] = { "VMRESUME of a VMCS launched in an earlier VMX operation (VMXOFF and VMXON since its "
		"VMLAUNCH, no VMCLEAR)",
		"VMCLEAR it before VMXOFF, or VMCLEAR and VMLAUNCH it again", SDM_VMLAUNCH },
	[7] = { "a VM-execution, VM-exit or VM-entry control field breaks a rule of the checks on VMX "
		"controls",
		"vtsim names the check (CTL_*) on the line before; `vtsim explain check ID` and `vtsim "
		"explain control FIELD VALUE` say what it accepts", "\"Checks on VMX Controls\"" },
	[8] = { "a host-state field breaks a rule of the checks on the host-state area",
		"vtsim names the check (HOST_*) on the line before; `vtsim explain check ID` says what it "
		"accepts", "\"Checks on Host Control Registers, MSRs, and SSP\" and the sections after it" },
	[9] = { "VMPTRLD's operand must be a 4 KiB-aligned physical address below MAXPHYADDR",
		"pass the address of a 4 KiB-aligned VMCS region in RAM", SDM_VMPTRLD },
	[10] = { "VMPTRLD's operand must not be the VMXON region's address",
		 "give each VMCS a region of its own, apart from the VMXON region", SDM_VMPTRLD },
	[11] = { "VMPTRLD needs the VMCS region's dword 0 to hold the revision identifier of "
		 "IA32_VMX_BASIC[30:0] (and bit 31 clear unless VMCS shadowing is meant)",
		 "write the revision identifier there before VMPTRLD", SDM_VMPTRLD },
	[12] = { "VMREAD and VMWRITE need the encoding of a field this processor supports (bits 63:32 "
		 "of the register operand clear too)",
		 "use an encoding the CPU model has (`--vmcs-dump` lists them; IA32_VMX_VMCS_ENUM gives the "
		 "highest index), or read the capability MSR that says whether the field exists first",
		 SDM_VMREAD_WRITE },
	[13] = { "VMWRITE to a VM-exit information field needs IA32_VMX_MISC bit 29",
		 "leave those fields to the processor, which writes them at VM exits", SDM_VMWRITE },
	[15] = { "VMXON in VMX root operation: the processor is already in VMX operation",
		 "execute VMXON once, or VMXOFF before the next VMXON", SDM_VMXON },
	[16] = { "a VM entry that returns from SMM needs a valid executive-VMCS pointer: 4 KiB "
		 "aligned, below MAXPHYADDR, with the VMCS revision identifier in its region",
		 "let the SMM monitor keep the executive-VMCS pointer the SMM VM exit stored", SDM_SMM_ENTRY },
	[17] = { "a VM entry that returns from SMM to VMX non-root operation needs a launched "
		 "executive VMCS",
		 "return only to a VMCS that was launched when the SMI came (or to the VMXON pointer, "
		 "for root operation)", SDM_SMM_ENTRY },
	[18] = { "a VM entry that deactivates the dual-monitor treatment must return to VMX root "
		 "operation: the executive-VMCS pointer must be the VMXON pointer",
		 "deactivate only from an SMM VM exit that came from root operation, or clear the "
		 "\"deactivate dual-monitor treatment\" entry control", SDM_SMM_ENTRY },
	[19] = { "VMCALL activating the dual-monitor treatment needs a current VMCS whose launch "
		 "state is clear",
		 "VMCLEAR the VMCS and VMPTRLD it again before the VMCALL", SDM_SMM_ACTIVATE },
	[20] = { "VMCALL activating the dual-monitor treatment checks the current VMCS's VM-exit "
		 "controls, and one is not valid",
		 "make the VM-exit controls pass the VM-entry checks on VM-exit control fields (`vtsim "
		 "explain control exit VALUE`)", SDM_SMM_ACTIVATE },
	[22] = { "VMCALL activating the dual-monitor treatment needs MSEG's revision identifier to "
		 "equal IA32_VMX_MISC[63:32]",
		 "write that value at the start of MSEG (IA32_SMM_MONITOR_CTL[31:12])", SDM_SMM_ACTIVATE },
	[23] = { "VMXOFF is refused while SMIs and SMM have the dual-monitor treatment",
		 "have the SMM monitor deactivate the treatment (a VM entry with \"deactivate dual-monitor "
		 "treatment\") before VMXOFF", SDM_VMXOFF },
	[24] = { "VMCALL activating the dual-monitor treatment needs valid SMM-monitor features in "
		 "MSEG: only bit 0 (IA-32e mode SMM) may be set",
		 "clear the reserved feature bits in MSEG's header", SDM_SMM_ACTIVATE },
	[25] = { "a VM entry that returns from SMM to VMX non-root operation needs the executive "
		 "VMCS's VM-execution controls to pass the checks on VMX controls",
		 "fix those controls in the executive VMCS (`vtsim explain control FIELD VALUE`)",
		 SDM_SMM_ENTRY },
	[26] = { "a VM entry right after MOV SS or POP SS (blocking by MOV SS, "
		 "GUEST_INTERRUPTIBILITY_INFO bit 1) is refused",
		 "do not put VMLAUNCH/VMRESUME right after MOV SS or POP SS", SDM_BASIC },
	[28] = { "INVEPT and INVVPID need a type the capability MSR IA32_VMX_EPT_VPID_CAP reports, "
		 "and an operand valid for that type (a valid EPTP for single-context INVEPT; bits 63:16 "
		 "of the descriptor clear, a nonzero VPID except for the all-context type, and a canonical "
		 "address for the individual-address type)",
		 "read IA32_VMX_EPT_VPID_CAP and use a type it reports, with a descriptor as that type "
		 "needs", SDM_INV },
};

static const struct vmx_fail_rule invalid_rules[] = {
	[VMFAIL_INVALID_NO_VMCS_FOR_ERROR] = { "there is no current VMCS to hold the error number, so "
		"the failure is VMfailInvalid",
		"VMPTRLD a VMCS first to get the error number in VM_INSTRUCTION_ERROR",
		"\"Conventions\" (VMfail)" },
	[VMFAIL_INVALID_NO_CURRENT_VMCS] = { "the instruction needs a current VMCS, and there is none "
		"(none was loaded since VMXON, or VMCLEAR of the current one made it invalid)",
		"VMPTRLD a VMCS before it", "\"VMX Instruction Reference\", the instruction's operation" },
	[VMFAIL_INVALID_SHADOW_VMCS] = { "VMLAUNCH and VMRESUME cannot enter with a shadow VMCS (bit "
		"31 of its revision dword set)", "VMPTRLD an ordinary VMCS to enter", SDM_VMLAUNCH },
	[VMFAIL_INVALID_VMXON_ADDRESS] = { "VMXON's operand must be a 4 KiB-aligned physical address "
		"below MAXPHYADDR", "pass the address of a 4 KiB-aligned VMXON region in RAM", SDM_VMXON },
	[VMFAIL_INVALID_VMXON_REVISION] = { "VMXON needs the VMXON region's dword 0 to hold the "
		"revision identifier of IA32_VMX_BASIC[30:0], with bit 31 clear",
		"write the revision identifier there before VMXON", SDM_VMXON },
	[VMFAIL_INVALID_VMCALL_NO_VMCS] = { "VMCALL activating the dual-monitor treatment needs a "
		"current VMCS (it becomes the executive VMCS)", "VMPTRLD a clear VMCS before the VMCALL",
		SDM_SMM_ACTIVATE },
};

const struct vmx_fail_rule *vmx_insn_error_rule(unsigned n)
{
	return n < sizeof(rules) / sizeof(rules[0]) && rules[n].rule ? &rules[n] : 0;
}

const struct vmx_fail_rule *vmx_fail_invalid_rule(unsigned cause)
{
	return cause < sizeof(invalid_rules) / sizeof(invalid_rules[0]) && invalid_rules[cause].rule
		       ? &invalid_rules[cause] : 0;
}
