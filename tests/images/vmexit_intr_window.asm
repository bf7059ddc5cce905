; A host interrupt (vector 40H, a self-IPI the VMM sends with RFLAGS.IF = 0, so it
; stays requested in IRR) reaches a guest at the first instruction boundary where
; nothing blocks it, one processor:
;  - external-interrupt exiting with "acknowledge interrupt on exit", VM entry with
;    blocking by STI (interruptibility bit 0, RFLAGS.IF = 1): the guest's first
;    instruction (NOP) runs in the shadow, then the exit (reason 1, 80000040H) comes
;    with GUEST_RIP at the instruction after it;
;  - without external-interrupt exiting, a guest entered with IF = 0 runs
;    sti; nop; cli: the interrupt is delivered through the guest's IDT after the NOP,
;    and its handler sees the CLI's RIP as the interrupted one; the guest then exits
;    with VMCALL (reason 18);
;  - virtual-interrupt delivery (RVI 50H, VTPR 0) and the same sti; nop; cli in the
;    guest: the virtual interrupt is delivered after the NOP (the CLI's RIP again);
;  - VM entry in the HLT activity state with RFLAGS.IF = 1 and RVI 50H: the virtual
;    interrupt wakes the guest (SDM "Virtual-Interrupt Delivery"), its handler sees
;    the guest RIP of the entry, and the guest goes on to its VMCALL.
;! status: 1
;! stdout: ok shadow-exit-reason
;! stdout: ok shadow-exit-intr-info
;! stdout: ok shadow-exit-rip
;! stdout: ok guest-idt-reason
;! stdout: ok guest-idt-taken
;! stdout: ok guest-idt-rip
;! stdout: ok vid-reason
;! stdout: ok vid-taken
;! stdout: ok vid-rip
;! stdout: ok vid-hlt-reason
;! stdout: ok vid-hlt-taken
;! stdout: ok vid-hlt-rip
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define APIC 0xFEE00000
%define ACK_ON_EXIT (1 << 15)
%define PROC_TPR_SHADOW (1 << 21)
%define PROC_SECONDARY (1 << 31)
%define APIC_ACC 1
%define VID (1 << 9)

%macro SELF_IPI 1
        APIC_WRITE 0x300, 0x00040000 | %1   ; fixed, to self (IF = 0: stays in IRR)
%endmacro

start:
        call idt_setup
        VMX_PAGING_WITH_APIC APIC, apic_pd
        APIC_WRITE 0xF0, 0x1FF          ; SPIV: APIC software-enabled
        VMM_SETUP 1, 0, ACK_ON_EXIT, 0  ; external-interrupt exiting
        VMM_GUEST_GATE 0x40, ghandler
        VMM_GUEST_GATE 0x50, ghandler_virt
        lea rax, [rel guest_idt]
        VMM_WRITE VMCS_GUEST_IDTR_BASE, rax
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, 256 * 16 - 1

        ; ---- external-interrupt exiting, entry in STI's shadow
        SELF_IPI 0x40
        VMM_GUEST g_shadow
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x202
        VMM_WRITE VMCS_GUEST_INTERRUPTIBILITY, 1
        call vmm_run
        CHECK "shadow-exit-reason", rax, 1
        VMM_CHECK "shadow-exit-intr-info", VMCS_EXIT_INTR, 0x80000040
        lea rbx, [rel g_shadow.after]
        VMM_CHECK "shadow-exit-rip", VMCS_GUEST_RIP, rbx
        APIC_WRITE 0xB0, 0              ; EOI

        ; ---- delivered through the guest's IDT
        VMM_CLRBITS VMCS_PIN_CTLS, 1
        SELF_IPI 0x40
        VMM_GUEST g_sti
        VMM_WRITE VMCS_GUEST_RFLAGS, 2
        VMM_WRITE VMCS_GUEST_INTERRUPTIBILITY, 0
        call vmm_run
        CHECK "guest-idt-reason", rax, 18
        CHECK "guest-idt-taken", [rel taken], 1
        lea rbx, [rel g_sti.cli]
        CHECK "guest-idt-rip", [rel seen_rip], rbx

        ; ---- virtual-interrupt delivery
        VMM_SETBITS VMCS_PIN_CTLS, 1
        VMM_READ VMCS_PROC_CTLS
        or eax, PROC_SECONDARY | PROC_TPR_SHADOW
        mov rcx, rax
        VMM_WRITE VMCS_PROC_CTLS, rcx
        VMM_WRITE VMCS_PROC2_CTLS, APIC_ACC | VID
        lea rax, [rel apic_page]
        VMM_WRITE VMCS_APIC_ACCESS_ADDR, rax
        lea rax, [rel vapic_page]
        VMM_WRITE VMCS_VAPIC_ADDR, rax
        VMM_WRITE VMCS_TPR_THRESHOLD, 0
        VMM_WRITE VMCS_GUEST_INTR_STATUS, 0x50      ; RVI 50H, SVI 0
        mov dword [rel taken], 0
        VMM_GUEST g_sti
        VMM_WRITE VMCS_GUEST_RFLAGS, 2
        call vmm_run
        CHECK "vid-reason", rax, 18
        CHECK "vid-taken", [rel taken], 1
        lea rbx, [rel g_sti.cli]
        CHECK "vid-rip", [rel seen_rip], rbx

        ; ---- a virtual interrupt wakes the HLT activity state
        mov dword [rel vapic_page + 0x120], 0       ; VISR: 50H retired
        mov dword [rel vapic_page + 0xa0], 0        ; VPPR
        VMM_WRITE VMCS_GUEST_INTR_STATUS, 0x50      ; RVI 50H, SVI 0
        mov dword [rel taken], 0
        VMM_GUEST g_halted
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x202
        VMM_WRITE VMCS_GUEST_ACTIVITY, 1
        call vmm_run
        CHECK "vid-hlt-reason", rax, 18
        CHECK "vid-hlt-taken", [rel taken], 1
        lea rbx, [rel g_halted]
        CHECK "vid-hlt-rip", [rel seen_rip], rbx
        call checks_done

g_halted:
        vmcall
        ud2

g_shadow:
        nop
.after: cli
        vmcall
        ud2

g_sti:
        sti
        nop
.cli:   cli
        vmcall
        ud2

; Vector 40H: the interrupted RIP, then EOI to the (host's) APIC.
ghandler:
        push rax
        mov rax, [rsp + 8]
        mov [rel seen_rip], rax
        inc dword [rel taken]
        mov rax, APIC + 0xB0
        mov dword [rax], 0
        pop rax
        iretq

; Vector 50H, virtual: no EOI (the guest exits right after).
ghandler_virt:
        push rax
        mov rax, [rsp + 8]
        mov [rel seen_rip], rax
        inc dword [rel taken]
        pop rax
        iretq

        align 8, db 0
seen_rip: dq 0
taken:    dd 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
apic_pd:    resb 4096
apic_page:  resb 4096
vapic_page: resb 4096
guest_idt:  resb 256 * 16
ELF64_END
