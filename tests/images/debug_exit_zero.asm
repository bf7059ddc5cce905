; Debug exit at port 0xF4: OUT with v = 0 ends the run with status (v << 1) | 1 = 1,
; nothing after it runs.
;! status: 1
;! stdout-file: none
;! not-stderr: halted|triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        xor eax, eax
        out 0xF4, al
        PUTSLN "still running after the OUT"
        exit_with 0x7F

ELF64_END
