; An IDT whose gates are all not present: #GP (non-canonical load) -> #NP on gate 13
; -> #DF -> #NP on gate 8 -> shutdown. Status 3.
;! status: 3
;! stdout: before the fault
;! stderr: [Tt]riple fault
;! stderr: (#GP|vector 13).*(#NP|vector 11).*(#DF|vector 8)
;! not-stderr: halted at

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        lea rdi, [rel idt_table + 5]
        mov ecx, 32
.np:    and byte [rdi], 0x7F
        add rdi, 16
        dec ecx
        jnz .np
        PUTSLN "before the fault"
        mov rbx, 0x8000000000000000
        mov rax, [rbx]
        PUTSLN "after the fault"
        exit_with 0x7F

ELF64_END
