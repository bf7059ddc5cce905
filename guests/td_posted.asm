; A TD guest that takes a posted interrupt. It loads an IDT with a gate for vector
; 40H, enables interrupts and rings a doorbell (TDVMCALL<Instruction.IO>, OUT of
; the vector to port 510H), at which the VMM posts 40H to it (KVM_SIGNAL_MSI:
; tests/scenarios td_posted_interrupt). The TDX module processes the notification
; at the next TD entry and the vector is delivered through the IDT before the
; guest's next instruction. The handler sees 40H in service (ISR 95:64, MSR 812H,
; read from the virtual-APIC page) and EOIs it with WRMSR 80BH (virtualized, no TD
; exit); back in td_main the ISR is clear. Any other outcome is a fatal error.
%include "td_boot.inc"

VECTOR   equ 0x40
DOORBELL equ 0x510
ISR_MSR  equ 0x812                      ; ISR bits 95:64 (vectors 40H-5FH)
EOI_MSR  equ 0x80b

td_main:
	lea rsi, [rel msg_start]
	call puts
	lea rax, [rel handler]          ; a 64-bit interrupt gate, CS 18H
	lea rdi, [rel idt + VECTOR * 16]
	mov [rdi], ax
	mov word [rdi + 2], 0x18
	mov word [rdi + 4], 0x8e00
	shr rax, 16
	mov [rdi + 6], ax
	shr rax, 16
	mov [rdi + 8], eax
	lidt [rel idtr]
	sti
	mov r11d, 30                    ; Instruction.IO: OUT of the vector to the doorbell
	mov r12d, 1
	mov r13d, 1
	mov r14d, DOORBELL
	mov r15d, VECTOR
	call tdvmcall
	mov ecx, 1000                   ; taken before this loop's first instruction
.wait:
	cmp byte [rel seen], 0
	jne .taken
	dec ecx
	jnz .wait
	TD_FAIL_LOOP msg_none
.taken:
	cli
	cmp dword [rel isr_in_handler], 1
	jne .bad_isr
	mov ecx, ISR_MSR
	rdmsr
	test eax, eax
	jnz .bad_eoi
	TD_HALT_LOOP msg_done
.bad_isr:
	TD_FAIL_LOOP msg_bad_isr
.bad_eoi:
	TD_FAIL_LOOP msg_bad_eoi

handler:
	push rax
	push rcx
	push rdx
	mov ecx, ISR_MSR
	rdmsr
	mov [rel isr_in_handler], eax
	mov byte [rel seen], 1
	mov ecx, EOI_MSR
	xor eax, eax
	xor edx, edx
	wrmsr
	pop rdx
	pop rcx
	pop rax
	iretq

msg_start:   db "A TD that takes a posted interrupt", 10, 0
msg_done:    db "vector 40H posted, taken in service, EOI through MSR 80BH", 10, 0
msg_none:    db "no posted interrupt arrived", 10, 0
msg_bad_isr: db "the handler did not see vector 40H in service", 10, 0
msg_bad_eoi: db "vector 40H still in service after the EOI", 10, 0
	align 8, db 0
seen:           db 0
	align 4, db 0
isr_in_handler: dd 0
idtr:
	dw (VECTOR + 1) * 16 - 1
	dq idt
	align 16, db 0
idt:	times (VECTOR + 1) * 16 db 0

	TD_RESET_VECTOR
