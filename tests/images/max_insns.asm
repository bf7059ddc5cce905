; --max-insns N: an endless loop ends with status 4 and a message saying where.
;! args: --max-insns 100000
;! status: 4
;! stdout: looping
;! stderr: max-insns|instruction limit

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        PUTSLN "looping"
        jmp $

ELF64_END
