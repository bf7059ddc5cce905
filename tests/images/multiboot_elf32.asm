; A Multiboot v1 ELF32 image (multiboot header in the first 8 KiB, loaded from its
; program header): entry state per MACHINE.md (32-bit protected mode, paging off,
; EAX = 0x2BADB002, EBX = multiboot info with flags/mem_lower/mem_upper/mmap/cmdline,
; interrupts off, IDTR limit 0, flat segments, A20 on). Stays in 32-bit mode.
;! args: --mem 32M --append test.arg=42
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
;! not-stderr: triple

%define MB_RAM (32 << 20)
%define MB_CMDLINE "test.arg=42"
%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"
%include "mb_checks32.inc"

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
        call checks_done32

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
MB_END
