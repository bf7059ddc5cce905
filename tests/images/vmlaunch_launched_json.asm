; The same VMfailValid(4) with --json: one object with the error and its rule.
;! args: --json
;! status: 1
;! stderr: ^\{"event": "vm-entry-vmfail", "lp": 0, "instruction": "VMLAUNCH", "error": 4, "what": "VMLAUNCH with non-clear VMCS", "rule": "VMLAUNCH needs a current VMCS whose launch state is clear: .*"\}$
;! not-stderr: ^vtsim:
%define RELAUNCH
%include "vmm_cpuid.asm"
