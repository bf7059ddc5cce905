#!/usr/bin/env bash
# `vtsim demo` and `vtsim vm`: what the main job and the kvmlike front end print
# and return. Usage: demo_vm.sh VTSIM GUESTS_DIR
set -u
vtsim=$1 guests=$2
run() { ${VTSIM_EMULATOR:-} "$vtsim" "$@"; }
fail=0
expect() { # NAME STATUS WANT-STATUS OUTPUT PATTERN...
	local name=$1 st=$2 want=$3 out=$4
	shift 4
	if [ "$st" != "$want" ]; then echo "FAIL $name: status $st, want $want"; fail=1; fi
	for pat in "$@"; do
		grep -qE -- "$pat" <<<"$out" || { echo "FAIL $name: no line matching '$pat'"; fail=1; }
	done
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$(run demo 2>&1); st=$?
expect demo "$st" 0 "$out" \
	'^Hello from a VMX guest of kvmlike' \
	'^hypervisor signature \(CPUID 0x40000000\): KVMKVMKVM$' \
	'^device id register: 0x4b564d31$' \
	'^sum over 16 fresh pages: 0x02001000$' \
	'^hypercall 12 answered -0x000003e8$' \
	'^device: the guest wrote 0x1234 to the command register$' \
	'^  EPT_VIOLATION +[0-9]+$' \
	'^  vcpu_run +[0-9]+ +0$' \
	'^  TDH\.SYS\.CONFIG +1 +0  0x0000000000000000 TDX_SUCCESS$' \
	'^  TDH\.SYS\.TDMR\.INIT +1 +0 ' \
	'^TD: KVM_CREATE_VM\(KVM_X86_TDX_VM\) -> -22 ' \
	'^demo: the VM ran to its HLT$'

out=$(run vm "$guests/vm_hello.img" 2>&1); st=$?
expect vm-hello "$st" 0 "$out" '^halting$'

printf '\x0f\x0b' >"$tmp/ud2.bin"     # #UD with no IDT: shutdown
out=$(run vm "$tmp/ud2.bin" 2>&1); st=$?
expect vm-shutdown "$st" 1 "$out" 'KVM_EXIT_SHUTDOWN'

out=$(run vm --tdx "$guests/vm_hello.img" 2>&1); st=$?
expect vm-tdx "$st" 1 "$out" 'KVM_X86_TDX_VM'

out=$(run vm "$tmp/missing.bin" 2>&1); st=$?
expect vm-missing "$st" 2 "$out" 'missing.bin'

out=$(run vm --max-insns 1000 "$guests/vm_hello.img" 2>&1); st=$?
expect vm-limit "$st" 1 "$out" 'instruction limit'

[ $fail = 0 ] && echo "ok demo and vm"
exit $fail
