; A TD guest for `vtsim bench td_exit_roundtrip*`: after the boot (td_boot.inc) it
; does TDG.VP.VMCALL<Instruction.CPUID> of leaf 0, one TD exit (reason 77) to the
; VMM each, which answers in R10-R15 and re-enters with TDH.VP.ENTER. With the
; qword at image offset ITERATIONS_OFFSET zero (as assembled) it does so forever;
; a benchmark that patches a count there gets that many, then
; TDVMCALL<Instruction.HLT>.
%include "td_boot.inc"

ITERATIONS_OFFSET equ 0x5ff8

td_main:
	mov rbx, [rel iterations]
.loop:
	mov r11d, 10                    ; Instruction.CPUID
	xor r12d, r12d                  ; leaf 0
	xor r13d, r13d                  ; subleaf 0
	call tdvmcall                   ; RCX = 0xfc00, R10 = 0
	test rbx, rbx
	jz .loop                        ; no count: forever
	dec rbx
	jnz .loop
.halt:
	mov r11d, 12                    ; Instruction.HLT
	xor r12d, r12d
	call tdvmcall
	jmp .halt

	times ITERATIONS_OFFSET - ($ - $$) db 0
iterations:
	dq 0

	TD_RESET_VECTOR
