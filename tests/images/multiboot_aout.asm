; A Multiboot v1 a.out-kludge image (header flags bit 16: addresses from the header):
; the same entry-state checks as multiboot_elf32, then the image switches itself to
; long mode (its own page tables, PAE, EFER.LME by WRMSR, CR0.PG, far jump to a
; 64-bit code segment) and takes a #UD through a 64-bit IDT there.
;! args: --mem 32M --append console=ttyS0
;! status: 1
;! stdout: ok magic
;! stdout: ok cr0-pe
;! stdout: ok cr0-pg-off
;! stdout: ok if-off
;! stdout: ok idtr-limit
;! stdout: ok mbi-flags
;! stdout: ok mem-lower
;! stdout: ok mem-upper
;! stdout: ok cmdline
;! stdout: ok mmap
;! stdout: ok flat-cs
;! stdout: ok flat-ds
;! stdout: ok flat-es
;! stdout: ok flat-fs
;! stdout: ok flat-gs
;! stdout: ok flat-ss
;! stdout: ok a20
;! stdout: ok bss-zero
;! stdout: long mode ok
;! stdout: ok efer-lme-lma
;! stdout: ok cr0-pg
;! stdout: ok cs-64
;! stdout: EXC 06 ERR 00000000 RIP ok
;! not-stderr: triple

%define MB_RAM (32 << 20)
%define MB_CMDLINE "console=ttyS0"
%include "multiboot.inc"
MB_AOUT_BEGIN start
%include "lib32.inc"
%include "mb_checks32.inc"
        bits 64
%include "lib64.inc"
        bits 32

start:
        MB_SAVE_ENTRY_STATE
        MB_CHECK_ENTRY_STATE
        mov esi, bss_probe
        mov ecx, 4096 / 4
        xor eax, eax
.bz:    or eax, [esi]
        add esi, 4
        dec ecx
        jnz .bz
        CHECK32 "bss-zero", eax, 0
        MB_LONG_MODE page_tables, long_mode

        bits 64
long_mode:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        lea rsp, [rel stack_top]
        PUTSLN "long mode ok"
        mov ecx, 0xC0000080
        rdmsr
        CHECK_MASK "efer-lme-lma", rax, 0x500, 0x500
        mov rax, cr0
        CHECK_MASK "cr0-pg", rax, 0x80000001, 0x80000001
        xor eax, eax
        mov ax, cs
        CHECK "cs-64", rax, 0x08
        call idt_setup
        TRY ud2
        cmp byte [rel checks32_failed], 0
        je .ok
        mov byte [rel checks_failed], 1
.ok:    call checks_done

MB_BSS
mb_magic:   resd 1
mb_info:    resd 1
mb_eflags:  resd 1
mb_cr0:     resd 1
mb_idtr:    resb 8
a20_probe:  resd 1
bss_probe:  resb 4096
            resb 4096
stack_top:
            alignb 4096
page_tables: resb 3 * 4096
MB_END
