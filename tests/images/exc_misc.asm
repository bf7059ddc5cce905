; More exceptions through the IDT: #DE from DIV by zero (fault: RIP of the DIV),
; #BP from INT3 (trap: RIP after it), INT n for an exception vector (RIP after it,
; no error code pushed), #UD from INTO in 64-bit mode, #NM from an SSE instruction
; with CR0.TS = 1, and a handler installed by
; the image (called with the frame) that inspects CS/SS/RFLAGS of the frame.
;! status: 1
;! stdout: EXC 00 ERR 00000000 RIP ok
;! stdout: EXC 03 ERR 00000000 RIP ok
;! stdout: EXC 05 ERR 00000000 RIP ok
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: EXC 07 ERR 00000000 RIP ok
;! stdout: handler cs 0008 ss 0010 if 0 rsp ok
;! stdout: done
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        xor edx, edx
        mov eax, 1
        xor ecx, ecx
        TRY div ecx
        TRY_TRAP int3
        TRY_TRAP int 5
        TRY db 0xCE                     ; INTO
        mov rax, cr0
        bts rax, 3                      ; TS
        mov cr0, rax
        TRY movaps xmm0, xmm1
        clts
        SET_HANDLER 3, bp_handler
        mov [rel rsp_before], rsp
        int3
        PUTSLN "done"
        exit_with 0

; rdi = frame
bp_handler:
        PUTS "handler cs "
        PUT_HEX [rdi + FR_CS], 4
        PUTS " ss "
        PUT_HEX [rdi + FR_SS], 4
        PUTS " if "
        mov rax, [rdi + FR_RFLAGS]
        shr rax, 9
        and eax, 1
        PUT_HEX rax, 1
        PUTS " rsp "
        mov rax, [rdi + FR_RSP]
        cmp rax, [rel rsp_before]
        jne .bad
        PUTSLN "ok"
        ret
.bad:   PUTSLN "BAD"
        ret

rsp_before: dq 0

ELF64_END
