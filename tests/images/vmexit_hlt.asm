; HLT in a guest: with "HLT exiting" (primary processor-based control bit 7) a VM
; exit, reason 12, length 1, GUEST_RIP = the HLT's address; the VMM skips it and the
; guest runs on. Then the VMM clears HLT exiting and resumes: the guest's HLT halts
; it (nothing can wake it), which ends the run with status 0 and says so on stderr.
;! args: --max-insns 20000000
;! status: 0
;! stdout: ok hlt-reason
;! stdout: ok hlt-len
;! stdout: ok hlt-qual
;! stdout: ok hlt-guest-rip
;! stdout: ok hlt-guest-rsp
;! stdout: ok hlt-host-rsp
;! stdout: ok hlt-host-rflags
;! stdout: ok vmcall-reason
;! stdout: ok vmcall-guest-rip
;! stdout: ok vmcall-guest-ran-on
;! stdout: guest: halting without HLT exiting
;! stderr: guest halted
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

start:
        call idt_setup
        VMM_SETUP 0, 1 << 7, 0, 0       ; HLT exiting
        VMM_GUEST guest
        call vmm_run
        CHECK "hlt-reason", rax, 12
        VMM_CHECK "hlt-len", VMCS_EXIT_INSLEN, 1
        VMM_CHECK "hlt-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK "hlt-guest-rip", VMCS_GUEST_RIP, guest.hlt
        VMM_CHECK "hlt-guest-rsp", VMCS_GUEST_RSP, vmm_guest_stack_top
        CHECK "hlt-host-rsp", [rel vmm_exit_rsp], vmm_host_stack_top
        CHECK "hlt-host-rflags", [rel vmm_exit_rflags], 2
        call vmm_skip
        call vmm_run
        CHECK "vmcall-reason", rax, 18
        VMM_CHECK "vmcall-guest-rip", VMCS_GUEST_RIP, guest.vmcall
        CHECK "vmcall-guest-ran-on", r8, 0x600d
        cmp byte [rel checks_failed], 0
        jne .bad
        VMM_CLRBITS VMCS_PROC_CTLS, 1 << 7
        call vmm_skip
        call vmm_run
        PUTSLN "BAD no-halt"
.bad:   exit_with 1

guest:
        xor r8d, r8d
.hlt:   hlt
        mov r8d, 0x600d
.vmcall:
        vmcall
        PUTSLN "guest: halting without HLT exiting"
        hlt
        PUTSLN "BAD guest woke up"
        vmcall

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
