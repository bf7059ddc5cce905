; 32-bit (non-PAE) paging from a multiboot image: a page directory with a 4 KiB page
; table for 0-4 MiB and a 4 MiB page (CR4.PSE) at 4-8 MiB, CR0.PG|WP set by the image;
; #PF through a 32-bit IDT with the error code, CR2 and EIP; accessed/dirty bits.
;! args: --mem 32M
;! status: 1
;! stdout: ok paging-on
;! stdout: ok read-4m-page
;! stdout: EXC 0e ERR 00000000 EIP ok CR2 00900000
;! stdout: EXC 0e ERR 00000002 EIP ok CR2 003f0004
;! stdout: EXC 0e ERR 00000003 EIP ok CR2 003f1000
;! stdout: ok pte-accessed
;! stdout: ok pte-dirty
;! stdout: ok pde-4m-accessed-clean
;! stdout: ok pde-4m-dirty
;! not-stderr: triple

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

%define NP_PAGE 0x3F0000
%define RO_PAGE 0x3F1000
%define AD_PAGE 0x3F2000

start:
        mov esp, stack_top
        lgdt [gdt_ptr]
        jmp 0x08:.cs
.cs:    mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        call idt32_setup
        mov dword [0x400000 + 0x123450], 0xC0FFEE   ; before paging: physical
        ; page table: identity 0-4 MiB, present + writable
        mov edi, pt
        mov eax, 3
        mov ecx, 1024
.pte:   mov [edi], eax
        add eax, 0x1000
        add edi, 4
        dec ecx
        jnz .pte
        mov dword [pt + (NP_PAGE >> 12) * 4], 0
        mov dword [pt + (RO_PAGE >> 12) * 4], RO_PAGE | 1
        mov eax, pt
        or eax, 3
        mov [pd], eax
        mov dword [pd + 4], 0x400000 | 0x83          ; 4 MiB page, PS
        mov eax, cr4
        or eax, 0x10                                 ; PSE
        mov cr4, eax
        mov eax, pd
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80010000                           ; PG | WP
        mov cr0, eax
        mov eax, cr0
        CHECK_MASK32 "paging-on", eax, 0x80000001, 0x80000001
        CHECK32 "read-4m-page", [0x400000 + 0x123450], 0xC0FFEE
        TRY32 mov eax, [0x900000]                    ; no PDE
        TRY32 mov dword [NP_PAGE + 4], 1             ; PTE not present, write
        TRY32 mov byte [RO_PAGE], 1                  ; read-only, WP
        mov eax, [AD_PAGE]
        mov byte [AD_PAGE + 1], 1
        CHECK_MASK32 "pte-accessed", [pt + (AD_PAGE >> 12) * 4], 0x20, 0x20
        CHECK_MASK32 "pte-dirty", [pt + (AD_PAGE >> 12) * 4], 0x40, 0x40
        CHECK_MASK32 "pde-4m-accessed-clean", [pd + 4], 0x60, 0x20
        mov dword [0x400000 + 0x10], 1
        CHECK_MASK32 "pde-4m-dirty", [pd + 4], 0x60, 0x60
        call checks_done32

        align 8, db 0
gdt:    dq 0
        dq 0x00CF9A000000FFFF
        dq 0x00CF92000000FFFF
gdt_ptr:
        dw 3 * 8 - 1
        dd gdt

MB_BSS
        alignb 4096
pd:     resb 4096
pt:     resb 4096
        resb 8192
stack_top:
MB_END
