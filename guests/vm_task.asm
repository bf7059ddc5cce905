; A VMX guest in 32-bit protected mode (no paging) that switches tasks, which VMX
; non-root operation turns into VM exit 9 and kvmlike performs (tests/scenarios
; vm_task_switch). It JMPs to task A, CALLs task B through a task gate in the GDT
; (B IRETs back) and again by INT 30H through an IDT task gate, takes #GP through
; an IDT task gate, JMPs to a TSS whose limit is
; too small (#TS) and to one not present (#NP), which the processor checks before
; the exit, and JMPs to task C, whose TSS names a data segment for CS: kvmlike
; raises #TS in task C. Each task prints what it sees: TR, NT, its back link, the
; busy flags, CR0.TS; each fault's handler task prints its vector, the error code
; on its stack, its back link and the EIP saved in the faulting task's TSS, then
; points that EIP (and CS) at [resume] and IRETs to it. The VMM enters it with TR
; naming the main task's TSS at 102000H (selector 18H).
bits 32
org 0x100000

%include "guest32.inc"

COM1       equ 0x3f8
SEL_CODE   equ 0x08
SEL_DATA   equ 0x10
SEL_MAIN   equ 0x18
SEL_A      equ 0x20
SEL_B      equ 0x28
SEL_GATE_B equ 0x30            ; a task gate in the GDT, for B
SEL_SHORT  equ 0x38            ; a TSS with limit 5FH
SEL_ABSENT equ 0x40            ; a TSS not present
SEL_C      equ 0x48            ; a TSS whose CS is SEL_DATA
SEL_TS     equ 0x50            ; the handler tasks of #TS, #NP, #GP
SEL_NP     equ 0x58
SEL_GP     equ 0x60
SEL_IMG    equ 0x68            ; 32-bit code based at the image (for a 16-bit IP)
SEL_D      equ 0x70            ; a 16-bit TSS
STACK_D    equ 0xf000          ; task D's stack: SP is 16 bits
VEC_TASK_B equ 0x30            ; INT 30H: an IDT task gate for B
BAD_SEL    equ 0x0ff0          ; beyond the GDT: MOV DS, BAD_SEL is #GP(0FF0H)

TSS_EIP    equ 0x20
TSS_CS     equ 0x4c

start:
	ENTER_FLAT32 stack_main + 4096

	mov esi, msg_jmp_a
	call puts
	jmp SEL_A:0
	mov esi, msg_back_a
	call puts
	mov eax, SEL_A
	call put_busy
	call newline

	mov esi, msg_call_b
	call puts
	call SEL_GATE_B:0
	mov esi, msg_back_b
	call puts
	call put_nt
	mov eax, SEL_B
	call put_busy
	mov eax, SEL_MAIN
	call put_busy
	call newline

	mov esi, msg_int_b
	call puts
	int VEC_TASK_B
	mov esi, msg_back_int
	call puts
	call put_nt
	mov eax, SEL_B
	call put_busy
	call newline

	mov dword [resume], .after_gp
	mov esi, msg_gp
	call puts
	mov ax, BAD_SEL
	mov ds, ax
.after_gp:
	mov dword [resume], .after_short
	mov esi, msg_short
	call puts
	jmp SEL_SHORT:0
.after_short:
	mov dword [resume], .after_absent
	mov esi, msg_absent
	call puts
	jmp SEL_ABSENT:0
.after_absent:
	mov dword [resume], task_c_fixed
	mov esi, msg_jmp_c
	call puts
	jmp SEL_C:0
	mov esi, msg_back_c
	call puts
	call put_tr
	call newline

	mov esi, msg_call_d
	call puts
	mov eax, 0x12345678
	call SEL_D:0
	mov esi, msg_back_d
	call puts
	call puthex8
	call put_nt
	mov eax, SEL_D
	call put_busy
	call newline
	mov esi, msg_done
	call puts
	hlt
	jmp $

; ---- the tasks ------------------------------------------------------------------

task_a:
	mov esi, msg_in_a
	call put_task
	mov eax, SEL_A
	call put_busy
	mov esi, msg_ts
	call puts
	mov eax, cr0
	shr eax, 3
	and eax, 1
	call puthex4
	call newline
	clts
	jmp SEL_MAIN:0

task_b:
	mov esi, msg_in_b
	call put_task
	mov eax, SEL_B
	call put_busy
	call newline
	iret
	jmp task_b                     ; where the next switch to B starts

task_c_fixed:                          ; task C once its CS is a code segment
	mov esi, msg_in_c
	call puts
	call put_tr
	call put_link
	call newline
	jmp SEL_MAIN:0

; Task D, of a 16-bit TSS, runs at IP = its offset in the image (CS = SEL_IMG). Its
; TSS gives it AX = 1234H, and EAX's upper half is 0 (the switch writes the whole
; register, as Linux's does); main's EAX comes back from main's TSS.
task_d:
	mov esi, msg_in_d
	call puts
	mov esi, msg_eax
	call puts
	call puthex8
	call put_tr
	call put_nt
	call put_link
	mov eax, SEL_D
	call put_busy
	call newline
	iret

; A fault's handler task: its vector in ECX, the error code on its stack.
%macro HANDLER 2
%1:
	pop eax
	mov ecx, %2
	call report_fault
	iret
	jmp %1
%endmacro
HANDLER handler_ts, 0x0a
HANDLER handler_np, 0x0b
HANDLER handler_gp, 0x0d

; ecx = vector, eax = error code. Prints them, the back link and the EIP saved in
; the linked task's TSS, then makes that task go on at [resume] in SEL_CODE.
report_fault:
	mov esi, msg_fault
	call puts
	xchg eax, ecx
	call puthex4
	mov esi, msg_error
	call puts
	mov eax, ecx
	call puthex4
	call put_link
	call linked_tss
	mov esi, msg_saved_eip
	call puts
	mov eax, [ebx + TSS_EIP]
	call puthex8
	call newline
	mov eax, [resume]
	mov [ebx + TSS_EIP], eax
	mov dword [ebx + TSS_CS], SEL_CODE
	ret

; ---- what a task sees -----------------------------------------------------------

; esi = the task's name: it, TR, NT, the back link and the main task's busy flag
put_task:
	call puts
	call put_tr
	call put_nt
	call put_link
	mov eax, SEL_MAIN
	jmp put_busy

; ebx = the base of the TSS that selector ax names
tss_base:
	movzx eax, ax
	and eax, 0xfff8
	add eax, gdt
	mov ebx, [eax + 2]
	and ebx, 0xffffff
	movzx eax, byte [eax + 7]
	shl eax, 24
	or ebx, eax
	ret

; ebx = the base of the TSS this task's back link names
linked_tss:
	str ax
	call tss_base
	mov ax, [ebx]
	jmp tss_base

put_tr:
	mov esi, msg_tr
	call puts
	str ax
	movzx eax, ax
	jmp puthex4

put_nt:
	mov esi, msg_nt
	call puts
	pushfd
	pop eax
	shr eax, 14
	and eax, 1
	jmp puthex4

put_link:
	mov esi, msg_link
	call puts
	str ax
	call tss_base
	movzx eax, word [ebx]
	jmp puthex4

; eax = a TSS selector: " busy(SEL)=B"
put_busy:
	mov esi, msg_busy
	call puts
	call puthex4
	mov esi, msg_eq
	call puts
	mov al, [gdt + eax + 5]
	shr eax, 1
	and eax, 1
	jmp puthex4

; ---- the console --------------------------------------------------------------

CONSOLE32

msg_jmp_a:     db "main: JMP to task A", 10, 0
msg_back_a:    db "main: back from task A,", 0
msg_call_b:    db "main: CALL to task B through a task gate", 10, 0
msg_back_b:    db "main: after task B's IRET,", 0
msg_int_b:     db "main: INT 30H, a task gate for task B", 10, 0
msg_back_int:  db "main: after INT 30H,", 0
msg_gp:        db "main: MOV DS, 0FF0H", 10, 0
msg_short:     db "main: JMP to a TSS with limit 5FH", 10, 0
msg_absent:    db "main: JMP to a TSS not present", 10, 0
msg_jmp_c:     db "main: JMP to task C, whose CS is a data segment", 10, 0
msg_back_c:    db "main: back from task C,", 0
msg_call_d:    db "main: CALL to task D, a 16-bit TSS, EAX 12345678H", 10, 0
msg_back_d:    db "main: back from task D, EAX ", 0
msg_in_d:      db "task D:", 0
msg_eax:       db " EAX ", 0
msg_done:      db "main: done", 10, 0
msg_in_a:      db "task A:", 0
msg_in_b:      db "task B:", 0
msg_in_c:      db "task C, its CS mended:", 0
msg_fault:     db "task gate: vector ", 0
msg_error:     db " error ", 0
msg_saved_eip: db " saved EIP ", 0
msg_tr:        db " TR ", 0
msg_nt:        db " NT ", 0
msg_link:      db " link ", 0
msg_busy:      db " busy(", 0
msg_eq:        db ")=", 0
msg_ts:        db " CR0.TS ", 0

; ---- descriptors and TSSs -------------------------------------------------------

%define IMG(x) (0x100000 + (x) - $$)

; a TSS descriptor: TSS label, limit, access byte (89H available, 09H not present)
%macro TSSDESC 3
	dw %2
	dw IMG(%1) & 0xffff
	db (IMG(%1) >> 16) & 0xff
	db %3
	db 0
	db (IMG(%1) >> 24) & 0xff
%endmacro

; a 32-bit TSS: entry point, stack top, all data segments SEL_DATA
%macro TSS 2
	dd 0, 0, 0, 0, 0, 0, 0         ; link, ESP0-SS2
	dd 0                           ; CR3
	dd %1, 2                       ; EIP, EFLAGS
	dd 0, 0, 0, 0, %2, 0, 0, 0     ; EAX .. EDI
	dd SEL_DATA, SEL_CODE, SEL_DATA, SEL_DATA, SEL_DATA, SEL_DATA
	dd 0                           ; LDT
	dd 0x00680000                  ; no I/O bitmap
%endmacro

align 16
gdt:	dq 0
	dq 0x00cf9b000000ffff          ; 08: code
	dq 0x00cf93000000ffff          ; 10: data
	TSSDESC tss_main, 0x67, 0x8b   ; 18: busy, in TR (KVM_SET_SREGS)
	TSSDESC tss_a, 0x67, 0x89
	TSSDESC tss_b, 0x67, 0x89
	dw 0, SEL_B, 0x8500, 0         ; 30: task gate for B
	TSSDESC tss_a, 0x5f, 0x89      ; 38: too short
	TSSDESC tss_a, 0x67, 0x09      ; 40: not present
	TSSDESC tss_c, 0x67, 0x89
	TSSDESC tss_ts, 0x67, 0x89
	TSSDESC tss_np, 0x67, 0x89
	TSSDESC tss_gp, 0x67, 0x89
	dq 0x00cf9b100000ffff          ; 68: code based at 100000H
	TSSDESC tss_d, 0x2b, 0x81      ; 70: a 16-bit TSS
gdt_end:
gdtr:	dw gdt_end - gdt - 1
	dd gdt

align 8
idt:	times 10 dq 0
	dw 0, SEL_TS, 0x8500, 0        ; 0A: #TS
	dw 0, SEL_NP, 0x8500, 0        ; 0B: #NP
	dq 0                           ; 0C
	dw 0, SEL_GP, 0x8500, 0        ; 0D: #GP
	times VEC_TASK_B - 0x0e dq 0
	dw 0, SEL_B, 0x8500, 0         ; 30: INT 30H, task B
idt_end:
idtr:	dw idt_end - idt - 1
	dd idt

resume:	dd 0

; the main task's TSS, which the VMM loads into TR (tests/scenarios VM_TASK_TSS):
; the guest has no LTR, since vtsim's engine keeps LTR's TSS type available, not
; busy, and VM entry refuses that TR
times 0x2000 - ($ - $$) db 0
tss_main: TSS 0, 0
tss_a:	TSS task_a, stack_a + 4096
tss_b:	TSS task_b, stack_b + 4096
tss_ts:	TSS handler_ts, stack_ts + 4096
tss_np:	TSS handler_np, stack_np + 4096
tss_gp:	TSS handler_gp, stack_gp + 4096
; task C: CS is the data segment
tss_c:	dd 0, 0, 0, 0, 0, 0, 0, 0
	dd task_c_fixed, 2
	dd 0, 0, 0, 0, stack_c + 4096, 0, 0, 0
	dd SEL_DATA, SEL_DATA, SEL_DATA, SEL_DATA, SEL_DATA, SEL_DATA
	dd 0, 0x00680000

; task D's 16-bit TSS
tss_d:	dw 0, 0, 0, 0, 0, 0, 0         ; link, SP0-SS2
	dw task_d - $$, 2              ; IP, FLAGS
	dw 0x1234, 0, 0, 0, STACK_D, 0, 0, 0   ; AX .. DI
	dw SEL_DATA, SEL_IMG, SEL_DATA, SEL_DATA, 0   ; ES, CS, SS, DS, LDT

align 4096
stack_main: times 4096 db 0
stack_a:    times 4096 db 0
stack_b:    times 4096 db 0
stack_c:    times 4096 db 0
stack_ts:   times 4096 db 0
stack_np:   times 4096 db 0
stack_gp:   times 4096 db 0
