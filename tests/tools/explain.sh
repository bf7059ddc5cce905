#!/usr/bin/env bash
# `vtsim explain`: the decodings students and developers ask for, from the tables.
# Usage: explain.sh VTSIM
set -u
vtsim=$1
fail=0
check() { # ARGS... -- PATTERN...
	local args=() pats=() seen=0
	for a in "$@"; do
		if [ "$a" = "--" ]; then seen=1; continue; fi
		if [ $seen = 0 ]; then args+=("$a"); else pats+=("$a"); fi
	done
	local out st
	out=$(${VTSIM_EMULATOR:-} "$vtsim" explain "${args[@]}" 2>&1); st=$?
	[ $st = 0 ] || { echo "FAIL explain ${args[*]}: status $st"; fail=1; }
	for p in "${pats[@]}"; do
		grep -qE -- "$p" <<<"$out" || { echo "FAIL explain ${args[*]}: no '$p' in: $out"; fail=1; }
	done
}
check error 7 -- 'VM-instruction error 7: VM entry with invalid control field\(s\)'
check error 28 -- 'invalid operand to INVEPT/INVVPID'
check exit 48 0x181 -- 'EPT_VIOLATION' 'data read' 'not present' 'final guest-physical'
check exit 48 0x81 -- 'guest paging-structure entry'
check exit 0x80000021 -- 'basic reason 33, INVALID_STATE' 'VM entry failed'
check exit 0x80000022 3 -- "MSR-load list's entry 3"
check exit 28 0x113 -- 'CR3, access type 1 \(MOV from CR\), general register RCX'
check exit 30 0xe90008 -- 'IN of 1 byte\(s\) at port 0xe9'
check status 0xC0000B0D00000001 -- 'TDX_EPT_ENTRY_STATE_INCORRECT' 'operand: RCX'
check status 0x0000081500000000 -- 'TDX_KEY_CONFIGURED' 'informational'
check status 0x8000FF00FFFF0000 -- 'VMFAILINVALID'
check check CTL_EPTP_VALID -- 'control check' 'VMfailValid\(7\)'
out=$(${VTSIM_EMULATOR:-} "$vtsim" explain check NO_SUCH 2>&1); st=$?
[ $st = 2 ] || { echo "FAIL unknown check: status $st"; fail=1; }
out=$(${VTSIM_EMULATOR:-} "$vtsim" explain error x7 2>&1); st=$?
[ $st = 2 ] || { echo "FAIL bad number: status $st"; fail=1; }
[ $fail = 0 ] && echo "ok explain"
exit $fail
