; CPUID in a 64-bit guest is a VM exit (reason 10, fault-like): the exit fields,
; the guest state saved at the CPUID (RIP of the CPUID, RSP, RFLAGS), GPRs other than
; RSP passing through both ways, the host state loaded at the exit (RSP = HOST_RSP,
; RFLAGS = 2, CS/SS/DS selectors, GDTR/IDTR limits FFFFh); then the VMM emulates
; the CPUID, advances GUEST_RIP by the instruction length and the guest goes on to a
; VMCALL (reason 18).
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok cpuid-reason
;! stdout: ok cpuid-len
;! stdout: ok cpuid-qual
;! stdout: ok cpuid-intr-info
;! stdout: ok cpuid-idt-vectoring
;! stdout: ok cpuid-guest-rip
;! stdout: ok cpuid-guest-rsp
;! stdout: ok cpuid-guest-rflags
;! stdout: ok cpuid-guest-rax
;! stdout: ok cpuid-guest-rcx
;! stdout: ok cpuid-host-gpr-in
;! stdout: ok cpuid-guest-gpr-out
;! stdout: ok host-rsp
;! stdout: ok host-rflags
;! stdout: ok host-cs
;! stdout: ok host-ss
;! stdout: ok host-ds
;! stdout: ok host-gdtr-limit
;! stdout: ok host-idtr-limit
;! stdout: ok host-gdtr-base
;! stdout: ok vmcall-reason
;! stdout: ok vmcall-len
;! stdout: ok vmcall-guest-rip
;! stdout: ok guest-saw-eax
;! stdout: ok guest-saw-ebx
;! stdout: ok guest-rsp-back
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

start:
        call idt_setup
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        mov rbx, 0x1234567890abcdef     ; the guest's RBX at entry
        mov r14, 0x5151515151515151
        call vmm_run
        CHECK "cpuid-reason", rax, 10
        VMM_CHECK "cpuid-len", VMCS_EXIT_INSLEN, 2
        VMM_CHECK "cpuid-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK_MASK "cpuid-intr-info", VMCS_EXIT_INTR, 0x80000000, 0
        VMM_CHECK_MASK "cpuid-idt-vectoring", VMCS_IDT_VEC_INFO, 0x80000000, 0
        VMM_CHECK "cpuid-guest-rip", VMCS_GUEST_RIP, guest.cpuid
        VMM_CHECK "cpuid-guest-rsp", VMCS_GUEST_RSP, vmm_guest_stack_top - 0x18
        VMM_CHECK "cpuid-guest-rflags", VMCS_GUEST_RFLAGS, 0x8d7
        CHECK "cpuid-guest-rax", VMM_GREG(0), 0x80000000    ; the leaf, not a result
        CHECK "cpuid-guest-rcx", rcx, 0x77
        CHECK "cpuid-host-gpr-in", rbx, 0x1234567890abcdef
        CHECK "cpuid-guest-gpr-out", r14, 0x4242424242424242
        CHECK "host-rsp", [rel vmm_exit_rsp], vmm_host_stack_top
        CHECK "host-rflags", [rel vmm_exit_rflags], 2
        movzx eax, word [rel vmm_exit_cs]
        CHECK "host-cs", rax, 0x08
        movzx eax, word [rel vmm_exit_ss]
        CHECK "host-ss", rax, 0x10
        movzx eax, word [rel vmm_exit_ds]
        CHECK "host-ds", rax, 0x10
        movzx eax, word [rel vmm_exit_gdtr]
        CHECK "host-gdtr-limit", rax, 0xffff
        movzx eax, word [rel vmm_exit_idtr]
        CHECK "host-idtr-limit", rax, 0xffff
        mov rax, [rel vmm_exit_gdtr + 2]
        CHECK "host-gdtr-base", rax, [rel vmm_gdtr + 2]

        ; Emulate CPUID: the guest's EAX/EBX come from the VMM's registers.
        call vmm_skip
        mov eax, 0xfeedf00d
        mov ebx, 0x0b0b0b0b
        call vmm_run
        CHECK "vmcall-reason", rax, 18
        VMM_CHECK "vmcall-len", VMCS_EXIT_INSLEN, 3
        VMM_CHECK "vmcall-guest-rip", VMCS_GUEST_RIP, guest.vmcall
        CHECK "guest-saw-eax", r8, 0xfeedf00d
        CHECK "guest-saw-ebx", r9, 0x0b0b0b0b
        VMM_CHECK "guest-rsp-back", VMCS_GUEST_RSP, vmm_guest_stack_top
        call checks_done

guest:
        mov r14, 0x4242424242424242
        mov ecx, 0x77
        mov eax, 0x80000000
        push qword 0x8d7                ; CF PF AF ZF SF OF
        popfq
        lea rsp, [rsp - 0x18]
.cpuid: cpuid
        mov r8, rax
        mov r9, rbx
        lea rsp, [rsp + 0x18]
.vmcall:
        vmcall
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
