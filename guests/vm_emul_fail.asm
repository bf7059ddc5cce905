; A VMX guest in 32-bit protected mode (no paging) whose MMIO instruction kvmlike
; cannot emulate (tests/scenarios vm_emulation_failure): ADD [D0000000H], EAX on
; the device page. At CPL 0 KVM_RUN returns KVM_EXIT_INTERNAL_ERROR with
; KVM_INTERNAL_ERROR_EMULATION (the instruction's bytes, the exit information) and
; a #UD waits for the next KVM_RUN, as in Linux; at CPL 3 the guest gets the #UD
; with no exit to user space. Its #UD handler prints where each came from. The
; first ADD ends its page, so the exit reports its 2 bytes (kvmlike fetches what
; Linux's emulator fetches first: up to the page's end), padded with 90H. The
; VMM enters it with TR naming its TSS at 102000H (selector 28H): SS0:ESP0 for the
; #UD from CPL 3.
bits 32
org 0x100000

%include "guest32.inc"

COM1      equ 0x3f8
DEVICE    equ 0xd0000000
SEL_CODE  equ 0x08
SEL_DATA  equ 0x10
SEL_UCODE equ 0x18 | 3
SEL_UDATA equ 0x20 | 3
EFLAGS_IOPL3 equ 0x3002        ; OUT to the console from CPL 3

start:
	ENTER_FLAT32 stack0 + 4096
	mov esi, msg_cpl0
	call puts
	mov dword [resume], .to_user
	mov ebx, DEVICE
	jmp .add
	times 0xffe - ($ - $$) db 0xcc
.add:	add [ebx], eax                 ; KVM_EXIT_INTERNAL_ERROR, then #UD
	mov esi, msg_not_here
	call puts
.to_user:
	push SEL_UDATA
	push stack3 + 4096
	push EFLAGS_IOPL3
	push SEL_UCODE
	push user
	iret

user:
	mov ax, SEL_UDATA
	mov ds, ax
	mov es, ax
	mov esi, msg_cpl3
	call puts
	mov ebx, DEVICE
	add [ebx], eax                 ; #UD, no exit
	mov esi, msg_not_here
	call puts
	jmp $

; #UD: "#UD at EIP e CS c"; from CPL 0 on to [resume], from CPL 3 the end.
ud_handler:
	mov esi, msg_ud
	call puts
	mov eax, [esp]
	call puthex8
	mov esi, msg_cs
	call puts
	mov eax, [esp + 4]
	call puthex8
	call newline
	test byte [esp + 4], 3
	jnz .done
	mov eax, [resume]
	mov [esp], eax
	iret
.done:
	mov esi, msg_done
	call puts
	hlt
	jmp $

CONSOLE32

msg_cpl0:     db "CPL 0: ADD [D0000000H], EAX", 10, 0
msg_cpl3:     db "CPL 3: ADD [D0000000H], EAX", 10, 0
msg_ud:       db "#UD at EIP ", 0
msg_cs:       db " CS ", 0
msg_done:     db "done", 10, 0
msg_not_here: db "the ADD was done", 10, 0

%define IMG(x) (0x100000 + (x) - $$)

align 16
gdt:	dq 0
	dq 0x00cf9b000000ffff          ; 08: code
	dq 0x00cf93000000ffff          ; 10: data
	dq 0x00cffb000000ffff          ; 18: code, DPL 3
	dq 0x00cff3000000ffff          ; 20: data, DPL 3
	dw 0x67, IMG(tss) & 0xffff     ; 28: the TSS, busy
	db (IMG(tss) >> 16) & 0xff, 0x8b, 0, (IMG(tss) >> 24) & 0xff
gdt_end:
gdtr:	dw gdt_end - gdt - 1
	dd gdt

align 8
idt:	times 6 dq 0
	dw IMG(ud_handler) & 0xffff, SEL_CODE, 0x8e00, IMG(ud_handler) >> 16   ; 06: #UD
idt_end:
idtr:	dw idt_end - idt - 1
	dd idt

resume:	dd 0

; the TSS the VMM loads into TR (tests/scenarios VM_GUEST_TSS)
times 0x2000 - ($ - $$) db 0
tss:	dd 0, stack0 + 4096, SEL_DATA  ; link, ESP0, SS0
	times 22 dd 0
	dd 0x00680000

align 4096
stack0:	times 4096 db 0
stack3:	times 4096 db 0
