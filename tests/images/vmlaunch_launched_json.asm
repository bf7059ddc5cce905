; The same VMfailValid(4) with --json: one object with the error and its rule.
;! args: --json
;! status: 1
;! stderr: ^\{"event": "vm-entry-vmfail", "lp": 0, "instruction": "VMLAUNCH", "error": 4, "what": "VMLAUNCH with non-clear VMCS", "rule": "VMLAUNCH needs a current VMCS whose launch state is clear: after a successful VMLAUNCH use VMRESUME, or VMCLEAR and VMPTRLD the VMCS to launch it again", "result": "VMfailValid", "rip": "0x1005b6", "operand": "current VMCS 0x102000", "sdm": "\\"VMLAUNCH/VMRESUME-Launch/Resume Virtual Machine\\""\}$
;! not-stderr: ^vtsim:
%define RELAUNCH
%include "vmm_cpuid.asm"
