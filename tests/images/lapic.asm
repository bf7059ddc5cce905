; The local APIC in xAPIC mode at 0xFEE00000 (paging off: physical addresses):
; IA32_APIC_BASE 0xFEE00900 on the BSP; reset values (ID 0, version 14H with 6 LVT
; entries, DFR all ones, SPIV 0xFF, LVT entries masked); writable bits only; PPR
; following TPR; ICR delivery status reading 0; INIT and SIPI to "all excluding self"
; with one processor change nothing; a software-disabled APIC keeps LVT entries
; masked; with IA32_APIC_BASE's enable bit clear the page reads as open bus.
;! status: 1
;! stdout: ok apic-base-msr
;! stdout: ok id
;! stdout: ok version
;! stdout: ok spiv-reset
;! stdout: ok dfr-reset
;! stdout: ok lvt-timer-reset
;! stdout: ok lvt-error-reset
;! stdout: ok spiv-write
;! stdout: ok tpr-writable-bits
;! stdout: ok ppr-follows-tpr
;! stdout: ok ldr
;! stdout: ok dfr-low-bits-ones
;! stdout: ok lvt-lint0
;! stdout: ok icr2
;! stdout: ok icr-init-delivered
;! stdout: ok icr-sipi-delivered
;! stdout: ok esr
;! stdout: ok isr-empty
;! stdout: ok irr-empty
;! stdout: ok eoi-reads-0
;! stdout: ok byte-read
;! stdout: ok disabled-lvt-stays-masked
;! stdout: ok global-disable-open-bus
;! stdout: ok global-enable-again

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

%define APIC 0xFEE00000
%define R(off) dword [APIC + off]

start:
        mov esp, stack_top
        mov ecx, 0x1b
        rdmsr
        CHECK32 "apic-base-msr", eax, 0xFEE00900
        CHECK32 "id", R(0x20), 0
        CHECK32 "version", R(0x30), 0x00050014
        CHECK32 "spiv-reset", R(0xf0), 0xff
        CHECK32 "dfr-reset", R(0xe0), 0xffffffff
        CHECK32 "lvt-timer-reset", R(0x320), 0x10000
        CHECK32 "lvt-error-reset", R(0x370), 0x10000

        mov R(0xf0), 0x1ff              ; software enable, spurious vector FFH
        CHECK32 "spiv-write", R(0xf0), 0x1ff
        mov R(0x80), 0xffffff20         ; only bits 7:0 are TPR
        CHECK32 "tpr-writable-bits", R(0x80), 0x20
        CHECK32 "ppr-follows-tpr", R(0xa0), 0x20
        mov R(0x80), 0
        mov R(0xd0), 0x01ffffff         ; LDR: bits 31:24
        CHECK32 "ldr", R(0xd0), 0x01000000
        mov R(0xe0), 0
        CHECK32 "dfr-low-bits-ones", R(0xe0), 0x0fffffff
        mov R(0x350), 0x00000700        ; LINT0: ExtINT, unmasked
        CHECK32 "lvt-lint0", R(0x350), 0x700

        mov R(0x310), 0x05ffffff        ; ICR2: destination in 31:24
        CHECK32 "icr2", R(0x310), 0x05000000
        mov R(0x310), 0
        mov R(0x300), 0x000c4500        ; INIT, assert, all excluding self
        CHECK32 "icr-init-delivered", R(0x300), 0x000c4500
        mov R(0x300), 0x000c4612        ; start-up at 12000H, all excluding self
        CHECK32 "icr-sipi-delivered", R(0x300), 0x000c4612
        mov R(0x280), 0
        CHECK32 "esr", R(0x280), 0
        CHECK32 "isr-empty", R(0x170), 0
        CHECK32 "irr-empty", R(0x200), 0
        mov R(0xb0), 0
        CHECK32 "eoi-reads-0", R(0xb0), 0
        movzx eax, byte [APIC + 0x33]   ; version bits 31:24
        movzx edx, byte [APIC + 0x32]   ; bits 23:16: LVT entries - 1
        shl eax, 8
        or eax, edx
        CHECK32 "byte-read", eax, 0x0005

        mov R(0xf0), 0xff               ; software disable: LVT entries masked
        mov R(0x350), 0x700
        CHECK32 "disabled-lvt-stays-masked", R(0x350), 0x10700

        mov ecx, 0x1b
        rdmsr
        and eax, ~(1 << 11)
        wrmsr
        CHECK32 "global-disable-open-bus", R(0x30), 0xffffffff
        or eax, 1 << 11
        wrmsr
        CHECK32 "global-enable-again", R(0x30), 0x00050014
        call checks_done32

MB_BSS
        resb 4096
stack_top:
MB_END
