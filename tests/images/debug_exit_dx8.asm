; Debug exit at port 0xF4: OUT DX, AL with v = 0x30 ends the run with status (v << 1) | 1 = 97,
; nothing after it runs.
;! status: 97
;! stdout-file: none
;! not-stderr: halted|triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        mov eax, 0xFFFFFF30
        mov dx, 0xF4
        out dx, al
        PUTSLN "still running after the OUT"
        exit_with 0x7F

ELF64_END
