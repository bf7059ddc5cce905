; NMI-window exiting with virtual NMIs: the exit (8) comes at once when no
; virtual-NMI blocking holds; an injected NMI sets the blocking (saved in bit 3 of
; the interruptibility state, seen at an MTF exit before the handler's first
; instruction), and the handler's IRET ends it: the exit then comes at the
; instruction the NMI interrupted.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok open-reason
;! stdout: ok open-rip
;! stdout: ok blocked-mtf-reason
;! stdout: ok blocked-state
;! stdout: ok after-iret-reason
;! stdout: ok after-iret-rip
;! stdout: ok after-iret-state
;! stdout: ok nmi-count
;! stdout: ok final-vmcall
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define NMI_EXITING   (1 << 3)
%define VIRTUAL_NMIS  (1 << 5)
%define NMI_WINDOW    (1 << 22)
%define MTF           (1 << 27)
%define INJECT_NMI    0x80000202        ; valid, type 2 (NMI), vector 2

start:
        call idt_setup
        SET_HANDLER 2, nmi_handler
        VMM_SETUP NMI_EXITING | VIRTUAL_NMIS, 0, 0, 0
        VMM_GUEST guest
        VMM_SETBITS VMCS_PROC_CTLS, NMI_WINDOW
        call vmm_run
        CHECK "open-reason", rax, 8
        lea rbx, [rel guest]
        VMM_CHECK "open-rip", VMCS_GUEST_RIP, rbx

        ; Inject an NMI with an MTF exit before its handler: blocking holds there.
        VMM_CLRBITS VMCS_PROC_CTLS, NMI_WINDOW
        VMM_SETBITS VMCS_PROC_CTLS, MTF
        VMM_WRITE VMCS_ENTRY_INTR, INJECT_NMI
        call vmm_run
        CHECK "blocked-mtf-reason", rax, 37
        VMM_CHECK_MASK "blocked-state", VMCS_GUEST_INTERRUPTIBILITY, 8, 8
        ; Now wait for the window: it opens after the handler's IRET.
        VMM_CLRBITS VMCS_PROC_CTLS, MTF
        VMM_SETBITS VMCS_PROC_CTLS, NMI_WINDOW
        call vmm_run
        CHECK "after-iret-reason", rax, 8
        lea rbx, [rel guest]
        VMM_CHECK "after-iret-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK_MASK "after-iret-state", VMCS_GUEST_INTERRUPTIBILITY, 8, 0
        mov rax, [rel nmi_count]
        CHECK "nmi-count", rax, 1
        VMM_CLRBITS VMCS_PROC_CTLS, NMI_WINDOW
        call vmm_run
        CHECK "final-vmcall", rax, 18
        call checks_done

guest:
        nop
        vmcall
        ud2

nmi_handler:
        inc qword [rel nmi_count]
        ret

nmi_count: dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
