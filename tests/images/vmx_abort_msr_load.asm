; A VMX abort: the VM-exit MSR-load list names an MSR that does not exist, so the
; first VM exit (the guest's CPUID) cannot load host state. vtsim says which entry
; and MSR, where the indicator went, and that the LP shut down; `vtsim explain abort
; 4` says what the indicator means.
;! status: 3
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: guest: running in VMX non-root operation
;! stderr: VMX abort 4 \(loading host MSRs from the VM-exit MSR-load list failed\): entry 1 of the list at 0x[0-9a-f]+ names MSR 0x12345678, which cannot be loaded there; the processor wrote 4 to the VMX-abort indicator \(offset 4 of the VMCS region 0x[0-9a-f]+\) and the logical processor shuts down\. To avoid it, a VM-exit MSR-load list may name only MSRs that WRMSR at CPL 0 would accept with that value: .* \(SDM Vol. 3C "VMX Aborts"
%define BREAK_EXIT_MSRS
%include "vmm_cpuid.asm"
