; The monitor trap flag and interrupt-window exiting: MTF exits (37) after each
; guest instruction with RIP at the next one, and stops when the VMM clears the
; control; the interrupt window exits (7) at once when the guest enters with
; RFLAGS.IF = 1, and otherwise at the first boundary after STI's one-instruction
; shadow (or after POPF sets IF).
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok mtf1-reason
;! stdout: ok mtf1-rip
;! stdout: ok mtf1-qual
;! stdout: ok mtf2-reason
;! stdout: ok mtf2-rip
;! stdout: ok mtf-off-vmcall
;! stdout: ok iw-open-reason
;! stdout: ok iw-open-rip
;! stdout: ok iw-sti-reason
;! stdout: ok iw-sti-rip
;! stdout: ok iw-popf-reason
;! stdout: ok iw-popf-rip
;! stdout: ok final-vmcall
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define MTF     (1 << 27)
%define IW      (1 << 2)

start:
        call idt_setup
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        VMM_SETBITS VMCS_PROC_CTLS, MTF
        call vmm_run
        CHECK "mtf1-reason", rax, 37
        lea rbx, [rel g1]
        VMM_CHECK "mtf1-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "mtf1-qual", VMCS_EXIT_QUAL, 0
        call vmm_run
        CHECK "mtf2-reason", rax, 37
        lea rbx, [rel g2]
        VMM_CHECK "mtf2-rip", VMCS_GUEST_RIP, rbx
        VMM_CLRBITS VMCS_PROC_CTLS, MTF
        call vmm_run
        CHECK "mtf-off-vmcall", rax, 18
        call vmm_skip

        ; The window is open at entry (IF = 1): the exit precedes any instruction.
        VMM_SETBITS VMCS_PROC_CTLS, IW
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x202
        call vmm_run
        CHECK "iw-open-reason", rax, 7
        lea rbx, [rel g_cli]
        VMM_CHECK "iw-open-rip", VMCS_GUEST_RIP, rbx
        ; IF = 0: the guest's STI opens it after the next instruction.
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x2
        call vmm_run
        CHECK "iw-sti-reason", rax, 7
        lea rbx, [rel g_after_shadow]
        VMM_CHECK "iw-sti-rip", VMCS_GUEST_RIP, rbx
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x2
        lea rax, [rel g_popf]
        VMM_WRITE VMCS_GUEST_RIP, rax
        call vmm_run
        CHECK "iw-popf-reason", rax, 7
        lea rbx, [rel g_after_popf]
        VMM_CHECK "iw-popf-rip", VMCS_GUEST_RIP, rbx
        ; The window open (IF = 1, no shadow) and the control clear: no exit.
        VMM_CLRBITS VMCS_PROC_CTLS, IW
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x202
        call vmm_run
        CHECK "final-vmcall", rax, 18
        call checks_done

guest:
        nop
g1:     nop
g2:     nop
        vmcall
g_cli:  cli                                    ; IF = 0 from here
        nop
        sti
        nop                                    ; in STI's shadow
g_after_shadow:
        nop
        ud2
g_popf: push qword 0x202
        popf
g_after_popf:
        nop
        vmcall
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
