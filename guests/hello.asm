; The demo guest: a bare-metal ELF64 image (MACHINE.md) that greets on COM1 and
; port 0xE9, reads the boot-info block and the CPU model, takes a #UD through its
; own IDT, and ends with a debug exit. Built by nasm alone (flat binary with a
; hand-made ELF header), so it builds the same on any host.
bits 64
LOAD equ 0x100000
org LOAD

%include "guest_elf64.inc"

COM1 equ 0x3f8

start:
	mov [boot_info], rdi
	lea rsi, [rel msg_hello]
	call puts
	; RAM size and CPUs from the boot-info block
	lea rsi, [rel msg_ram]
	call puts
	mov rdi, [boot_info]
	mov rax, [rdi + 8]
	shr rax, 20
	call putdec
	lea rsi, [rel msg_mib]
	call puts
	; CPU vendor and brand from CPUID
	xor eax, eax
	cpuid
	mov [vendor], ebx
	mov [vendor + 4], edx
	mov [vendor + 8], ecx
	lea rsi, [rel msg_cpu]
	call puts
	lea rsi, [rel vendor]
	call puts
	mov eax, 1
	cpuid
	lea rsi, [rel msg_vmx_no]
	test ecx, 1 << 5
	jz .novmx
	lea rsi, [rel msg_vmx_yes]
.novmx:
	call puts
	; an exception through our own IDT
	lea rax, [rel ud_handler]
	mov [idt + 6 * 16], ax
	mov word [idt + 6 * 16 + 2], 0x08
	mov word [idt + 6 * 16 + 4], 0x8e00
	shr rax, 16
	mov [idt + 6 * 16 + 6], ax
	shr rax, 16
	mov [idt + 6 * 16 + 8], eax
	lidt [idtr]
	ud2
after_ud:
	; port 0xE9, Bochs' and QEMU's debug console
	lea rsi, [rel msg_e9]
.e9:	lodsb
	test al, al
	jz .done
	out 0xe9, al
	jmp .e9
.done:
	xor eax, eax
	out 0xf4, al                         ; debug exit: status (0 << 1) | 1

ud_handler:
	lea rsi, [rel msg_ud]
	call puts
	lea rax, [rel after_ud]
	mov [rsp], rax                       ; resume after the ud2
	iretq

; puts: RSI = NUL-terminated string, polled COM1
puts:
	lodsb
	test al, al
	jz .ret
	mov ah, al
	mov dx, COM1 + 5
.wait:	in al, dx
	test al, 0x20
	jz .wait
	mov al, ah
	mov dx, COM1
	out dx, al
	jmp puts
.ret:	ret

; putdec: RAX as a decimal number
putdec:
	lea rdi, [rel numbuf + 20]
	mov byte [rdi], 0
	mov rcx, 10
.loop:	xor edx, edx
	div rcx
	add dl, '0'
	dec rdi
	mov [rdi], dl
	test rax, rax
	jnz .loop
	mov rsi, rdi
	jmp puts

msg_hello:   db "hello from a bare-metal guest on vtsim", 10, 0
msg_ram:     db "RAM: ", 0
msg_mib:     db " MiB (from the boot-info block)", 10, 0
msg_cpu:     db "CPU: ", 0
msg_vmx_yes: db ", VMX advertised in CPUID.1:ECX[5]", 10, 0
msg_vmx_no:  db ", no VMX", 10, 0
msg_ud:      db "#UD delivered through the guest's IDT, resuming", 10, 0
msg_e9:      db "goodbye via port 0xE9", 10, 0
idtr:        dw 256 * 16 - 1
	     dq idt
file_end:
absolute file_end
alignb 16
boot_info:   resq 1
vendor:      resb 16
numbuf:      resb 24
alignb 16
idt:         resb 256 * 16
mem_end:
