; The RFLAGS a CPUID exit saves, as the guest's last flag-setting instruction left
; them. The engine keeps the arithmetic flags lazily (the operation and its result);
; the save computes them in place for the forms the calibration recognised (flags
; held whole, a logical operation of each width, a register XORed with itself) and
; through the register API for the rest (cpustate_rflags). Each step is one form
; with flags that only the right formula gives, then CPUID; the VMM checks
; GUEST_RFLAGS' arithmetic flags and DF (mask CD5H) and resumes past the CPUID.
;! status: 1
;! stdout: ok logic8-reason
;! stdout: ok logic8-flags
;! stdout: ok logic16-reason
;! stdout: ok logic16-flags
;! stdout: ok logic32-reason
;! stdout: ok logic32-flags
;! stdout: ok logic64-reason
;! stdout: ok logic64-flags
;! stdout: ok xor-self-reason
;! stdout: ok xor-self-flags
;! stdout: ok add-reason
;! stdout: ok add-flags
;! stdout: ok whole-reason
;! stdout: ok whole-flags
;! stdout: ok df-reason
;! stdout: ok df-flags
;! stdout: ok last-reason
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

; One step: resume the guest past its CPUID, expect the next CPUID exit, check the
; flags it saved.
%macro STEP 3
        call vmm_skip
        call vmm_run
        CHECK %1, rax, 10
        VMM_CHECK_MASK %2, 0x6820, 0xcd5, %3
%endmacro

start:
        call idt_setup
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        call vmm_run
        CHECK "logic8-reason", rax, 10
        VMM_CHECK_MASK "logic8-flags", 0x6820, 0xcd5, 0x80 ; SF; one bit set: PF clear
        STEP "logic16-reason", "logic16-flags", 0x84                               ; SF, PF (a 32-bit read: PF alone)
        STEP "logic32-reason", "logic32-flags", 0x84                               ; SF, PF (a 16-bit read: ZF, PF)
        STEP "logic64-reason", "logic64-flags", 0x84                               ; SF, PF (a 32-bit read: ZF, PF)
        STEP "xor-self-reason", "xor-self-flags", 0x44                              ; ZF, PF
        STEP "add-reason", "add-flags", 0x55                                   ; CF, AF, ZF, PF
        STEP "whole-reason", "whole-flags", 0x45                                 ; CF (STC), ZF, PF
        STEP "df-reason", "df-flags", 0x444                                   ; DF, ZF, PF
        call vmm_skip
        call vmm_run
        CHECK "last-reason", rax, 18
        call checks_done

guest:
        mov eax, 0x80
        test al, al
        cpuid
        mov eax, 0x18003
        test ax, ax
        cpuid
        mov eax, 0x80000000
        test eax, eax
        cpuid
        mov rax, 0x8000000000000000
        test rax, rax
        cpuid
        mov eax, 0x80
        test al, al
        xor ecx, ecx
        cpuid
        mov eax, -1
        add eax, 1
        cpuid
        xor ecx, ecx
        stc
        cpuid
        std
        xor ecx, ecx
        cpuid
        cld
.loop:  vmcall
        jmp .loop

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
