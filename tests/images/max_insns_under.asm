; --max-insns N counts instructions: a run of about 60,000 instructions finishes
; normally under a limit of 100,000 (and one of about 200,000 does not: max_insns).
;! args: --max-insns 100000
;! status: 1
;! stdout: finished

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        mov ecx, 30000
.l:     dec ecx
        jnz .l
        PUTSLN "finished"
        exit_with 0

ELF64_END
