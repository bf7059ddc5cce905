; A VMX guest that takes several interrupts an MSI delivered at once. It loads an
; IDT with gates for vectors 40H, 50H and 60H, enables interrupts and rings a
; doorbell (OUT of the count, 3, to port 510H), at which the VMM sends the three
; MSIs before its next KVM_RUN (tests/scenarios vm_msi_priority; `vtsim vm --msi`).
; kvmlike keeps each vector in the vCPU's IRR and injects the highest first, the
; next at each interrupt window: the handlers record the vectors in the order they
; come, and the guest prints them. It has no local APIC to EOI (kvmlike emulates
; none for a VM), so the next vector follows the IRETQ.
bits 64
org 0x100000

COM1     equ 0x3f8
DOORBELL equ 0x510
COUNT    equ 3

start:
	lea rdi, [rel idt]
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
	mov al, COUNT
	mov dx, DOORBELL
	out dx, al
	mov ecx, 1000                  ; all taken before this loop's first instruction
.wait:	cmp byte [rel taken], COUNT
	jae .report
	dec ecx
	jnz .wait
.report:
	cli
	lea rsi, [rel msg_taken]
	call puts
	xor ecx, ecx
	lea rbx, [rel log]
.each:	cmp cl, [rel taken]
	jae .done
	mov al, [rbx + rcx]
	call putvec
	inc ecx
	jmp .each
.done:	call newline
	hlt
	jmp $

; rax = handler, ecx = vector: a present 64-bit interrupt gate, code selector 0x08.
set_gate:
	shl ecx, 4
	mov [rdi + rcx], ax
	mov word [rdi + rcx + 2], 0x08
	mov word [rdi + rcx + 4], 0x8e00
	shr rax, 16
	mov [rdi + rcx + 6], ax
	shr rax, 16
	mov [rdi + rcx + 8], eax
	mov dword [rdi + rcx + 12], 0
	ret

take_40: push rax
	mov al, 0x40
	jmp record
take_50: push rax
	mov al, 0x50
	jmp record
take_60: push rax
	mov al, 0x60
record:	push rcx
	push rdx
	movzx ecx, byte [rel taken]
	cmp ecx, LOG_SIZE
	jae .full
	lea rdx, [rel log]
	mov [rdx + rcx], al
	inc byte [rel taken]
.full:	pop rdx
	pop rcx
	pop rax
	iretq

; al = a vector: " " and two hex digits.
putvec:
	push rax
	push rdx
	mov ah, al
	mov dx, COM1
	mov al, ' '
	out dx, al
	mov al, ah
	shr al, 4
	call hexdigit
	mov al, ah
	and al, 15
	call hexdigit
	pop rdx
	pop rax
	ret
hexdigit:
	add al, '0'
	cmp al, '9'
	jbe .out
	add al, 'a' - '0' - 10
.out:	out dx, al
	ret

%include "serial.inc"

msg_taken: db "vectors taken in this order:", 0

LOG_SIZE equ 8
align 16
idtr:   dw 0x61 * 16 - 1
        dq idt
align 16
idt:    times 0x61 * 16 db 0
taken:  db 0
log:    times LOG_SIZE db 0
