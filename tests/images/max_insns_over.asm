; --max-insns N counts instructions: a finite loop of about 200,000 instructions does
; not finish under a limit of 100,000.
;! args: --max-insns 100000
;! status: 4
;! stdout: started
;! stderr: max-insns|instruction limit

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        PUTSLN "started"
        mov ecx, 100000
.l:     dec ecx
        jnz .l
        PUTSLN "finished"
        exit_with 0

ELF64_END
