#!/usr/bin/env bash
# `vtsim explain`: the decodings students and developers ask for, from the tables.
# Usage: explain.sh VTSIM
set -u
vtsim=$1
fail=0
check() { # ARGS... -- PATTERN...
	local args=() pats=() seen=0
	for a in "$@"; do
		if [ "$a" = "--" ]; then seen=1; continue; fi
		if [ $seen = 0 ]; then args+=("$a"); else pats+=("$a"); fi
	done
	local out st
	out=$(${VTSIM_EMULATOR:-} "$vtsim" explain "${args[@]}" 2>&1); st=$?
	[ $st = 0 ] || { echo "FAIL explain ${args[*]}: status $st"; fail=1; }
	for p in "${pats[@]}"; do
		grep -qE -- "$p" <<<"$out" || { echo "FAIL explain ${args[*]}: no '$p' in: $out"; fail=1; }
	done
}
check_not() { # ARGS... -- PATTERN...: the output must not match
	local args=() pats=() seen=0
	for a in "$@"; do
		if [ "$a" = "--" ]; then seen=1; continue; fi
		if [ $seen = 0 ]; then args+=("$a"); else pats+=("$a"); fi
	done
	local out
	out=$(${VTSIM_EMULATOR:-} "$vtsim" explain "${args[@]}" 2>&1)
	for p in "${pats[@]}"; do
		grep -qE -- "$p" <<<"$out" && { echo "FAIL explain ${args[*]}: '$p' in: $out"; fail=1; }
	done
}
check error 7 -- 'VM-instruction error 7: VM entry with invalid control field\(s\)' \
	'^The rule: a VM-execution, VM-exit or VM-entry control field breaks a rule' \
	'^\(SDM Vol\. 3C, "VM Instruction Error Numbers"; the check: "Checks on VMX Controls"\.\)$'
check error 28 -- 'invalid operand to INVEPT/INVVPID'
check exit 48 0x181 -- 'EPT_VIOLATION' 'data read' 'not present' 'final guest-physical'
check exit 48 0x81 -- 'guest paging-structure entry'
check exit 0x80000021 -- 'basic reason 33, INVALID_STATE' 'VM entry failed'
check exit 0x80000022 3 -- "MSR-load list's entry 3"
check exit 28 0x113 -- 'CR3, access type 1 \(MOV from CR\), general register RCX'
check exit 30 0xe90008 -- 'IN of 1 byte\(s\) at port 0xe9'
check exit 30 0x800030 -- 'OUT of 1 byte\(s\) at port 0x80, string instruction, REP prefix, port in DX' '\(trace: dir=out size=1 port=0x80 string=1 rep=1 imm=0\)'
check exit 48 0x19c -- 'instruction fetch, the entries allowed reads, the entries allowed writes' 'trace: access=x allowed=rw gla_valid=1 gla_kind=final'
check exit 9 0x40000028 -- 'task switch to the TSS selected by 0x28, caused by IRET' 'tss_selector=0x28 source=iret'
check exit 29 0x313 -- 'debug register DR3, MOV from DR, general register RBX' 'dr=3 dir=mov-from-dr gpr=rbx'
check exit 23 0x10 -- 'displacement 0x10 of the memory operand'
check exit 0 0x3fe000 -- 'for #PF, the faulting linear address 0x3fe000'
check exit 36 1 -- 'Qualification 0x1:' 'the address-range monitoring hardware was armed' 'trace: monitor_armed=1'
check exit 5 0x3f80001 -- 'basic reason 5, IO_SMI' 'the I/O instruction the SMI followed: OUT of 2 byte\(s\) at port 0x3f8'
check exit 62 0x11000 -- 'page-modification log was full; NMI unblocking due to IRET; asynchronous' 'trace: nmi_unblocking=1 async=1'
check exit 66 0x800 -- 'SPP miss' 'trace: spp=miss nmi_unblocking=0'
check exit 66 0x1000 -- 'SPP misconfiguration; NMI unblocking due to IRET'
check exit 75 1 -- 'notify window; the VM context is invalid' 'context_invalid=1'
check exit 6 0 -- 'none \(0\) for this reason'
check_not exit 36 1 -- 'defines no qualification'
check exit 12 5 -- 'this reason defines no qualification; the value should be 0'
check intr 0x80000b0e 0x2 -- 'Interruption information 0x80000b0e: vector 14 \(#PF\), hardware exception, error code 0x2\.' 'trace: vector=14 name=#PF type=hw-exception err=0x2'
check intr 0x80000202 -- 'vector 2 \(NMI\), NMI, no error code'
check intr 0x1030 -- 'not valid \(bit 31 clear\)'
check abort 4 -- 'VMX-abort indicator 4: loading host MSRs failed' 'VMX Aborts'
check abort 1 -- 'saving guest MSRs failed'
check control pin 0 -- 'PIN_BASED_VM_EXEC_CONTROL = 0x0 on CPU model xeon: not valid, VM entry fails with VMfailValid\(7\)\.' 'must be 1 \(allowed-0 settings\): 0x16; this value lacks 0x16 \(bits 1, 2, 4\)' 'accepts: \(value \| allowed-0\) & allowed-1 = 0x16\.'
check control PIN_BASED_VM_EXEC_CONTROL 0x16 -- 'PIN_BASED_VM_EXEC_CONTROL = 0x16 on CPU model xeon: valid\.'
check control proc2 0x2 minimal -- 'SECONDARY_VM_EXEC_CONTROL = 0x2 on CPU model minimal: not valid' 'this value sets 0x2 that must be 0 \(bit 1\)'
check leaf 0 -- 'SEAMCALL leaf 0: TDH.VP.ENTER\.'
check leaf 0x10011 -- 'SEAMCALL leaf 17: TDH.MR.FINALIZE, version 1\.'
check leaf 9999 -- 'not a leaf'
check error 5 -- 'VM-instruction error 5: VMRESUME with non-launched VMCS\.' 'The rule: VMRESUME needs a current VMCS whose launch state is launched'
check error 11 -- 'The rule: VMPTRLD needs the VMCS region.s dword 0 to hold the revision identifier of IA32_VMX_BASIC\[30:0\]'
check status 0xC000060800000000 -- 'TDX_OP_STATE_INCORRECT' 'What it means: the TD.s OP_STATE does not allow the leaf now: .*TDH.VP.ENTER a TD that TDH.MR.FINALIZE made runnable'
check status 0x8000081000000000 -- 'What it means: the TD.s private key \(its HKID\) is not programmed yet: call TDH.MNG.KEY.CONFIG'
check status 0x00000A0300000000 -- 'TDX_TDMR_ALREADY_INITIALIZED' 'What it means: the TDMR is fully initialized'
check status 0xC0000B0D00000001 -- 'TDX_EPT_ENTRY_STATE_INCORRECT' 'bits 31:0: operand RCX \(operand id 1\)$' 'TDX module ABI, "Completion Status Codes"; operand ids: "Operand IDs"'
# Bits 31:0 are 0: no operand id for a status that names one there (the issue's example).
check status 0xC0000B0D00000000 -- 'TDX_EPT_ENTRY_STATE_INCORRECT' '^\(TDX module ABI, "Completion Status Codes"\.\)$'
check_not status 0xC0000B0D00000000 -- 'operand'
# ... but TDX_OPERAND_INVALID's operand id 0 is RAX (the leaf and its version).
check status 0xC000010000000000 -- 'TDX_OPERAND_INVALID' 'bits 31:0: operand RAX \(operand id 0\)'
check status 0x8000020000000092 -- 'TDX_OPERAND_BUSY' 'operand SEPT_TREE \(operand id 146\)'
check status 0xC0000A1200010302 -- 'TDX_PAMT_OVERLAP' 'bits 31:0: TDMR 2 \(detail 0x3, 0x1\)'
check_not status 0xC0000A1200010302 -- 'operand'
check status 0xC000060800000000 -- '^\(TDX module ABI, "Completion Status Codes"\.\)$'
check status 0x0000081500000000 -- 'TDX_KEY_CONFIGURED' 'informational'
check status 0x8000FF00FFFF0000 -- 'VMFAILINVALID'
check check CTL_EPTP_VALID -- 'control check' 'VMfailValid\(7\)'
out=$(${VTSIM_EMULATOR:-} "$vtsim" explain check NO_SUCH 2>&1); st=$?
[ $st = 2 ] || { echo "FAIL unknown check: status $st"; fail=1; }
out=$(${VTSIM_EMULATOR:-} "$vtsim" explain control nosuch 0 2>&1); st=$?
[ $st = 2 ] || { echo "FAIL control unknown field: status $st"; fail=1; }
out=$(${VTSIM_EMULATOR:-} "$vtsim" explain control pin 0 nosuchcpu 2>&1); st=$?
[ $st = 2 ] || { echo "FAIL control unknown model: status $st"; fail=1; }
out=$(${VTSIM_EMULATOR:-} "$vtsim" explain intr 0x1ffffffff 2>&1); st=$?
[ $st = 2 ] || { echo "FAIL intr out of range: status $st"; fail=1; }
out=$(${VTSIM_EMULATOR:-} "$vtsim" explain abort x 2>&1); st=$?
[ $st = 2 ] || { echo "FAIL abort not a number: status $st"; fail=1; }
out=$(${VTSIM_EMULATOR:-} "$vtsim" explain error x7 2>&1); st=$?
[ $st = 2 ] || { echo "FAIL bad number: status $st"; fail=1; }
[ $fail = 0 ] && echo "ok explain"
exit $fail
