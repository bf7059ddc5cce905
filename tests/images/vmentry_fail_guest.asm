; VMLAUNCH with guest RFLAGS bit 1 clear: the checks on guest state fail after the
; controls and host state passed, so the processor loads host state and "exits" with
; reason 33 | 0x80000000 to HOST_RIP; vtsim names the failed check on stderr.
;! status: 1
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: vmm: VM-entry failure, exit reason 0x80000021, qualification 0x0
;! stderr: VM-entry failed: GUEST_RFLAGS_RSVD: .*GUEST_RFLAGS=0x0.*exit reason 33
%define BREAK_GUEST
%include "vmm_cpuid.asm"
