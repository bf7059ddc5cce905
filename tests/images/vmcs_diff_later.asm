; --vmcs-diff: VMLAUNCH enters the guest (100 CPUID exits and VMRESUMEs), then the
; VMM clears GUEST_RFLAGS bit 1 and VMRESUMEs: the entry fails its guest-state check,
; and vtsim lists the fields that differ from the VMCS of the last entry that passed
; (name, old, new); exit-information fields are not listed.
;! args: --vmcs-diff
;! status: 1
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: guest: running in VMX non-root operation
;! stdout: vmm: VM-entry failure, exit reason 0x80000021, qualification 0x0
;! stderr: VMRESUME: VM-entry failed: GUEST_RFLAGS_RSVD: .*GUEST_RFLAGS=0x0
;! stderr: ^vtsim: VMRESUME: VMCS 0x[0-9a-f]+ against the last VMCS that entered on lp0 \(0x[0-9a-f]+\), fields changed \(old -> new\):$
;! stderr: ^  GUEST_RFLAGS +\(0x6820\): 0x46 -> 0x0$
;! stderr: ^  GUEST_RIP +\(0x681e\): 0x[0-9a-f]+ -> 0x[0-9a-f]+$
;! not-stderr: VM_EXIT_REASON|EXIT_QUALIFICATION
;! not-stderr: PIN_BASED_VM_EXEC_CONTROL
%define BREAK_LATER
%include "vmm_cpuid.asm"
