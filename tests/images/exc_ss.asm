; #SS(0) (vector 12) for a non-canonical address in a reference through SS (RBP as
; base: SDM Vol. 2 MOV, "64-Bit Mode Exceptions"), where the same address
; through DS gives #GP(0).
;! status: 1
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0c ERR 00000000 RIP ok
;! stdout: EXC 0c ERR 00000000 RIP ok
;! stdout: done
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        mov rbx, 0x8000000000000000
        TRY mov rax, [rbx]              ; DS: #GP(0)
        mov rbp, 0x8000000000000000
        TRY mov rax, [rbp]              ; SS: #SS(0)
        TRY mov qword [rbp + 0x10], 1   ; SS, a write: #SS(0)
        PUTSLN "done"
        exit_with 0

ELF64_END
