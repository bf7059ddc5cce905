#!/usr/bin/env bash
# CI for one lab (tests/CMakeLists.txt runs each lab twice):
#   ci.sh VTSIM LAB_DIR OUT_DIR solution          the reference solution passes its check
#   ci.sh VTSIM LAB_DIR OUT_DIR handout TEXT      the handed-out version fails it, and
#                                                 the check's verdict contains TEXT
# Each check runs twice, and the two runs must be byte-identical (verdict, stdout,
# stderr and trace): a student's lab is as deterministic as any other run.
set -u
vtsim=$1 lab=$2 out=$3 which=$4

check_twice() { # OUT_SUBDIR [make variables]: sets verdict and st from the first run
	local dir=$out/$1 f; shift
	verdict=$(make -s -C "$lab" check VTSIM="$vtsim" OUT="$dir" "$@" 2>&1)
	st=$?
	rm -rf "$dir.first" && cp -r "$dir" "$dir.first"
	local again st2
	again=$(make -s -C "$lab" check VTSIM="$vtsim" OUT="$dir" "$@" 2>&1)
	st2=$?
	if [ "$again" != "$verdict" ] || [ $st2 != $st ]; then
		echo "FAIL: two runs of the check differ (status $st, then $st2):"
		diff <(echo "$verdict") <(echo "$again") | head -20
		exit 1
	fi
	for f in stdout.txt stderr.txt trace.txt; do
		cmp -s "$dir.first/$f" "$dir/$f" || { echo "FAIL: two runs differ in $f"; exit 1; }
	done
}

if [ "$which" = solution ]; then
	check_twice solution SRC=solution
	echo "$verdict"
	[ $st = 0 ] && grep -q '^PASS: ' <<<"$verdict" && { echo "ok: the solution passes, twice alike"; exit 0; }
	echo "FAIL: the reference solution does not pass its check (status $st)"
	exit 1
fi
want=$5
check_twice handout
echo "$verdict"
if [ $st = 0 ]; then
	echo "FAIL: the handed-out version passes its check"
	exit 1
fi
grep -qF -- "$want" <<<"$verdict" || { echo "FAIL: the verdict does not say: $want"; exit 1; }
echo "ok: the handout fails with the expected diagnostic, twice alike"
