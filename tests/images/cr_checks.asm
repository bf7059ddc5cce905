; MOV to control registers in 64-bit mode raises #GP(0) for architecturally invalid
; values (SDM MOV CR), leaving the register unchanged: reserved bits of CR0, CR3 (bit
; 63 with CR4.PCIDE = 0), CR4 and CR8, CR0.NW without CR0.CD, clearing CR4.PAE or
; CR0.PG while in long mode. A valid write (CR0.TS, CR4.OSXSAVE off -> TSD) works.
; CR8 is the TPR's bits 7:4 in x2APIC mode too (MSR 808H).
;! status: 1
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: ok cr0-unchanged
;! stdout: ok cr4-unchanged
;! stdout: ok cr0-ts-set
;! stdout: ok cr4-tsd-set
;! stdout: ok cr8-is-x2apic-tpr
;! stdout: ok cr8-reads-x2apic-tpr
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        mov r12, cr0
        mov r13, cr4
        mov r14, cr3
        mov rax, r12
        bts rax, 63                     ; CR0 bits 63:32 are reserved
        TRY mov cr0, rax
        mov rax, r14
        bts rax, 63                     ; CR3 bit 63 with CR4.PCIDE = 0
        TRY mov cr3, rax
        mov rax, r13
        bts rax, 63                     ; CR4 bits 63:32 are reserved
        TRY mov cr4, rax
        mov eax, 0x10                   ; CR8 bits 63:4 are reserved
        TRY mov cr8, rax
        mov rax, r12
        bts rax, 29                     ; NW = 1 with CD = 0
        TRY mov cr0, rax
        mov rax, r13
        btr rax, 5                      ; PAE = 0 in IA-32e mode
        TRY mov cr4, rax
        mov rax, r12
        btr rax, 31                     ; PG = 0 in 64-bit mode
        TRY mov cr0, rax
        mov rax, cr0
        CHECK "cr0-unchanged", rax, r12
        mov rax, cr4
        CHECK "cr4-unchanged", rax, r13
        mov rax, r12
        bts rax, 3                      ; TS
        mov cr0, rax
        mov rax, cr0
        CHECK_MASK "cr0-ts-set", rax, 8, 8
        clts
        mov rax, r13
        bts rax, 2                      ; TSD
        mov cr4, rax
        mov rax, cr4
        CHECK_MASK "cr4-tsd-set", rax, 4, 4
        mov cr4, r13
        mov ecx, 0x1b                   ; IA32_APIC_BASE: enable, then x2APIC mode
        rdmsr
        or eax, 0xc00
        wrmsr
        mov eax, 2
        mov cr8, rax
        mov ecx, 0x808                  ; TPR
        rdmsr
        CHECK "cr8-is-x2apic-tpr", rax, 0x20
        mov eax, 0x50
        xor edx, edx
        wrmsr
        mov rax, cr8
        CHECK "cr8-reads-x2apic-tpr", rax, 5
        xor eax, eax
        mov cr8, rax
        call checks_done

ELF64_END
