; A load error: an ELF32 (wrong class for MACHINE.md's ELF64) without a multiboot
; header. Status 2, nothing executed.
;! status: 2
;! stdout-file: none
;! not-stderr: halted|triple

        bits 32
        org 0x100000
ehdr:   db 0x7F, 'E', 'L', 'F', 1, 1, 1, 0
        times 8 db 0
        dw 2, 3
        dd 1
        dd start
        dd phdr - ehdr
        dd 0, 0
        dw 52, 32, 1, 40, 0, 0
phdr:   dd 1, 0, 0x100000, 0x100000, file_end - 0x100000, file_end - 0x100000, 7, 0x1000
start:  mov al, 0
        out 0xF4, al
        jmp start
file_end:
