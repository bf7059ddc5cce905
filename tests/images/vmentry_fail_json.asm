; With --json, a failed VM entry is reported as one JSON object on stderr, with the
; check's stable ID, its class, the field, the SDM section and the result.
;! args: --json
;! status: 1
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: vmm: VM-entry failure, exit reason 0x80000021, qualification 0x0
;! stderr: ^\{"event": "vm-entry-failed", "lp": 0, "instruction": "VMLAUNCH", "check": "GUEST_RFLAGS_RSVD", "class": "guest", "field": "GUEST_RFLAGS", "value": "0x0", "sdm": "VM Entries 3\.1\.4", "result": "VM-entry failure, exit reason 33, qualification 0", "rule": ".+"\}$
;! not-stderr: VM-entry failed:
%define BREAK_GUEST
%include "vmm_cpuid.asm"
