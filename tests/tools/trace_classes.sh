#!/usr/bin/env bash
# --trace classes: `exits` is the VM-exit lines of `vmx` and nothing else; `seam` is the
# SEAMCALL lines and the TD entries and exits; classes combine; an unknown one is refused.
# Usage: trace_classes.sh VTSIM IMAGES_DIR
set -u
vtsim=$1 dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
run() { # NAME CLASSES ARGS... : the trace of a run in $tmp/NAME
	local name=$1 cls=$2; shift 2
	${VTSIM_EMULATOR:-} "$vtsim" run --trace="$cls" --trace-file "$tmp/$name" "$@" >/dev/null 2>&1 </dev/null
}
same() { # WHAT FILE1 FILE2
	cmp -s "$2" "$3" || { echo "FAIL: $1"; diff "$2" "$3" | head -5; fail=1; }
}
td="--tdx --mem 128M --max-insns 50000000 $dir/td_lifecycle.img"
vm="--max-insns 20000000 $dir/vmexit_cpuid.img"

# A TD's life: seam is the seamcall, entry and exit lines of vmx, in the same order.
run td_vmx vmx $td
run td_seam seam $td
run td_exits exits $td
grep -E '^(seamcall|entry|exit) ' "$tmp/td_vmx" >"$tmp/td_want_seam"
same "seam lines of td_lifecycle are not the SEAM lines of vmx" "$tmp/td_seam" "$tmp/td_want_seam"
grep -E '^exit ' "$tmp/td_vmx" >"$tmp/td_want_exits"
same "exits lines of td_lifecycle are not the exit lines of vmx" "$tmp/td_exits" "$tmp/td_want_exits"
# The TD VMCS (0x11a000) is loaded with the TD's HKID (17, from bit 42), as the module does.
grep -qx 'entry lp0 VMLAUNCH vmcs=0x440000011a000 rip=0xfffffff0' "$tmp/td_seam" ||
	{ echo "FAIL: no TD entry (VMLAUNCH at the reset vector) in the seam trace"; fail=1; }
grep -q '^exit lp0 vmcs=0x440000011a000 reason=77 TDCALL qual=0x0 len=4 rip=0x' "$tmp/td_seam" ||
	{ echo "FAIL: no TDCALL exit in the seam trace"; fail=1; }
grep -q '^seamcall lp0 TDH.VP.ENTER(0) -> 0x000000000000004d TDX_SUCCESS$' "$tmp/td_seam" ||
	{ echo "FAIL: no TDH.VP.ENTER in the seam trace"; fail=1; }
n=$(grep -c '^seamcall ' "$tmp/td_seam")
[ "$n" -gt 20 ] || { echo "FAIL: only $n seamcall lines"; fail=1; }

# A VMX guest without TDX: no seam lines at all; exits are the exit lines.
run vm_vmx vmx $vm
run vm_seam seam $vm
run vm_exits exits $vm
[ -s "$tmp/vm_seam" ] && { echo "FAIL: seam lines without TDX:"; head -3 "$tmp/vm_seam"; fail=1; }
grep -E '^exit ' "$tmp/vm_vmx" >"$tmp/vm_want_exits"
[ -s "$tmp/vm_want_exits" ] || { echo "FAIL: vmexit_cpuid has no exits"; fail=1; }
same "exits lines of vmexit_cpuid are not the exit lines of vmx" "$tmp/vm_exits" "$tmp/vm_want_exits"
grep -q '^exit lp0 vmcs=0x[0-9a-f]* reason=10 CPUID ' "$tmp/vm_exits" ||
	{ echo "FAIL: no CPUID exit in the exits trace"; fail=1; }

# Classes combine: vmx,exits,seam,insn is vmx plus one insn line per instruction.
run td_all vmx,exits,seam,insn $td
grep -v '^insn ' "$tmp/td_all" >"$tmp/td_all_noinsn"
same "vmx,exits,seam,insn without its insn lines is not vmx" "$tmp/td_all_noinsn" "$tmp/td_vmx"
grep -q '^insn lp0 0x' "$tmp/td_all" || { echo "FAIL: no insn lines with insn"; fail=1; }

# An unknown class: status 2 and the list of classes.
out=$(${VTSIM_EMULATOR:-} "$vtsim" run --trace=vmx,exit "$dir/vmexit_cpuid.img" 2>&1); st=$?
[ $st = 2 ] || { echo "FAIL: unknown class: status $st, expected 2"; fail=1; }
grep -qF "unknown class in 'vmx,exit' (insn,exc,io,msr,cpuid,run,vmx,exits,seam,all)" <<<"$out" ||
	{ echo "FAIL: unknown class message: $out"; fail=1; }
[ $fail = 0 ] && echo "ok: trace classes"
exit $fail
