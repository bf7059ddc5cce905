; A minimal VMM as a bare-metal image: VMXON, a VMCS for a 64-bit guest that shares
; the VMM's address space, VMLAUNCH, and a loop of CPUID exits: the guest runs CPUID
; N times (N from physical 0x200000, 100 if zero), the VMM counts the exits and
; resumes the guest past each CPUID; the guest's VMCALL ends it.
;! status: 1
;! stdout: vmm: VMXON and VMPTRLD ok
;! stdout: vmm: VMLAUNCH
;! stdout: guest: running in VMX non-root operation
;! stdout: vmm: 100 CPUID exits, then VMCALL (exit reason 18) at the guest's RIP
;! stdout: vmm: guest RAX after CPUID leaf 0 = 0x1f
bits 64
LOAD equ 0x100000
COUNT equ 0x200000
org LOAD

%include "guest_elf64.inc"

%macro VMWRITE 2                 ; field, value (register or immediate)
	mov rax, %2
	mov rdx, %1
	vmwrite rdx, rax
	jbe vmwrite_failed
%endmacro

%macro PUTS 1
	lea rsi, [rel %1]
	call puts
%endmacro

; Control value: the bits the capability MSR requires, plus the wanted ones it allows.
%macro CTL 3                     ; field, capability MSR, wanted bits
	mov ecx, %2
	rdmsr
	or eax, %3
	and eax, edx
	mov rdx, %1
	vmwrite rdx, rax
	jbe vmwrite_failed
%endmacro

start:
	mov ecx, 0x480
	rdmsr
	and eax, 0x7fffffff
	mov [rel vmxon_region], eax
	mov [rel vmcs_region], eax
	mov rax, cr4
	bts rax, 13
	mov cr4, rax
	vmxon [rel vmxon_ptr]
	jbe fail
	vmclear [rel vmcs_ptr]
	jbe fail
	vmptrld [rel vmcs_ptr]
	jbe fail
	PUTS msg_ok

	CTL 0x4000, 0x48d, 0                    ; pin-based
	CTL 0x4002, 0x48e, 0                    ; primary processor-based
	CTL 0x400c, 0x48f, 1 << 9               ; exit: host address-space size
	CTL 0x4012, 0x490, 1 << 9               ; entry: IA-32e mode guest
	VMWRITE 0x2800, -1                      ; VMCS link pointer

	; Host state: this code, its stack, its tables.
	mov rax, cr0
	VMWRITE 0x6c00, rax                     ; HOST_CR0
	mov rax, cr3
	VMWRITE 0x6c02, rax                     ; HOST_CR3
	mov rax, cr4
	VMWRITE 0x6c04, rax                     ; HOST_CR4
	VMWRITE 0x0c02, 0x08                    ; HOST_CS_SELECTOR
	VMWRITE 0x0c04, 0x10                    ; SS
	VMWRITE 0x0c06, 0x10                    ; DS
	VMWRITE 0x0c00, 0x10                    ; ES
	VMWRITE 0x0c0c, 0x18                    ; TR
	sgdt [rel gdtr]
	sidt [rel idtr]
	mov rbx, [rel gdtr + 2]                 ; TSS base from the GDT's descriptor at 0x18
	mov eax, [rbx + 0x18 + 2]
	and eax, 0xffffff
	movzx ecx, byte [rbx + 0x18 + 7]
	shl ecx, 24
	or eax, ecx
	mov ecx, [rbx + 0x18 + 8]
	shl rcx, 32
	or rax, rcx
	mov [rel tss_base], rax
	VMWRITE 0x6c0a, [rel tss_base]          ; HOST_TR_BASE
	VMWRITE 0x6c0c, [rel gdtr + 2]          ; HOST_GDTR_BASE
	VMWRITE 0x6c0e, [rel idtr + 2]          ; HOST_IDTR_BASE
	lea rax, [rel host_stack_top]
	VMWRITE 0x6c14, rax                     ; HOST_RSP
	lea rax, [rel vm_exit]
	VMWRITE 0x6c16, rax                     ; HOST_RIP

	; Guest state: the same address space, its own stack, 64-bit code.
	mov rax, cr0
	VMWRITE 0x6800, rax                     ; GUEST_CR0
	mov rax, cr3
	VMWRITE 0x6802, rax
	mov rax, cr4
	VMWRITE 0x6804, rax
	VMWRITE 0x681a, 0x400                   ; GUEST_DR7
	VMWRITE 0x0802, 0x08                    ; GUEST_CS_SELECTOR
	VMWRITE 0x4802, 0xffffffff              ; GUEST_CS_LIMIT
	VMWRITE 0x4816, 0xa09b                  ; GUEST_CS_AR_BYTES
	mov ebx, 0
.segs:	mov rdx, 0x0800                          ; ES, SS, DS, FS, GS selectors: 0x10
	add rdx, [data_sel + rbx * 8]
	mov eax, 0x10
	vmwrite rdx, rax
	mov rdx, 0x4800
	add rdx, [data_sel + rbx * 8]
	mov eax, 0xffffffff
	vmwrite rdx, rax                         ; limit
	mov rdx, 0x4814
	add rdx, [data_sel + rbx * 8]
	mov eax, 0xc093
	vmwrite rdx, rax                         ; access rights
	inc ebx
	cmp ebx, 5
	jne .segs
	VMWRITE 0x0808, 0                       ; FS selector 0: unusable
	VMWRITE 0x481c, 0x10000
	VMWRITE 0x080a, 0                       ; GS too
	VMWRITE 0x481e, 0x10000
	VMWRITE 0x4820, 0x10000                 ; LDTR unusable
	VMWRITE 0x080e, 0x18                    ; GUEST_TR_SELECTOR
	VMWRITE 0x6814, [rel tss_base]          ; GUEST_TR_BASE
	VMWRITE 0x480e, 0x67                    ; GUEST_TR_LIMIT
	VMWRITE 0x4822, 0x8b                    ; GUEST_TR_AR_BYTES
	VMWRITE 0x6816, [rel gdtr + 2]          ; GUEST_GDTR_BASE
	movzx eax, word [rel gdtr]
	VMWRITE 0x4810, rax
	VMWRITE 0x6818, [rel idtr + 2]          ; GUEST_IDTR_BASE
	movzx eax, word [rel idtr]
	VMWRITE 0x4812, rax
	VMWRITE 0x6820, 2                       ; GUEST_RFLAGS
	lea rax, [rel guest_stack_top]
	VMWRITE 0x681c, rax                     ; GUEST_RSP
	lea rax, [rel guest]
	VMWRITE 0x681e, rax                     ; GUEST_RIP

	mov rax, [COUNT]
	test rax, rax
	jnz .n
	mov eax, 100
.n:	mov [rel iterations], rax
%ifdef BREAK_CTL                                ; for tests: pin-based controls all 0
	VMWRITE 0x4000, 0
%endif
%ifdef BREAK_HOST                               ; for tests: host CS selector 0
	VMWRITE 0x0c02, 0
%endif
%ifdef BREAK_EXIT_MSRS                          ; for tests: a host MSR that cannot be loaded
	VMWRITE 0x4010, 1                       ; VM_EXIT_MSR_LOAD_COUNT
	lea rax, [rel bad_msr_list]
	VMWRITE 0x2008, rax                     ; VM_EXIT_MSR_LOAD_ADDR
%endif
%ifdef BREAK_EXIT_MSR_STORE                     ; for tests: a guest MSR that cannot be saved
	VMWRITE 0x400e, 1                       ; VM_EXIT_MSR_STORE_COUNT
	lea rax, [rel bad_msr_list]
	VMWRITE 0x2006, rax                     ; VM_EXIT_MSR_STORE_ADDR
%endif
%ifdef BREAK_GUEST                              ; for tests: RFLAGS bit 1 clear
	VMWRITE 0x6820, 0
%endif
	PUTS msg_launch
	mov rcx, [rel iterations]               ; the guest's loop count, in a GPR it keeps
	vmlaunch
	; Only a failed VMLAUNCH comes back here.
	mov edx, 0x4400
	vmread rax, rdx
	add al, '0'
	mov [rel msg_vmfail_n], al
	PUTS msg_vmfail
	jmp fail

vm_exit:
	mov edx, 0x4402                         ; VM_EXIT_REASON
	vmread rax, rdx
	bt eax, 31                              ; a VM-entry failure comes back here too
	jc .entry_failed
	cmp eax, 10
	je .cpuid
	cmp eax, 18
	je .vmcall
	PUTS msg_unexpected
	jmp fail
.cpuid:
	inc qword [rel cpuid_exits]
	mov [rel guest_rax], rax
	mov edx, 0x681e                         ; GUEST_RIP += VM_EXIT_INSTRUCTION_LEN
	vmread rbx, rdx
	mov edx, 0x440c
	vmread rax, rdx
	add rbx, rax
	mov edx, 0x681e
	vmwrite rdx, rbx
	xor eax, eax                            ; answer leaf 0 with the host's CPUID
	push rcx
	cpuid
	pop rcx
	mov [rel guest_rax], rax
	vmresume
	PUTS msg_vmfail
	jmp fail
.entry_failed:
	mov rbx, rax
	PUTS msg_entry_failed
	mov rax, rbx
	call puthex
	PUTS msg_qual
	mov edx, 0x6400                         ; EXIT_QUALIFICATION
	vmread rax, rdx
	call puthex
	PUTS msg_nl
	xor eax, eax
	out 0xf4, al
.vmcall:
%ifdef BREAK_LATER                              ; for tests: an entry after one that worked fails
	VMWRITE 0x6820, 0                       ; GUEST_RFLAGS bit 1 clear
	vmresume
%endif
%ifdef RELAUNCH                                 ; for tests: VMLAUNCH of a launched VMCS
	vmlaunch
	mov edx, 0x4400
	vmread rax, rdx
	add al, '0'
	mov [rel msg_vmfail_n], al
	PUTS msg_vmfail
	xor eax, eax
	out 0xf4, al
%endif
	mov rax, [rel cpuid_exits]
	cmp rax, [rel iterations]
	jne fail
	cmp qword [rel iterations], 100
	jne .quiet
	PUTS msg_done
	mov rax, [rel guest_rax]
	PUTS msg_rax
	mov rax, [rel guest_rax]
	call puthex
	PUTS msg_nl
.quiet:
	xor eax, eax
	out 0xf4, al

guest:
	lea rsi, [rel msg_guest]
	call puts                               ; COM1 from the guest (no I/O exiting)
.loop:	xor eax, eax
	push rcx
	cpuid
	pop rcx
	dec rcx
	jnz .loop
	vmcall

vmwrite_failed:
	PUTS msg_vmwrite
fail:
	mov al, 1
	out 0xf4, al

puts:
	lodsb
	test al, al
	jz .r
	mov dx, 0x3f8
	out dx, al
	jmp puts
.r:	ret

puthex:                                         ; RAX, without leading zeros
	mov rbx, rax
	mov ecx, 60
	xor edi, edi
.h:	mov rax, rbx
	shr rax, cl
	and eax, 15
	jnz .p
	test edi, edi
	jnz .p
	test ecx, ecx
	jnz .n
.p:	mov edi, 1
	cmp al, 10
	jb .d
	add al, 'a' - 10 - '0'
.d:	add al, '0'
	mov dx, 0x3f8
	out dx, al
.n:	sub ecx, 4
	jns .h
	ret

align 16
bad_msr_list:   dd 0x12345678, 0                ; no such MSR
                dq 0
data_sel:       dq 0, 4, 6, 8, 10               ; ES, SS, DS, FS, GS field offsets
vmxon_ptr:      dq vmxon_region
vmcs_ptr:       dq vmcs_region
msg_ok:         db "vmm: VMXON and VMPTRLD ok", 10, 0
msg_launch:     db "vmm: VMLAUNCH", 10, 0
msg_guest:      db "guest: running in VMX non-root operation", 10, 0
msg_done:       db "vmm: 100 CPUID exits, then VMCALL (exit reason 18) at the guest's RIP", 10, 0
msg_rax:        db "vmm: guest RAX after CPUID leaf 0 = 0x", 0
msg_nl:         db 10, 0
msg_unexpected: db "vmm: unexpected exit reason", 10, 0
msg_entry_failed: db "vmm: VM-entry failure, exit reason 0x", 0
msg_qual:       db ", qualification 0x", 0
msg_vmwrite:    db "vmm: VMWRITE failed", 10, 0
msg_vmfail:     db "vmm: VM entry failed, error "
msg_vmfail_n:   db "?", 10, 0
file_end:
absolute file_end
alignb 8
gdtr:           resb 10
idtr:           resb 10
alignb 8
tss_base:       resq 1
iterations:     resq 1
cpuid_exits:    resq 1
guest_rax:      resq 1
alignb 4096
vmxon_region:   resb 4096
vmcs_region:    resb 4096
                resb 8192
host_stack_top:
                resb 8192
guest_stack_top:
mem_end:
