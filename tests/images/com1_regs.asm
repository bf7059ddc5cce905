; COM1 as a 16550 an OS programs: with LCR.DLAB set, ports 0x3F8/0x3F9 are the
; divisor latch (a write there prints nothing, and reads back); LCR, MCR, IER and
; the scratch register read back what was written (MCR and IER only their
; defined bits); IIR says no interrupt, with the FIFO bits once FCR enables them;
; with DLAB clear again, THR prints.
;! status: 1
;! stdout: ok dll
;! stdout: ok dlm
;! stdout: ok lcr
;! stdout: ok lcr-8n1
;! stdout: ok ier
;! stdout: ok mcr
;! stdout: ok scr
;! stdout: ok iir
;! stdout: ok iir-fifo
;! stdout: ok lsr
;! stdout: X
;! not-stderr: halted|triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

%macro OUTB 2
        mov dx, %1
        mov al, %2
        out dx, al
%endmacro
%macro INB 1
        mov dx, %1
        in al, dx
        movzx eax, al
%endmacro

start:
        OUTB 0x3FB, 0x80                ; DLAB
        OUTB 0x3F8, 0x01                ; divisor 1: 115200 baud (not a character)
        OUTB 0x3F9, 0x00
        INB 0x3F8                       ; (nothing prints while DLAB is set)
        mov rbx, rax
        INB 0x3F9
        mov r12, rax
        INB 0x3FB
        mov r13, rax
        OUTB 0x3FB, 0x03                ; 8N1, DLAB clear
        CHECK "dll", rbx, 1
        CHECK "dlm", r12, 0
        CHECK "lcr", r13, 0x80
        INB 0x3FB
        CHECK "lcr-8n1", rax, 3
        OUTB 0x3F9, 0xff                ; IER: bits 3:0 only
        INB 0x3F9
        CHECK "ier", rax, 0x0f
        OUTB 0x3F9, 0
        OUTB 0x3FC, 0xff                ; MCR: bits 4:0 only
        INB 0x3FC
        CHECK "mcr", rax, 0x1f
        OUTB 0x3FF, 0x5a
        INB 0x3FF
        CHECK "scr", rax, 0x5a
        INB 0x3FA
        CHECK "iir", rax, 1
        OUTB 0x3FA, 0x07                ; FCR: FIFOs on, cleared
        INB 0x3FA
        CHECK "iir-fifo", rax, 0xc1
        INB 0x3FD
        CHECK "lsr", rax, 0x60
        OUTB 0x3F8, 'X'
        OUTB 0x3F8, 10
        exit_with 0

ELF64_END
