; A guest that owns the local APIC timer (no external-interrupt exiting, pin-based
; control 0): it arms a one-shot count of 1 tick by its own MMIO write to the
; initial-count register with RFLAGS.IF = 1, the interrupt comes through its own
; IDT right after that instruction, its handler returns (IRETQ) and the guest goes
; on. Nothing before the store may run twice: the store's block bumps a counter
; and adds to the address register before it (kvm-unit-tests' vmx "interrupt"
; test took a #PF here: the block was run again from its start after the handler,
; the address doubled). The first write to the timer is also the first time the
; run needs a clock, so the engines start counting at that store.
;! status: 1
;! stdout: ok vmcall-reason
;! stdout: ok timer-taken
;! stdout: ok block-ran-once
;! stdout: ok address-kept
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"
%include "lapic_timer_once.inc"

%define APIC 0xFEE00000
%define VEC 0x70

start:
        call idt_setup
        VMX_PAGING_WITH_APIC APIC, apic_pd
        TIMER_ONCE_APIC_SETUP
        VMM_SETUP 0, 0, 0, 0            ; the guest takes external interrupts itself
        VMM_GUEST guest
        VMM_GUEST_GATE VEC, timer_once_handler
        lea rax, [rel guest_idt]
        VMM_WRITE VMCS_GUEST_IDTR_BASE, rax
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, 0x80 * 16 - 1
        call vmm_run
        CHECK "vmcall-reason", rax, 18
        TIMER_ONCE_CHECKS
        call checks_done

guest:
        TIMER_ONCE_RUN
        vmcall
TIMER_ONCE_CODE

ELF64_BSS
TIMER_ONCE_BSS
        alignb 4096
apic_pd:  resb 4096
guest_idt: resb 0x80 * 16
VMX_BSS
VMM64_BSS
ELF64_END
