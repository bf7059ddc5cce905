; "Virtualize x2APIC mode" (SDM Vol. 3C "Virtualizing MSR-Based APIC Accesses"): the
; guest's RDMSR/WRMSR of 800H-8FFH that the MSR bitmap lets through, while the LP's
; own APIC stays in xAPIC mode (so every access the processor does not virtualize is
; the APIC's #GP(0), here an exit through the exception bitmap: reason 0, 80000B0DH).
; - The control alone: RDMSR of TPR (808H) reads the 8 bytes at 80H of the
;   virtual-APIC page (EDX the 4 at 84H); RDMSR of PPR (80AH) reaches the APIC; WRMSR
;   of TPR writes the 8 bytes and is followed by TPR virtualization: a trap-like
;   TPR-below-threshold exit (43) when VTPR[7:4] drops below the threshold, none
;   otherwise; a TPR value with bits 63:8 set is #GP(0) and leaves VTPR alone; EOI
;   (80BH) without virtual-interrupt delivery reaches the APIC. Without the control
;   RDMSR of TPR reaches the APIC; with the write bit of 808H in the MSR bitmap the
;   WRMSR exits (32) and VTPR is not written.
; - APIC-register virtualization: RDMSR of any index reads the virtual-APIC page (PPR,
;   and the timer's current count 839H); WRMSR of SVR (80FH) still reaches the APIC.
; - Virtual-interrupt delivery: WRMSR of EOI is EOI virtualization (virtualized-EOI
;   exit 45, qualification the vector, for a vector in the EOI-exit bitmap), of a
;   nonzero value #GP(0); WRMSR of SELF IPI (83FH) writes offset 3F0H and is self-IPI
;   virtualization (the vector is delivered through the guest's IDT at the next
;   boundary), an APIC-write exit (56, qualification 3F0H, trap-like) for a vector
;   below 16, #GP(0) for bits 63:8 set.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok rd-tpr-reason
;! stdout: ok rd-tpr-eax
;! stdout: ok rd-tpr-edx
;! stdout: ok rd-ppr-reason
;! stdout: ok rd-ppr-gp
;! stdout: ok rd-ppr-rip
;! stdout: ok wr-tpr-reason
;! stdout: ok wr-tpr-rip
;! stdout: ok wr-tpr-vtpr
;! stdout: ok wr-tpr-high
;! stdout: ok wr-tpr-noexit-reason
;! stdout: ok wr-tpr-noexit-vtpr
;! stdout: ok wr-tpr-gp-reason
;! stdout: ok wr-tpr-gp
;! stdout: ok wr-tpr-gp-vtpr
;! stdout: ok eoi-novid-reason
;! stdout: ok eoi-novid-gp
;! stdout: ok nox2-rd-tpr-reason
;! stdout: ok nox2-rd-tpr-gp
;! stdout: ok bitmap-wr-reason
;! stdout: ok bitmap-wr-ecx
;! stdout: ok bitmap-wr-vtpr
;! stdout: ok arv-rd-reason
;! stdout: ok arv-rd-ppr
;! stdout: ok arv-rd-tmcct
;! stdout: ok arv-wr-svr-reason
;! stdout: ok arv-wr-svr-gp
;! stdout: ok eoi-reason
;! stdout: ok eoi-qual
;! stdout: ok eoi-rip
;! stdout: ok eoi-status
;! stdout: ok eoi-visr
;! stdout: ok eoi-gp-reason
;! stdout: ok eoi-gp
;! stdout: ok ipi-reason
;! stdout: ok ipi-qual
;! stdout: ok ipi-delivered
;! stdout: ok ipi-frame-rip
;! stdout: ok ipi-vself
;! stdout: ok ipi-status
;! stdout: ok ipi-low-reason
;! stdout: ok ipi-low-qual
;! stdout: ok ipi-low-rip
;! stdout: ok ipi-low-status
;! stdout: ok ipi-gp-reason
;! stdout: ok ipi-gp
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define EOI_BITMAP1      0x201e                ; vectors 64-127
%define PROC_TPR_SHADOW  (1 << 21)
%define PROC_MSR_BITMAPS (1 << 28)
%define X2               (1 << 4)
%define ARV              (1 << 8)
%define VID              (1 << 9)
%define GP_EXIT          0x80000b0d

; run the guest from label %1 (a fresh stack)
%macro RUN_AT 1
        VMM_GUEST %1
        call vmm_run
%endmacro


start:
        call idt_setup
        VMM_SETUP 1, (1 << 31) | PROC_TPR_SHADOW | PROC_MSR_BITMAPS, 0, 0 ; VID needs external-interrupt exiting
        VMM_WRITE VMCS_PROC2_CTLS, X2
        lea rax, [rel vapic_page]
        VMM_WRITE VMCS_VAPIC_ADDR, rax
        VMM_WRITE VMCS_TPR_THRESHOLD, 3
        VMM_WRITE VMCS_EXC_BITMAP, 1 << 13
        VMM_GUEST_GATE 0x50, h50
        lea rax, [rel guest_idt]
        VMM_WRITE VMCS_GUEST_IDTR_BASE, rax
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, 256 * 16 - 1
        mov dword [rel vapic_page + 0x80], 0x50
        mov dword [rel vapic_page + 0x84], 0x11

        ; ---- the control alone
        RUN_AT g_rd_tpr
        CHECK "rd-tpr-reason", rax, 18
        CHECK "rd-tpr-eax", VMM_GREG(0), 0x50
        CHECK "rd-tpr-edx", VMM_GREG(2), 0x11

        RUN_AT g_rd_ppr
        CHECK "rd-ppr-reason", rax, 0
        VMM_CHECK "rd-ppr-gp", VMCS_EXIT_INTR, GP_EXIT
        lea rbx, [rel g_rd_ppr.insn]
        VMM_CHECK "rd-ppr-rip", VMCS_GUEST_RIP, rbx

        RUN_AT g_wr_tpr                        ; VTPR 20H, threshold 3
        CHECK "wr-tpr-reason", rax, 43
        lea rbx, [rel g_wr_tpr.after]
        VMM_CHECK "wr-tpr-rip", VMCS_GUEST_RIP, rbx
        mov eax, [rel vapic_page + 0x80]
        CHECK "wr-tpr-vtpr", rax, 0x20
        mov eax, [rel vapic_page + 0x84]
        CHECK "wr-tpr-high", rax, 0

        VMM_WRITE VMCS_TPR_THRESHOLD, 2        ; the entry checks want it <= VTPR[7:4]
        RUN_AT g_wr_tpr_40
        CHECK "wr-tpr-noexit-reason", rax, 18
        mov eax, [rel vapic_page + 0x80]
        CHECK "wr-tpr-noexit-vtpr", rax, 0x40

        RUN_AT g_wr_tpr_gp
        CHECK "wr-tpr-gp-reason", rax, 0
        VMM_CHECK "wr-tpr-gp", VMCS_EXIT_INTR, GP_EXIT
        mov eax, [rel vapic_page + 0x80]
        CHECK "wr-tpr-gp-vtpr", rax, 0x40

        RUN_AT g_eoi
        CHECK "eoi-novid-reason", rax, 0
        VMM_CHECK "eoi-novid-gp", VMCS_EXIT_INTR, GP_EXIT

        VMM_WRITE VMCS_PROC2_CTLS, 0
        RUN_AT g_rd_tpr
        CHECK "nox2-rd-tpr-reason", rax, 0
        VMM_CHECK "nox2-rd-tpr-gp", VMCS_EXIT_INTR, GP_EXIT

        VMM_WRITE VMCS_PROC2_CTLS, X2
        or byte [rel vmm_msr_bitmap + 0x800 + 0x808 / 8], 1 << (0x808 % 8)
        RUN_AT g_wr_tpr
        CHECK "bitmap-wr-reason", rax, 32
        CHECK "bitmap-wr-ecx", VMM_GREG(1), 0x808
        mov eax, [rel vapic_page + 0x80]
        CHECK "bitmap-wr-vtpr", rax, 0x40
        and byte [rel vmm_msr_bitmap + 0x800 + 0x808 / 8], 0xff ^ (1 << (0x808 % 8))

        ; ---- APIC-register virtualization
        VMM_WRITE VMCS_PROC2_CTLS, X2 | ARV
        mov dword [rel vapic_page + 0xa0], 0x40
        mov dword [rel vapic_page + 0x390], 0x1234
        RUN_AT g_rd_arv
        CHECK "arv-rd-reason", rax, 18
        CHECK "arv-rd-ppr", VMM_GREG(12), 0x40
        CHECK "arv-rd-tmcct", VMM_GREG(13), 0x1234

        RUN_AT g_wr_svr
        CHECK "arv-wr-svr-reason", rax, 0
        VMM_CHECK "arv-wr-svr-gp", VMCS_EXIT_INTR, GP_EXIT

        ; ---- virtual-interrupt delivery (VTPR 0)
        VMM_WRITE VMCS_PROC2_CTLS, X2 | ARV | VID
        mov dword [rel vapic_page + 0x80], 0
        mov dword [rel vapic_page + 0x120], 1  ; VISR: vector 40H
        VMM_WRITE VMCS_GUEST_INTR_STATUS, 0x4000          ; SVI 40H, RVI 0
        VMM_WRITE EOI_BITMAP1, 1               ; vector 40H
        RUN_AT g_eoi
        CHECK "eoi-reason", rax, 45
        VMM_CHECK "eoi-qual", VMCS_EXIT_QUAL, 0x40
        lea rbx, [rel g_eoi.after]
        VMM_CHECK "eoi-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "eoi-status", VMCS_GUEST_INTR_STATUS, 0
        mov eax, [rel vapic_page + 0x120]
        CHECK "eoi-visr", rax, 0

        RUN_AT g_eoi_gp
        CHECK "eoi-gp-reason", rax, 0
        VMM_CHECK "eoi-gp", VMCS_EXIT_INTR, GP_EXIT

        ; self-IPI 50H, delivered at once (IF = 1); its handler's EOI exits
        VMM_WRITE EOI_BITMAP1, 1 << 0x10       ; vector 50H
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x202
        RUN_AT g_self_ipi
        CHECK "ipi-reason", rax, 45
        VMM_CHECK "ipi-qual", VMCS_EXIT_QUAL, 0x50
        movzx eax, byte [rel seen50]
        CHECK "ipi-delivered", rax, 1
        lea rbx, [rel g_self_ipi.after]
        CHECK "ipi-frame-rip", [rel vmm_guest_stack_top - 40], rbx
        mov eax, [rel vapic_page + 0x3f0]
        CHECK "ipi-vself", rax, 0x50
        VMM_CHECK "ipi-status", VMCS_GUEST_INTR_STATUS, 0

        RUN_AT g_self_ipi_low
        CHECK "ipi-low-reason", rax, 56
        VMM_CHECK "ipi-low-qual", VMCS_EXIT_QUAL, 0x3f0
        lea rbx, [rel g_self_ipi_low.after]
        VMM_CHECK "ipi-low-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "ipi-low-status", VMCS_GUEST_INTR_STATUS, 0

        RUN_AT g_self_ipi_gp
        CHECK "ipi-gp-reason", rax, 0
        VMM_CHECK "ipi-gp", VMCS_EXIT_INTR, GP_EXIT
        call checks_done

; WRMSR of MSR %1 with EDX:EAX = %2
%macro GUEST_WRMSR 2
        mov ecx, %1
        mov rax, %2
        mov rdx, rax
        shr rdx, 32
        wrmsr
%endmacro

g_rd_tpr:
        mov ecx, 0x808
        rdmsr
        vmcall
g_rd_ppr:
        mov ecx, 0x80a
.insn:  rdmsr
        vmcall
g_wr_tpr:
        GUEST_WRMSR 0x808, 0x20
.after: vmcall
g_wr_tpr_40:
        GUEST_WRMSR 0x808, 0x40
        vmcall
g_wr_tpr_gp:
        GUEST_WRMSR 0x808, 0x100
        vmcall
g_eoi:
        GUEST_WRMSR 0x80b, 0
.after: vmcall
g_eoi_gp:
        GUEST_WRMSR 0x80b, 1
        vmcall
g_rd_arv:
        mov ecx, 0x80a
        rdmsr
        mov r12, rax
        mov ecx, 0x839
        rdmsr
        mov r13, rax
        vmcall
g_wr_svr:
        GUEST_WRMSR 0x80f, 0x1ff
        vmcall
g_self_ipi:
        GUEST_WRMSR 0x83f, 0x50
.after: nop
        vmcall
g_self_ipi_low:
        GUEST_WRMSR 0x83f, 5
.after: vmcall
g_self_ipi_gp:
        GUEST_WRMSR 0x83f, 0x150
        vmcall
h50:
        mov byte [rel seen50], 1
        GUEST_WRMSR 0x80b, 0
        vmcall

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
vapic_page: resb 4096
guest_idt:  resb 256 * 16
seen50:     resb 1
ELF64_END
