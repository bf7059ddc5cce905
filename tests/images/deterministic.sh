#!/usr/bin/env bash
# Runs each image twice with the full trace (every instruction included) and
# requires byte-identical stdout, trace and exit status: time is virtual.
# Usage: deterministic.sh VTSIM IMAGE...
set -u
vtsim=$1; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for img in "$@"; do
  for n in 1 2; do
    ${VTSIM_EMULATOR:-} "$vtsim" run --trace=all --trace-file "$tmp/trace$n" "$img" \
      >"$tmp/out$n" 2>/dev/null </dev/null
    echo $? >"$tmp/status$n"
  done
  for f in out trace status; do
    if ! cmp -s "$tmp/${f}1" "$tmp/${f}2"; then
      echo "FAIL: $(basename "$img"): $f differs between two runs"; fail=1
    fi
  done
  [ -s "$tmp/trace1" ] || { echo "FAIL: $(basename "$img"): empty trace"; fail=1; }
  echo "$(basename "$img"): $(wc -l <"$tmp/trace1") trace lines, status $(cat "$tmp/status1")"
done
exit $fail
