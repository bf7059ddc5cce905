; Debug registers between VMM and guest (SDM Vol. 3C): DR0-DR3 and DR6 are not in the
; VMCS, so VM entries and exits leave them as they are: the guest reads the VMM's
; DR0 and DR6, and the VMM reads the guest's DR1 and DR6 after the exit. A
; single-step trap in the guest whose #DB the exception bitmap intercepts is a VM
; exit (reason 0, interruption information 80000301H: vector 1, hardware exception)
; with the pending debug bits in the exit qualification (BS, bit 14) and DR6 not
; written ("Basic VM-Exit Information"), after an instruction the engine runs (NOP)
; and after one vtsim executes itself (RDRAND).
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok dr-exit-reason
;! stdout: ok guest-saw-dr0
;! stdout: ok guest-saw-dr6
;! stdout: ok vmm-sees-dr1
;! stdout: ok vmm-sees-dr6
;! stdout: ok nop-step-reason
;! stdout: ok nop-step-intr-info
;! stdout: ok nop-step-qual
;! stdout: ok nop-step-rip
;! stdout: ok nop-step-dr6-kept
;! stdout: ok rdrand-step-reason
;! stdout: ok rdrand-step-intr-info
;! stdout: ok rdrand-step-qual
;! stdout: ok rdrand-step-rip
;! stdout: ok rdrand-step-dr6-kept
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define DR6_FIXED 0xffff0ff0

start:
        call idt_setup
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        mov rax, 0x1234000
        mov dr0, rax
        mov rax, DR6_FIXED | 1          ; B0
        mov dr6, rax
        call vmm_run                    ; the guest's VMCALL after its DR reads and writes
        CHECK "dr-exit-reason", rax, 18
        CHECK "guest-saw-dr0", VMM_GREG(8), 0x1234000
        CHECK "guest-saw-dr6", VMM_GREG(9), DR6_FIXED | 1
        mov rax, dr1
        CHECK "vmm-sees-dr1", rax, 0x5678000
        mov rax, dr6
        CHECK "vmm-sees-dr6", rax, DR6_FIXED | 2
        call vmm_skip

        ; Single-stepping: #DB in the exception bitmap; DR6 = fixed bits only.
        VMM_WRITE VMCS_EXC_BITMAP, (1 << 1)
        mov rax, DR6_FIXED
        mov dr6, rax
        call vmm_run
        CHECK "nop-step-reason", rax, 0
        VMM_CHECK "nop-step-intr-info", VMCS_EXIT_INTR, 0x80000301
        VMM_CHECK "nop-step-qual", VMCS_EXIT_QUAL, (1 << 14)
        lea rbx, [rel guest.after_nop]
        VMM_CHECK "nop-step-rip", VMCS_GUEST_RIP, rbx
        mov rax, dr6
        CHECK "nop-step-dr6-kept", rax, DR6_FIXED
        mov rax, DR6_FIXED
        mov dr6, rax
        call vmm_run
        CHECK "rdrand-step-reason", rax, 0
        VMM_CHECK "rdrand-step-intr-info", VMCS_EXIT_INTR, 0x80000301
        VMM_CHECK "rdrand-step-qual", VMCS_EXIT_QUAL, (1 << 14)
        lea rbx, [rel guest.after_rdrand]
        VMM_CHECK "rdrand-step-rip", VMCS_GUEST_RIP, rbx
        mov rax, dr6
        CHECK "rdrand-step-dr6-kept", rax, DR6_FIXED
        call checks_done

guest:
        mov r8, dr0
        mov r9, dr6
        mov rax, 0x5678000
        mov dr1, rax
        mov rax, DR6_FIXED | 2          ; B1
        mov dr6, rax
        vmcall
        pushfq
        or qword [rsp], 0x100           ; TF
        popfq
        nop
.after_nop:
        rdrand rax
.after_rdrand:
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
