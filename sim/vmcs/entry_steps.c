/* The basic checks of VMLAUNCH/VMRESUME and the steps after the check tables, as
 * data (entry_steps.h). */
#include "sim/vmcs/entry_steps.h"

#include "sim/vmcs/errors.h"

const struct entry_step entry_pre_checks[ENTRY_PRE_COUNT] = {
	[PRE_UD_MODE] = { "PRE_UD_MODE", "1", "in VMX operation, protected mode, not virtual-8086 "
			  "or compatibility mode, else #UD", PRE_FAULT_UD, 0 },
	[PRE_NONROOT] = { "PRE_NONROOT", "1", "in VMX non-root operation the instruction is a VM exit "
			  "(20 VMLAUNCH, 24 VMRESUME)", PRE_VM_EXIT, 0 },
	[PRE_CPL] = { "PRE_CPL", "1", "CPL 0, else #GP(0)", PRE_FAULT_GP, 0 },
	[PRE_VMCS_PTR] = { "PRE_VMCS_PTR", "1", "a current VMCS, else VMfailInvalid",
			   PRE_FAIL_INVALID, 0 },
	[PRE_NOT_SHADOW] = { "PRE_NOT_SHADOW", "1", "the current VMCS is not a shadow VMCS, else "
			     "VMfailInvalid", PRE_FAIL_INVALID, 0 },
	[PRE_MOVSS] = { "PRE_MOVSS", "1", "events not blocked by MOV SS, else VMfailValid(26)",
			PRE_FAIL_VALID, VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS },
	[PRE_LAUNCH_CLEAR] = { "PRE_LAUNCH_CLEAR", "1", "VMLAUNCH: the VMCS's launch state is clear, "
			       "else VMfailValid(4)", PRE_FAIL_VALID, VMXERR_VMLAUNCH_NONCLEAR_VMCS },
	[PRE_RESUME_LAUNCHED] = { "PRE_RESUME_LAUNCHED", "1", "VMRESUME: the VMCS's launch state is "
				  "launched, else VMfailValid(5)", PRE_FAIL_VALID,
				  VMXERR_VMRESUME_NONLAUNCHED_VMCS },
	[PRE_RESUME_CORRUPTED] = { "PRE_RESUME_CORRUPTED", "1", "VMRESUME: the VMCS was launched in "
				   "this VMX operation (not before a VMXOFF), else VMfailValid(6)",
				   PRE_FAIL_VALID, VMXERR_VMRESUME_AFTER_VMXOFF },
	[PRE_SMM_EXEC_VMCS] = { "PRE_SMM_EXEC_VMCS", "1", "an entry that returns from SMM (dual-monitor "
				"treatment): a valid, launched executive VMCS (the VMXON pointer "
				"when deactivating) with valid controls, else VMfailValid(16, 17, "
				"18 or 25)", PRE_FAIL_VALID, 0 },
};

const struct entry_step entry_after_checks[ENTRY_AFTER_COUNT] = {
	[AFTER_FAIL_EXIT] = { "ENTRY_FAIL_EXIT", "8", "a failed entry (exit reason 33, 34 or 41 with bit 31) loads host "
	  "state and the VM-exit MSR-load list; guest state, the MSR-store list, the "
	  "entry interruption-information valid bit and the launch state are left alone", 0, 0 },
	[AFTER_MCE] = { "ENTRY_MCE", "9", "a machine check during VM entry fails it with exit reason 41 "
	  "(vtsim_inject_entry_mce arms one)", 0, 0 },
	[AFTER_LAUNCHED] = { "ENTRY_LAUNCHED", "1", "a successful VMLAUNCH makes the launch state launched", 0, 0 },
	[AFTER_INJECT] = { "ENTRY_INJECT", "6", "the event in the VM-entry interruption-information field is "
	  "delivered (or a pending MTF), then the preemption timer runs", 0, 0 },
};
const size_t entry_after_checks_count = sizeof(entry_after_checks) / sizeof(entry_after_checks[0]);
