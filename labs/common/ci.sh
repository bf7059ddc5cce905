#!/usr/bin/env bash
# CI for one lab (tests/CMakeLists.txt runs each lab twice):
#   ci.sh VTSIM LAB_DIR OUT_DIR solution          the reference solution passes its check
#   ci.sh VTSIM LAB_DIR OUT_DIR handout TEXT      the handed-out version fails it, and
#                                                 the check's verdict contains TEXT
set -u
vtsim=$1 lab=$2 out=$3 which=$4
if [ "$which" = solution ]; then
	verdict=$(make -s -C "$lab" check VTSIM="$vtsim" OUT="$out/solution" SRC=solution 2>&1)
	st=$?
	echo "$verdict"
	[ $st = 0 ] && grep -q '^PASS: ' <<<"$verdict" && { echo "ok: the solution passes"; exit 0; }
	echo "FAIL: the reference solution does not pass its check (status $st)"
	exit 1
fi
want=$5
verdict=$(make -s -C "$lab" check VTSIM="$vtsim" OUT="$out/handout" 2>&1)
st=$?
echo "$verdict"
if [ $st = 0 ]; then
	echo "FAIL: the handed-out version passes its check"
	exit 1
fi
grep -qF -- "$want" <<<"$verdict" || { echo "FAIL: the verdict does not say: $want"; exit 1; }
echo "ok: the handout fails with the expected diagnostic"
