; --timeout S: an endless loop ends with status 4 after S seconds of wall clock.
;! args: --timeout 1
;! status: 4
;! stdout: looping
;! stderr: timeout|time limit

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        PUTSLN "looping"
.l:     inc rax
        jmp .l

ELF64_END
