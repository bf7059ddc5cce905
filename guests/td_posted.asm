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
GATE_CS  equ 0x18
ISR_MSR  equ 0x810                      ; + n: ISR bits 32n+31:32n
EOI_MSR  equ 0x80b

td_main:
	lea rsi, [rel msg_start]
	call puts
	call msi_gates
	lidt [rel idtr]
	sti
	mov r11d, 30                    ; Instruction.IO: OUT of the count to the doorbell
	mov r12d, 1
	mov r13d, 1
	mov r14d, DOORBELL
	mov r15d, MSI_COUNT
	call tdvmcall
	call msi_report
	cmp byte [rel taken], MSI_COUNT
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

%include "msi_vectors.inc"

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
	call msi_log
	mov ecx, EOI_MSR
	xor eax, eax
	xor edx, edx
	wrmsr
	pop rdx
	pop rcx
	pop rax
	pop rbx
	iretq

msg_start:   db "A TD that takes interrupts posted", 10, 0
msg_done:    db "each in service in its handler, EOI through MSR 80BH, none left in service", 10, 0
msg_none:    db "not every posted interrupt arrived", 10, 0
msg_bad_isr: db "a handler did not see its vector in service", 10, 0
msg_bad_eoi: db "a vector is still in service after its EOI", 10, 0
not_in_service: db 0
idtr:
	dw MSI_IDT_ENTRIES * 16 - 1
	dq idt
	align 16, db 0
idt:	times MSI_IDT_ENTRIES * 16 db 0

	TD_RESET_VECTOR
