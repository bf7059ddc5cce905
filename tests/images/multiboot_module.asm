; Multiboot modules (--initrd FILE, as QEMU's -initrd): MBI flags bit 3, one module,
; page-aligned (header flags bit 0), its bytes exactly the file's, a NUL-terminated
; string, placed after the image.
;! args: --mem 32M --initrd @SRCDIR@/mb_module.inc
;! status: 1
;! stdout: ok magic
;! stdout: ok mods-flag
;! stdout: ok mods-count
;! stdout: ok mod-page-aligned
;! stdout: ok mod-after-image
;! stdout: ok mod-size
;! stdout: ok mod-bytes
;! stdout: ok mod-string

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

start:
        mov esp, stack_top
        CHECK32 "magic", eax, MB_BOOT_MAGIC
        CHECK_MASK32 "mods-flag", [ebx + MBI_FLAGS], 8, 8
        CHECK32 "mods-count", [ebx + MBI_MODS_COUNT], 1
        mov edi, [ebx + MBI_MODS_ADDR]
        mov esi, [edi]                  ; mod_start
        mov ecx, [edi + 4]              ; mod_end
        mov eax, esi
        and eax, 0xFFF
        CHECK32 "mod-page-aligned", eax, 0
        xor edx, edx
        cmp esi, __mb_mem_end
        setae dl
        CHECK32 "mod-after-image", edx, 1
        mov eax, ecx
        sub eax, esi
        CHECK32 "mod-size", eax, module_len
        push edi
        mov edi, module
        mov ecx, module_len
        cld
        repe cmpsb
        pop edi
        sete al
        movzx eax, al
        CHECK32 "mod-bytes", eax, 1
        ; the string: present and NUL-terminated within 4 KiB
        mov esi, [edi + 8]
        xor eax, eax
        test esi, esi
        jz .str
        mov ecx, 4096
.s:     cmp byte [esi], 0
        je .strok
        inc esi
        dec ecx
        jnz .s
        jmp .str
.strok: inc eax
.str:   CHECK32 "mod-string", eax, 1
        call checks_done32

module: incbin "mb_module.inc"
module_len equ $ - module

MB_BSS
        resb 8192
stack_top:
MB_END
