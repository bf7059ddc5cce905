; APIC-register virtualization and virtual-interrupt delivery, no EPT (the guest
; shares the VMM's identity map; the APIC-access page is a RAM page of the image).
; - APIC-register virtualization: a read of a listed register (ID) comes from the
;   virtual-APIC page, one of an unlisted register (PPR) is an APIC-access exit (44);
;   a write of SVR, or of EOI without virtual-interrupt delivery, lands in the
;   virtual-APIC page and is followed by an APIC-write exit (56, trap-like:
;   qualification = the register's offset, GUEST_RIP the next instruction's); a VTPR
;   write needs no VMM (no exit). With the control clear the SVR write is an
;   APIC-access exit (44) instead.
; - virtual-interrupt delivery: an EOI write clears the vector in service (SVI) from
;   VISR and is a virtualized-EOI exit (45, qualification = the vector) when the
;   EOI-exit bitmap has it, no exit when it does not. A self-IPI through VICR_LO
;   sets VIRR and RVI, and the interrupt is delivered through the guest's IDT at the
;   next boundary (VISR, SVI); a pending RVI at VM entry is delivered before the
;   first instruction when RFLAGS.IF = 1, and not at all while IF = 0.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok arv-read-reason
;! stdout: ok arv-read-qual
;! stdout: ok arv-read-rip
;! stdout: ok arv-read-value
;! stdout: ok svr-reason
;! stdout: ok svr-qual
;! stdout: ok svr-rip
;! stdout: ok svr-vapic
;! stdout: ok eoi-arv-reason
;! stdout: ok eoi-arv-qual
;! stdout: ok tpr-arv-reason
;! stdout: ok tpr-arv-vapic
;! stdout: ok svr-noarv-reason
;! stdout: ok svr-noarv-qual
;! stdout: ok eoi-reason
;! stdout: ok eoi-qual
;! stdout: ok eoi-rip
;! stdout: ok eoi-status
;! stdout: ok eoi-visr
;! stdout: ok eoi-noexit-reason
;! stdout: ok eoi-noexit-status
;! stdout: ok ipi-reason
;! stdout: ok ipi-qual
;! stdout: ok ipi-rip
;! stdout: ok ipi-delivered
;! stdout: ok ipi-frame-rip
;! stdout: ok ipi-status
;! stdout: ok ipi-virr
;! stdout: ok masked-reason
;! stdout: ok masked-not-delivered
;! stdout: ok masked-status
;! stdout: ok entry-reason
;! stdout: ok entry-qual
;! stdout: ok entry-delivered
;! stdout: ok entry-frame-rip
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define EOI_BITMAP1      0x201e                ; vectors 64-127
%define PROC_TPR_SHADOW  (1 << 21)
%define APIC_ACC         1
%define ARV              (1 << 8)
%define VID              (1 << 9)

; run the guest from label %1 (rbx = the APIC-access page, a fresh stack)
%macro RUN_AT 1
        VMM_GUEST %1
        lea rbx, [rel apic_page]
        call vmm_run
%endmacro


start:
        call idt_setup
        call vmx_paging_setup
        mov dword [rel vapic_page + 0x20], 0x07000000
        VMM_SETUP 1, (1 << 31) | PROC_TPR_SHADOW, 0, 0 ; VID needs external-interrupt exiting
        VMM_WRITE VMCS_PROC2_CTLS, APIC_ACC | ARV
        lea rax, [rel apic_page]
        VMM_WRITE VMCS_APIC_ACCESS_ADDR, rax
        lea rax, [rel vapic_page]
        VMM_WRITE VMCS_VAPIC_ADDR, rax
        VMM_WRITE VMCS_TPR_THRESHOLD, 0
        VMM_GUEST_GATE 0x50, h50
        VMM_GUEST_GATE 0x60, h60
        lea rax, [rel guest_idt]
        VMM_WRITE VMCS_GUEST_IDTR_BASE, rax
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, 256 * 16 - 1
        VMM_GUEST g_arv_read

        ; ---- APIC-register virtualization
        RUN_AT g_arv_read
        CHECK "arv-read-reason", rax, 44
        VMM_CHECK "arv-read-qual", VMCS_EXIT_QUAL, 0x0a0
        lea rbx, [rel g_arv_read.ppr]
        VMM_CHECK "arv-read-rip", VMCS_GUEST_RIP, rbx
        CHECK "arv-read-value", VMM_GREG(0), 0x07000000

        RUN_AT g_svr
        CHECK "svr-reason", rax, 56
        VMM_CHECK "svr-qual", VMCS_EXIT_QUAL, 0x0f0
        lea rbx, [rel g_svr.after]
        VMM_CHECK "svr-rip", VMCS_GUEST_RIP, rbx
        mov eax, [rel vapic_page + 0xf0]
        CHECK "svr-vapic", rax, 0x1ff

        RUN_AT g_eoi
        CHECK "eoi-arv-reason", rax, 56
        VMM_CHECK "eoi-arv-qual", VMCS_EXIT_QUAL, 0x0b0

        RUN_AT g_tpr
        CHECK "tpr-arv-reason", rax, 18
        mov eax, [rel vapic_page + 0x80]
        CHECK "tpr-arv-vapic", rax, 0x30

        VMM_WRITE VMCS_PROC2_CTLS, APIC_ACC
        RUN_AT g_svr
        CHECK "svr-noarv-reason", rax, 44
        VMM_CHECK "svr-noarv-qual", VMCS_EXIT_QUAL, 0x10f0

        ; ---- virtual-interrupt delivery (VTPR 0)
        VMM_WRITE VMCS_PROC2_CTLS, APIC_ACC | ARV | VID
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

        mov dword [rel vapic_page + 0x120], 1
        VMM_WRITE VMCS_GUEST_INTR_STATUS, 0x4000
        VMM_WRITE EOI_BITMAP1, 0
        RUN_AT g_eoi
        CHECK "eoi-noexit-reason", rax, 18
        VMM_CHECK "eoi-noexit-status", VMCS_GUEST_INTR_STATUS, 0

        ; self-IPI 50H, delivered at once (IF = 1); its handler's EOI exits
        VMM_WRITE EOI_BITMAP1, (1 << 0x10) | (1 << 0x20)  ; vectors 50H, 60H
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x202
        RUN_AT g_ipi
        CHECK "ipi-reason", rax, 45
        VMM_CHECK "ipi-qual", VMCS_EXIT_QUAL, 0x50
        lea rbx, [rel h50.after]
        VMM_CHECK "ipi-rip", VMCS_GUEST_RIP, rbx
        movzx eax, byte [rel seen50]
        CHECK "ipi-delivered", rax, 1
        lea rbx, [rel g_ipi.after]
        CHECK "ipi-frame-rip", [rel vmm_guest_stack_top - 40], rbx
        VMM_CHECK "ipi-status", VMCS_GUEST_INTR_STATUS, 0
        mov eax, [rel vapic_page + 0x220]
        CHECK "ipi-virr", rax, 0

        ; RVI 60H pending at entry: held while IF = 0 ...
        mov dword [rel vapic_page + 0x230], 1  ; VIRR: vector 60H
        VMM_WRITE VMCS_GUEST_INTR_STATUS, 0x60
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x2
        RUN_AT g_idle
        CHECK "masked-reason", rax, 18
        movzx eax, byte [rel seen60]
        CHECK "masked-not-delivered", rax, 0
        VMM_CHECK "masked-status", VMCS_GUEST_INTR_STATUS, 0x60
        ; ... delivered before the first instruction when IF = 1
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x202
        RUN_AT g_idle
        CHECK "entry-reason", rax, 45
        VMM_CHECK "entry-qual", VMCS_EXIT_QUAL, 0x60
        movzx eax, byte [rel seen60]
        CHECK "entry-delivered", rax, 1
        lea rbx, [rel g_idle]
        CHECK "entry-frame-rip", [rel vmm_guest_stack_top - 40], rbx
        call checks_done

g_arv_read:
        mov eax, [rbx + 0x20]
.ppr:   mov ecx, [rbx + 0xa0]
        vmcall
g_svr:
        mov dword [rbx + 0xf0], 0x1ff
.after: vmcall
g_eoi:
        mov dword [rbx + 0xb0], 0
.after: vmcall
g_tpr:
        mov dword [rbx + 0x80], 0x30
        vmcall
g_ipi:
        mov dword [rbx + 0x300], 0x40050       ; fixed, shorthand self, vector 50H
.after: nop
        vmcall
g_idle:
        nop
        vmcall
h50:
        mov byte [rel seen50], 1
        mov dword [rbx + 0xb0], 0
.after: vmcall
h60:
        mov byte [rel seen60], 1
        mov dword [rbx + 0xb0], 0
        vmcall

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
apic_page:  resb 4096
vapic_page: resb 4096
guest_idt:  resb 256 * 16
seen50:     resb 1
seen60:     resb 1
ELF64_END
