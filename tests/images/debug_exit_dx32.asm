; Debug exit at port 0xF4: OUT DX, EAX with v = 0x21 ends the run with status (v << 1) | 1 = 67,
; nothing after it runs.
;! status: 67
;! stdout-file: none
;! not-stderr: halted|triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        mov eax, 0x21
        mov edx, 0xF4
        out dx, eax
        PUTSLN "still running after the OUT"
        exit_with 0x7F

ELF64_END
