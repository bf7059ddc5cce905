; VMFUNC and EPTP switching (SDM Vol. 3C "VM Functions", "EPTP Switching"; Vol. 2
; "VMFUNC"). Two EPTs map the guest-physical page tpage to different host pages
; (A: identity, B: tpage2); the EPTP list holds A, B, an EPTP with memory type 1
; (invalid) and, at 511, B.
;  - VMFUNC with EAX = 0, ECX = 1 makes B the guest's EPTP: the next read of tpage
;    sees tpage2's bytes, EPT_POINTER holds B, the EPTP index (with "EPT-violation
;    #VE") is 1, RFLAGS is untouched, RIP moves past the 3 bytes.
;  - Exit 59, fault-like (RIP of the VMFUNC, length 3, qualification 0), nothing
;    switched: ECX = 512, an invalid list entry, EAX = 1 (function 1 not enabled),
;    EAX = 64.
;  - ECX = 511, then 0 switch back; without "enable VM functions" VMFUNC is #UD in
;    the guest (exit 0 through the exception bitmap), and in VMX root operation.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok switch-reason
;! stdout: ok switch-read-b
;! stdout: ok switch-read-a-before
;! stdout: ok switch-eptp
;! stdout: ok switch-index
;! stdout: ok switch-rflags
;! stdout: ok ecx512-reason
;! stdout: ok ecx512-rip
;! stdout: ok ecx512-len
;! stdout: ok ecx512-qual
;! stdout: ok ecx512-eptp
;! stdout: ok invalid-eptp-reason
;! stdout: ok invalid-eptp-rip
;! stdout: ok invalid-eptp-eptp
;! stdout: ok fn1-reason
;! stdout: ok fn1-rip
;! stdout: ok fn64-reason
;! stdout: ok back-reason
;! stdout: ok back-index-511
;! stdout: ok back-read-a
;! stdout: ok back-eptp
;! stdout: ok back-index
;! stdout: ok disabled-reason
;! stdout: ok disabled-intr
;! stdout: ok disabled-rip
;! stdout: root-vmfunc: EXC 06 ERR 00000000 RIP ok
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define EPTP_FIELD     0x201a
%define EPTP_INDEX     0x0004
%define VMFUNC_CTLS    0x2018
%define EPTP_LIST      0x2024
%define VE_INFO        0x202a
%define EPT_WB         0x30                    ; memory type 6 in bits 5:3
%define PROC2_EPT      (1 << 1)
%define PROC2_VMFUNC   (1 << 13)
%define PROC2_EPT_VE   (1 << 18)

start:
        call idt_setup
        call ept_setup
        mov qword [rel tpage], 0x41414141
        mov qword [rel tpage2], 0x42424242
        mov rax, [rel eptp_a]
        mov [rel eptp_list], rax
        mov rax, [rel eptp_b]
        mov [rel eptp_list + 8], rax
        mov [rel eptp_list + 511 * 8], rax
        and rax, ~0x38
        or rax, 0x08                           ; memory type 1: not supported
        mov [rel eptp_list + 16], rax
        VMM_SETUP 0, 1 << 31, 0, 0
        VMM_WRITE VMCS_PROC2_CTLS, PROC2_EPT | PROC2_VMFUNC | PROC2_EPT_VE
        VMM_WRITE EPTP_FIELD, [rel eptp_a]
        VMM_WRITE VMFUNC_CTLS, 1
        lea rax, [rel eptp_list]
        VMM_WRITE EPTP_LIST, rax
        lea rax, [rel ve_info]
        VMM_WRITE VE_INFO, rax
        VMM_WRITE VMCS_EXC_BITMAP, 1 << 6
        VMM_GUEST guest
        call vmm_run
        CHECK "switch-reason", rax, 18
        CHECK "switch-read-b", VMM_GREG(3), 0x42424242
        CHECK "switch-read-a-before", VMM_GREG(5), 0x41414141
        VMM_CHECK "switch-eptp", EPTP_FIELD, [rel eptp_b]
        VMM_CHECK "switch-index", EPTP_INDEX, 1
        VMM_CHECK "switch-rflags", VMCS_GUEST_RFLAGS, 0x8d7

        call vmm_skip
        call vmm_run
        CHECK "ecx512-reason", rax, 59
        lea rbx, [rel g_ecx512]
        VMM_CHECK "ecx512-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "ecx512-len", VMCS_EXIT_INSLEN, 3
        VMM_CHECK "ecx512-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK "ecx512-eptp", EPTP_FIELD, [rel eptp_b]

        call vmm_skip
        call vmm_run
        CHECK "invalid-eptp-reason", rax, 59
        lea rbx, [rel g_invalid]
        VMM_CHECK "invalid-eptp-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "invalid-eptp-eptp", EPTP_FIELD, [rel eptp_b]

        call vmm_skip
        call vmm_run
        CHECK "fn1-reason", rax, 59
        lea rbx, [rel g_fn1]
        VMM_CHECK "fn1-rip", VMCS_GUEST_RIP, rbx

        call vmm_skip
        call vmm_run
        CHECK "fn64-reason", rax, 59

        call vmm_skip
        call vmm_run
        CHECK "back-reason", rax, 18
        CHECK "back-index-511", VMM_GREG(5), 0x42424242
        CHECK "back-read-a", VMM_GREG(3), 0x41414141
        VMM_CHECK "back-eptp", EPTP_FIELD, [rel eptp_a]
        VMM_CHECK "back-index", EPTP_INDEX, 0

        call vmm_skip
        VMM_WRITE VMCS_PROC2_CTLS, PROC2_EPT
        call vmm_run
        CHECK "disabled-reason", rax, 0
        VMM_CHECK "disabled-intr", VMCS_EXIT_INTR, 0x80000306
        lea rbx, [rel g_disabled]
        VMM_CHECK "disabled-rip", VMCS_GUEST_RIP, rbx

        VMX_EXPECT_EXC "root-vmfunc", vmfunc
        call checks_done

guest:
        mov rbp, [rel tpage]
        xor eax, eax
        mov ecx, 1
        push 0x8d7                             ; all six status flags
        popfq
        vmfunc
        mov rbx, [rel tpage]
        vmcall
        xor eax, eax                           ; (each re-entry brings the VMM's registers)
        mov ecx, 512
g_ecx512:
        vmfunc
        xor eax, eax
        mov ecx, 2
g_invalid:
        vmfunc
        mov eax, 1
        xor ecx, ecx
g_fn1:  vmfunc
        mov eax, 64
        vmfunc
        xor eax, eax
        mov ecx, 511
        vmfunc
        mov rbp, [rel tpage]
        xor ecx, ecx
        vmfunc
        mov rbx, [rel tpage]
        vmcall
g_disabled:
        vmfunc
        ud2

; Identity EPT A for 0-128 MiB (4 KiB pages below 4 MiB, 2 MiB pages above), and
; EPT B: the same but for tpage, which maps tpage2.
ept_setup:
        EPT_LINK_FIRST_GIB 7
        lea rbx, [rel ept_pd]
        lea rax, [rel ept_pt]
        or rax, 7
        mov [rbx], rax
        add rax, 0x1000
        mov [rbx + 8], rax
        mov ecx, 2
.pd:    mov rax, rcx
        shl rax, 21
        or rax, 0x80 | EPT_WB | 7
        mov [rbx + rcx * 8], rax
        inc ecx
        cmp ecx, 64
        jne .pd
        lea rbx, [rel ept_pt]
        xor ecx, ecx
.pt:    mov rax, rcx
        shl rax, 12
        or rax, EPT_WB | 7
        mov [rbx + rcx * 8], rax
        inc ecx
        cmp ecx, 1024
        jne .pt
        lea rax, [rel ept_pml4]
        or rax, 0x1e                           ; WB, 4-level walk
        mov [rel eptp_a], rax
        ; B: copies of every level, linked to each other.
        lea rsi, [rel ept_pd]
        lea rdi, [rel ept_pd_b]
        mov ecx, 512
        rep movsq
        lea rsi, [rel ept_pt]
        lea rdi, [rel ept_pt_b]
        mov ecx, 1024
        rep movsq
        lea rax, [rel ept_pt_b]
        or rax, 7
        mov [rel ept_pd_b], rax
        add rax, 0x1000
        mov [rel ept_pd_b + 8], rax
        lea rax, [rel ept_pd_b]
        or rax, 7
        mov [rel ept_pdpt_b], rax
        lea rax, [rel ept_pdpt_b]
        or rax, 7
        mov [rel ept_pml4_b], rax
        lea rax, [rel tpage]
        shr rax, 12
        lea rbx, [rel ept_pt_b]
        lea rbx, [rbx + rax * 8]
        lea rax, [rel tpage2]
        or rax, EPT_WB | 7
        mov [rbx], rax
        lea rax, [rel ept_pml4_b]
        or rax, 0x1e
        mov [rel eptp_b], rax
        ret

eptp_a: dq 0
eptp_b: dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
ept_pml4:   resb 4096
ept_pdpt:   resb 4096
ept_pd:     resb 4096
ept_pt:     resb 8192
ept_pml4_b: resb 4096
ept_pdpt_b: resb 4096
ept_pd_b:   resb 4096
ept_pt_b:   resb 8192
eptp_list:  resb 4096
ve_info:    resb 4096
tpage:      resb 4096
tpage2:     resb 4096
ELF64_END
