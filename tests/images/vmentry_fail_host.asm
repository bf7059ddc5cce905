; VMLAUNCH with a null host CS selector: the controls pass, the host-state checks
; fail: VMfailValid(8), and vtsim names HOST_CS_NONNULL on stderr. (The VMM reports
; a failed VMLAUNCH with debug-exit value 1: status 3.)
;! status: 3
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: vmm: VM entry failed, error 8
;! stderr: VM-entry failed: HOST_CS_NONNULL: .*HOST_CS_SELECTOR=0x0.*VMfailValid\(8\)
%define BREAK_HOST
%include "vmm_cpuid.asm"
