; --vmcs-dump and --vmcs-diff at the very first VMLAUNCH, which fails its control
; checks (pin-based controls 0): the VMCS by field name, with the value that broke
; the rule; and the diff says there is no earlier entry to compare with.
;! args: --vmcs-dump --vmcs-diff
;! status: 3
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: vmm: VM entry failed, error 7
;! stderr: VM-entry failed: CTL_PIN_RESERVED
;! stderr: ^vtsim: VMLAUNCH: VMCS 0x[0-9a-f]+ on lp0 at the failed entry, by field:$
;! stderr: ^  control +PIN_BASED_VM_EXEC_CONTROL +\(0x4000\) = 0x0$
;! stderr: ^  control +VM_ENTRY_CONTROLS +\(0x4012\) = 0x13fb$
;! stderr: ^  guest +GUEST_RFLAGS +\(0x6820\) = 0x2$
;! stderr: ^  host +HOST_CS_SELECTOR +\(0x0c02\) = 0x8$
;! stderr: ^vtsim: VMLAUNCH: --vmcs-diff: no VM entry on lp0 has succeeded yet, so there is no earlier VMCS to compare with$
%define BREAK_CTL
%include "vmm_cpuid.asm"
