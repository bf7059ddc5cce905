; No IDT (IDTR limit 0, as at boot): #UD -> #GP (vector beyond the limit) -> #DF ->
; shutdown. Status 3, the fault chain on stderr, nothing after the fault runs.
;! status: 3
;! stdout: before the fault
;! stderr: [Tt]riple fault
;! stderr: (#UD|vector 6).*(#DF|vector 8)
;! not-stderr: halted at

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        PUTSLN "before the fault"
        ud2
        PUTSLN "after the fault"
        exit_with 0x7F

ELF64_END
