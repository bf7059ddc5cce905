; A VM entry without VPID invalidates the linear and combined mappings of VPID 0000H
; for every EPTRTA, not only the EPTP it enters with (SDM Vol. 3C "VPID and VM
; Entries/Exits"). vtsim keeps a TLB context per EPTP (tlb_ctx.h); EPTP switching
; (VMFUNC 0) makes another one current without an entry, so the entry must have
; dropped the contexts of the other EPTPs too. The guest runs with EPT (EPTP A, no
; VPID) and an EPTP list of A and B (B: its own PML4 over A's tables):
;   it switches to B, reads TEST_LA (cached under B: page_a), switches back to A and
;   exits; the VMM points TEST_LA's PTE at page_b without INVLPG and resumes (EPTP A);
;   the guest switches to B again and must read page_b.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok exit1-cpuid
;! stdout: ok exit1-eptp-a
;! stdout: ok vmcall
;! stdout: ok b-before-entry
;! stdout: ok b-after-entry
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define EPTP_FIELD     0x201a
%define VMFUNC_CTLS    0x2018
%define EPTP_LIST      0x2024
%define PROC2_EPT      (1 << 1)
%define PROC2_VMFUNC   (1 << 13)
%define TEST_LA        0x3F0000
%define MARK_A         0x1111aaaa1111aaaa
%define MARK_B         0x2222bbbb2222bbbb

start:
        call idt_setup
        call vmx_paging_setup
        VMX_MARKED_PAGES TEST_LA, page_a, page_b, MARK_A, MARK_B
        call ept_setup
        mov rax, [rel ept_pml4]                ; B: another PML4 over the same tables
        mov [rel ept_pml4_b], rax
        lea rax, [rel ept_pml4_b]
        or rax, 0x1e                           ; WB, 4-level walk
        mov [rel eptp_b], rax
        mov [rel eptp_list + 8], rax
        mov rax, [rel eptp]
        mov [rel eptp_list], rax
        VMM_SETUP 0, 1 << 31, 0, 0
        VMM_WRITE VMCS_PROC2_CTLS, PROC2_EPT | PROC2_VMFUNC
        VMM_WRITE EPTP_FIELD, [rel eptp]
        VMM_WRITE VMFUNC_CTLS, 1
        lea rbx, [rel eptp_list]
        VMM_WRITE EPTP_LIST, rbx
        VMM_GUEST guest
        mov r12, TEST_LA

        call vmm_run                           ; B filled, back on A
        CHECK "exit1-cpuid", rax, 10
        VMM_CHECK "exit1-eptp-a", EPTP_FIELD, [rel eptp]
        lea rax, [rel page_b]
        or rax, 3
        mov [rel vmx_pt + ((TEST_LA - 0x200000) >> 12) * 8], rax   ; no INVLPG
        call vmm_skip
        call vmm_run
        CHECK "vmcall", rax, 18
        CHECK "b-before-entry", r8, MARK_A
        CHECK "b-after-entry", r9, MARK_B
        call checks_done

; R12 = TEST_LA. CPUID exits leave RAX-RDX to the VMM.
guest:
        xor eax, eax
        mov ecx, 1
        vmfunc                                 ; EPTP B
        mov r8, [r12]                          ; cached under B: page_a
        xor eax, eax
        xor ecx, ecx
        vmfunc                                 ; EPTP A
        cpuid
        xor eax, eax
        mov ecx, 1
        vmfunc                                 ; B again, after the entry
        mov r9, [r12]                          ; page_b
        vmcall
        ud2

EPT_IDENTITY_1G_ROUTINE

eptp:   dq 0
eptp_b: dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
ept_pml4:   resb 4096
ept_pdpt:   resb 4096
ept_pd:     resb 4096
ept_pml4_b: resb 4096
eptp_list:  resb 4096
page_a:     resb 4096
page_b:     resb 4096
ELF64_END
