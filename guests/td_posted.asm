; A TD guest that takes interrupts posted. It loads an IDT with gates for vectors
; 40H, 50H and 60H, enables interrupts and rings a doorbell (TDVMCALL
; <Instruction.IO>, OUT of the count, 3, to port 510H), at which the VMM sends the
; three MSIs (KVM_SIGNAL_MSI: tests/scenarios td_posted_interrupt) and kvmlike
; posts each in the PIR. The TDX module processes the notification at the next TD
; entry and virtual-interrupt delivery hands the vectors to the guest by priority,
; the first before the guest's next instruction, each next one after the EOI and
; IRETQ of the one before. Each handler sees its vector in service (ISR, MSR 810H
; + vector / 32, read from the virtual-APIC page), records it and EOIs it with
; WRMSR 80BH (virtualized, no TD exit); then the guest prints the vectors in the
; order they came and checks that nothing is left in service. A missing vector or
; another outcome is a fatal error.
%include "td_boot.inc"

DOORBELL equ 0x510
COUNT    equ 3
ISR_MSR  equ 0x810                      ; + n: ISR bits 32n+31:32n
EOI_MSR  equ 0x80b

td_main:
	lea rsi, [rel msg_start]
	call puts
	lea rax, [rel take_40]
	mov ecx, 0x40
	call set_gate
	lea rax, [rel take_50]
	mov ecx, 0x50
	call set_gate
	lea rax, [rel take_60]
	mov ecx, 0x60
	call set_gate
	lidt [rel idtr]
	sti
	mov r11d, 30                    ; Instruction.IO: OUT of the count to the doorbell
	mov r12d, 1
	mov r13d, 1
	mov r14d, DOORBELL
	mov r15d, COUNT
	call tdvmcall
	mov ecx, 1000                   ; all taken before this loop's first instruction
.wait:
	cmp byte [rel taken], COUNT
	jae .report
	dec ecx
	jnz .wait
.report:
	cli
	lea rsi, [rel msg_taken]
	call puts
	xor ebx, ebx
.each:
	cmp bl, [rel taken]
	jae .check
	lea rdx, [rel log]
	mov al, [rdx + rbx]
	call putvec
	inc ebx
	jmp .each
.check:
	mov al, 10
	call putc
	cmp byte [rel taken], COUNT
	jne .none
	cmp byte [rel not_in_service], 0
	jne .bad_isr
	mov ecx, ISR_MSR + 2            ; vectors 40H-5FH
	rdmsr
	test eax, eax
	jnz .bad_eoi
	mov ecx, ISR_MSR + 3            ; vectors 60H-7FH
	rdmsr
	test eax, eax
	jnz .bad_eoi
	TD_HALT_LOOP msg_done
.none:
	TD_FAIL_LOOP msg_none
.bad_isr:
	TD_FAIL_LOOP msg_bad_isr
.bad_eoi:
	TD_FAIL_LOOP msg_bad_eoi

; rax = handler, ecx = vector: a present 64-bit interrupt gate, code selector 18H.
set_gate:
	lea rdi, [rel idt]
	shl ecx, 4
	mov [rdi + rcx], ax
	mov word [rdi + rcx + 2], 0x18
	mov word [rdi + rcx + 4], 0x8e00
	shr rax, 16
	mov [rdi + rcx + 6], ax
	shr rax, 16
	mov [rdi + rcx + 8], eax
	ret

take_40:
	push rbx
	mov ebx, 0x40
	jmp record
take_50:
	push rbx
	mov ebx, 0x50
	jmp record
take_60:
	push rbx
	mov ebx, 0x60
record:                                 ; ebx = the vector
	push rax
	push rcx
	push rdx
	mov ecx, ebx                    ; in service?
	shr ecx, 5
	add ecx, ISR_MSR
	rdmsr
	mov ecx, ebx
	and ecx, 31
	bt eax, ecx
	jc .logged
	mov byte [rel not_in_service], 1
.logged:
	movzx ecx, byte [rel taken]
	cmp ecx, LOG_SIZE
	jae .eoi
	lea rdx, [rel log]
	mov [rdx + rcx], bl
	inc byte [rel taken]
.eoi:
	mov ecx, EOI_MSR
	xor eax, eax
	xor edx, edx
	wrmsr
	pop rdx
	pop rcx
	pop rax
	pop rbx
	iretq

; al = a vector: " " and two hex digits.
putvec:
	push rax
	push rcx
	mov cl, al
	mov al, ' '
	call putc
	mov al, cl
	shr al, 4
	call hexdigit
	mov al, cl
	and al, 15
	call hexdigit
	pop rcx
	pop rax
	ret
hexdigit:
	add al, '0'
	cmp al, '9'
	jbe .out
	add al, 'a' - '0' - 10
.out:
	jmp putc

msg_start:   db "A TD that takes interrupts posted", 10, 0
msg_taken:   db "vectors taken in this order:", 0
msg_done:    db "each in service in its handler, EOI through MSR 80BH, none left in service", 10, 0
msg_none:    db "not every posted interrupt arrived", 10, 0
msg_bad_isr: db "a handler did not see its vector in service", 10, 0
msg_bad_eoi: db "a vector is still in service after its EOI", 10, 0
LOG_SIZE equ 8
	align 8, db 0
taken:          db 0
not_in_service: db 0
log:            times LOG_SIZE db 0
idtr:
	dw 0x61 * 16 - 1
	dq idt
	align 16, db 0
idt:	times 0x61 * 16 db 0

	TD_RESET_VECTOR
