; MOV to CR0 in a guest against the VMX fixed bits (SDM Vol. 3, "Unrestricted
; Guests" and "Changes to Instruction Behavior in VMX Non-Root Operation"): an
; unrestricted guest (EPT and secondary control 7) is held to IA32_VMX_CR0_FIXED0
; without PE and PG, whether the CR0 guest/host mask is 0 or leaves PE and PG to it:
; a 32-bit guest without paging rewrites CR0 and then clears PE, with no #GP. A
; guest without unrestricted guest that clears NE, a bit the mask leaves to it,
; gets #GP(0) (exit 0 through the exception bitmap).
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok ug-rewrite-reason
;! stdout: ok ug-clear-pe-reason
;! stdout: ok ug-clear-pe-cr0
;! stdout: ok ug-masked-reason
;! stdout: ok ug-masked-cr0
;! stdout: ok ne-reason
;! stdout: ok ne-vector
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define PROC2          0x401e
%define CR0_MASK       0x6000
%define CR0_SHADOW     0x6004
%define GUEST_CS_AR    0x4816
%define GUEST_CR0_32   0x31                   ; PE, ET, NE: no paging

start:
        call idt_setup
        call ept_setup
        VMM_SETUP 0, (1 << 31), 0, 0
        VMM_GUEST32_UG                         ; 32-bit, no paging, under EPT
        VMM_WRITE VMCS_EXC_BITMAP, 1 << 13     ; #GP exits

        VMM_GUEST g_rewrite
        VMM_WRITE VMCS_GUEST_CR0, GUEST_CR0_32
        call vmm_run
        CHECK "ug-rewrite-reason", rax, 18

        VMM_GUEST g_clear_pe
        VMM_WRITE VMCS_GUEST_CR0, GUEST_CR0_32
        call vmm_run
        CHECK "ug-clear-pe-reason", rax, 18
        VMM_CHECK_MASK "ug-clear-pe-cr0", VMCS_GUEST_CR0, 1, 0

        ; The mask gives NE to the host, PE and PG stay the guest's.
        VMM_WRITE CR0_MASK, 0x20
        VMM_WRITE CR0_SHADOW, 0x20
        VMM_GUEST g_clear_pe
        VMM_WRITE VMCS_GUEST_CR0, GUEST_CR0_32
        call vmm_run
        CHECK "ug-masked-reason", rax, 18
        VMM_CHECK_MASK "ug-masked-cr0", VMCS_GUEST_CR0, 1, 0

        ; No unrestricted guest, 64-bit: the host owns PE and PG, NE is the guest's.
        VMM_WRITE PROC2, 0
        VMM_SETBITS VMCS_ENTRY_CTLS, 1 << 9
        VMM_WRITE GUEST_CS_AR, 0xa09b
        mov rbx, cr4
        VMM_WRITE VMCS_GUEST_CR4, rbx
        mov rbx, cr0
        VMM_WRITE VMCS_GUEST_CR0, rbx
        VMM_WRITE CR0_SHADOW, rbx
        VMM_WRITE CR0_MASK, 0x80000001
        VMM_GUEST g_clear_ne
        call vmm_run
        CHECK "ne-reason", rax, 0
        VMM_CHECK "ne-vector", VMCS_EXIT_INTR, 0x80000b0d
        call checks_done

EPT_IDENTITY_1G_ROUTINE

g_clear_ne:
        mov rax, cr0
        and rax, ~0x20
        mov cr0, rax
        vmcall

        BITS 32
g_rewrite:
        mov eax, cr0
        mov cr0, eax
        vmcall
g_clear_pe:
        mov eax, cr0
        and eax, ~1
        mov cr0, eax
        vmcall
        BITS 64

eptp:   dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
ept_pml4: resb 4096
ept_pdpt: resb 4096
ept_pd:   resb 4096
ELF64_END
