; Debug exit at port 0xF4: OUT DX, AX with v = 0x0012 ends the run with status (v << 1) | 1 = 37,
; nothing after it runs.
;! status: 37
;! stdout-file: none
;! not-stderr: halted|triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        mov eax, 0xFFFF0012             ; AX = 0x0012
        mov edx, 0xF4
        out dx, ax
        PUTSLN "still running after the OUT"
        exit_with 0x7F

ELF64_END
