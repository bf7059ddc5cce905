; A TD guest for two vCPUs that accept the same page, the race of a second
; private fault on a page KVM has just added: each vCPU prints its VCPU_INDEX
; ('0' + index, TDG.VP.INFO), accepts the page at 1 MiB (TDG.MEM.PAGE.ACCEPT,
; 4 KiB), prints '+' if it accepted it, '=' if the other vCPU had
; (TDX_PAGE_ALREADY_ACCEPTED) and '!' for any other status, then halts
; (TDVMCALL<Instruction.HLT>), again if woken. Between the first print and the
; ACCEPT nothing is pushed, so the vCPUs can share td_boot.inc's stack.
%include "td_boot.inc"

ACCEPTED equ 0x100000
TDX_PAGE_ALREADY_ACCEPTED_HI equ 0x00000B0A   ; the status's bits 63:32

td_main:
	mov eax, 1                      ; TDG.VP.INFO: R9 = VCPU_INDEX
	tdcall
	lea eax, [r9d + '0']
	call putc
	mov eax, 6                      ; TDG.MEM.PAGE.ACCEPT of 1 MiB (4 KiB)
	mov ecx, ACCEPTED
	tdcall
	mov ebx, '+'
	test rax, rax
	jz .report
	mov ebx, '='
	shr rax, 32
	cmp eax, TDX_PAGE_ALREADY_ACCEPTED_HI
	je .report
	mov ebx, '!'
.report:
	mov eax, ebx
	call putc
.halt:
	mov r11d, 12                    ; Instruction.HLT, interrupts not blocked
	xor r12d, r12d
	call tdvmcall
	jmp .halt

TD_RESET_VECTOR
