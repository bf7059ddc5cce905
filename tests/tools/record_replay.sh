#!/usr/bin/env bash
# --record / --replay: the record names the options that decide the run (not the
# trace or debugger ones), the image by SHA-256, no external inputs, and the outcome;
# a replay reproduces it (the same trace too); a replay on other bytes, of a record
# whose outcome was changed, of a file that is no record, or together with --record
# fails with its own status and message.
# Usage: record_replay.sh VTSIM IMAGES_DIR
set -u
vtsim=$1 dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
run() { ${VTSIM_EMULATOR:-} "$vtsim" run "$@" </dev/null; }
check() { # WHAT STATUS WANT_STATUS FILE PATTERN
	[ "$2" = "$3" ] || { echo "FAIL: $1: status $2, expected $3"; fail=1; }
	grep -qE -- "$5" "$4" || { echo "FAIL: $1: no /$5/ in:"; cat "$4"; fail=1; }
}
img=$dir/vmexit_cpuid.img
sha=$(sha256sum "$img" | cut -d' ' -f1)

run --max-insns 20000000 --trace=exits --trace-file "$tmp/t1" --record "$tmp/rec" "$img" >"$tmp/out1" 2>&1
st=$?
[ $st = 1 ] || { echo "FAIL: recorded run: status $st"; fail=1; }
want="vtsim-record 1
arg --max-insns
arg 20000000
image $img sha256=$sha
inputs none"
[ "$(head -n 5 "$tmp/rec")" = "$want" ] || { echo "FAIL: record:"; cat "$tmp/rec"; fail=1; }
grep -qE '^end status=1 rip=0x[0-9a-f]+ insns=[1-9][0-9]* state=[0-9a-f]{64}$' "$tmp/rec" ||
	{ echo "FAIL: record end line:"; tail -n1 "$tmp/rec"; fail=1; }

run --replay "$tmp/rec" --trace=exits --trace-file "$tmp/t2" >"$tmp/out2" 2>"$tmp/err"; st=$?
check "replay" $st 1 "$tmp/err" "^vtsim: replay of $tmp/rec reproduced it: status 1, [0-9]+ instructions, the same final state$"
cmp -s "$tmp/t1" "$tmp/t2" || { echo "FAIL: the replay's trace differs"; fail=1; }
[ -s "$tmp/t1" ] || { echo "FAIL: empty trace"; fail=1; }

run --replay "$tmp/rec" "$dir/gdb_target.img" >/dev/null 2>"$tmp/err"; st=$?
check "replay on another image" $st 2 "$tmp/err" "is not the recorded image \(its SHA-256 differs\)"

sed 's/ insns=[0-9]* / insns=7 /' "$tmp/rec" >"$tmp/rec2"
run --replay "$tmp/rec2" >/dev/null 2>"$tmp/err"; st=$?
check "replay of a changed outcome" $st 5 "$tmp/err" "did not reproduce it: [0-9]+ instructions retired, recorded 7$"

sed 's/ state=[0-9a-f]*/ state=0000000000000000000000000000000000000000000000000000000000000000/' "$tmp/rec" >"$tmp/rec3"
run --replay "$tmp/rec3" >/dev/null 2>"$tmp/err"; st=$?
check "replay of a changed state" $st 5 "$tmp/err" "did not reproduce it: the final machine state \(RAM and registers\) differs$"

echo "not a record" >"$tmp/bad"
run --replay "$tmp/bad" >/dev/null 2>"$tmp/err"; st=$?
check "replay of a non-record" $st 2 "$tmp/err" "is not a vtsim record \(line 1\)"

run --record "$tmp/r" --replay "$tmp/rec" "$img" >/dev/null 2>"$tmp/err"; st=$?
check "--record with --replay" $st 2 "$tmp/err" "--record and --replay together"
[ $fail = 0 ] && echo "ok: record and replay"
exit $fail
