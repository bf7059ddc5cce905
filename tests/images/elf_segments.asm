; ELF64 loading by p_paddr: three program headers, a PT_LOAD of code at 1 MiB, a
; PT_GNU_STACK (ignored), and a PT_LOAD whose p_vaddr (0xffffffff80400000, kernel-style) differs
; from its p_paddr (3 MiB), from a nonzero page-aligned p_offset, with memsz > filesz.
; The code finds the data at the physical address and the rest of the segment zero.
;! status: 1
;! stdout: ok data-at-paddr
;! stdout: ok data-tail
;! stdout: ok bss-zero

        bits 64
        default rel
        org 0x100000
%include "elf64.inc"
        ELF64_EHDR start, 3
        ELF64_PHDR PT_LOAD, PF_R|PF_W|PF_X, 0, 0x100000, code_end - 0x100000, code_end - 0x100000
        dd 0x6474E551, PF_R|PF_W        ; PT_GNU_STACK
        dq 0, 0, 0, 0, 0, 16
%define ELF64_VADDR_DELTA 0xFFFFFFFF80100000 ; p_vaddr 0xffffffff80400000
        ELF64_PHDR PT_LOAD, PF_R|PF_W, data_off, 0x300000, data_len, 0x3000
%include "lib64.inc"

start:
        call idt_setup
        mov rax, [abs 0x300000]
        mov rdx, "PADDR-OK"
        CHECK "data-at-paddr", rax, rdx
        mov rax, [abs 0x300000 + data_len - 8]
        mov rdx, 0x0123456789ABCDEF
        CHECK "data-tail", rax, rdx
        mov rsi, 0x300000 + data_len
        xor eax, eax
.z:     or rax, [rsi]
        add rsi, 8
        cmp rsi, 0x303000
        jb .z
        CHECK "bss-zero", rax, 0
        call checks_done
code_end:
        times 0x2000 - ($ - $$) db 0
data_off equ $ - $$
        db "PADDR-OK"
        times 0x100 db 0x11
        dq 0x0123456789ABCDEF
data_len equ $ - $$ - data_off
