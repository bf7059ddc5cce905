; INVPCID's descriptor through an expand-down data segment in 32-bit protected mode
; (SDM INVPCID "Protected Mode Exceptions": #GP(0) for a memory operand effective
; address outside the DS/ES/FS/GS segment limit). An expand-down segment holds the
; offsets above its limit, up to FFFFFFFFH with B = 1 and FFFFH with B = 0; all 16
; bytes of the descriptor must lie there. Type 2 (all contexts, with globals) and a
; zero descriptor: each case either completes or faults. (Once, every INVPCID past the
; first 512 bytes here raised #UD: the engine ends a block inside an instruction it
; cannot decode, and the site scan read only the block's bytes. The later cases keep
; that fixed.)
;! status: 1
;! stdout: b32-above-limit: no exception
;! stdout: b32-below-limit: EXC 0d ERR 00000000 EIP ok
;! stdout: b32-straddles-limit: EXC 0d ERR 00000000 EIP ok
;! stdout: b16-top: no exception
;! stdout: b16-past-ffff: EXC 0d ERR 00000000 EIP ok
;! stdout: b16-below-limit: EXC 0d ERR 00000000 EIP ok
;! stdout: b16-straddles-top: EXC 0d ERR 00000000 EIP ok
;! stdout: b32-at-limit: EXC 0d ERR 00000000 EIP ok
;! stdout: b32-above-limit-again: no exception
;! not-stderr: triple

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

start:
        mov esp, stack_top
        ; descriptor 0x28: base = desc16 - 0xFFF0 (the B = 0 segment's top 16 bytes)
        mov eax, desc16 - 0xFFF0
        mov [gdt + 0x28 + 2], ax
        shr eax, 16
        mov [gdt + 0x28 + 4], al
        mov [gdt + 0x28 + 7], ah
        lgdt [gdt_ptr]
        jmp 0x08:.cs
.cs:    mov ax, 0x10
        mov ds, ax
        mov ss, ax
        call idt32_setup
        mov eax, 2                      ; all contexts, globals too

        mov bx, 0x20                    ; expand-down, B = 1, limit 0xFFFFF
        mov es, bx
        PUTS32 "b32-above-limit: "
        TRY32 invpcid eax, [es:desc32]
        PUTS32 "b32-below-limit: "
        TRY32 invpcid eax, [es:0x80000]
        PUTS32 "b32-straddles-limit: "
        TRY32 invpcid eax, [es:0xFFFF8]

        mov bx, 0x28                    ; expand-down, B = 0, limit 0xFFF
        mov es, bx
        PUTS32 "b16-top: "
        TRY32 invpcid eax, [es:0xFFF0]
        PUTS32 "b16-past-ffff: "
        TRY32 invpcid eax, [es:0xFFF1]
        PUTS32 "b16-below-limit: "
        TRY32 invpcid eax, [es:0x800]
        PUTS32 "b16-straddles-top: "
        TRY32 invpcid eax, [es:0xFFF8]

        mov bx, 0x20
        mov es, bx
        PUTS32 "b32-at-limit: "
        TRY32 invpcid eax, [es:0xFFFFF]
        PUTS32 "b32-above-limit-again: "
        TRY32 invpcid eax, [es:desc32]
        exit_with 0

        align 8, db 0
gdt:    dq 0
        dq 0x00CF9A000000FFFF           ; 0x08 code
        dq 0x00CF92000000FFFF           ; 0x10 data
        dq 0
        dq 0x004F96000000FFFF           ; 0x20 data, expand-down, B = 1, limit 0xFFFFF
        dq 0x0000960000000FFF           ; 0x28 data, expand-down, B = 0, limit 0xFFF
gdt_ptr:
        dw 6 * 8 - 1
        dd gdt

        align 16, db 0
desc32: dq 0, 0
desc16: dq 0, 0

MB_BSS
        resb 8192
stack_top:
MB_END
