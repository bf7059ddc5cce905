; NMIs from the local APIC (ICR delivery mode 100B, to self) outside VMX, in VMX root
; operation and in VMX non-root operation (SDM Vol. 3A "NMI", Vol. 3C "NMI Exiting").
;  - Outside VMX, with RFLAGS.IF = 0: the NMI is delivered through the IDT as vector 2,
;    its frame RIP the instruction after the ICR write. A second NMI sent from the
;    handler is held (blocking by NMI) until the handler's IRETQ, then taken.
;  - "NMI exiting": the guest's NMI is a VM exit, reason 0, qualification 0, exit
;    interruption information 80000202H (valid, type NMI, vector 2), no IDT-vectoring
;    information, GUEST_RIP after the ICR write, guest interruptibility 0. NMIs are
;    then blocked in VMX root operation: a self-NMI waits for the VMM's next IRETQ.
;  - NMI exiting clear: the guest's NMI goes through the guest's IDT (the same IDT)
;    and the guest runs on to its VMCALL (reason 18). An NMI injected at VM entry
;    (80000202H) whose handler executes VMCALL exits with blocking by NMI (bit 3)
;    in the guest's interruptibility state; the VMM resumes the handler, whose IRETQ
;    ends the blocking, and an NMI held meanwhile (a self-NMI the handler sends
;    before its IRETQ) is taken after it.
;  - An IRETQ that would end blocking by NMI and faults (#GP, the exception bitmap
;    making it an exit) sets bit 12, "NMI unblocking due to IRET", in the exit
;    interruption information (80001B0DH), and blocking by NMI is saved as set.
; Two LPs (the second never started) and --smp-events instruction: a self-IPI is
; seen before the next instruction. With one LP it waits for the engine's next stop
; (smp_kick), by default for the next translated block: both are later.
;! args: --cpus 2 --smp-events instruction --max-insns 20000000
;! status: 1
;! stdout: ok root-count
;! stdout: ok root-rip
;! stdout: ok root-held-in-handler
;! stdout: ok root-after-iret
;! stdout: ok exit-reason
;! stdout: ok exit-qual
;! stdout: ok exit-intr-info
;! stdout: ok exit-idt-vectoring
;! stdout: ok exit-guest-rip
;! stdout: ok exit-interruptibility
;! stdout: ok exit-not-delivered
;! stdout: ok root-blocked-after-exit
;! stdout: ok root-unblocked-by-iret
;! stdout: ok noexit-reason
;! stdout: ok noexit-delivered
;! stdout: ok noexit-rip
;! stdout: ok inject-reason
;! stdout: ok inject-blocking-by-nmi
;! stdout: ok inject-delivered
;! stdout: ok inject-held-in-handler
;! stdout: ok inject-after-iret-reason
;! stdout: ok inject-after-iret-count
;! stdout: ok inject-after-iret-unblocked
;! stdout: ok badiret-reason
;! stdout: ok badiret-intr-info
;! stdout: ok badiret-error
;! stdout: ok badiret-blocking-by-nmi
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define APIC 0xFEE00000
%define ICR_SELF_NMI 0x00044400         ; self, level assert, delivery mode NMI
%define NMI_EXITING (1 << 3)

; Sends this processor an NMI (rax clobbered).
%macro SELF_NMI 0
        mov rax, APIC + 0x300
        mov dword [rax], ICR_SELF_NMI
%endmacro

start:
        call idt_setup
        SET_HANDLER 2, nmi_handler
        VMX_PAGING_WITH_APIC APIC, apic_pd
        mov rbx, APIC
        mov dword [rbx + 0xF0], 0x1FF   ; SPIV: APIC software-enabled

        ; Outside VMX, interrupts masked.
        cli
        SELF_NMI
.root1: nop
        CHECK "root-count", [rel nmi_count], 1
        lea rbx, [rel .root1]
        CHECK "root-rip", [rel nmi_rip], rbx
        mov byte [rel nmi_resend], 1
        SELF_NMI
        nop
        CHECK "root-held-in-handler", [rel nmi_count_inside], 2
        CHECK "root-after-iret", [rel nmi_count], 3

        VMM_SETUP NMI_EXITING, 0, 0, 0
        VMM_GUEST guest
        mov qword [rel nmi_count], 0
        call vmm_run
        CHECK "exit-reason", rax, 0
        VMM_CHECK "exit-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK "exit-intr-info", VMCS_EXIT_INTR, 0x80000202
        VMM_CHECK_MASK "exit-idt-vectoring", VMCS_IDT_VEC_INFO, 0x80000000, 0
        lea rbx, [rel guest.after1]
        VMM_CHECK "exit-guest-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "exit-interruptibility", VMCS_GUEST_INTERRUPTIBILITY, 0
        CHECK "exit-not-delivered", [rel nmi_count], 0
        ; Blocked in VMX root operation after the exit, until an IRETQ.
        SELF_NMI
        nop
        nop
        CHECK "root-blocked-after-exit", [rel nmi_count], 0
        call iret_here
        nop
        CHECK "root-unblocked-by-iret", [rel nmi_count], 1

        ; NMI exiting clear: delivered to the guest.
        VMM_CLRBITS VMCS_PIN_CTLS, NMI_EXITING
        mov qword [rel nmi_count], 0
        call vmm_run
        CHECK "noexit-reason", rax, 18
        CHECK "noexit-delivered", [rel nmi_count], 1
        lea rbx, [rel guest.after2]
        CHECK "noexit-rip", [rel nmi_rip], rbx

        ; An injected NMI whose handler exits: blocking by NMI is saved.
        lea rbx, [rel guest2]
        VMM_WRITE VMCS_GUEST_RIP, rbx
        VMM_WRITE VMCS_ENTRY_INTR, 0x80000202
        mov qword [rel nmi_count], 0
        mov byte [rel nmi_vmcall], 1
        call vmm_run
        CHECK "inject-reason", rax, 18
        VMM_CHECK_MASK "inject-blocking-by-nmi", VMCS_GUEST_INTERRUPTIBILITY, 8, 8
        CHECK "inject-delivered", [rel nmi_count], 1
        call vmm_skip
        call vmm_run                    ; the handler sends an NMI, then IRETQ
        CHECK "inject-held-in-handler", [rel nmi_count_inside], 1
        CHECK "inject-after-iret-reason", rax, 18
        CHECK "inject-after-iret-count", [rel nmi_count], 2
        VMM_CHECK "inject-after-iret-unblocked", VMCS_GUEST_INTERRUPTIBILITY, 0

        ; The IRET ending blocking by NMI faults (#GP: CS beyond the GDT's limit), and
        ; the exception bitmap makes that an exit: "NMI unblocking due to IRET".
        VMM_WRITE VMCS_EXC_BITMAP, 1 << 13
        lea rbx, [rel guest3]
        VMM_WRITE VMCS_GUEST_RIP, rbx
        lea rbx, [rel vmm_guest_stack_top]
        VMM_WRITE VMCS_GUEST_RSP, rbx
        mov byte [rel nmi_badiret], 1
        call vmm_run
        CHECK "badiret-reason", rax, 0
        VMM_CHECK "badiret-intr-info", VMCS_EXIT_INTR, 0x80001B0D
        VMM_CHECK "badiret-error", VMCS_EXIT_INTR_ERR, 0xFFF8
        VMM_CHECK_MASK "badiret-blocking-by-nmi", VMCS_GUEST_INTERRUPTIBILITY, 8, 8
        call checks_done

; An IRETQ to the caller's next instruction, from a frame built here.
iret_here:
        pop rax                         ; return address
        mov rcx, rsp
        push 0x10
        push rcx
        pushfq
        push 0x08
        push rax
        iretq

; Vector 2 (rdi = frame): counts, keeps the frame's RIP; with nmi_resend (once) sends
; another NMI and notes the count before returning; with nmi_vmcall (once) exits to
; the VMM with VMCALL, then does the same as nmi_resend.
nmi_handler:
        cmp byte [rel nmi_badiret], 0
        je .count
        mov byte [rel nmi_badiret], 0
        mov qword [rdi + FR_CS], 0xFFF8
        ret
.count:
        inc qword [rel nmi_count]
        mov rax, [rdi + FR_RIP]
        mov [rel nmi_rip], rax
        cmp byte [rel nmi_vmcall], 0
        je .resend
        mov byte [rel nmi_vmcall], 0
        vmcall
        SELF_NMI
        nop
        nop
        mov rax, [rel nmi_count]
        mov [rel nmi_count_inside], rax
        ret
.resend:
        cmp byte [rel nmi_resend], 0
        je .out
        mov byte [rel nmi_resend], 0
        SELF_NMI
        nop
        nop
        mov rax, [rel nmi_count]
        mov [rel nmi_count_inside], rax
.out:   ret

guest:
        SELF_NMI
.after1:
        nop
        SELF_NMI
.after2:
        nop
        vmcall
        ud2

guest2:
        nop
        vmcall
        ud2

guest3:
        SELF_NMI
        nop
        nop
        ud2

        align 8, db 0
nmi_count: dq 0
nmi_count_inside: dq 0
nmi_rip: dq 0
nmi_resend: db 0
nmi_vmcall: db 0
nmi_badiret: db 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
apic_pd: resb 4096
ELF64_END
