; COM1: LSR reads 0x60 (transmitter empty), bytes written to THR go to stdout,
; debug exit with 0 gives status 1.
;! status: 1
;! stdout: lsr 60
;! stdout: hello, COM1
;! not-stderr: halted|triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        mov dx, 0x3FD
        in al, dx
        mov bl, al
        PUTS "lsr "
        movzx eax, bl
        PUT_HEX rax, 2
        call newline
        ; plain polling putc, independent of lib64.inc
        lea rsi, [rel msg]
.next:  lodsb
        test al, al
        jz .done
        mov bl, al
        mov dx, 0x3FD
.poll:  in al, dx
        test al, 0x20
        jz .poll
        mov al, bl
        mov dx, 0x3F8
        out dx, al
        jmp .next
.done:  exit_with 0

msg:    db "hello, COM1", 10, 0

ELF64_END
