; A load error: the ELF header announces 4 program headers, the file ends after one
; and a half. Status 2.
;! status: 2
;! stdout-file: none
;! not-stderr: halted|triple

        bits 64
        org 0x100000
%include "elf64.inc"
        ELF64_EHDR 0x100000, 4
        ELF64_PHDR PT_LOAD, PF_R|PF_W|PF_X, 0, 0x100000, 0x100, 0x100
        dd 1, 7
        dq 0
