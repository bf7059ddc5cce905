; Multiboot a.out kludge with the header 0x200 bytes into the file (header_addr =
; load_addr + 0x200: loading starts at file offset 0), load_end_addr = 0 (load the
; whole file) and bss_end_addr = 0 (no bss), entry after the header.
;! args: --mem 16M
;! status: 1
;! stdout: ok magic
;! stdout: ok file-start-at-load-addr
;! stdout: ok file-end-loaded

        bits 32
        org 0x100000
file_start:
        db "AOUT-START"
        times 0x200 - ($ - $$) db 0x90
mb_header:
        dd 0x1BADB002
        dd 0x00010003
        dd -(0x1BADB002 + 0x00010003)
        dd mb_header                    ; header_addr
        dd 0x100000                     ; load_addr
        dd 0                            ; load_end_addr: whole file
        dd 0                            ; bss_end_addr: none
        dd entry                        ; entry_addr
%include "lib32.inc"
entry:
        mov esp, 0x100000               ; below the image, free RAM
        CHECK32 "magic", eax, 0x2BADB002
        mov eax, [0x100000]
        CHECK32 "file-start-at-load-addr", eax, "AOUT"
        mov eax, [file_tail]
        CHECK32 "file-end-loaded", eax, "TAIL"
        call checks_done32
        align 4, db 0
file_tail:
        db "TAIL"
