; The local APIC's x2APIC mode (sim/cpu/lapic_x2apic.h), one processor, paging off.
;  - CPUID.01H:ECX[21] says x2APIC; in xAPIC mode the x2APIC MSRs are #GP(0), and so
;    is a WRMSR of IA32_APIC_BASE into the invalid state (EN 0, EXTD 1).
;  - In x2APIC mode (IA32_APIC_BASE FEE00D00H): the page reads as open bus; x2APIC ID
;    0, version 00050014H, LDR 00000001H (cluster 0, bit 0); TPR and PPR; ID and LDR
;    read-only, EOI and SELF IPI write-only, no DFR (80EH) or ICR high (831H), reserved
;    bits (TPR bit 8, EDX of a 32-bit register, ICR delivery status, SELF IPI bit 8),
;    nonzero EOI or ESR: each #GP(0).
;  - SELF IPI (83FH) and an ICR (830H, one 64-bit register) fixed IPI to x2APIC ID 0
;    are each taken before the next instruction (the handler sees the flag that
;    instruction sets still clear), in service (ISR) in their handlers; EOI by WRMSR.
;  - Transitions: x2APIC to xAPIC is #GP(0); to disabled is allowed, after which the
;    MSRs are #GP(0); disabled to x2APIC is #GP(0); disabled to xAPIC is allowed and the
;    page reads the reset registers (TPR 0, LDR 0, DFR all ones).
;! status: 1
;! stdout: ok cpuid-x2apic
;! stdout: xapic-rdmsr-id: EXC 0d ERR 00000000 EIP ok
;! stdout: xapic-to-invalid: EXC 0d ERR 00000000 EIP ok
;! stdout: ok apic-base-x2apic
;! stdout: ok page-open-bus
;! stdout: ok x2apic-id
;! stdout: ok version
;! stdout: ok ldr
;! stdout: wrmsr-id: EXC 0d ERR 00000000 EIP ok
;! stdout: wrmsr-ldr: EXC 0d ERR 00000000 EIP ok
;! stdout: rdmsr-dfr: EXC 0d ERR 00000000 EIP ok
;! stdout: rdmsr-icr-high: EXC 0d ERR 00000000 EIP ok
;! stdout: rdmsr-eoi: EXC 0d ERR 00000000 EIP ok
;! stdout: wrmsr-eoi-nonzero: EXC 0d ERR 00000000 EIP ok
;! stdout: wrmsr-esr-nonzero: EXC 0d ERR 00000000 EIP ok
;! stdout: ok tpr
;! stdout: ok ppr
;! stdout: wrmsr-tpr-reserved: EXC 0d ERR 00000000 EIP ok
;! stdout: wrmsr-tpr-high-half: EXC 0d ERR 00000000 EIP ok
;! stdout: ok spiv
;! stdout: ok self-ipi-taken
;! stdout: ok self-ipi-before-next-insn
;! stdout: ok self-ipi-in-service
;! stdout: ok self-ipi-retired
;! stdout: rdmsr-self-ipi: EXC 0d ERR 00000000 EIP ok
;! stdout: wrmsr-self-ipi-reserved: EXC 0d ERR 00000000 EIP ok
;! stdout: ok icr-ipi-taken
;! stdout: ok icr-ipi-before-next-insn
;! stdout: ok icr-ipi-in-service
;! stdout: ok icr-low
;! stdout: ok icr-high
;! stdout: wrmsr-icr-delivery-status: EXC 0d ERR 00000000 EIP ok
;! stdout: ok icr-to-other-id-not-taken
;! stdout: x2apic-to-xapic: EXC 0d ERR 00000000 EIP ok
;! stdout: ok x2apic-to-disabled
;! stdout: disabled-rdmsr-version: EXC 0d ERR 00000000 EIP ok
;! stdout: disabled-to-x2apic: EXC 0d ERR 00000000 EIP ok
;! stdout: ok disabled-to-xapic
;! stdout: ok xapic-version-again
;! stdout: ok xapic-tpr-reset
;! stdout: ok xapic-ldr-reset
;! stdout: ok xapic-dfr-reset

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

%include "apic32.inc"
%define VEC_SELF 0x50
%define VEC_ICR  0x51

; RDMSR of %1 (eax, edx, ecx clobbered)
%macro RD 1
        mov ecx, %1
        rdmsr
%endmacro
; "NAME: EXC 0d ... EIP ok" when the RDMSR/WRMSR %2 of MSR %3 (edx:eax = %5:%4) is #GP(0)
%macro GP 5
        PUTS32 %1, ": "
        mov ecx, %3
        mov eax, %4
        mov edx, %5
        TRY32 %2
%endmacro

start:
        mov esp, stack_top
        call setup_idt
        mov eax, 1
        cpuid
        CHECK_MASK32 "cpuid-x2apic", ecx, 1 << 21, 1 << 21
        GP "xapic-rdmsr-id", rdmsr, 0x802, 0, 0
        GP "xapic-to-invalid", wrmsr, 0x1b, 0xFEE00500, 0

        WR 0x1b, 0xFEE00D00, 0          ; EN and EXTD: x2APIC mode
        RD 0x1b
        CHECK32 "apic-base-x2apic", eax, 0xFEE00D00
        CHECK32 "page-open-bus", R(0x30), 0xffffffff
        RD 0x802
        CHECK32 "x2apic-id", eax, 0
        RD 0x803
        CHECK32 "version", eax, 0x00050014
        RD 0x80d
        CHECK32 "ldr", eax, 1
        GP "wrmsr-id", wrmsr, 0x802, 0, 0
        GP "wrmsr-ldr", wrmsr, 0x80d, 1, 0
        GP "rdmsr-dfr", rdmsr, 0x80e, 0, 0
        GP "rdmsr-icr-high", rdmsr, 0x831, 0, 0
        GP "rdmsr-eoi", rdmsr, 0x80b, 0, 0
        GP "wrmsr-eoi-nonzero", wrmsr, 0x80b, 1, 0
        GP "wrmsr-esr-nonzero", wrmsr, 0x828, 1, 0
        WR 0x808, 0x20, 0
        RD 0x808
        CHECK32 "tpr", eax, 0x20
        RD 0x80a
        CHECK32 "ppr", eax, 0x20
        GP "wrmsr-tpr-reserved", wrmsr, 0x808, 0x120, 0
        GP "wrmsr-tpr-high-half", wrmsr, 0x808, 0, 1
        WR 0x808, 0, 0
        WR 0x80f, 0x1ff, 0              ; SPIV: software enabled
        RD 0x80f
        CHECK32 "spiv", eax, 0x1ff

        ; ---- SELF IPI: taken right after the WRMSR
        sti
        WR 0x83f, VEC_SELF, 0
        mov dword [next_ran], 1
        cli
        CHECK32 "self-ipi-taken", [taken], 1
        CHECK32 "self-ipi-before-next-insn", [seen_next], 0
        CHECK32 "self-ipi-in-service", [seen_isr], 1 << (VEC_SELF - 64)
        RD 0x812
        CHECK32 "self-ipi-retired", eax, 0
        GP "rdmsr-self-ipi", rdmsr, 0x83f, 0, 0
        GP "wrmsr-self-ipi-reserved", wrmsr, 0x83f, 0x100 | VEC_SELF, 0

        ; ---- ICR: a fixed IPI, physical destination x2APIC ID 0 (this processor)
        mov dword [taken], 0
        mov dword [next_ran], 0
        sti
        WR 0x830, 0x4000 | VEC_ICR, 0
        mov dword [next_ran], 1
        cli
        CHECK32 "icr-ipi-taken", [taken], 1
        CHECK32 "icr-ipi-before-next-insn", [seen_next], 0
        CHECK32 "icr-ipi-in-service", [seen_isr], 1 << (VEC_ICR - 64)
        RD 0x830
        mov [icr_hi], edx
        CHECK32 "icr-low", eax, 0x4000 | VEC_ICR
        CHECK32 "icr-high", [icr_hi], 0
        GP "wrmsr-icr-delivery-status", wrmsr, 0x830, 0x1000 | VEC_ICR, 0
        mov dword [taken], 0
        sti
        WR 0x830, VEC_ICR, 0x100        ; x2APIC ID 100H: no such processor
        nop
        cli
        CHECK32 "icr-to-other-id-not-taken", [taken], 0

        ; ---- transitions
        GP "x2apic-to-xapic", wrmsr, 0x1b, 0xFEE00900, 0
        WR 0x1b, 0xFEE00000, 0          ; disabled (the BSP bit is read-only)
        RD 0x1b
        CHECK32 "x2apic-to-disabled", eax, 0xFEE00100
        GP "disabled-rdmsr-version", rdmsr, 0x803, 0, 0
        GP "disabled-to-x2apic", wrmsr, 0x1b, 0xFEE00C00, 0
        WR 0x1b, 0xFEE00800, 0
        RD 0x1b
        CHECK32 "disabled-to-xapic", eax, 0xFEE00900
        CHECK32 "xapic-version-again", R(0x30), 0x00050014
        CHECK32 "xapic-tpr-reset", R(0x80), 0
        CHECK32 "xapic-ldr-reset", R(0xd0), 0
        CHECK32 "xapic-dfr-reset", R(0xe0), 0xffffffff
        call checks_done32

setup_idt:
        IDT32_WIDE idt, ipi_handler, VEC_SELF, VEC_ICR
        ret

; Both vectors: note what was seen, then EOI by WRMSR.
ipi_handler:
        pushad
        inc dword [taken]
        mov eax, [next_ran]
        mov [seen_next], eax
        mov ecx, 0x812                  ; ISR bits 95:64
        rdmsr
        mov [seen_isr], eax
        xor eax, eax
        xor edx, edx
        mov ecx, 0x80b
        wrmsr
        popad
        iretd

        align 4, db 0
taken:     dd 0
next_ran:  dd 0
seen_next: dd 0
seen_isr:  dd 0
icr_hi:    dd 0

MB_BSS
        alignb 8
idt:    resb 256 * 8
        resb 4096
stack_top:
MB_END
