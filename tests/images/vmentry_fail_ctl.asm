; VMLAUNCH with pin-based controls that lack the bits IA32_VMX_TRUE_PINBASED_CTLS
; requires: VMfailValid(7), and vtsim names the failed check on stderr. (The VMM
; reports a failed VMLAUNCH with debug-exit value 1: status 3.)
;! status: 3
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: vmm: VM entry failed, error 7
;! stderr: VM-entry failed: CTL_PIN_RESERVED: .*PIN_BASED_VM_EXEC_CONTROL=0x0.*VMfailValid\(7\)
%define BREAK_CTL
%include "vmm_cpuid.asm"
