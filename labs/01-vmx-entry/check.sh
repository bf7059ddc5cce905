#!/usr/bin/env bash
# Lab 1's check: did VMLAUNCH enter the guest, and did its HLT come back as a VM exit?
. "$(dirname "$0")/../common/check-lib.sh"
lab_run
if [ "$status" = 1 ] && has_line "guest: hello from VMX non-root operation" &&
   has_line "vmm: the guest halted: exit reason 12 (HLT)"; then
	pass "VMLAUNCH entered your guest, it printed its greeting, and its HLT came back to your VMM as exit reason 12 (HLT)."
fi
if why=$(explain_entry_failure); then
	not_yet "$why"
fi
if has_line "vmm: VMLAUNCH" && ! has_line "guest: hello from VMX non-root operation"; then
	not_yet "VMLAUNCH did not enter the guest; the VMM printed: $(tail -n1 "$OUT/stdout.txt")"
fi
not_yet "$(why_run_ended)"
