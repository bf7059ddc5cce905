; A VMX guest for `vtsim vm` (flat 64-bit code at 1 MiB, long mode): debug and
; alignment-check exceptions under kvmlike, which intercepts both as Linux does.
;  - A single step (RFLAGS.TF over one NOP): the #DB handler reads DR6 (MOV DR exits;
;    kvmlike keeps the guest's DR6 and puts the #DB's payload in it) and prints it:
;    FFFF4FF0H, BS set, as the processor would leave it.
;  - At CPL 3 with CR0.AM and RFLAGS.AC, a misaligned load: #AC with error code 0,
;    reflected into the guest; the handler prints the error code and the faulting
;    instruction's offset in the user code, then halts.
bits 64
org 0x100000

COM1 equ 0x3f8
start:
	mov ax, cs
	mov [rel sel], ax
	lea rdi, [rel idt + 1 * 16]
	lea rax, [rel db_handler]
	call set_gate
	lea rdi, [rel idt + 17 * 16]
	lea rax, [rel ac_handler]
	call set_gate
	lidt [rel idtr]
	mov rax, 0xffff0ff0
	mov dr6, rax
	pushfq
	or qword [rsp], 0x100
	popfq
	nop
	lea rsi, [rel msg_dr6]
	call puts
	mov rax, [rel seen_dr6]
	call puthex64
	call newline
	; user pages: U bit in every paging-structure entry on the way to 0-2 MiB
	mov rax, cr3
	and rax, ~0xfff
	or qword [rax], 4               ; PML4[0]
	mov rbx, [rax]
	and rbx, ~0xfff
	or qword [rbx], 4               ; PDPT[0]
	mov rcx, [rbx]
	and rcx, ~0xfff
	or qword [rcx], 4               ; PD[0]: 0-2 MiB
	mov cr3, rax
	; TSS descriptor at 28H
	lea rax, [rel tss]
	mov word [rel gdt + 0x28], 0x67
	mov [rel gdt + 0x28 + 2], ax
	shr rax, 16
	mov [rel gdt + 0x28 + 4], al
	mov byte [rel gdt + 0x28 + 5], 0x89
	mov [rel gdt + 0x28 + 7], ah
	lea rax, [rel kstack_top]
	mov [rel tss + 4], rax          ; RSP0
	lgdt [rel gdtr]
	mov ax, 0x28
	ltr ax
	mov rax, cr0
	or rax, 1 << 18                 ; AM
	mov cr0, rax
	; to CPL 3 with RFLAGS.AC
	push 0x1b                       ; SS
	lea rax, [rel ustack_top]
	push rax
	push 0x40202                    ; RFLAGS: AC, IF clear, bit 1
	push 0x23                       ; CS
	lea rax, [rel user]
	push rax
	iretq
user:
	lea rbx, [rel data + 1]
	mov eax, [rbx]                  ; misaligned: #AC(0)
	jmp user
ac_handler:
	lea rsi, [rel msg_ac]
	call puts
	mov rax, [rsp]                  ; the error code
	call puthex64
	lea rsi, [rel msg_space]
	call puts
	mov rax, [rsp + 8]              ; RIP of the faulting instruction
	lea rbx, [rel user]
	sub rax, rbx
	call puthex64
	call newline
	hlt
db_handler:
	mov rax, dr6
	mov [rel seen_dr6], rax
	and qword [rsp + 16], ~0x100
	iretq
set_gate:                               ; rdi = gate, rax = handler
	mov [rdi], ax
	mov word [rdi + 2], 0x08
	mov word [rdi + 4], 0x8e00
	shr rax, 16
	mov [rdi + 6], ax
	shr rax, 16
	mov [rdi + 8], eax
	mov dword [rdi + 12], 0
	ret
; rax as 16 hex digits (serial.inc's puthex32 on each half)
puthex64:
	push rax
	shr rax, 32
	call puthex32
	pop rax
	jmp puthex32
%include "serial.inc"
msg_dr6: db "DR6 in the #DB handler of a single step: ", 0
msg_ac:	db "#AC at CPL 3: error code, offset: ", 0
msg_space: db " ", 0
align 8
gdtr:	dw 0x38 - 1
	dq gdt
idtr:	dw 32 * 16 - 1
	dq idt
sel:	dw 0
seen_dr6: dq 0
align 16
gdt:	dq 0
	dq 0x00af9b000000ffff           ; 08: 64-bit code
	dq 0x00cf93000000ffff           ; 10: data
	dq 0x00cff3000000ffff           ; 18: user data
	dq 0x00affb000000ffff           ; 20: user 64-bit code
	dq 0, 0                         ; 28: TSS
align 16
tss:	times 0x68 db 0
data:	dq 0, 0
align 16
idt:	times 32 * 16 db 0
	times 512 db 0
kstack_top:
	times 512 db 0
ustack_top:
