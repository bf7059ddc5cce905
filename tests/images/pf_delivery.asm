; #PF through the IDT with the architected error code, CR2 and faulting RIP, on page
; tables the image builds itself (identity map of 0-4 MiB: 4 KiB pages for the first
; 2 MiB, one 2 MiB page after; nothing else). Also: WP at CPL 0, NX (EFER.NXE is on),
; reserved bits, accessed/dirty bits, INVLPG, and #PF whose gate is not present
; (#PF then #NP: #DF, error code 0).
; The image loads its own GDT and stack first: the boot ones live in the reserved
; area, which these page tables do not map.
;! status: 1
;! stdout: EXC 0e ERR 00000000 RIP ok CR2 0000000000800000
;! stdout: EXC 0e ERR 00000002 RIP ok CR2 00000000001f0008
;! stdout: EXC 0e ERR 00000000 RIP ok CR2 00000000001f0010
;! stdout: ro read 11
;! stdout: EXC 0e ERR 00000003 RIP ok CR2 00000000001f1000
;! stdout: EXC 0e ERR 00000011 RIP ok CR2 00000000001f2000
;! stdout: EXC 0e ERR 00000010 RIP ok CR2 00000000001f0000
;! stdout: EXC 0e ERR 00000009 RIP ok CR2 0000008000000000
;! stdout: a/d before 0 0
;! stdout: a/d after read 1 0
;! stdout: a/d after write 1 1
;! stdout: EXC 0e ERR 00000000 RIP ok CR2 00000000001f3008
;! stdout: invlpg remap 5a
;! stdout: DF ERR 00000000
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

%define NP_PAGE  0x1F0000               ; not present
%define RO_PAGE  0x1F1000               ; present, read-only
%define NX_PAGE  0x1F2000               ; present, execute-disable
%define INV_PAGE 0x1F3000               ; present, then unmapped + INVLPG
%define AD_PAGE  0x1F4000               ; accessed/dirty bits

start:
        lgdt [rel gdt_ptr]
        lea rsp, [rel stack_top]
        call idt_setup
        SET_HANDLER 8, df_handler

        ; page tables
        lea rdi, [rel pml4]
        xor eax, eax
        mov ecx, 4 * 4096 / 8
        cld
        rep stosq
        lea rax, [rel pdpt]
        or rax, 3
        mov [rel pml4], rax
        or rax, 0x80                    ; PS in a PML4E is reserved
        mov [rel pml4 + 8], rax         ; 512 GiB .. 1 TiB
        lea rax, [rel pd]
        or rax, 3
        mov [rel pdpt], rax
        lea rax, [rel pt]
        or rax, 3
        mov [rel pd], rax
        mov qword [rel pd + 8], 0x200000 | 0x83
        lea rdi, [rel pt]
        mov eax, 3
        mov ecx, 512
.pte:   mov [rdi], rax
        add rax, 0x1000
        add rdi, 8
        dec ecx
        jnz .pte
        mov qword [rel pt + (NP_PAGE >> 12) * 8], 0
        mov qword [rel pt + (RO_PAGE >> 12) * 8], RO_PAGE | 1
        mov rax, NX_PAGE | 3 | (1 << 63)
        mov [rel pt + (NX_PAGE >> 12) * 8], rax
        mov byte [abs RO_PAGE], 0x11        ; still the boot tables: writable
        mov byte [abs INV_PAGE + 8], 0x5A
        lea rax, [rel pml4]
        mov cr3, rax

        ; not present at the PD level, read
        TRY mov rax, [abs 0x800000]
        ; not present at the PT level: write, then read
        TRY mov qword [abs NP_PAGE + 8], 1
        TRY mov rax, [abs NP_PAGE + 0x10]
        ; read-only page: reads work, a CPL-0 write faults (CR0.WP = 1)
        movzx eax, byte [abs RO_PAGE]
        PUTS "ro read "
        PUT_HEX rax, 2
        call newline
        TRY mov byte [abs RO_PAGE], 1
        ; instruction fetches: execute-disable page, not-present page
        mov rax, NX_PAGE
        TRY_AT NX_PAGE, jmp rax
        mov rax, NP_PAGE
        TRY_AT NP_PAGE, jmp rax
        ; reserved bit (PS) in the PML4E
        mov rbx, 0x8000000000
        TRY mov rax, [rbx]

        ; accessed and dirty
        PUTS "a/d before"
        call show_ad
        mov al, [abs AD_PAGE]
        PUTS "a/d after read"
        call show_ad
        mov byte [abs AD_PAGE], 1
        PUTS "a/d after write"
        call show_ad

        ; INVLPG makes a cleared PTE take effect, and a restored one
        mov rax, [abs INV_PAGE + 8]
        and qword [rel pt + (INV_PAGE >> 12) * 8], ~1
        invlpg [abs INV_PAGE]
        TRY mov rax, [abs INV_PAGE + 8]
        or qword [rel pt + (INV_PAGE >> 12) * 8], 1
        invlpg [abs INV_PAGE]
        movzx eax, byte [abs INV_PAGE + 8]
        PUTS "invlpg remap "
        PUT_HEX rax, 2
        call newline

        ; #PF whose IDT gate is not present: #NP during #PF delivery is a #DF
        and byte [rel idt_table + 14 * 16 + 5], 0x7F
        mov rax, [abs NP_PAGE]
        PUTSLN "no #DF"
        exit_with 1

; prints " A D" (the bits of AD_PAGE's PTE) and a newline
show_ad:
        mov rax, [rel pt + (AD_PAGE >> 12) * 8]
        mov rbx, rax
        shr rax, 5
        and eax, 1
        PUTS " "
        PUT_HEX rax, 1
        shr rbx, 6
        and ebx, 1
        PUTS " "
        PUT_HEX rbx, 1
        jmp newline

df_handler:
        PUTS "DF ERR "
        PUT_HEX [rdi + FR_ERR], 8
        call newline
        exit_with 0

        align 8, db 0
gdt:    dq 0
        dq 0x0020980000000000           ; 0x08: 64-bit code
        dq 0x0000920000000000           ; 0x10: data
gdt_ptr:
        dw 3 * 8 - 1
        dq gdt

ELF64_BSS
        alignb 4096
pml4:   resb 4096
pdpt:   resb 4096
pd:     resb 4096
pt:     resb 4096
        resb 8192
stack_top:
ELF64_END
