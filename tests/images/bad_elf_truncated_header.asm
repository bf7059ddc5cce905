; A load error: the file ends in the middle of the ELF64 header. Status 2.
;! status: 2
;! stdout-file: none
;! not-stderr: halted|triple

        db 0x7F, 'E', 'L', 'F', 2, 1, 1, 0
        times 8 db 0
        dw 2, 0x3E
        dd 1
