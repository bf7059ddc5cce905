; Interrupt-window and NMI-window exiting when VM entry leaves the guest in a
; MOV-SS or STI shadow (GUEST_INTERRUPTIBILITY_INFO bits 1, 0; SDM Vol. 3C
; "Interrupt-Window Exiting and Virtual-Interrupt Delivery", "NMI-Window Exiting"):
; the window is open only once the blocking has ended, after the guest's first
; instruction, so the exit comes with RIP past it; without blocking, before it.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok irq-open-reason
;! stdout: ok irq-open-rip
;! stdout: ok irq-movss-reason
;! stdout: ok irq-movss-rip
;! stdout: ok irq-sti-reason
;! stdout: ok irq-sti-rip
;! stdout: ok nmi-open-reason
;! stdout: ok nmi-open-rip
;! stdout: ok nmi-movss-reason
;! stdout: ok nmi-movss-rip
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define NMI_EXITING  (1 << 3)
%define VIRTUAL_NMIS (1 << 5)
%define IRQ_WINDOW   (1 << 2)
%define NMI_WINDOW   (1 << 22)

; one entry at guest with RFLAGS and interruptibility as given; rax = exit reason
%macro ENTER_AT_GUEST 2
        VMM_WRITE VMCS_GUEST_RIP, guest
        VMM_WRITE VMCS_GUEST_RFLAGS, %1
        VMM_WRITE VMCS_GUEST_INTERRUPTIBILITY, %2
        call vmm_run
%endmacro

start:
        call idt_setup
        VMM_SETUP NMI_EXITING | VIRTUAL_NMIS, IRQ_WINDOW, 0, 0
        VMM_GUEST guest
        ENTER_AT_GUEST 0x202, 0
        CHECK "irq-open-reason", rax, 7
        VMM_CHECK "irq-open-rip", VMCS_GUEST_RIP, guest
        ENTER_AT_GUEST 0x202, 2                 ; blocking by MOV SS
        CHECK "irq-movss-reason", rax, 7
        VMM_CHECK "irq-movss-rip", VMCS_GUEST_RIP, guest + 1
        ENTER_AT_GUEST 0x202, 1                 ; blocking by STI
        CHECK "irq-sti-reason", rax, 7
        VMM_CHECK "irq-sti-rip", VMCS_GUEST_RIP, guest + 1

        VMM_CLRBITS VMCS_PROC_CTLS, IRQ_WINDOW
        VMM_SETBITS VMCS_PROC_CTLS, NMI_WINDOW
        ENTER_AT_GUEST 0x2, 0
        CHECK "nmi-open-reason", rax, 8
        VMM_CHECK "nmi-open-rip", VMCS_GUEST_RIP, guest
        ENTER_AT_GUEST 0x2, 2                   ; blocking by MOV SS
        CHECK "nmi-movss-reason", rax, 8
        VMM_CHECK "nmi-movss-rip", VMCS_GUEST_RIP, guest + 1
        call checks_done

guest:
        nop
        nop
        vmcall
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
