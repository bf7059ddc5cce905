; External-interrupt exiting (pin-based control 0) with the local APIC as the source:
; the guest sends itself a fixed IPI (vector 40H) through the ICR. With "acknowledge
; interrupt on exit" the exit (reason 1, qualification 0) carries the vector in the
; VM-exit interruption information (80000040H) and the APIC has moved it from IRR
; to ISR; without it the information is not valid (bit 31 clear) and the vector stays
; requested in IRR. Either way GUEST_RIP is the instruction after the ICR write and
; RFLAGS.IF = 0 does not hold the exit back. With the control clear, the interrupt
; (IF = 0) stays pending and the guest runs on to its VMCALL. Two LPs (the second
; never started) and --smp-events instruction: a self-IPI is seen before the next
; instruction. With one LP it waits for the engine's next stop (smp_kick), by
; default for the next translated block: both are later.
;! args: --cpus 2 --smp-events instruction --max-insns 20000000
;! status: 1
;! stdout: ok ack-reason
;! stdout: ok ack-qual
;! stdout: ok ack-intr-info
;! stdout: ok ack-guest-rip
;! stdout: ok ack-in-isr
;! stdout: ok ack-not-in-irr
;! stdout: ok noack-reason
;! stdout: ok noack-intr-info
;! stdout: ok noack-guest-rip
;! stdout: ok noack-in-irr
;! stdout: ok noexit-reason
;! stdout: ok noexit-still-in-irr
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define APIC 0xFEE00000
%define ISR_40 0x120                    ; ISR bits 95:64: vector 40H is bit 0
%define IRR_40 0x220
%define ACK_ON_EXIT (1 << 15)

start:
        call idt_setup
        VMX_PAGING_WITH_APIC APIC, apic_pd
        APIC_WRITE 0xF0, 0x1FF          ; SPIV: APIC software-enabled
        VMM_SETUP 1, 0, ACK_ON_EXIT, 0  ; external-interrupt exiting
        VMM_GUEST guest
        call vmm_run
        CHECK "ack-reason", rax, 1
        VMM_CHECK "ack-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK "ack-intr-info", VMCS_EXIT_INTR, 0x80000040
        lea rbx, [rel guest.after1]
        VMM_CHECK "ack-guest-rip", VMCS_GUEST_RIP, rbx
        APIC_READ ISR_40
        CHECK "ack-in-isr", rax, 1
        APIC_READ IRR_40
        CHECK "ack-not-in-irr", rax, 0
        APIC_WRITE 0xB0, 0              ; EOI

        VMM_CLRBITS VMCS_EXIT_CTLS, ACK_ON_EXIT
        call vmm_run
        CHECK "noack-reason", rax, 1
        VMM_CHECK_MASK "noack-intr-info", VMCS_EXIT_INTR, 0x80000000, 0
        lea rbx, [rel guest.after2]
        VMM_CHECK "noack-guest-rip", VMCS_GUEST_RIP, rbx
        APIC_READ IRR_40
        CHECK "noack-in-irr", rax, 1

        VMM_CLRBITS VMCS_PIN_CTLS, 1
        call vmm_run
        CHECK "noexit-reason", rax, 18
        APIC_READ IRR_40
        CHECK "noexit-still-in-irr", rax, 1
        call checks_done

guest:
        mov rax, APIC + 0x300
        mov dword [rax], 0x00040040     ; fixed, vector 40H, to self
.after1:
        nop
        mov rax, APIC + 0x300           ; (the VMM's registers come back at entry)
        mov dword [rax], 0x00040040
.after2:
        nop
        vmcall
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
apic_pd: resb 4096
ELF64_END
