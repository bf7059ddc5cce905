; What VM entry and VM exit do not switch stays the processor's one register file
; (SDM Vol. 3 "Loading Guest State", "Loading Host State": only the control
; registers, DR7, RSP/RIP/RFLAGS, the segment and descriptor-table registers and
; the MSRs the controls name are loaded). So the guest finds what its VMM left and
; the VMM finds what the guest left in: CR2 (a #PF delivered in the guest), DR0-DR3,
; the XMM registers, MXCSR, the x87 control word and stack, XCR0 (XSETBV exits: the
; VMM sets the guest's), IA32_STAR, IA32_LSTAR, IA32_CSTAR, IA32_FMASK and
; IA32_KERNEL_GS_BASE (here written by the guest through an MSR bitmap that lets it;
; SWAPGS exchanges the last with the GS base, which the VMCS does switch). What the
; VMCS names still switches: CR3, RSP, the GS base, IA32_SYSENTER_CS. EPT is on;
; the guest runs on its own page tables, the VMM on the boot ones. A second round
; changes only XMM3 and CR2 in the VMM. A third has the guest's #PF exit through the
; exception bitmap, which does not write CR2 (SDM "Architectural State before a VM
; Exit"): the VMM finds its own CR2, the address in the exit qualification.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok exit1-reason
;! stdout: ok guest-sees-xmm0-15
;! stdout: ok guest-sees-mxcsr
;! stdout: ok guest-sees-fcw
;! stdout: ok guest-sees-st0
;! stdout: ok guest-sees-xcr0
;! stdout: ok guest-sees-cr2
;! stdout: ok guest-sees-dr1
;! stdout: ok guest-sees-star
;! stdout: ok guest-sees-lstar
;! stdout: ok guest-sees-cstar
;! stdout: ok guest-sees-fmask
;! stdout: ok guest-sees-kernel-gs-base
;! stdout: ok guest-pf-cr2
;! stdout: ok guest-swapgs-gs-base
;! stdout: ok guest-swapgs-kernel-gs-base
;! stdout: ok host-sees-xmm0-15
;! stdout: ok host-sees-mxcsr
;! stdout: ok host-sees-fcw
;! stdout: ok host-sees-st0
;! stdout: ok host-sees-cr2
;! stdout: ok host-sees-dr1
;! stdout: ok host-sees-star
;! stdout: ok host-sees-lstar
;! stdout: ok host-sees-cstar
;! stdout: ok host-sees-fmask
;! stdout: ok host-sees-kernel-gs-base
;! stdout: ok host-xcr0-kept
;! stdout: ok host-cr3-switched
;! stdout: ok guest-cr3-saved
;! stdout: ok host-rsp-switched
;! stdout: ok host-gs-base-switched
;! stdout: ok guest-gs-base-saved
;! stdout: ok host-sysenter-cs-switched
;! stdout: ok guest-sysenter-cs-saved
;! stdout: ok exit2-reason
;! stdout: ok guest-sees-new-xmm3
;! stdout: ok guest-sees-new-cr2
;! stdout: ok guest-sees-kept-xmm4
;! stdout: ok pf-exit-reason
;! stdout: ok pf-exit-intr-info
;! stdout: ok pf-exit-qual
;! stdout: ok pf-exit-cr2-unwritten
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define EPTP_FIELD        0x201a
%define GUEST_GS_BASE     0x6810
%define PROC2_EPT         (1 << 1)
%define NP                VMX_NP_PAGE
%define HOST_CR2          0x0000000012345000
%define HOST_CR2_2        0x0000000076543000
%define HOST_CR2_3        0x0000000005555000
%define HOST_DR1          0x0000000000432100
%define GS_G              0x0000111122223000      ; the guest's GS base before SWAPGS
%define KGS_G             0x0000444455556000      ; its IA32_KERNEL_GS_BASE before

; MSR %1 := %2 (an immediate; clobbers rax, rcx, rdx)
%macro WRMSR64 2
        mov ecx, %1
        mov rax, %2
        mov rdx, rax
        shr rdx, 32
        wrmsr
%endmacro

; The sixteen XMM registers to/from 256 bytes at [rsi].
%macro XMM_STORE 0
%assign i 0
%rep 16
        movdqu [rsi + i * 16], xmm %+ i
%assign i i + 1
%endrep
%endmacro
%macro XMM_LOAD 0
%assign i 0
%rep 16
        movdqu xmm %+ i, [rsi + i * 16]
%assign i i + 1
%endrep
%endmacro

start:
        call idt_setup
        mov rax, cr3
        mov [rel boot_cr3], rax
        call vmx_paging_setup           ; the guest's tables, VMX_NP_PAGE not present
        mov rax, [rel boot_cr3]
        mov cr3, rax
        mov rax, cr4
        or eax, (1 << 9) | (1 << 10) | (1 << 18)     ; OSFXSR, OSXMMEXCPT, OSXSAVE
        mov cr4, rax
        mov rax, cr0
        and eax, ~((1 << 2) | (1 << 3)) ; EM, TS clear
        mov cr0, rax
        call ept_setup
        SET_HANDLER 14, g_pf
        VMM_SETUP 0, (1 << 28) | (1 << 31), 0, 0     ; MSR bitmaps (all clear), secondary
        VMM_WRITE VMCS_PROC2_CTLS, PROC2_EPT
        VMM_WRITE EPTP_FIELD, [rel eptp]
        VMM_WRITE VMCS_EXC_BITMAP, 0
        lea rax, [rel vmx_pml4]
        VMM_WRITE VMCS_GUEST_CR3, rax
        VMM_GUEST guest

        ; ---- the VMM's values, then VMLAUNCH
        xor ecx, ecx                    ; XCR0 := x87 (the reset value is x87|SSE)
        mov eax, 1
        xor edx, edx
        xsetbv
        lea rsi, [rel host_vec]
        XMM_LOAD
        ldmxcsr [rel host_mxcsr]
        fninit
        fldcw [rel host_fcw]
        fld qword [rel host_f]
        mov rax, HOST_CR2
        mov cr2, rax
        mov rax, HOST_DR1
        mov dr1, rax
        WRMSR64 0xc0000081, 0x0023001000000000
        WRMSR64 0xc0000082, 0xffffffff81000000
        WRMSR64 0xc0000083, 0xffffffff81000100
        WRMSR64 0xc0000084, 0x47700
        WRMSR64 0xc0000102, 0xffff888000001000
        call vmm_run
        CHECK "exit1-reason", rax, 18
        lea rsi, [rel seen_vec]
        lea rdi, [rel host_vec]
        call cmp256
        CHECK "guest-sees-xmm0-15", rax, 0
        CHECK "guest-sees-mxcsr", [rel seen_mxcsr], 0x7f80
        CHECK "guest-sees-fcw", [rel seen_fcw], 0x27f
        CHECK "guest-sees-st0", [rel seen_f], [rel host_f]
        CHECK "guest-sees-xcr0", [rel seen_xcr0], 1
        CHECK "guest-sees-cr2", [rel seen_cr2], HOST_CR2
        CHECK "guest-sees-dr1", [rel seen_dr1], HOST_DR1
        mov rdx, 0x0023001000000000
        CHECK "guest-sees-star", [rel seen_msr + 0 * 8], rdx
        mov rdx, 0xffffffff81000000
        CHECK "guest-sees-lstar", [rel seen_msr + 1 * 8], rdx
        mov rdx, 0xffffffff81000100
        CHECK "guest-sees-cstar", [rel seen_msr + 2 * 8], rdx
        CHECK "guest-sees-fmask", [rel seen_msr + 3 * 8], 0x47700
        mov rdx, 0xffff888000001000
        CHECK "guest-sees-kernel-gs-base", [rel seen_msr + 4 * 8], rdx
        CHECK "guest-pf-cr2", [rel g_cr2], NP
        mov rdx, KGS_G
        CHECK "guest-swapgs-gs-base", [rel seen_swapgs], rdx
        mov rdx, GS_G
        CHECK "guest-swapgs-kernel-gs-base", [rel seen_swapgs + 8], rdx

        ; ---- what the guest left
        lea rsi, [rel now_vec]
        XMM_STORE
        lea rdi, [rel guest_vec]
        call cmp256
        CHECK "host-sees-xmm0-15", rax, 0
        stmxcsr [rel now_mxcsr]
        CHECK "host-sees-mxcsr", [rel now_mxcsr], 0x3f80
        fnstcw [rel now_fcw]
        CHECK "host-sees-fcw", [rel now_fcw], 0x37f
        fstp qword [rel now_f]
        CHECK "host-sees-st0", [rel now_f], [rel guest_f]
        mov rax, cr2
        CHECK "host-sees-cr2", rax, NP
        mov rax, dr1
        CHECK "host-sees-dr1", rax, 0x5000
        RDMSR64 0xc0000081
        mov rdx, 0x0033002000000000
        CHECK "host-sees-star", rax, rdx
        RDMSR64 0xc0000082
        mov rdx, 0xffffffff82000000
        CHECK "host-sees-lstar", rax, rdx
        RDMSR64 0xc0000083
        mov rdx, 0xffffffff82000100
        CHECK "host-sees-cstar", rax, rdx
        RDMSR64 0xc0000084
        CHECK "host-sees-fmask", rax, 0x700
        RDMSR64 0xc0000102              ; SWAPGS left the guest's old GS base there
        mov rdx, GS_G
        CHECK "host-sees-kernel-gs-base", rax, rdx
        xor ecx, ecx
        xgetbv
        CHECK "host-xcr0-kept", rax, 1
        ; ---- what the VMCS switches
        mov rax, cr3
        CHECK "host-cr3-switched", rax, [rel boot_cr3]
        lea rdx, [rel vmx_pml4]
        VMM_CHECK "guest-cr3-saved", VMCS_GUEST_CR3, rdx
        lea rdx, [rel vmm_host_stack_top]
        CHECK "host-rsp-switched", [rel vmm_exit_rsp], rdx
        RDMSR64 0xc0000101
        CHECK "host-gs-base-switched", rax, 0
        mov rdx, KGS_G
        VMM_CHECK "guest-gs-base-saved", GUEST_GS_BASE, rdx
        RDMSR64 0x174
        CHECK "host-sysenter-cs-switched", rax, 0
        VMM_CHECK "guest-sysenter-cs-saved", VMCS_GUEST_SYSENTER_CS, 0x55

        ; ---- a second round: only XMM3 and CR2 change
        lea rsi, [rel round2_vec]
        movdqu xmm3, [rsi]
        mov rax, HOST_CR2_2
        mov cr2, rax
        call vmm_skip
        call vmm_run
        CHECK "exit2-reason", rax, 18
        lea rsi, [rel seen2_xmm3]
        lea rdi, [rel round2_vec]
        call cmp16
        CHECK "guest-sees-new-xmm3", rax, 0
        CHECK "guest-sees-new-cr2", [rel seen2_cr2], HOST_CR2_2
        lea rsi, [rel seen2_xmm4]
        lea rdi, [rel guest_vec + 4 * 16]
        call cmp16
        CHECK "guest-sees-kept-xmm4", rax, 0

        ; ---- a third: a #PF exit leaves CR2 alone
        VMM_WRITE VMCS_EXC_BITMAP, 1 << 14
        mov rax, HOST_CR2_3
        mov cr2, rax
        call vmm_skip
        call vmm_run
        CHECK "pf-exit-reason", rax, 0
        VMM_CHECK "pf-exit-intr-info", VMCS_EXIT_INTR, 0x80000b0e
        VMM_CHECK "pf-exit-qual", VMCS_EXIT_QUAL, NP + 8
        mov rax, cr2
        CHECK "pf-exit-cr2-unwritten", rax, HOST_CR2_3
        call checks_done

; rax := 0 if the 256 (cmp256) or 16 (cmp16) bytes at [rsi] and [rdi] are equal.
cmp256: mov ecx, 256 / 8
        jmp cmpq
cmp16:  mov ecx, 2
cmpq:   xor eax, eax
.l:     mov rdx, [rsi + rcx * 8 - 8]
        xor rdx, [rdi + rcx * 8 - 8]
        or rax, rdx
        dec ecx
        jnz .l
        ret

; ---------------------------------------------------------------- the guest
guest:
        lea rsi, [rel seen_vec]
        XMM_STORE
        stmxcsr [rel seen_mxcsr]
        fnstcw [rel seen_fcw]
        fstp qword [rel seen_f]
        xor ecx, ecx
        xgetbv
        mov [rel seen_xcr0], rax
        mov rax, cr2
        mov [rel seen_cr2], rax
        mov rax, dr1
        mov [rel seen_dr1], rax
        lea rdi, [rel seen_msr]
        RDMSR64 0xc0000081
        mov [rdi + 0 * 8], rax
        RDMSR64 0xc0000082
        mov [rdi + 1 * 8], rax
        RDMSR64 0xc0000083
        mov [rdi + 2 * 8], rax
        RDMSR64 0xc0000084
        mov [rdi + 3 * 8], rax
        RDMSR64 0xc0000102
        mov [rdi + 4 * 8], rax
        ; its own values
        lea rsi, [rel guest_vec]
        XMM_LOAD
        ldmxcsr [rel guest_mxcsr]
        fninit
        fldcw [rel guest_fcw]
        fld qword [rel guest_f]
        mov eax, 0x5000
        mov dr1, rax
        mov rbx, NP                     ; a #PF through the guest's IDT writes CR2
        mov rax, [rbx]                  ; (3 bytes: g_pf skips it)
        WRMSR64 0xc0000081, 0x0033002000000000
        WRMSR64 0xc0000082, 0xffffffff82000000
        WRMSR64 0xc0000083, 0xffffffff82000100
        WRMSR64 0xc0000084, 0x700
        WRMSR64 0x174, 0x55
        WRMSR64 0xc0000101, GS_G
        WRMSR64 0xc0000102, KGS_G
        swapgs
        RDMSR64 0xc0000101
        mov [rel seen_swapgs], rax
        RDMSR64 0xc0000102
        mov [rel seen_swapgs + 8], rax
        vmcall
        ; round two
        movdqu [rel seen2_xmm3], xmm3
        movdqu [rel seen2_xmm4], xmm4
        mov rax, cr2
        mov [rel seen2_cr2], rax
        vmcall
        ; round three
        mov rbx, NP
        mov rax, [rbx + 8]
        vmcall

g_pf:   mov rax, cr2
        mov [rel g_cr2], rax
        add qword [rdi + FR_RIP], 3
        ret

EPT_IDENTITY_1G_ROUTINE

        align 16, db 0
host_vec:
%assign i 0
%rep 16
        dq 0x1111000000000000 + i * 0x10001, 0x2222000000000000 + i * 0x30003
%assign i i + 1
%endrep
guest_vec:
%assign i 0
%rep 16
        dq 0x3333000000000000 + i * 0x50005, 0x4444000000000000 + i * 0x70007
%assign i i + 1
%endrep
round2_vec:     dq 0x5555666677778888, 0x9999aaaabbbbcccc
host_f:         dq 0x400a000000000000      ; 3.25
guest_f:        dq 0xc01e000000000000      ; -7.5
host_mxcsr:     dd 0x7f80                  ; round toward zero, all masked
guest_mxcsr:    dd 0x3f80                  ; round down, all masked
host_fcw:       dw 0x27f                   ; double precision
guest_fcw:      dw 0x37f                   ; extended precision
        align 8, db 0
boot_cr3:       dq 0
g_cr2:          dq 0
seen_mxcsr:     dq 0
seen_fcw:       dq 0
seen_f:         dq 0
seen_xcr0:      dq 0
seen_cr2:       dq 0
seen_dr1:       dq 0
seen_msr:       times 5 dq 0
seen_swapgs:    dq 0, 0
seen2_cr2:      dq 0
now_mxcsr:      dq 0
now_fcw:        dq 0
now_f:          dq 0
        align 16, db 0
eptp:           dq 0
seen_vec:       times 256 db 0
now_vec:        times 256 db 0
seen2_xmm3:     times 16 db 0
seen2_xmm4:     times 16 db 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
ept_pml4: resb 4096
ept_pdpt: resb 4096
ept_pd:   resb 4096
ELF64_END
