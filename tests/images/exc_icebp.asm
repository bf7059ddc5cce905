; INT1 (ICEBP, opcode F1) raises #DB (vector 1) as a trap: saved RIP is the next
; instruction, no error code (SDM Vol. 2 "INTn/INTO/INT3/INT1").
;! status: 1
;! stdout: EXC 01 ERR 00000000 RIP ok
;! stdout: done
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        TRY_TRAP db 0xF1
        PUTSLN "done"
        exit_with 0

ELF64_END
