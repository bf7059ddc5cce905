#!/usr/bin/env bash
# Runs one image test: run_image.sh VTSIM SOURCE.asm IMAGE
#
# Directives in SOURCE (lines starting with ";!"):
#   ;! args: OPTIONS...      options for `vtsim run` before the image (default none)
#   ;! after: ARGS...        arguments after the image (rare)
#   ;! status: N             expected exit status (required)
#   ;! stdout: TEXT          one expected line of stdout; all such lines, in order,
#                            must be exactly the whole stdout
#   ;! stdout-file: none     stdout must be empty
#   ;! stderr: REGEX         stderr must match (grep -E); may repeat
#   ;! not-stderr: REGEX     stderr must not match
# @SRCDIR@ in args expands to the directory of SOURCE. VTSIM_RUN_ARGS in the
# environment adds options (tests/CMakeLists.txt: an image run another way).
set -u
vtsim=$1 src=$2 img=$3
srcdir=$(cd "$(dirname "$src")" && pwd)
directive() { sed -n "s/^;! $1: \?//p" "$src"; }

args=$(directive args | head -n1 | sed "s|@SRCDIR@|$srcdir|g")
args="$args ${VTSIM_RUN_ARGS:-}"
after=$(directive after | head -n1 | sed "s|@SRCDIR@|$srcdir|g")
want_status=$(directive status | head -n1)
[ -n "$want_status" ] || { echo "FAIL: $src has no ';! status:' directive"; exit 1; }

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
# shellcheck disable=SC2086
${VTSIM_EMULATOR:-} "$vtsim" run $args "$img" $after >"$out" 2>"$err" </dev/null
status=$?

fail=0
if [ "$status" != "$want_status" ]; then
  echo "FAIL: exit status $status, expected $want_status"; fail=1
fi
if grep -q "^;! stdout" "$src"; then
  expected=$(directive stdout)
  if grep -q "^;! stdout-file: none" "$src"; then expected=""; fi
  actual=$(cat "$out")
  if [ "$actual" != "$expected" ]; then
    echo "FAIL: stdout differs"; echo "--- expected"; printf '%s\n' "$expected"
    echo "--- actual"; printf '%s\n' "$actual"; fail=1
  fi
fi
while IFS= read -r re; do
  [ -n "$re" ] || continue
  grep -Eq -- "$re" "$err" || { echo "FAIL: stderr does not match /$re/"; fail=1; }
done < <(directive stderr)
while IFS= read -r re; do
  [ -n "$re" ] || continue
  grep -Eq -- "$re" "$err" && { echo "FAIL: stderr matches /$re/"; fail=1; }
done < <(directive not-stderr)

if [ $fail != 0 ]; then
  echo "--- stderr"; head -c 4000 "$err"; echo "--- stdout"; head -c 2000 "$out"
  exit 1
fi
echo "ok: status $status"
