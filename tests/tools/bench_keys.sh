#!/usr/bin/env bash
# `vtsim bench --json` runs every benchmark in one process and prints every key issues
# #11 and #8 name, each a positive number: a benchmark that fails (or one an earlier
# benchmark in the same process breaks) drops its key and makes the exit status 1.
# Nothing is timed here; the values are not compared with their goals.
# Usage: bench_keys.sh VTSIM
set -u
vtsim=$1
out=$(${VTSIM_EMULATOR:-} "$vtsim" bench --json 2>/dev/null); st=$?
fail=0
[ "$st" = 0 ] || { echo "FAIL: vtsim bench --json exited $st"; fail=1; }
for key in vmread_us entry_checks_per_s exit_roundtrip_insn_us exit_roundtrip_hosted_us \
	io_exit_roundtrip_us msr_exit_roundtrip_us ept_violation_roundtrip_us two_vm_switch_us guest_mips_ratio \
	seamcall_roundtrip_us td_exit_roundtrip_us td_exit_roundtrip_hosted_us snapshot_reset_us fuzz_vmcs_entry_execs_per_s; do
	printf '%s' "$out" | python3 -c '
import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
sys.exit(0 if isinstance(v, (int, float)) and v > 0 else 1)' "$key" ||
		{ echo "FAIL: no positive value for $key in: $out"; fail=1; }
done
# --list names each benchmark with its goal (status 0); an unknown name or option is
# refused with status 2 and a pointer to --list.
list=$(${VTSIM_EMULATOR:-} "$vtsim" bench --list); st=$?
[ "$st" = 0 ] || { echo "FAIL: vtsim bench --list exited $st"; fail=1; }
for key in $(printf '%s' "$out" | python3 -c 'import json, sys; print(" ".join(json.load(sys.stdin)))'); do
	printf '%s\n' "$list" | grep -q "^$key " || { echo "FAIL: --list does not name $key"; fail=1; }
done
printf '%s\n' "$list" | grep -q "^exit_roundtrip_hosted_us  *<= 1 us " ||
	{ echo "FAIL: --list does not give exit_roundtrip_hosted_us's goal: $list"; fail=1; }
for bad in nosuch --nosuch; do
	msg=$(${VTSIM_EMULATOR:-} "$vtsim" bench "$bad" 2>&1 >/dev/null); st=$?
	[ "$st" = 2 ] && printf '%s' "$msg" | grep -q -- "'$bad' (vtsim bench --list" ||
		{ echo "FAIL: vtsim bench $bad: status $st, '$msg'"; fail=1; }
done
[ "$fail" = 0 ] && echo "PASS: every benchmark reported"
exit $fail
