; RDMSR/WRMSR in a guest. Without "use MSR bitmaps" (primary control bit 28) every
; RDMSR (reason 31) and WRMSR (reason 32) exits, fault-like, length 2, with the
; guest's ECX/EAX/EDX visible to the VMM (and what the VMM puts in EDX:EAX reaching
; the guest). With MSR bitmaps the bitmap decides: here the read bit of
; IA32_MISC_ENABLE (1A0h), the write bit of IA32_PAT (277h) and the write bit of
; IA32_KERNEL_GS_BASE (C0000102h) are set; RDMSR of PAT, IA32_VMX_BASIC and EFER
; and WRMSR/RDMSR of IA32_SYSENTER_CS then execute in the guest with the model's
; values, and an MSR outside both bitmap ranges (40000000h) always exits.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok rd-reason
;! stdout: ok rd-len
;! stdout: ok rd-rip
;! stdout: ok rd-ecx
;! stdout: ok wr-reason
;! stdout: ok wr-len
;! stdout: ok wr-rip
;! stdout: ok wr-ecx
;! stdout: ok wr-eax
;! stdout: ok wr-edx
;! stdout: ok host-pat-unchanged
;! stdout: ok phase-a-done
;! stdout: ok guest-got-eax
;! stdout: ok guest-got-edx
;! stdout: ok bm-rd-misc-enable-reason
;! stdout: ok bm-rd-misc-enable-rip
;! stdout: ok bm-wr-pat-reason
;! stdout: ok bm-wr-pat-rip
;! stdout: ok bm-wr-kgsbase-reason
;! stdout: ok bm-wr-kgsbase-ecx
;! stdout: ok bm-rd-outside-reason
;! stdout: ok bm-rd-outside-ecx
;! stdout: ok bm-wr-outside-reason
;! stdout: ok bm-wr-outside-ecx
;! stdout: ok bm-done
;! stdout: ok guest-rd-pat
;! stdout: ok guest-rd-vmx-basic
;! stdout: ok guest-rd-sysenter-cs
;! stdout: ok guest-rd-efer-lma-lme
;! stdout: ok guest-sysenter-cs-saved
;! stdout: ok host-pat-still-unchanged
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

start:
        call idt_setup
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        mov ecx, 0x277
        rdmsr
        shl rdx, 32
        or rax, rdx
        mov [rel host_pat], rax
        ; ---- without MSR bitmaps
        call vmm_run
        CHECK "rd-reason", rax, 31
        VMM_CHECK "rd-len", VMCS_EXIT_INSLEN, 2
        VMM_CHECK "rd-rip", VMCS_GUEST_RIP, guest.rd
        CHECK "rd-ecx", rcx, 0x277
        call vmm_skip
        mov eax, 0x11111111             ; the emulated RDMSR's result
        mov edx, 0x22222222
        call vmm_run
        CHECK "wr-reason", rax, 32
        VMM_CHECK "wr-len", VMCS_EXIT_INSLEN, 2
        VMM_CHECK "wr-rip", VMCS_GUEST_RIP, guest.wr
        CHECK "wr-ecx", rcx, 0x277
        CHECK "wr-eax", VMM_GREG(0), 0x06060606
        CHECK "wr-edx", rdx, 0x07070707
        call host_pat_check
        CHECK "host-pat-unchanged", rax, [rel host_pat]
        call vmm_skip
        call vmm_run
        CHECK "phase-a-done", rax, 18
        CHECK "guest-got-eax", r12, 0x11111111
        CHECK "guest-got-edx", r13, 0x22222222
        ; ---- with MSR bitmaps
        or byte [rel vmm_msr_bitmap + 0x1a0 / 8], 1 << (0x1a0 % 8)             ; read 1A0h
        or byte [rel vmm_msr_bitmap + 0x800 + 0x277 / 8], 1 << (0x277 % 8)     ; write 277h
        or byte [rel vmm_msr_bitmap + 0xc00 + 0x102 / 8], 1 << (0x102 % 8)     ; write C0000102h
        VMM_SETBITS VMCS_PROC_CTLS, 1 << 28
        call vmm_skip
        call vmm_run
        CHECK "bm-rd-misc-enable-reason", rax, 31
        VMM_CHECK "bm-rd-misc-enable-rip", VMCS_GUEST_RIP, guest.bm_rd
        call vmm_skip
        call vmm_run
        CHECK "bm-wr-pat-reason", rax, 32
        VMM_CHECK "bm-wr-pat-rip", VMCS_GUEST_RIP, guest.bm_wr_pat
        call vmm_skip
        call vmm_run
        CHECK "bm-wr-kgsbase-reason", rax, 32
        CHECK "bm-wr-kgsbase-ecx", rcx, 0xc0000102
        call vmm_skip
        call vmm_run
        CHECK "bm-rd-outside-reason", rax, 31
        CHECK "bm-rd-outside-ecx", rcx, 0x40000000
        call vmm_skip
        call vmm_run
        CHECK "bm-wr-outside-reason", rax, 32
        CHECK "bm-wr-outside-ecx", rcx, 0x40000000
        call vmm_skip
        call vmm_run
        CHECK "bm-done", rax, 18
        CHECK "guest-rd-pat", [rel g_pat], [rel host_pat]
        mov ecx, 0x480
        rdmsr
        shl rdx, 32
        or rax, rdx
        CHECK "guest-rd-vmx-basic", [rel g_vmx_basic], rax
        CHECK "guest-rd-sysenter-cs", [rel g_sysenter_cs], 0x5678
        mov rax, [rel g_efer]
        and eax, 0x500
        CHECK "guest-rd-efer-lma-lme", rax, 0x500
        VMM_CHECK "guest-sysenter-cs-saved", VMCS_GUEST_SYSENTER_CS, 0x5678
        call host_pat_check
        CHECK "host-pat-still-unchanged", rax, [rel host_pat]
        call checks_done

host_pat_check:                         ; rax := IA32_PAT (rcx, rdx clobbered)
        mov ecx, 0x277
        rdmsr
        shl rdx, 32
        or rax, rdx
        ret

%macro G_RDMSR 2                        ; MSR, cell
        mov ecx, %1
        rdmsr
        mov [rel %2], eax
        mov [rel %2 + 4], edx
%endmacro

guest:
        mov ecx, 0x277
.rd:    rdmsr
        mov r12, rax
        mov r13, rdx
        mov ecx, 0x277
        mov eax, 0x06060606
        mov edx, 0x07070707
.wr:    wrmsr
        vmcall
        mov ecx, 0x1a0
.bm_rd: rdmsr
        G_RDMSR 0x277, g_pat
        G_RDMSR 0x480, g_vmx_basic
        mov ecx, 0x174
        mov eax, 0x5678
        xor edx, edx
        wrmsr
        G_RDMSR 0x174, g_sysenter_cs
        G_RDMSR 0xc0000080, g_efer
        mov ecx, 0x277
        mov eax, 0x06060606
        mov edx, 0x07070707
.bm_wr_pat:
        wrmsr
        mov ecx, 0xc0000102
        xor eax, eax
        xor edx, edx
        wrmsr
        mov ecx, 0x40000000
        rdmsr
        wrmsr
        vmcall
        ud2

        align 8, db 0
host_pat:       dq 0
g_pat:          dq 0
g_vmx_basic:    dq 0
g_sysenter_cs:  dq 0
g_efer:         dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
