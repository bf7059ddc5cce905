; A VMX guest that keeps state in the registers VM entry and exit leave alone and
; checks it survives other VMs' turns on the same LP (kvmlike swaps each vCPU's
; share of the register file at vcpu_load/put). The scenario writes this VM's
; pattern at `seed` before the first entry. The guest puts it in XMM0, ST0 and
; IA32_STAR, sets XCR0 to 1 or 3 by the pattern's bit 1, prints a line (each
; character an exit to user space, where the other VM gets its turn), then reads
; each back and prints ok or bad.
bits 64
org 0x100000

COM1 equ 0x3f8

start:
	jmp main
	align 8
seed:	dq 0

main:
	mov rax, cr4
	or eax, 0x40600                ; OSFXSR, OSXMMEXCPT, OSXSAVE
	mov cr4, rax
	mov rbx, [rel seed]
	mov r13, rbx
	and r13d, 2
	or r13d, 1                     ; the XCR0 this VM sets
	movq xmm0, rbx
	push rbx
	fild qword [rsp]
	pop rax
	mov ecx, 0xc0000081            ; IA32_STAR
	mov rax, rbx
	mov rdx, rbx
	shr rdx, 32
	wrmsr
	mov eax, r13d
	xor edx, edx
	xor ecx, ecx
	xsetbv
	lea rsi, [rel msg_set]
	call puts

	movq rax, xmm0
	cmp rax, rbx
	lea rsi, [rel msg_xmm]
	call report
	push rax
	fistp qword [rsp]
	pop rax
	cmp rax, rbx
	lea rsi, [rel msg_x87]
	call report
	mov ecx, 0xc0000081
	rdmsr
	shl rdx, 32
	or rax, rdx
	cmp rax, rbx
	lea rsi, [rel msg_star]
	call report
	xor ecx, ecx
	xgetbv
	cmp eax, r13d
	lea rsi, [rel msg_xcr0]
	call report
	hlt
	jmp $

; rsi = what was checked, ZF = it matched: prints "what ok" or "what bad".
report:
	setz al
	call puts
	lea rsi, [rel msg_ok]
	test al, al
	jnz .print
	lea rsi, [rel msg_bad]
.print:	call puts
	ret

%include "serial.inc"

msg_set:  db "pattern set in XMM0, ST0, IA32_STAR and XCR0", 10, 0
msg_xmm:  db "XMM0 ", 0
msg_x87:  db "ST0 ", 0
msg_star: db "IA32_STAR ", 0
msg_xcr0: db "XCR0 ", 0
msg_ok:   db "ok", 10, 0
msg_bad:  db "bad", 10, 0
