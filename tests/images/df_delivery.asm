; Faults while delivering an exception (64-bit IDT):
;   - benign first (#UD) then a fault on its gate: the second is delivered normally,
;     error code = vector*8 + 2 (IDT) + 1 (EXT), RIP of the #UD instruction:
;       gate not present -> #NP; code selector not a code segment -> #GP(sel + EXT);
;       gate type not a 64-bit interrupt/trap gate -> #GP(vector*8 + 3)
;   - contributory first (#GP) then a contributory fault on its gate: #DF, error code
;     0 (gate not present; null code selector)
; The #DF handler prints, then resumes the test with its own RSP (RIP saved by #DF is
; undefined).
;! status: 1
;! stdout: EXC 0b ERR 00000033 RIP ok
;! stdout: EXC 0d ERR 00000011 RIP ok
;! stdout: EXC 0d ERR 00000033 RIP ok
;! stdout: DF ERR 00000000
;! stdout: DF ERR 00000000
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: done
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

%define GATE(v) (idt_table + (v) * 16)

%macro EXPECT_DF 1+
        mov [rel df_rsp], rsp
        mov qword [rel df_resume], %%r
        %1
        PUTSLN "no #DF"
%%r:
%endmacro

start:
        call idt_setup
        SET_HANDLER 8, df_handler

        and byte [rel GATE(6) + 5], 0x7F        ; #UD gate not present
        TRY ud2
        or byte [rel GATE(6) + 5], 0x80
        mov word [rel GATE(6) + 2], 0x10        ; #UD gate selector: a data segment
        TRY ud2
        mov word [rel GATE(6) + 2], 0x08
        mov byte [rel GATE(6) + 5], 0x8C        ; #UD gate type: 64-bit call gate
        TRY ud2
        mov byte [rel GATE(6) + 5], 0x8E

        ; (the #DF handler does not restore registers: set them each time)
        and byte [rel GATE(13) + 5], 0x7F       ; #GP gate not present
        mov rbx, 0x8000000000000000
        EXPECT_DF mov rax, [rbx]
        or byte [rel GATE(13) + 5], 0x80
        mov word [rel GATE(13) + 2], 0          ; #GP gate selector null
        mov rbx, 0x8000000000000000
        EXPECT_DF mov rax, [rbx]
        mov word [rel GATE(13) + 2], 0x08
        mov rbx, 0x8000000000000000
        TRY mov rax, [rbx]                      ; the gate works again
        PUTSLN "done"
        exit_with 0

df_handler:
        PUTS "DF ERR "
        PUT_HEX [rdi + FR_ERR], 8
        call newline
        mov rsp, [rel df_rsp]
        jmp [rel df_resume]

        align 8, db 0
df_rsp:    dq 0
df_resume: dq 0

ELF64_END
