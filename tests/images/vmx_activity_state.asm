; VM entry in the HLT and shutdown activity states (SDM Vol. 3, "Guest
; Non-Register State" and "VMX-Preemption Timer"; IA32_VMX_MISC bits 6 and 7):
; the guest runs no instruction until an event wakes it. In HLT the preemption
; timer still counts and exits (reason 52) saving activity 1 with RIP unchanged;
; an interrupt pending in the APIC gives an external-interrupt exit (reason 1)
; that saves activity 1; an event injected at entry is delivered and wakes it
; (saved activity 0 at its next exit). In shutdown an interrupt does not wake it
; (no exit 1): the timer exits saving activity 2. Last, a HLT entry with nothing
; to wake the guest halts the machine as a guest HLT with no interrupt source
; does. Two LPs (the second never started), as in vmexit_external_interrupt.
;! args: --cpus 2 --max-insns 20000000
;! status: 0
;! stdout: ok hlt-timer-reason
;! stdout: ok hlt-timer-activity
;! stdout: ok hlt-timer-rip
;! stdout: ok hlt-timer-guest-did-not-run
;! stdout: ok hlt-inject-reason
;! stdout: ok hlt-inject-delivered
;! stdout: ok hlt-inject-activity
;! stdout: ok hlt-intr-reason
;! stdout: ok hlt-intr-info
;! stdout: ok hlt-intr-activity
;! stdout: ok hlt-intr-rip
;! stdout: ok shutdown-reason
;! stdout: ok shutdown-activity
;! stdout: ok shutdown-rip
;! stdout: ok shutdown-intr-still-pending
;! stdout: ok shutdown-guest-did-not-run
;! stderr: halted at RIP=0x[0-9a-f]+ \(lp0, the last to halt
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define APIC 0xFEE00000
%define IRR_40 0x220                    ; IRR bits 95:64: vector 40H is bit 0
%define TIMER_VALUE 0x482e
%define ACK_ON_EXIT (1 << 15)

start:
        call idt_setup
        SET_HANDLER 20, on_vector20
        VMX_PAGING_WITH_APIC APIC, apic_pd
        APIC_WRITE 0xF0, 0x1FF          ; SPIV: APIC software-enabled
        VMM_SETUP (1 << 6) | 1, 0, (1 << 22) | ACK_ON_EXIT, 0  ; timer, ext-int exiting

        ; HLT, only the timer: exit 52 at the guest's first instruction, not run.
        VMM_GUEST guest
        VMM_WRITE TIMER_VALUE, 1000
        VMM_WRITE VMCS_GUEST_ACTIVITY, 1
        xor r12d, r12d
        call vmm_run
        CHECK "hlt-timer-reason", rax, 52
        VMM_CHECK "hlt-timer-activity", VMCS_GUEST_ACTIVITY, 1
        lea rbx, [rel guest]
        VMM_CHECK "hlt-timer-rip", VMCS_GUEST_RIP, rbx
        CHECK "hlt-timer-guest-did-not-run", r12, 0

        ; HLT with an external interrupt (vector 20) injected: delivered through
        ; the guest's IDT, after which the guest runs to its VMCALL.
        VMM_WRITE VMCS_GUEST_ACTIVITY, 1
        VMM_WRITE TIMER_VALUE, 100000
        VMM_WRITE VMCS_ENTRY_INTR, 0x80000014
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x202      ; IF = 1, as injecting one requires
        mov qword [rel woke], 0
        call vmm_run
        CHECK "hlt-inject-reason", rax, 18
        CHECK "hlt-inject-delivered", [rel woke], 1
        VMM_CHECK "hlt-inject-activity", VMCS_GUEST_ACTIVITY, 0

        ; HLT with vector 40H requested in the APIC (the VMM's IF is 0):
        ; external-interrupt exiting exits at once, saving the HLT state.
        VMM_GUEST guest
        VMM_WRITE VMCS_GUEST_RFLAGS, 2
        VMM_WRITE VMCS_GUEST_ACTIVITY, 1
        VMM_WRITE TIMER_VALUE, 100000
        APIC_WRITE 0x300, 0x44040       ; ICR: self, fixed, vector 40H
        xor r12d, r12d
        call vmm_run
        CHECK "hlt-intr-reason", rax, 1
        VMM_CHECK "hlt-intr-info", VMCS_EXIT_INTR, 0x80000040
        VMM_CHECK "hlt-intr-activity", VMCS_GUEST_ACTIVITY, 1
        lea rbx, [rel guest]
        VMM_CHECK "hlt-intr-rip", VMCS_GUEST_RIP, rbx
        APIC_WRITE 0xB0, 0              ; EOI

        ; Shutdown with vector 40H requested again: no exit 1, the timer's.
        VMM_CLRBITS VMCS_EXIT_CTLS, ACK_ON_EXIT
        VMM_WRITE VMCS_GUEST_ACTIVITY, 2
        VMM_WRITE TIMER_VALUE, 1000
        APIC_WRITE 0x300, 0x44040
        call vmm_run
        CHECK "shutdown-reason", rax, 52
        VMM_CHECK "shutdown-activity", VMCS_GUEST_ACTIVITY, 2
        lea rbx, [rel guest]
        VMM_CHECK "shutdown-rip", VMCS_GUEST_RIP, rbx
        APIC_READ IRR_40
        CHECK "shutdown-intr-still-pending", rax, 1
        CHECK "shutdown-guest-did-not-run", r12, 0

        ; HLT with nothing to wake it (no timer, no interrupt exiting, IF = 0 and
        ; the interrupt still requested): the machine halts.
        VMM_CLRBITS VMCS_PIN_CTLS, (1 << 6) | 1
        VMM_CLRBITS VMCS_EXIT_CTLS, 1 << 22
        VMM_WRITE VMCS_GUEST_ACTIVITY, 1
        call vmm_run
        PUTSLN "BAD the halted guest ran"
        exit_with 1

guest:
        mov r12d, 1
        vmcall
        ud2

on_vector20:
        mov qword [rel woke], 1
        ret

ELF64_BSS
woke:   resq 1
        alignb 4096
apic_pd: resb 4096
VMX_BSS
VMM64_BSS
ELF64_END
