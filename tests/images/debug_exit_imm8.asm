; Debug exit at port 0xF4: OUT imm8, AL with v = 0x05 ends the run with status (v << 1) | 1 = 11,
; nothing after it runs.
;! status: 11
;! stdout-file: none
;! not-stderr: halted|triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        mov eax, 0xFFFFFF05             ; only AL is written
        out 0xF4, al
        PUTSLN "still running after the OUT"
        exit_with 0x7F

ELF64_END
