; The MSRs MACHINE.md and the CPU model promise: IA32_FEATURE_CONTROL locked at 5
; (WRMSR #GP(0)), EFER, the SYSCALL MSRs read back what was written (non-canonical
; LSTAR #GP(0)), TSC increases, PAT reset value, APIC_BASE of the BSP, and #GP(0)
; for an MSR that does not exist. (The VMX capability MSRs: vmx_cap_msrs.)
;! status: 1
;! stdout: ok feature-control
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: ok feature-control-unchanged
;! stdout: ok efer
;! stdout: ok efer-write
;! stdout: ok star
;! stdout: ok lstar
;! stdout: ok cstar
;! stdout: ok fmask
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: ok lstar-kept
;! stdout: ok kernel-gs-base
;! stdout: ok tsc-increases
;! stdout: ok pat
;! stdout: ok apic-base
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

; MSR[%1] = %2
%macro WRMSR64 2
        mov ecx, %1
        mov rax, %2
        mov rdx, rax
        shr rdx, 32
        wrmsr
%endmacro

start:
        call idt_setup
        RDMSR64 0x3A
        CHECK "feature-control", rax, 5
        mov ecx, 0x3A
        mov eax, 5
        xor edx, edx
        TRY wrmsr                       ; locked
        RDMSR64 0x3A
        CHECK "feature-control-unchanged", rax, 5

        RDMSR64 0xC0000080
        CHECK "efer", rax, 0xD01
        WRMSR64 0xC0000080, 0xD01
        RDMSR64 0xC0000080
        CHECK "efer-write", rax, 0xD01

        mov rbx, 0x0023001000000000
        WRMSR64 0xC0000081, rbx
        RDMSR64 0xC0000081
        CHECK "star", rax, rbx
        mov rbx, 0xFFFFFFFF81234560
        WRMSR64 0xC0000082, rbx
        RDMSR64 0xC0000082
        CHECK "lstar", rax, rbx
        mov rbx, 0xFFFFFFFF81234570
        WRMSR64 0xC0000083, rbx
        RDMSR64 0xC0000083
        CHECK "cstar", rax, rbx
        WRMSR64 0xC0000084, 0x47700
        RDMSR64 0xC0000084
        CHECK "fmask", rax, 0x47700
        mov ecx, 0xC0000082
        mov eax, 0
        mov edx, 0x00008000             ; 0x0000800000000000: not canonical
        TRY wrmsr
        RDMSR64 0xC0000082
        mov rbx, 0xFFFFFFFF81234560
        CHECK "lstar-kept", rax, rbx
        mov rbx, 0x0000123456789000
        WRMSR64 0xC0000102, rbx
        RDMSR64 0xC0000102
        CHECK "kernel-gs-base", rax, rbx

        RDMSR64 0x10
        mov rbx, rax
        mov ecx, 100
.spin:  dec ecx
        jnz .spin
        RDMSR64 0x10
        xor edx, edx
        cmp rax, rbx
        seta dl
        CHECK "tsc-increases", rdx, 1

        RDMSR64 0x277
        mov rbx, 0x0007040600070406
        CHECK "pat", rax, rbx
        RDMSR64 0x1B
        CHECK "apic-base", rax, 0xFEE00900

        mov ecx, 0x12345678             ; no such MSR
        TRY rdmsr
        xor eax, eax
        xor edx, edx
        TRY wrmsr
        call checks_done

ELF64_END
