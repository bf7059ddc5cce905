; #GP delivered through the image's IDT (64-bit interrupt gates) with the architected
; error code and the RIP of the faulting instruction; IRETQ resumes.
;   - MOV DS with a selector beyond the GDT limit: #GP(selector)
;   - MOV DS with an execute-only code segment: #GP(selector)
;   - RDMSR / WRMSR of an MSR that does not exist: #GP(0)
;   - a load from a non-canonical address: #GP(0)
;   - INT n with n beyond the IDT limit: #GP(n*8 + 2)
;! status: 1
;! stdout: EXC 0d ERR 00001238 RIP ok
;! stdout: EXC 0d ERR 00000008 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000402 RIP ok
;! stdout: ds 0010
;! stdout: done
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        lgdt [rel gdt_ptr]              ; our own GDT: its limit is known (0x17)
        call idt_setup
        mov ax, 0x1238
        TRY mov ds, ax
        mov ax, 0x08
        TRY mov ds, ax
        mov ecx, 0x12345678
        TRY rdmsr
        xor eax, eax
        xor edx, edx
        TRY wrmsr
        mov rbx, 0x8000000000000000
        TRY mov rax, [rbx]
        TRY int 0x80
        mov ax, ds
        PUTS "ds "
        PUT_HEX rax, 4
        call newline
        PUTSLN "done"
        exit_with 0

        align 8, db 0
gdt:    dq 0
        dq 0x0020980000000000           ; 0x08: 64-bit code, execute-only
        dq 0x0000920000000000           ; 0x10: data
gdt_ptr:
        dw 3 * 8 - 1
        dq gdt

ELF64_END
