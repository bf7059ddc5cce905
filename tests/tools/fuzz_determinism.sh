#!/usr/bin/env bash
# Every fuzz target starts each input from the same state: an input's trace (what
# `vtsim fuzz-replay --trace` prints while it runs) is the same whether it runs
# first, after the other seeds or before them. Each target's seed corpus is replayed
# in one process in name order and in reverse order, and each input's part of the
# two outputs is compared.
# Usage: fuzz_determinism.sh VTSIM CORPUS_DIR (tests/fuzz/corpus) [TARGET[:N]...]
# (TARGET:N: its first N seeds only, for the targets whose seeds run long.)
set -u
vtsim=$1
corpus=$2
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(ls "$corpus"))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# OUTPUT DIR: each input's lines (those up to its "no oracle failed" line) in
# DIR/<file name>; not the simulator's explanations of a failed instruction or
# SEAMCALL ("vtsim: ..."), which come once per machine and kind.
split_by_input() {
	mkdir -p "$2"
	awk -v dir="$2" '
		/^vtsim: / { next }
		{ buf = buf $0 "\n" }
		/^fuzz-replay: .* no oracle failed$/ {
			n = split($0, w, " "); f = w[3]; sub(/.*\//, "", f)
			printf "%s", buf > (dir "/" f); close(dir "/" f); buf = "" }' "$1"
}

for spec in "${targets[@]}"; do
	t=${spec%%:*}
	limit=${spec#*:}
	[ "$limit" != "$spec" ] || limit=100000
	[ -d "$corpus/$t" ] || { echo "FAIL $t: no seeds in $corpus/$t"; fail=1; continue; }
	files=($(ls "$corpus/$t" | sort | head -n "$limit"))
	[ ${#files[@]} -gt 1 ] || continue
	fwd=() rev=()
	for f in "${files[@]}"; do fwd+=("$corpus/$t/$f"); rev=("$corpus/$t/$f" "${rev[@]}"); done
	${VTSIM_EMULATOR:-} "$vtsim" fuzz-replay "$t" --trace "${fwd[@]}" >"$tmp/$t.fwd" 2>&1 ||
		{ echo "FAIL $t: replay in name order: status $?"; tail -5 "$tmp/$t.fwd"; fail=1; continue; }
	${VTSIM_EMULATOR:-} "$vtsim" fuzz-replay "$t" --trace "${rev[@]}" >"$tmp/$t.rev" 2>&1 ||
		{ echo "FAIL $t: replay in reverse order: status $?"; tail -5 "$tmp/$t.rev"; fail=1; continue; }
	split_by_input "$tmp/$t.fwd" "$tmp/$t/fwd"
	split_by_input "$tmp/$t.rev" "$tmp/$t/rev"
	n=0
	for f in "${files[@]}"; do
		if ! cmp -s "$tmp/$t/fwd/$f" "$tmp/$t/rev/$f"; then
			echo "FAIL $t: $f: its trace depends on the inputs before it"
			diff "$tmp/$t/fwd/$f" "$tmp/$t/rev/$f" | head -10
			fail=1
		fi
		n=$((n + 1))
	done
	echo "$t: $n inputs compared"
done
[ $fail = 0 ] && echo "fuzz_determinism: all passed"
exit $fail
