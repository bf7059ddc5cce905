; Exceptions in 32-bit protected mode (a multiboot ELF32 image, no paging), delivered
; through a 32-bit IDT of interrupt gates with error codes and the faulting EIP:
; #UD, #DE, #GP(selector) on its own GDT, #GP(0) for an unknown MSR, #BP (trap: EIP
; after INT3), and a #GP during #UD delivery (gate with a data-segment selector).
;! args: --mem 32M
;! status: 1
;! stdout: EXC 06 ERR 00000000 EIP ok
;! stdout: EXC 00 ERR 00000000 EIP ok
;! stdout: EXC 0d ERR 00001238 EIP ok
;! stdout: EXC 0d ERR 00000000 EIP ok
;! stdout: EXC 03 ERR 00000000 EIP ok
;! stdout: EXC 0d ERR 00000011 EIP ok
;! stdout: done
;! not-stderr: triple

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

start:
        mov esp, stack_top
        lgdt [gdt_ptr]
        jmp 0x08:.cs
.cs:    mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        call idt32_setup
        TRY32 ud2
        xor edx, edx
        mov eax, 1
        xor ecx, ecx
        TRY32 div ecx
        mov ax, 0x1238
        TRY32 mov ds, ax
        mov ecx, 0x12345678
        TRY32 rdmsr
        ; INT3 is a trap: the saved EIP is the next instruction
        mov dword [exc32_expect_eip], .after_int3
        mov dword [exc32_resume_eip], .after_int3
        int3
.after_int3:
        call exc32_check_taken
        mov word [idt32_table + 6 * 8 + 2], 0x10      ; #UD gate -> data segment
        TRY32 ud2
        PUTSLN32 "done"
        exit_with 0

        align 8, db 0
gdt:    dq 0
        dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code, flat
        dq 0x00CF92000000FFFF           ; 0x10: data, flat
gdt_ptr:
        dw 3 * 8 - 1
        dd gdt

MB_BSS
        resb 8192
stack_top:
MB_END
