; Where an IPI is taken with several processors (docs/machine.md, "Several
; processors"). Across processors: the target is not running while the sender
; runs, and takes a fixed IPI at the start of its next turn, before any of its
; instructions: the AP spins with interrupts enabled watching a flag that the BSP
; sets in the same translated block as the ICR write, and must take vector 40H
; without ever seeing the flag set. To itself, with --smp-events block: the
; sender runs on to the end of the translated block of the ICR write (nothing
; stops the engine inside a block then) and takes vector 41H at the next one, so
; the handler sees the three MOVs after the write done and returns to the JMP's
; target. (By default it is taken before the next instruction, as
; vmexit_external_interrupt shows.)
;! args: --cpus 2 --smp-events block
;! status: 1
;! stdout: ok ap-took-the-ipi
;! stdout: ok ap-never-saw-the-flag-first
;! stdout: ok flag-set-when-taken
;! stdout: ok self-ipi-after-the-block
;! stdout: ok self-ipi-returns-to-the-next-block
;! not-stderr: triple

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"
%include "smp.inc"
%define AP_ENTRY ap32

; interrupt gate %1 to %2, selector CS (28H: the AP's trampoline uses it too)
%macro SET_GATE 2
        mov eax, %2
        mov [idt + (%1) * 8], ax
        mov [idt + (%1) * 8 + 2], cs
        mov word [idt + (%1) * 8 + 4], 0x8e00
        shr eax, 16
        mov [idt + (%1) * 8 + 6], ax
%endmacro

start:
        mov esp, stack_top
        SET_GATE 0x40, ipi40
        SET_GATE 0x41, ipi41
        lidt [idt_ptr]
        mov dword [APIC + 0xF0], 0x1ff          ; SPIV: software-enabled
        SMP_COPY_TRAMPOLINE
        SMP_START_AP 1
.ready: pause
        cmp dword [ap_ready], 1
        jne .ready
        ; the flag and the IPI in one block: no turn ends between them
        mov dword [sent], 1
        mov dword [APIC + 0x310], 1 << 24
        mov dword [APIC + 0x300], 0x00004040    ; fixed, vector 40H, to APIC ID 1
.wait:  pause
        cmp dword [ap_late], 0
        jne .checks
        cmp dword [ap_got], 1
        jne .wait
.checks:
        CHECK32 "ap-took-the-ipi", [ap_got], 1
        CHECK32 "ap-never-saw-the-flag-first", [ap_late], 0
        CHECK32 "flag-set-when-taken", [ap_flag_at_ipi], 1

        xor ecx, ecx
        sti
        nop
        mov dword [APIC + 0x310], 0
        mov dword [APIC + 0x300], 0x00044041    ; fixed, vector 41H, to self
        mov ecx, 1
        mov ecx, 2
        mov ecx, 3
        jmp .next
.next:  cli
        CHECK32 "self-ipi-after-the-block", [self_ecx], 3
        CHECK32 "self-ipi-returns-to-the-next-block", [self_eip], .next
        jmp checks_done32

ap32:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, ap_stack_top
        lidt [idt_ptr]
        mov dword [APIC + 0xF0], 0x1ff
        sti
.spin:  mov dword [ap_ready], 1                 ; after STI's shadow: it can take 40H
        cmp dword [sent], 0
        jne .late
        jmp .spin
.late:  mov dword [ap_late], 1
.idle:  cli
        hlt
        jmp .idle

ipi40:  mov eax, [sent]
        mov [ap_flag_at_ipi], eax
        mov dword [APIC + 0xB0], 0              ; EOI
        mov dword [ap_got], 1
        jmp ap32.idle

ipi41:  mov [self_ecx], ecx
        mov eax, [esp]
        mov [self_eip], eax
        mov dword [APIC + 0xB0], 0
        iret

SMP_TRAMPOLINE

        align 8
idt:    times 0x42 dq 0                         ; gates 40H and 41H filled by set_gate
idt_end:
idt_ptr:
        dw idt_end - idt - 1
        dd idt

sent:           dd 0
ap_ready:       dd 0
ap_late:        dd 0
ap_got:         dd 0
ap_flag_at_ipi: dd 0
self_ecx:       dd -1
self_eip:       dd 0

MB_BSS
        resb 1024
ap_stack_top:
        resb 4096
stack_top:
MB_END
