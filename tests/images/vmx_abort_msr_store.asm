; A VMX abort while saving guest state: the VM-exit MSR-store list names an MSR that
; does not exist, so the first VM exit (the guest's CPUID) cannot store it. vtsim
; says which entry and MSR, where the indicator went, that the LP shut down, and
; what the list may hold; `vtsim explain abort 1` says what the indicator means.
;! status: 3
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: guest: running in VMX non-root operation
;! stderr: VMX abort 1 \(saving guest MSRs to the VM-exit MSR-store list failed\): entry 1 of the list at 0x[0-9a-f]+ names MSR 0x12345678, which cannot be read there; the processor wrote 1 to the VMX-abort indicator \(offset 4 of the VMCS region 0x[0-9a-f]+\) and the logical processor shuts down\. To avoid it, a VM-exit MSR-store list may name only MSRs that RDMSR at CPL 0 would read: no x2APIC MSR \(800H-8FFH\), not IA32_SMBASE outside SMM, and bits 63:32 of each entry's first quadword 0 \(SDM Vol. 3C "VMX Aborts"; `vtsim explain abort 1`\)
%define BREAK_EXIT_MSR_STORE
%include "vmm_cpuid.asm"
