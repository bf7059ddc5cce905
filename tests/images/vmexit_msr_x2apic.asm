; A guest's RDMSR/WRMSR of the x2APIC MSRs ("virtualize x2APIC mode" is not offered:
; sim/cpu/lapic_x2apic.h). The host puts its local APIC in x2APIC mode and gives the
; guest MSR bitmaps with the read bit of 802H (x2APIC ID) and the write bit of 830H
; (ICR) set: RDMSR 802H exits (reason 31, ECX 802H) and WRMSR 830H exits (reason 32,
; ECX 830H, EDX:EAX the ICR value, no IPI sent); a WRMSR of TPR (808H) and RDMSRs of
; TPR and the version (803H), whose bits are clear, reach the LP's APIC (the host then
; reads TPR 30H); an RDMSR of 80EH (no DFR in x2APIC mode), its bit clear too, is the
; APIC's #GP(0), here an exit through the exception bitmap (reason 0, 80000B0DH).
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok host-x2apic
;! stdout: ok rd-id-reason
;! stdout: ok rd-id-ecx
;! stdout: ok wr-icr-reason
;! stdout: ok wr-icr-ecx
;! stdout: ok wr-icr-eax
;! stdout: ok wr-icr-edx
;! stdout: ok no-ipi-sent
;! stdout: ok vmcall
;! stdout: ok guest-rd-tpr
;! stdout: ok guest-rd-version
;! stdout: ok host-tpr-from-guest
;! stdout: ok rd-dfr-reason
;! stdout: ok rd-dfr-gp
;! stdout: ok rd-dfr-error
;! stdout: ok rd-dfr-rip
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%macro HOST_RDMSR 1                     ; rax := MSR %1 (rcx, rdx clobbered)
        mov ecx, %1
        rdmsr
        shl rdx, 32
        or rax, rdx
%endmacro

start:
        call idt_setup
        HOST_RDMSR 0x1b
        or eax, 0xc00                   ; EN, EXTD: x2APIC mode
        mov ecx, 0x1b
        wrmsr
        HOST_RDMSR 0x1b
        CHECK "host-x2apic", rax, 0xfee00d00
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        or byte [rel vmm_msr_bitmap + 0x802 / 8], 1 << (0x802 % 8)          ; read 802H
        or byte [rel vmm_msr_bitmap + 0x800 + 0x830 / 8], 1 << (0x830 % 8)  ; write 830H
        VMM_SETBITS VMCS_PROC_CTLS, 1 << 28
        VMM_WRITE VMCS_EXC_BITMAP, 1 << 13
        call vmm_run
        CHECK "rd-id-reason", rax, 31
        CHECK "rd-id-ecx", rcx, 0x802
        call vmm_skip
        call vmm_run
        CHECK "wr-icr-reason", rax, 32
        CHECK "wr-icr-ecx", rcx, 0x830
        CHECK "wr-icr-eax", VMM_GREG(0), 0x4050
        CHECK "wr-icr-edx", rdx, 0
        HOST_RDMSR 0x822                ; IRR bits 95:64
        CHECK "no-ipi-sent", rax, 0
        call vmm_skip
        call vmm_run
        CHECK "vmcall", rax, 18
        CHECK "guest-rd-tpr", r12, 0x30
        CHECK "guest-rd-version", r13, 0x00050014
        HOST_RDMSR 0x808
        CHECK "host-tpr-from-guest", rax, 0x30
        call vmm_skip
        call vmm_run
        CHECK "rd-dfr-reason", rax, 0
        VMM_CHECK "rd-dfr-gp", VMCS_EXIT_INTR, 0x80000b0d
        VMM_CHECK "rd-dfr-error", VMCS_EXIT_INTR_ERR, 0
        VMM_CHECK "rd-dfr-rip", VMCS_GUEST_RIP, guest.rd_dfr
        call checks_done

guest:
        mov ecx, 0x808
        mov eax, 0x30
        xor edx, edx
        wrmsr
        rdmsr
        mov r12, rax
        mov ecx, 0x803
        rdmsr
        mov r13, rax
        mov ecx, 0x802
        rdmsr
        mov ecx, 0x830
        mov eax, 0x4050                 ; fixed, vector 50H, to x2APIC ID 0
        xor edx, edx
        wrmsr
        vmcall
        mov ecx, 0x80e
.rd_dfr:
        rdmsr
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
