#!/usr/bin/env bash
# Lab 2's check: does the guest see the hypervisor through CPUID, and do its OUTs
# reach COM1?
. "$(dirname "$0")/../common/check-lib.sh"
lab_run
hv="guest: CPUID.1:ECX.hypervisor = 1"
sig="guest: hypervisor signature VtsimLabVMM!"
if [ "$status" = 1 ] && has_line "$hv" && has_line "$sig" &&
   has_line "vmm: the guest halted: exit reason 12 (HLT)"; then
	pass "your VMM answered the guest's CPUID (hypervisor bit and signature VtsimLabVMM!) and emulated its OUTs to COM1; the guest halted (exit reason 12)."
fi
if why=$(explain_entry_failure); then
	not_yet "$why"
fi
if n=$(sed -n 's/^vmm: unhandled exit reason \([0-9]*\)$/\1/p' "$OUT/stdout.txt") && [ -n "$n" ]; then
	not_yet "your VMM has no handler for exit reason $n: $(explain_last_exit "$n")"
fi
if has_line "guest: CPUID.1:ECX.hypervisor = 0"; then
	not_yet "the guest read CPUID leaf 1 with ECX bit 31 (hypervisor present) clear: your CPUID handler must set it."
fi
if got=$(sed -n 's/^guest: hypervisor signature \(.*\)$/\1/p' "$OUT/stdout.txt") && [ -n "$got" ]; then
	not_yet "the guest read the signature '$got' from CPUID leaf 0x40000000 (EBX, ECX, EDX), not 'VtsimLabVMM!'."
fi
not_yet "$(why_run_ended)"
