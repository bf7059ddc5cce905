; The demo's VMX guest: flat 64-bit code that kvmlike's user space (tools/vmm.c)
; loads at guest-physical 1 MiB and enters in long mode with identity page
; tables. It greets on COM1 (port I/O exits), asks CPUID for the vendor and the
; hypervisor's signature, reads and writes a device register (MMIO exits), sums a
; buffer that spans pages EPT does not map yet (EPT-violation exits), makes a
; hypercall, and halts.
bits 64
org 0x100000

COM1 equ 0x3f8
DEVICE equ 0xd0000000          ; the demo device's registers (tools/vmm.c)

start:
	lea rsi, [rel msg_hello]
	call puts
	xor eax, eax
	cpuid
	mov [rel vendor], ebx
	mov [rel vendor + 4], edx
	mov [rel vendor + 8], ecx
	lea rsi, [rel msg_vendor]
	call puts
	lea rsi, [rel vendor]
	call puts
	call newline
	mov eax, 0x40000000
	cpuid
	mov [rel vendor], ebx
	mov [rel vendor + 4], ecx
	mov [rel vendor + 8], edx
	lea rsi, [rel msg_hv]
	call puts
	lea rsi, [rel vendor]
	call puts
	call newline

	mov rbx, DEVICE
	mov eax, [rbx]                 ; device id register
	lea rsi, [rel msg_devid]
	call puts
	call puthex32
	call newline
	mov dword [rbx + 4], 0x1234    ; command register

	; Sum 64 KiB from 4 MiB up: sixteen pages the guest has not touched yet.
	mov rdi, 0x400000
	mov ecx, 0x10000 / 8
	xor edx, edx
.fill:	mov [rdi + rcx * 8 - 8], rcx
	add rdx, rcx
	loop .fill
	mov rax, rdx
	lea rsi, [rel msg_sum]
	call puts
	call puthex32
	call newline

	mov eax, 12                    ; a hypercall number KVM does not offer
	vmcall
	lea rsi, [rel msg_hc]
	call puts
	neg eax
	call puthex32
	call newline

	lea rsi, [rel msg_bye]
	call puts
	hlt
	jmp $

%include "serial.inc"

msg_hello:  db "Hello from a VMX guest of kvmlike, on the simulated CPU", 10, 0
msg_vendor: db "CPUID vendor: ", 0
msg_hv:     db "hypervisor signature (CPUID 0x40000000): ", 0
msg_devid:  db "device id register: 0x", 0
msg_sum:    db "sum over 16 fresh pages: 0x", 0
msg_hc:     db "hypercall 12 answered -0x", 0
msg_bye:    db "halting", 10, 0
vendor:     times 16 db 0
