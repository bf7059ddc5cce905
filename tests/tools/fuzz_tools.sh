#!/usr/bin/env bash
# `vtsim fuzz-replay` and `vtsim checks --coverage` on checked-in seeds: the replay
# is the same every run and says what the target did; the coverage of one VM input
# (greet on COM1, halt) is exactly its three VM entries and exits and kvmlike's
# TDX bring-up.
# Usage: fuzz_tools.sh VTSIM CORPUS_DIR (tests/fuzz/corpus)
set -u
vtsim=$1
corpus=$2
fail=0
run() { ${VTSIM_EMULATOR:-} "$vtsim" "$@" 2>&1; }
expect() { # WHAT OUTPUT PATTERN...
	local what=$1 out=$2; shift 2
	for p in "$@"; do
		grep -qE -- "$p" <<<"$out" || { echo "FAIL $what: no '$p' in:"; echo "$out" | head -40; fail=1; }
	done
}

seed=$corpus/vt_dispatch/vm_snippet_00
a=$(run fuzz-replay vt_dispatch "$seed" --trace); st=$?
b=$(run fuzz-replay vt_dispatch "$seed" --trace)
[ $st = 0 ] || { echo "FAIL fuzz-replay: status $st"; fail=1; }
[ "$a" = "$b" ] || { echo "FAIL fuzz-replay: two replays differ"; diff <(echo "$a") <(echo "$b") | head; fail=1; }
expect fuzz-replay "$a" '^vt_dispatch: KVM_CREATE_VM\(0\) = 0$' \
	'^vt_dispatch: KVM_RUN on LP 0 = 0, exit 2$' '^vt_dispatch: KVM_RUN on LP 0 = 0, exit 5$' \
	'^vt_dispatch: destroy VM$' 'fuzz-replay: vt_dispatch: .*vm_snippet_00 \(24 bytes\): no oracle failed'

out=$(run fuzz-replay nosuch "$seed"); st=$?
[ $st = 2 ] || { echo "FAIL fuzz-replay nosuch: status $st"; fail=1; }
expect "fuzz-replay nosuch" "$out" "no fuzz target 'nosuch'" '^fuzz targets: .*vmcs_entry.*vt_dispatch'

one=$(mktemp -d)
trap 'rm -rf "$one"' EXIT
cp "$seed" "$one/"
out=$(run checks --coverage --target vt_dispatch "$one"); st=$?
[ $st = 0 ] || { echo "FAIL checks --coverage: status $st"; fail=1; }
expect "checks --coverage" "$out" '^coverage of 1 inputs through fuzz target vt_dispatch$' \
	'^CTL_PIN_RESERVED passed=3 failed=0$' '^checks hit: [0-9]+ of [0-9]+ \(passed [0-9]+, failed 0\)$' \
	'^exit HLT \(12\): 1$' '^exit IO_INSTRUCTION \(30\): 1$' '^exit EPT_VIOLATION \(48\): 1$' \
	'^exit reasons: 3, failed-entry reasons: 0$' \
	'^seamcall TDH.SYS.RD \(34\) TDX_SUCCESS \(0x0000000000000000\): 20$' \
	'^seamcall TDH.SYS.LP.INIT \(35\) TDX_SUCCESS \(0x0000000000000000\): 2$' \
	'^seamcall leaf/status pairs: 6$'
hit=$(grep -cE 'passed=[1-9][0-9]* failed=0$' <<<"$out")
total=$(grep -E '^checks hit' <<<"$out" | sed -E 's/^checks hit: ([0-9]+) of .*/\1/')
[ "$hit" = "$total" ] || { echo "FAIL checks --coverage: $hit rows passed, summary says $total hit"; fail=1; }

out=$(run checks --coverage "$one"); st=$?
[ $st = 2 ] || { echo "FAIL checks --coverage without a target: status $st"; fail=1; }
expect "checks --coverage without a target" "$out" "no fuzz target '.*' \(name it with --target\)"

[ $fail = 0 ] && echo "fuzz_tools: all passed"
exit $fail
