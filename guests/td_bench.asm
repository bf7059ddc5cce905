; A TD guest for `vtsim bench td_exit_roundtrip`: after the boot (td_boot.inc) it
; does TDG.VP.VMCALL<Instruction.CPUID> of leaf 0 forever, one TD exit (reason 77)
; to the VMM each, which answers in R10-R15 and re-enters with TDH.VP.ENTER.
%include "td_boot.inc"

td_main:
.loop:
	mov r11d, 10                    ; Instruction.CPUID
	xor r12d, r12d                  ; leaf 0
	xor r13d, r13d                  ; subleaf 0
	call tdvmcall                   ; RCX = 0xfc00, R10 = 0
	jmp .loop

	TD_RESET_VECTOR
