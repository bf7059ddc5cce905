; vmx: exit-heavy. A minimal VMM (VMXON, one VMCS, a 64-bit guest sharing its address
; space) whose guest runs CPUID n times and then VMCALL. Each CPUID exits; the VMM
; answers it with values made from the leaf and its exit count, and resumes the guest
; past it. The guest folds every answer into its checksum:
;   leaf = i & 15 for i = n .. 1; exits counts 1, 2, ...; the answer is
;   eax = leaf XOR exits, ebx = exits * 0x9E3779B1 (low 32 bits), ecx = leaf, edx = ~exits
;   sum = rol(sum XOR rax, 7) + rbx; sum ^= rdx << 32 | rcx
; The line's extra field: exits=<hex16>, the CPUID exits the VMM counted.
; Without VMX (CPUID.1:ECX.VMX clear, or IA32_FEATURE_CONTROL locked with VMX off) it
; prints "vmx: not supported" and ends the run without a checksum line.
%define BENCH_NAME "vmx"
%define BENCH_DEFAULT_N 100000
%define BENCH_EXTRA "exits"
%include "bench64.inc"

%define VMX_BASIC            0x480
%define FEATURE_CONTROL      0x3a

%macro VMWRITE 2                        ; field, value (register or immediate)
        mov rax, %2
        mov rdx, %1
        vmwrite rdx, rax
        jbe vmx_fail
%endmacro

; A control: the bits its capability MSR requires plus the wanted ones it allows
; (low half: allowed 0-settings, must be 1; high half: allowed 1-settings).
%macro CTL 3                            ; field, capability MSR (R12 adds 0xc: TRUE_*), wanted
        mov ecx, %2
        add ecx, r12d
        rdmsr
        or eax, %3
        and eax, edx
        mov rdx, %1
        vmwrite rdx, rax
        jbe vmx_fail
%endmacro

bench_main:
        mov r15, r8                     ; n, kept across the setup
        call vmx_enable
        call vmcs_setup
        mov r8, r15                     ; the guest's count
        xor r9d, r9d                    ; the guest's checksum
        xor r10d, r10d                  ; the VMM's exit count
        VMWRITE 0x6c14, rsp             ; HOST_RSP: exits run on this frame, and
        vmlaunch                        ; VMCALL's exit returns from it
        jmp vmx_fail                    ; only a failed VMLAUNCH comes back here

; CR4.VMXE, CR0.NE, IA32_FEATURE_CONTROL, VMXON, VMCLEAR, VMPTRLD.
vmx_enable:
        mov eax, 1
        cpuid
        bt ecx, 5
        jnc vmx_unsupported
        mov ecx, FEATURE_CONTROL
        rdmsr
        test eax, 1                     ; locked: VMX outside SMX must be on
        jz .unlocked
        test eax, 4
        jz vmx_unsupported
        jmp .on
.unlocked:
        or eax, 5
        wrmsr
.on:    mov rax, cr0
        or eax, 0x20                    ; NE
        mov cr0, rax
        mov rax, cr4
        bts rax, 13                     ; VMXE
        mov cr4, rax
        mov ecx, VMX_BASIC
        rdmsr
        mov [vmxon_region], eax         ; revision id
        mov [vmcs_region], eax
        xor r12d, r12d
        bt edx, 55 - 32                 ; TRUE_* capability MSRs (0x48d..0x490)
        jnc .rev
        mov r12d, 0xc
.rev:   vmxon [rel vmxon_ptr]
        jbe vmx_fail
        vmclear [rel vmcs_ptr]
        jbe vmx_fail
        vmptrld [rel vmcs_ptr]
        jbe vmx_fail
        ret

vmcs_setup:
        CTL 0x4000, 0x481, 0                    ; pin-based
        CTL 0x4002, 0x482, 0                    ; primary processor-based
        CTL 0x400c, 0x483, 1 << 9               ; exit: host address-space size
        CTL 0x4012, 0x484, 1 << 9               ; entry: IA-32e mode guest
        VMWRITE 0x2800, -1                      ; VMCS link pointer

        ; Host: this code, its stack and tables.
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
        VMWRITE 0x6c0a, bench_tss               ; HOST_TR_BASE
        VMWRITE 0x6c0c, bench_gdt               ; HOST_GDTR_BASE
        mov rax, vm_exit
        VMWRITE 0x6c16, rax                     ; HOST_RIP

        ; Guest: the same address space and GDT, 64-bit code.
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
        xor ebx, ebx
.segs:  movzx edx, byte [data_seg_fields + rbx] ; ES, SS, DS: selector 0x10, flat
        mov eax, 0x10
        add edx, 0x0800
        vmwrite rdx, rax
        jbe vmx_fail
        add edx, 0x4800 - 0x0800
        mov eax, 0xffffffff
        vmwrite rdx, rax                        ; limit
        jbe vmx_fail
        add edx, 0x4814 - 0x4800
        mov eax, 0xc093
        vmwrite rdx, rax                        ; access rights
        jbe vmx_fail
        inc ebx
        cmp ebx, 3
        jne .segs
        VMWRITE 0x481c, 0x10000                 ; FS, GS, LDTR unusable
        VMWRITE 0x481e, 0x10000
        VMWRITE 0x4820, 0x10000
        VMWRITE 0x080e, 0x18                    ; GUEST_TR_SELECTOR
        VMWRITE 0x6814, bench_tss               ; GUEST_TR_BASE
        VMWRITE 0x480e, 0x67                    ; GUEST_TR_LIMIT
        VMWRITE 0x4822, 0x8b                    ; GUEST_TR_AR_BYTES: busy 64-bit TSS
        VMWRITE 0x6816, bench_gdt               ; GUEST_GDTR_BASE
        VMWRITE 0x4810, bench_gdt_end - bench_gdt - 1
        VMWRITE 0x4812, 0xffff                  ; GUEST_IDTR_LIMIT
        VMWRITE 0x6820, 2                       ; GUEST_RFLAGS
        mov rax, bench_stack_top - 8192         ; the guest never pushes
        VMWRITE 0x681c, rax                     ; GUEST_RSP
        mov rax, guest
        VMWRITE 0x681e, rax                     ; GUEST_RIP
        ret

; Exits: CPUID (10) is answered, VMCALL (18) ends the run, anything else fails.
; Only RAX-RDX are touched: R8/R9 belong to the guest, R10 counts.
vm_exit:
        mov edx, 0x4402                         ; VM_EXIT_REASON
        vmread rax, rdx
        cmp eax, 10
        je .cpuid
        cmp eax, 18
        je .vmcall
        mov rbx, rax
        lea rsi, [rel msg_reason]
        call com1_puts
        mov rax, rbx
        call bench_put_hex
        mov al, 10
        call com1_putc
        jmp bench_exit
.cpuid:
        inc r10
        mov edx, 0x681e                         ; GUEST_RIP += VM_EXIT_INSTRUCTION_LEN
        vmread rbx, rdx
        mov edx, 0x440c
        vmread rax, rdx
        add rbx, rax
        mov edx, 0x681e
        vmwrite rdx, rbx
        mov ecx, r8d
        and ecx, 15                             ; the guest's leaf (it set EAX to it)
        mov eax, ecx
        xor eax, r10d
        imul ebx, r10d, -0x61c8864f               ; 0x9e3779b1
        mov edx, r10d
        not edx
        vmresume
        jmp vmx_fail
.vmcall:
        mov rax, r9
        mov rdx, r10
        ret                                     ; from bench_main

guest:
.loop:  mov eax, r8d
        and eax, 15
        xor ecx, ecx
        cpuid
        xor r9, rax
        rol r9, 7
        add r9, rbx
        shl rdx, 32
        or rdx, rcx
        xor r9, rdx
        dec r8
        jnz .loop
        vmcall
        jmp vmx_fail

vmx_unsupported:
        lea rsi, [rel msg_unsupported]
        call com1_puts
        jmp bench_exit

vmx_fail:
        lea rsi, [rel msg_vmfail]
        call com1_puts
        mov edx, 0x4400                         ; VM_INSTRUCTION_ERROR
        vmread rax, rdx
        call bench_put_hex
        mov al, 10
        call com1_putc
        jmp bench_exit

data_seg_fields:  db 0, 4, 6                    ; ES, SS, DS (0x0800 + 2 * index)
msg_unsupported:  db "vmx: not supported", 10, 0
msg_vmfail:       db "vmx: VMX instruction failed, error ", 0
msg_reason:       db "vmx: unexpected exit reason ", 0
        align 8, db 0
vmxon_ptr:        dq vmxon_region
vmcs_ptr:         dq vmcs_region

BENCH_BSS
        alignb 4096
vmxon_region:     resb 4096
vmcs_region:      resb 4096
MB_END
