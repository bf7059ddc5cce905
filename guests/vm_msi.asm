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
GATE_CS  equ 0x08

start:
	call msi_gates
	lidt [rel idtr]
	sti
	mov al, MSI_COUNT
	mov dx, DOORBELL
	out dx, al
	call msi_report
	hlt
	jmp $

record:                                ; ebx = the vector
	call msi_log
	pop rbx
	iretq

; al to COM1 (all registers kept).
putc:
	push rdx
	mov dx, COM1
	out dx, al
	pop rdx
	ret

%include "msi_vectors.inc"
%include "serial.inc"

align 16
idtr:   dw MSI_IDT_ENTRIES * 16 - 1
        dq idt
align 16
idt:    times MSI_IDT_ENTRIES * 16 db 0
