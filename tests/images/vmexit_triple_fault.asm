; A triple fault in a guest is a VM exit (reason 2), not a shutdown of the machine:
; the guest loads an IDT with limit 0 and executes UD2, so #UD, then #GP and #DF
; cannot be delivered. The exit has qualification 0, no valid interruption or
; IDT-vectoring information, and GUEST_RIP = the UD2; the host state is loaded as
; for any exit. The VMM then repairs the guest's IDTR, moves GUEST_RIP on, and the
; guest runs to a VMCALL.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok tf-reason
;! stdout: ok tf-qual
;! stdout: ok tf-intr-info
;! stdout: ok tf-idt-vectoring
;! stdout: ok tf-guest-rip
;! stdout: ok tf-guest-idtr-limit
;! stdout: ok tf-host-rsp
;! stdout: ok tf-host-rflags
;! stdout: ok tf-host-idtr-limit
;! stdout: host-idt-works: EXC 06 ERR 00000000 RIP ok
;! stdout: ok resumed-vmcall
;! stdout: ok resumed-guest-ran
;! not-stderr: triple fault \(shutdown\)

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

start:
        call idt_setup
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        call vmm_run
        CHECK "tf-reason", rax, 2
        VMM_CHECK "tf-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK_MASK "tf-intr-info", VMCS_EXIT_INTR, 0x80000000, 0
        VMM_CHECK_MASK "tf-idt-vectoring", VMCS_IDT_VEC_INFO, 0x80000000, 0
        VMM_CHECK "tf-guest-rip", VMCS_GUEST_RIP, guest.ud
        VMM_CHECK "tf-guest-idtr-limit", VMCS_GUEST_IDTR_LIMIT, 0
        CHECK "tf-host-rsp", [rel vmm_exit_rsp], vmm_host_stack_top
        CHECK "tf-host-rflags", [rel vmm_exit_rflags], 2
        movzx eax, word [rel vmm_exit_idtr]
        CHECK "tf-host-idtr-limit", rax, 0xffff
        PUTS "host-idt-works: "
        TRY ud2
        ; Repair and go on.
        movzx eax, word [rel vmm_idtr]
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, rax
        lea rax, [rel guest.after]
        VMM_WRITE VMCS_GUEST_RIP, rax
        xor r8d, r8d
        call vmm_run
        CHECK "resumed-vmcall", rax, 18
        CHECK "resumed-guest-ran", r8, 0x600d
        call checks_done

guest:
        lidt [rel null_idtr]
.ud:    ud2
        ud2
.after: mov r8d, 0x600d
        vmcall
        ud2

null_idtr:      dw 0
                dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
