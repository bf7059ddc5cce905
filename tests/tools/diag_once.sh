#!/usr/bin/env bash
# VMfails and SEAMCALL refusals are explained once per distinct (instruction,
# outcome, RIP), 64 at most per run, so a VMM that probes does not flood stderr;
# the trace still shows each one.
# Usage: diag_once.sh VTSIM IMAGES_DIR
set -u
vtsim=$1 imgdir=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { ${VTSIM_EMULATOR:-} "$vtsim" run "$@" </dev/null >/dev/null; }
count() { grep -c -- "$1" "$2"; }
expect() { # WHAT GOT WANT
	[ "$2" = "$3" ] || { echo "FAIL $1: $2, expected $3"; fail=1; }
}

# 200 VMREADs of a field the model lacks at one RIP, then 70 at 70 RIPs: the loop's
# VMfail once, 63 of the others, one notice; the trace has all 270.
run --trace=vmx --trace-file "$tmp/trace" "$imgdir/vmfail_probe.img" 2>"$tmp/err"
expect "vmfail_probe: explained VMfails" "$(count '^vtsim: VMREAD at RIP=' "$tmp/err")" 64
expect "vmfail_probe: notices" "$(count '^vtsim: 64 distinct VMfails' "$tmp/err")" 1
expect "vmfail_probe: lines on stderr" "$(wc -l <"$tmp/err")" 65
expect "vmfail_probe: traced VMfails" "$(count 'VMREAD INJECTED_EVENT_DATA(0x2052) : VMfailValid(12)' "$tmp/trace")" 270
loop_rip=$(grep -m1 -o 'RIP=0x[0-9a-f]*' "$tmp/err")
expect "vmfail_probe: the loop's RIP explained" "$(count "$loop_rip" "$tmp/err")" 1

# The same SEAMCALL VMfailInvalid three times at one RIP: told once.
run "$imgdir/seamcall_refused.img" 2>"$tmp/err"
expect "seamcall_refused: VMfailInvalid lines" "$(count 'SEAMCALL at RIP=.*VMfailInvalid' "$tmp/err")" 1
expect "seamcall_refused: #UD lines" "$(count 'SEAMCALL at RIP=.*#UD' "$tmp/err")" 1

[ $fail = 0 ] && echo "ok diag_once"
exit $fail
