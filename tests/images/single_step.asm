; RFLAGS.TF single-stepping: after POPFQ sets TF, the next instruction completes and
; then #DB (vector 1, a trap) is delivered with RIP after it and DR6.BS set; the
; handler clears TF in the saved RFLAGS and IRETQ returns without further traps.
;! status: 1
;! stdout: DB rip ok bs 1
;! stdout: steps 1
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        SET_HANDLER 1, db_handler
        xor eax, eax
        mov dr6, rax
        pushfq
        or qword [rsp], 0x100           ; TF
        popfq
        nop                             ; #DB after this one
.after: inc rbx
        inc rbx
        PUTS "steps "
        mov eax, [rel steps]
        PUT_HEX rax, 1
        call newline
        exit_with 0

db_handler:
        inc dword [rel steps]
        PUTS "DB rip "
        lea rax, [rel start.after]
        cmp rax, [rdi + FR_RIP]
        jne .bad
        PUTS "ok"
        jmp .bs
.bad:   PUT_HEX [rdi + FR_RIP], 16
.bs:    PUTS " bs "
        mov rax, dr6
        shr rax, 14
        and eax, 1
        PUT_HEX rax, 1
        call newline
        btr qword [rdi + FR_RFLAGS], 8
        ret

steps:  dd 0

ELF64_END
