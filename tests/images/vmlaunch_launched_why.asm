; VMLAUNCH of a launched VMCS fails before the entry checks (VMfailValid(4)); vtsim
; names the error and the rule on stderr, or as one JSON object with --json.
;! status: 1
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: guest: running in VMX non-root operation
;! stdout: vmm: VM entry failed, error 4
;! stderr: ^vtsim: VMLAUNCH: VMfailValid\(4\), VMLAUNCH with non-clear VMCS: VMLAUNCH needs a current VMCS whose launch state is clear: after a successful VMLAUNCH use VMRESUME, or VMCLEAR and VMPTRLD the VMCS to launch it again \(SDM Vol. 3C, "VM Instruction Error Numbers"\)$
%define RELAUNCH
%include "vmm_cpuid.asm"
