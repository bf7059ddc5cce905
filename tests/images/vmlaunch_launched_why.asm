; VMLAUNCH of a launched VMCS fails before the entry checks (VMfailValid(4)); vtsim
; names the error and the rule on stderr, or as one JSON object with --json.
;! status: 1
;! stderr: ^vtsim: VMLAUNCH at RIP=0x1005b6 on lp0: VMfailValid\(4\), VMLAUNCH with non-clear VMCS; current VMCS 0x102000\. VMLAUNCH needs a current VMCS whose launch state is clear: after a successful VMLAUNCH use VMRESUME, or VMCLEAR and VMPTRLD the VMCS to launch it again \(SDM Vol\. 3C, "VMLAUNCH/VMRESUME-Launch/Resume Virtual Machine"\)$
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: guest: running in VMX non-root operation
;! stdout: vmm: VM entry failed, error 4
%define RELAUNCH
%include "vmm_cpuid.asm"
