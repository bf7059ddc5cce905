; A VMX guest whose software interrupt is delivered onto an MMIO page: it loads an
; IDT with a gate for 20H, points RSP into its device's page (no memory behind it:
; vm_hello's device at D0000000H) and executes INT 20H, whose delivery pushes SS
; there first. KVM cannot emulate an access made by an event's delivery
; (tests/scenarios vm_delivery_ev: KVM_INTERNAL_ERROR_DELIVERY_EV), so the handler
; never runs. With R15 = 1 at entry (KVM_SET_REGS) the guest first reads the
; device's ID register, an MMIO exit that makes the page a cached MMIO entry: the
; push then meets an EPT misconfiguration (exit reason 49) instead of an EPT
; violation (48).
bits 64
org 0x100000

COM1     equ 0x3f8
DEVICE   equ 0xd0000000
GATE_CS  equ 0x08
VECTOR   equ 0x20

start:
	lea rdi, [rel idt]
	lea rax, [rel delivered]
	mov ecx, VECTOR
	call set_gate
	lidt [rel idtr]
	lea rsi, [rel msg_int]
	call puts
	mov ebx, DEVICE
	test r15d, 1
	jz .push
	lea rsi, [rel msg_touch]
	call puts
	mov eax, [rbx]
	call puthex32
	call newline
.push:
	lea rsp, [rbx + 0x800]
	int VECTOR
	hlt                            ; not reached: the delivery ends the run
	jmp $

delivered:                             ; not reached either
	lea rsi, [rel msg_delivered]
	call puts
	hlt
	jmp $

%include "gate64.inc"
%include "serial.inc"

msg_int:     db "INT 20H with RSP in the device page", 10, 0
msg_touch:   db "device ID register: ", 0
msg_delivered: db "INT 20H delivered", 10, 0

align 16
idtr:   dw (VECTOR + 1) * 16 - 1
        dq idt
align 16
idt:    times (VECTOR + 1) * 16 db 0
