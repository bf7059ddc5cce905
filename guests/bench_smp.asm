; Benchmark guest for `vtsim bench smp_guest_mips_ratio`: the same register-only loop
; (xorshift32, an add, a data-dependent rotate) on every logical processor, the
; iteration count read from physical address 200000H, where `vtsim bench` puts it.
; With one LP the BSP runs it alone; with two it first starts the AP (INIT, start-up
; IPI), which runs the loop in 32-bit protected mode while the BSP runs it in 64-bit
; mode, then waits for the AP's flag. Both end with OUT 0F4H of 0 (status 1).
bits 64
LOAD equ 0x100000
COUNT equ 0x200000
APIC equ 0xFEE00000
TRAMP equ 0x8000
%define T(x) ((x) - tramp + TRAMP)
org LOAD

%include "guest_elf64.inc"

; ecx iterations in, eax = the checksum (clobbers ebx, edx)
%macro COMPUTE 0
	mov eax, 0x12345678
	xor ebx, ebx
%%loop:
	mov edx, eax
	shl edx, 13
	xor eax, edx
	mov edx, eax
	shr edx, 17
	xor eax, edx
	mov edx, eax
	shl edx, 5
	xor eax, edx
	add ebx, eax
	test al, 1
	jz %%even
	rol ebx, 1
%%even:
	dec ecx
	jnz %%loop
	xor eax, ebx
%endmacro

start:
	mov r12d, [rdi + 24]            ; boot info: the number of LPs
	cmp r12d, 1
	jbe .compute
	call map_apic
	lea rsi, [rel tramp]
	mov edi, TRAMP
	mov ecx, tramp_end - tramp
	cld
	rep movsb
	mov rbx, APIC
	mov dword [rbx + 0x310], 1 << 24
	mov dword [rbx + 0x300], 0x00004500             ; INIT
	mov dword [rbx + 0x300], 0x00004600 | (TRAMP >> 12)
.compute:
	mov ecx, [COUNT]
	COMPUTE
	mov [rel bsp_sum], eax
	cmp r12d, 1
	jbe .done
.wait:
	pause
	cmp dword [rel ap_done], 1
	jne .wait
.done:
	xor eax, eax
	out 0xf4, al

; The boot page tables cover RAM only: a 2 MiB page maps the APIC (uncached), from
; a page directory of our own for the fourth GiB.
map_apic:
	mov rax, cr3
	and rax, ~0xfff
	mov rax, [rax]                  ; PML4[0]: the PDPT
	and rax, ~0xfff
	lea rdx, [rel apic_pd]
	or rdx, 3
	mov [rax + 3 * 8], rdx
	mov rdx, APIC | 0x9b            ; P, RW, PWT, PCD, PS
	mov [rel apic_pd + ((APIC >> 21) & 511) * 8], rdx
	mov rax, cr3
	mov cr3, rax
	ret

tramp:
	bits 16
	cli
	xor ax, ax
	mov ds, ax
	lgdt [T(tgdt_ptr)]
	mov eax, cr0
	or al, 1
	mov cr0, eax
	jmp dword 0x08:ap32
	align 8
tgdt:	dq 0
	dq 0x00cf9b000000ffff           ; 08: 32-bit code
	dq 0x00cf93000000ffff           ; 10: data
tgdt_ptr:
	dw 3 * 8 - 1
	dd T(tgdt)
tramp_end:

	bits 32
ap32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov ecx, [COUNT]
	COMPUTE
	mov [ap_sum], eax
	mov dword [ap_done], 1
.idle:	cli
	hlt
	jmp .idle
	bits 64

bsp_sum: dd 0
ap_sum: dd 0
ap_done: dd 0
file_end:
absolute file_end
alignb 4096
apic_pd: resb 4096
mem_end:
