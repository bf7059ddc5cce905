; --json with --vmcs-dump and --vmcs-diff: each is one JSON object on its own line.
;! args: --json --vmcs-dump --vmcs-diff
;! status: 1
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: guest: running in VMX non-root operation
;! stdout: vmm: VM-entry failure, exit reason 0x80000021, qualification 0x0
;! stderr: ^\{"event": "vm-entry-failed", .*"check": "GUEST_RFLAGS_RSVD"
;! stderr: ^\{"event": "vmcs-dump", "lp": 0, "vmcs": "0x[0-9a-f]+", "fields": \[\{"field": "VIRTUAL_PROCESSOR_ID", .*\{"field": "GUEST_RFLAGS", "encoding": "0x6820", "type": "guest", "value": "0x0"\}.*\]\}$
;! stderr: ^\{"event": "vmcs-diff", "lp": 0, "vmcs": "0x[0-9a-f]+", "earlier": "0x[0-9a-f]+", "fields": \[.*\{"field": "GUEST_RFLAGS", "encoding": "0x6820", "old": "0x46", "new": "0x0"\}.*\]\}$
%define BREAK_LATER
%include "vmm_cpuid.asm"
