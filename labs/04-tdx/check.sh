#!/usr/bin/env bash
# Lab 4's check: is the TD built, does it run to its halt, and is it torn down?
. "$(dirname "$0")/../common/check-lib.sh"
lab_run --tdx --mem 128M
if [ "$status" = 1 ] && has_line "td: hello from a trust domain" &&
   grep -q '^vmm: the TD halted after [0-9]* TDVMCALLs$' "$OUT/stdout.txt" &&
   has_line "TD torn down: 20 pages reclaimed"; then
	pass "the TDX module accepted your TD build, TDH.VP.ENTER ran the TD to its halt (its message came through TDVMCALL<Instruction.IO>), and the teardown reclaimed all 20 pages."
fi
if why=$(explain_seamcall_failure); then
	not_yet "$why. Which step of the TD build is missing before it?"
fi
if st=$(sed -n 's/^FAIL: unexpected TD exit: status \([0-9a-f]\{16\}\) .*/\1/p' "$OUT/stdout.txt") && [ -n "$st" ]; then
	not_yet "TDH.VP.ENTER returned $(status_name "$st"). Which step of the TD build is missing?"
fi
not_yet "$(why_run_ended)"
