; A load error: p_offset + p_filesz lies past the end of the file. Status 2.
;! status: 2
;! stdout-file: none
;! not-stderr: halted|triple

        bits 64
        org 0x100000
%include "elf64.inc"
        ELF64_EHDR start, 1
        ELF64_PHDR PT_LOAD, PF_R|PF_W|PF_X, 0, 0x100000, 0x10000, 0x10000
%include "lib64.inc"
start:
        PUTSLN "executed"
        exit_with 0
