; A processor that runs nothing keeps time (docs/machine.md, "Virtual time"): an AP
; waiting for a start-up IPI or halted has a TSC that counts, so its clock catches up
; with the sender's when an IPI reaches it, and it never reads a TSC below the one
; its waker read before sending. The BSP runs some 400000 instructions before the
; SIPI (the AP's first RDTSC must not be below the BSP's last one before it), then
; about 600000 more while the AP is halted with interrupts enabled (HLT, no timer),
; then sends it fixed vector 40H: the TSC the AP reads in the handler must not be
; below the BSP's RDTSC before the ICR write. Before the catch-up both read their
; own clock as it was when they stopped, hundreds of thousands of ticks behind.
;! args: --cpus 2
;! status: 1
;! stdout: ok ap-started-after-the-sipi
;! stdout: ok ap-woke-after-the-ipi
;! not-stderr: triple

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"
%include "smp.inc"
%define AP_ENTRY ap32

; CHECK32 that the 64-bit TSC at %2 is not below the one at %3 (their difference,
; signed, is >= 0; clobbers eax, edx)
%macro CHECK_TSC_NOT_BELOW 3
        mov eax, [%2]
        mov edx, [%2 + 4]
        sub eax, [%3]
        sbb edx, [%3 + 4]
        shr edx, 31
        CHECK32 %1, edx, 0
%endmacro

start:
        mov esp, stack_top
        mov eax, ipi40
        mov [idt + 0x40 * 8], ax
        mov [idt + 0x40 * 8 + 2], cs
        mov word [idt + 0x40 * 8 + 4], 0x8e00
        shr eax, 16
        mov [idt + 0x40 * 8 + 6], ax
        lidt [idt_ptr]
        mov dword [APIC + 0xF0], 0x1ff          ; SPIV: software-enabled
        mov ecx, 200000
.before_sipi:
        dec ecx
        jnz .before_sipi
        SMP_COPY_TRAMPOLINE
        rdtsc
        mov [bsp_sipi_tsc], eax
        mov [bsp_sipi_tsc + 4], edx
        SMP_START_AP 1
.ready: pause
        cmp dword [ap_halting], 1
        jne .ready
        mov ecx, 300000
.while_halted:
        dec ecx
        jnz .while_halted
        rdtsc
        mov [bsp_ipi_tsc], eax
        mov [bsp_ipi_tsc + 4], edx
        mov dword [APIC + 0x310], 1 << 24
        mov dword [APIC + 0x300], 0x00004040    ; fixed, vector 40H, to APIC ID 1
.wait:  pause
        cmp dword [ap_woke], 1
        jne .wait
        CHECK_TSC_NOT_BELOW "ap-started-after-the-sipi", ap_start_tsc, bsp_sipi_tsc
        CHECK_TSC_NOT_BELOW "ap-woke-after-the-ipi", ap_wake_tsc, bsp_ipi_tsc
        jmp checks_done32

ap32:
        SMP_AP_PROLOGUE ap_stacks
        rdtsc
        mov [ap_start_tsc], eax
        mov [ap_start_tsc + 4], edx
        lidt [idt_ptr]
        mov dword [APIC + 0xF0], 0x1ff
        mov dword [ap_halting], 1
        sti
.idle:  hlt
        jmp .idle

ipi40:  rdtsc
        mov [ap_wake_tsc], eax
        mov [ap_wake_tsc + 4], edx
        mov dword [APIC + 0xB0], 0              ; EOI
        mov dword [ap_woke], 1
.done:  cli
        hlt
        jmp .done

SMP_TRAMPOLINE

        align 8
idt:    times 0x41 dq 0                         ; gate 40H filled at start
idt_end:
idt_ptr:
        dw idt_end - idt - 1
        dd idt

        align 8
bsp_sipi_tsc:   dq 0
bsp_ipi_tsc:    dq 0
ap_start_tsc:   dq 0
ap_wake_tsc:    dq 0
ap_halting:     dd 0
ap_woke:        dd 0

MB_BSS
ap_stacks:
        resb 2 * 1024
        resb 4096
stack_top:
MB_END
