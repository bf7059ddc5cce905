; MOV to and from the debug registers is the simulator's (the engine's own MOV to DR7
; crashed in its translated code: fuzz_vmx_guest, B02), with the SDM's results:
;   - DR7 keeps what is written, bit 10 reads 1 and bits 15:14, 12, 11 read 0; DR6
;     reads its fixed ones
;   - a 1 in bits 63:32 of DR7 or DR6: #GP(0)
;   - DR4 with CR4.DE = 1: #UD; with CR4.DE = 0 it is DR6
;   - DR7.GD = 1: the next MOV DR is a #DB fault (RIP of the MOV) that sets DR6.BD and
;     clears DR7.GD
;! status: 1
;! stdout: ok dr7
;! stdout: ok dr7-fixed-bits
;! stdout: ok dr6-fixed-bits
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: ok dr4-is-dr6
;! stdout: EXC 01 ERR 00000000 RIP ok
;! stdout: ok dr6-bd
;! stdout: ok dr7-gd-cleared
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        mov eax, 0x401
        mov dr7, rax
        mov rbx, dr7
        CHECK "dr7", rbx, 0x401
        mov eax, 0xdb01
        mov dr7, rax
        mov rbx, dr7
        CHECK "dr7-fixed-bits", rbx, 0x701
        xor eax, eax
        mov dr6, rax
        mov rbx, dr6
        CHECK "dr6-fixed-bits", rbx, 0xffff0ff0
        mov rax, 1 << 32 | 0x400
        TRY mov dr7, rax
        TRY mov dr6, rax
        mov rax, cr4
        or rax, 1 << 3                  ; DE
        mov cr4, rax
        TRY mov rbx, dr4
        and rax, ~(1 << 3)
        mov cr4, rax
        mov rbx, dr4
        CHECK "dr4-is-dr6", rbx, 0xffff0ff0
        mov eax, 0x2400                 ; GD
        mov dr7, rax
        TRY mov rbx, dr0
        mov rbx, dr6
        CHECK_MASK "dr6-bd", rbx, 0x2000, 0x2000
        mov rbx, dr7
        CHECK "dr7-gd-cleared", rbx, 0x400
        call checks_done

ELF64_END
