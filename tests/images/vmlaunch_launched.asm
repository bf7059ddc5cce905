; After a successful VMLAUNCH and 100 CPUID exits, VMLAUNCH of the same (now
; launched) VMCS fails with VMfailValid(4); VMRESUME had worked for each exit.
;! status: 1
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: guest: running in VMX non-root operation
;! stdout: vmm: VM entry failed, error 4
%define RELAUNCH
%include "vmm_cpuid.asm"
