; A load error: a PT_LOAD at 1 GiB on a 16 MiB machine. Status 2, nothing executed.
;! args: --mem 16M
;! status: 2
;! stdout-file: none
;! stderr: segment|PT_LOAD
;! stderr: reserved|limit
;! not-stderr: halted|triple

        bits 64
        org 0x100000
%include "elf64.inc"
        ELF64_EHDR start, 2
        ELF64_PHDR PT_LOAD, PF_R|PF_X, 0, 0x100000, file_end - 0x100000, file_end - 0x100000
        ELF64_PHDR PT_LOAD, PF_R|PF_W, 0, 0x40000000, 0x100, 0x1000
%include "lib64.inc"
start:
        PUTSLN "executed"
        exit_with 0
file_end:
