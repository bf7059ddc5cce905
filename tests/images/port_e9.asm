; Port 0xE9 (debug console): bytes written go to the console, interleaved in order
; with COM1 output; a read returns 0xE9.
;! status: 1
;! stdout: one via E9
;! stdout: two via COM1
;! stdout: three via E9
;! stdout: e9 read e9

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        E9_PUTS "one via E9", 10
        PUTSLN "two via COM1"
        mov al, 't'
        call e9_putc
        mov dx, 0xE9                    ; the dx form too
        mov al, 'h'
        out dx, al
        E9_PUTS "ree via E9", 10
        in al, 0xE9
        mov bl, al
        mov dx, 0xE9
        in al, dx
        cmp al, bl
        jne .bad
        PUTS "e9 read "
        movzx eax, bl
        PUT_HEX rax, 2
        call newline
        exit_with 0
.bad:   PUTSLN "e9 reads differ"
        exit_with 1

ELF64_END
