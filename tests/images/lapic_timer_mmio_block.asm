; Root operation, the same as vmx_guest_lapic_timer.asm without VMX: the first write to
; the timer's initial-count register (a one-shot count of 1 with RFLAGS.IF = 1) is the
; first time the run needs a clock, and the engine must stop to count instructions
; from there. Unicorn leaves a block right after the access that asked for the stop,
; with RIP at the block's start: nothing before the store may run twice (the counter
; is bumped once, the address is not doubled) and the interrupt comes after it.
;! status: 1
;! stdout: ok timer-taken
;! stdout: ok block-ran-once
;! stdout: ok address-kept
;! not-stdout: BAD
;! not-stderr: triple
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "lapic_timer_once.inc"
%define APIC 0xFEE00000
%define VEC 0x70
start:
        call idt_setup
        VMX_PAGING_WITH_APIC APIC, apic_pd
        GATE64_SET myidt + VEC * 16, timer_once_handler
        lidt [rel idtr]
        TIMER_ONCE_APIC_SETUP
        TIMER_ONCE_RUN
        TIMER_ONCE_CHECKS
        call checks_done
TIMER_ONCE_CODE
idtr:   dw 0x80 * 16 - 1
        dq myidt
ELF64_BSS
TIMER_ONCE_BSS
        alignb 4096
apic_pd:  resb 4096
        alignb 16
myidt:    resb 0x80 * 16
VMX_BSS
ELF64_END
