; fw_cfg (I/O 0x510 selector, 0x511 data): key 0x05 gives the number of processors in
; 2 bytes, key 0x03 the RAM size in 8 bytes, little-endian, one byte per read; bytes
; past an item and every other key read as 0; selecting again starts from byte 0.
;! args: --mem 64M --cpus 2
;! status: 1
;! stdout: ok nb-cpus
;! stdout: ok nb-cpus-past-end
;! stdout: ok reselect
;! stdout: ok ram-size-lo
;! stdout: ok ram-size-hi
;! stdout: ok ram-size-past-end
;! stdout: ok other-key
;! stdout: ok data-word-read

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

; fw_select key: a 16-bit write of the selector
%macro FW_SELECT 1
        mov ax, %1
        mov dx, 0x510
        out dx, ax
%endmacro

; fw_bytes n: eax = the next n (1..4) bytes of the item, little-endian
fw_bytes:
        push ebx
        push edx
        xor ebx, ebx
        mov dx, 0x511
.next:  in al, dx
        movzx eax, al
        shl eax, 24
        shr ebx, 8
        or ebx, eax
        loop .next
        mov eax, ebx
        pop edx
        pop ebx
        ret

start:
        mov esp, stack_top
        FW_SELECT 0x05
        mov ecx, 2
        call fw_bytes
        shr eax, 16
        CHECK32 "nb-cpus", eax, 2
        mov ecx, 4
        call fw_bytes
        CHECK32 "nb-cpus-past-end", eax, 0
        FW_SELECT 0x05
        mov ecx, 1
        call fw_bytes
        shr eax, 24
        CHECK32 "reselect", eax, 2

        FW_SELECT 0x03
        mov ecx, 4
        call fw_bytes
        CHECK32 "ram-size-lo", eax, 64 << 20
        mov ecx, 4
        call fw_bytes
        CHECK32 "ram-size-hi", eax, 0
        mov ecx, 1
        call fw_bytes
        CHECK32 "ram-size-past-end", eax, 0

        FW_SELECT 0x00                  ; the signature item: not answered
        mov ecx, 4
        call fw_bytes
        CHECK32 "other-key", eax, 0

        FW_SELECT 0x05                  ; a 16-bit read takes two bytes
        mov dx, 0x511
        in ax, dx
        movzx eax, ax
        CHECK32 "data-word-read", eax, 2
        call checks_done32

MB_BSS
        resb 4096
stack_top:
MB_END
