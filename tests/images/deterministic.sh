#!/usr/bin/env bash
# Every scenario twice, and the two must be byte-identical (time is virtual):
# - each image test (tests/images/*.asm, and bundled guests with directives) with its
#   own options and the full trace (every instruction included): a first run with
#   --record, a second with --replay of that record, which must also say it
#   reproduced the run; stdout, stderr (the diagnostics, less the replay's own
#   line), the trace and the exit status are compared;
# - `vtsim vm` (a VM, and a TD with --tdx) and `vtsim demo` with --trace: stdout,
#   stderr and the status;
# - kvmlike's scenarios (tests/scenarios), hosted on one and on two LPs and, when
#   built, the instruction-level image on one LP (on two it takes minutes under
#   qemu-aarch64; scenarios/native_vs_hosted_2lp compares it with the hosted run).
# Images whose run ends on a wall-clock limit (--timeout) are left out: that limit
# is the one input that is not virtual.
# Usage: deterministic.sh VTSIM IMAGES_SRC_DIR IMAGES_DIR GUESTS_SRC_DIR GUESTS_DIR
#                         [SCENARIOS [NATIVE_IMAGE]]
set -u
vtsim=$1 srcdir=$2 imgdir=$3 gsrcdir=$4 gdir=$5 scenarios=${6:-} native=${7:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
run() { ${VTSIM_EMULATOR:-} "$vtsim" "$@" </dev/null; }

same() { # NAME FILE...: each FILE1 against FILE2
	local name=$1 f; shift
	for f in "$@"; do
		cmp -s "$tmp/${f}1" "$tmp/${f}2" || { echo "FAIL: $name: $f differs between two runs"; fail=1; }
	done
}

image() { # SOURCE IMAGE
	local src=$1 img=$2 name args after
	name=$(basename "$img" .img)
	local sdir; sdir=$(cd "$(dirname "$src")" && pwd)
	args=$(sed -n 's/^;! args: \?//p' "$src" | head -n1 | sed "s|@SRCDIR@|$sdir|g")
	after=$(sed -n 's/^;! after: \?//p' "$src" | head -n1 | sed "s|@SRCDIR@|$sdir|g")
	case " $args " in *" --timeout "*) echo "$name: skipped (wall-clock --timeout)"; return;; esac
	rm -f "$tmp/rec"
	# shellcheck disable=SC2086
	run run $args --trace=all --trace-file "$tmp/trace1" --record "$tmp/rec" "$img" $after \
		>"$tmp/out1" 2>"$tmp/err1"
	echo $? >"$tmp/status1"
	if [ -f "$tmp/rec" ]; then
		# --json shapes the diagnostics and is not recorded (like --trace): say it again
		local fmt=
		case " $args " in *" --json "*) fmt=--json;; esac
		run run --replay "$tmp/rec" $fmt --trace=all --trace-file "$tmp/trace2" >"$tmp/out2" 2>"$tmp/rerr"
		echo $? >"$tmp/status2"
		grep -q "^vtsim: replay of $tmp/rec reproduced it: status $(cat "$tmp/status1")," "$tmp/rerr" ||
			{ echo "FAIL: $name: the replay did not say it reproduced the run:"; cat "$tmp/rerr"; fail=1; }
		grep -v "^vtsim: replay of $tmp/rec " "$tmp/rerr" >"$tmp/err2"
	else    # the image did not load: nothing was recorded, run it again as it was
		# shellcheck disable=SC2086
		run run $args --trace=all --trace-file "$tmp/trace2" "$img" $after >"$tmp/out2" 2>"$tmp/err2"
		echo $? >"$tmp/status2"
	fi
	same "$name" out err trace status
	echo "$name: $(wc -l <"$tmp/trace1") trace lines, status $(cat "$tmp/status1")"
}

for src in "$srcdir"/*.asm; do
	image "$src" "$imgdir/$(basename "$src" .asm).img"
done
for src in "$gsrcdir"/*.asm; do
	grep -q '^;! status:' "$src" && image "$src" "$gdir/$(basename "$src" .asm).img"
done

command() { # NAME ARGS...: a vtsim command twice
	local name=$1 n; shift
	for n in 1 2; do
		run "$@" >"$tmp/out$n" 2>"$tmp/err$n"
		echo $? >"$tmp/status$n"
	done
	same "$name" out err status
	echo "$name: $(cat "$tmp/out1" "$tmp/err1" | wc -l) lines, status $(cat "$tmp/status1")"
}
command "vm vm_hello" vm --trace "$gdir/vm_hello.img"
command "vm --tdx td_hello" vm --tdx --trace "$gdir/td_hello.img"
command demo demo --trace

twice() { # NAME PROGRAM ARGS...: any program twice
	local name=$1 n; shift
	for n in 1 2; do
		${VTSIM_EMULATOR:-} "$@" </dev/null >"$tmp/out$n" 2>"$tmp/err$n"
		echo $? >"$tmp/status$n"
	done
	same "$name" out err status
	echo "$name: $(wc -l <"$tmp/out1") lines, status $(cat "$tmp/status1")"
}
# The scenarios' run injects machine checks: one into the first VM entry, one into
# each guest of the first two entries that complete (check.sh).
inject="--inject-entry-mce 1 --inject-guest-mce 1 --inject-guest-mce 2"
[ -n "$scenarios" ] && twice "kvmlike scenarios, hosted" "$scenarios" $inject
[ -n "$scenarios" ] && twice "kvmlike scenarios on 2 LPs, hosted" "$scenarios" --cpus 2 $inject
[ -f "$native" ] && twice "kvmlike scenarios, instruction-level" "$vtsim" run --tdx $inject \
    --max-insns 2000000000 "$native"
exit $fail
