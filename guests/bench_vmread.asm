; Benchmark guest: VMXON, VMPTRLD, then VMREAD GUEST_RIP in a loop. The iteration
; count is read from physical address 0x200000, where `vtsim bench` puts it.
bits 64
LOAD equ 0x100000
COUNT equ 0x200000
org LOAD

%include "guest_elf64.inc"

start:
	mov ecx, 0x480                  ; IA32_VMX_BASIC: the revision identifier
	rdmsr
	and eax, 0x7fffffff
	mov [rel vmxon_region], eax
	mov [rel vmcs_region], eax
	mov rax, cr4
	bts rax, 13                     ; CR4.VMXE
	mov cr4, rax
	vmxon [rel vmxon_ptr]
	jbe fail
	vmptrld [rel vmcs_ptr]
	jbe fail
	mov r8, [COUNT]
	mov ebx, 0x681e                 ; GUEST_RIP
	test r8, r8
	jz done
loop:
	vmread rax, rbx
	dec r8
	jnz loop
done:
	xor eax, eax
	out 0xf4, al
fail:
	mov al, 1
	out 0xf4, al

vmxon_ptr: dq vmxon_region
vmcs_ptr:  dq vmcs_region
file_end:
absolute file_end
alignb 4096
vmxon_region: resb 4096
vmcs_region:  resb 4096
mem_end:
