#!/usr/bin/env bash
# Runs one image twice with the same options and compares everything that comes
# out: stdout, stderr, the trace (--trace to a file) and the exit status.
# Usage: repeat.sh VTSIM IMAGE [OPTIONS...]
set -u
vtsim=$1 img=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in 1 2; do
	${VTSIM_EMULATOR:-} "$vtsim" run "$@" --trace --trace-file "$tmp/trace$n" "$img" \
		>"$tmp/out$n" 2>"$tmp/err$n" </dev/null
	echo $? >"$tmp/status$n"
done
fail=0
for f in out err trace status; do
	cmp -s "$tmp/${f}1" "$tmp/${f}2" || { echo "FAIL: $f differs between two runs"; diff "$tmp/${f}1" "$tmp/${f}2" | head -20; fail=1; }
done
echo "status $(cat "$tmp/status1"); stdout: $(head -c 200 "$tmp/out1")"
exit $fail
