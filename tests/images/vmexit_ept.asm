; EPT: violations on a read, a write and an instruction fetch (exit 48: access bits
; 2:0, the rights the walk found in 5:3, guest-linear valid and final translation in
; bits 7 and 8, exact guest-physical and guest-linear addresses, RIP of the access),
; a misconfiguration (exit 49: write without read), a violation on the guest's own
; paging-structure access (bit 8 clear, the entry's guest-physical address), a
; guest #PF under EPT through the exception bitmap (exit 0, CR2 exact), EPT
; accessed/dirty flags, and a violation by the IRETQ of an NMI handler (the NMI
; injected at VM entry, virtual NMIs off), which sets bit 12, "NMI unblocking due to
; IRET", and leaves blocking by NMI set in the guest's interruptibility state. Each
; fix is followed by INVEPT, and the access runs again.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok read-reason
;! stdout: ok read-qual
;! stdout: ok read-gpa
;! stdout: ok read-linear
;! stdout: ok read-rip
;! stdout: ok write-reason
;! stdout: ok write-qual
;! stdout: ok write-gpa
;! stdout: ok write-rip
;! stdout: ok fetch-reason
;! stdout: ok fetch-qual
;! stdout: ok fetch-gpa
;! stdout: ok fetch-rip
;! stdout: ok mid-vmcall
;! stdout: ok misconfig-reason
;! stdout: ok misconfig-qual
;! stdout: ok misconfig-gpa
;! stdout: ok misconfig-rip
;! stdout: ok walk-reason
;! stdout: ok walk-qual
;! stdout: ok walk-gpa
;! stdout: ok walk-linear
;! stdout: ok walk-rip
;! stdout: ok pf-reason
;! stdout: ok pf-intr
;! stdout: ok pf-error
;! stdout: ok pf-cr2
;! stdout: ok pf-rip
;! stdout: ok ad-read-exit
;! stdout: ok ad-accessed
;! stdout: ok ad-not-dirty
;! stdout: ok ad-pml4-accessed
;! stdout: ok ad-write-exit
;! stdout: ok ad-dirty
;! stdout: ok guest-read-value
;! stdout: ok guest-write-value
;! stdout: ok guest-fetch-value
;! stdout: ok iret-nmi-reason
;! stdout: ok iret-nmi-qual
;! stdout: ok iret-nmi-gpa
;! stdout: ok iret-nmi-rip
;! stdout: ok iret-nmi-blocking
;! stdout: ok no-ept-not-present-vmcall
;! stdout: ok no-ept-misconfig-vmcall
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define VPID_FIELD     0x0000
%define EPTP_FIELD     0x201a
%define GUEST_PHYS     0x2400
%define EPT_WB         0x30                    ; memory type 6 in bits 5:3

; EPT_SET label, bits: the 4 KiB EPT entry of the page at label := page | bits; INVEPT.
%macro EPT_SET 2
        push rax
        lea rax, [rel %1]
        call ept_entry_of
        or rax, %2
        mov [rbx], rax
        call ept_flush
        pop rax
%endmacro

start:
        call idt_setup
        call ept_setup
        VMM_SETUP 0, 1 << 31, 0, 0             ; activate secondary controls
        VMM_WRITE VMCS_PROC2_CTLS, 0x22         ; enable EPT, enable VPID
        VMM_WRITE VPID_FIELD, 1
        VMM_WRITE EPTP_FIELD, [rel ept_desc]
        VMM_GUEST guest
        ; code for the fetch: mov eax, 0x1234 / ret
        mov dword [rel tpage + 0x10], 0x001234b8
        mov word [rel tpage + 0x14], 0xc300

        EPT_SET tpage, 0                       ; not present
        call vmm_run
        CHECK "read-reason", rax, 48
        VMM_CHECK "read-qual", VMCS_EXIT_QUAL, 0x181
        lea rbx, [rel tpage + 0x123]
        VMM_CHECK "read-gpa", GUEST_PHYS, rbx
        VMM_CHECK "read-linear", VMCS_GUEST_LINEAR, rbx
        lea rbx, [rel g_read]
        VMM_CHECK "read-rip", VMCS_GUEST_RIP, rbx

        EPT_SET tpage, EPT_WB | 1              ; read-only
        call vmm_run
        CHECK "write-reason", rax, 48
        VMM_CHECK "write-qual", VMCS_EXIT_QUAL, 0x18a
        lea rbx, [rel tpage + 0x456]
        VMM_CHECK "write-gpa", GUEST_PHYS, rbx
        lea rbx, [rel g_write]                 ; mid-block: the exact instruction
        VMM_CHECK "write-rip", VMCS_GUEST_RIP, rbx

        EPT_SET tpage, EPT_WB | 3              ; read/write, no execute
        call vmm_run
        CHECK "fetch-reason", rax, 48
        VMM_CHECK "fetch-qual", VMCS_EXIT_QUAL, 0x19c
        lea rbx, [rel tpage + 0x10]
        VMM_CHECK "fetch-gpa", GUEST_PHYS, rbx
        VMM_CHECK "fetch-rip", VMCS_GUEST_RIP, rbx

        EPT_SET tpage, EPT_WB | 7
        call vmm_run
        CHECK "mid-vmcall", rax, 18
        call vmm_skip
        EPT_SET tpage, EPT_WB | 2              ; write without read: misconfigured
        call vmm_run
        CHECK "misconfig-reason", rax, 49
        VMM_CHECK "misconfig-qual", VMCS_EXIT_QUAL, 0
        lea rbx, [rel tpage + 0x20]
        VMM_CHECK "misconfig-gpa", GUEST_PHYS, rbx
        lea rbx, [rel g_mis]
        VMM_CHECK "misconfig-rip", VMCS_GUEST_RIP, rbx

        ; The guest gets page tables of its own (a copy of the top level), whose
        ; page EPT does not map: its next fetch walks into the hole.
        EPT_SET tpage, EPT_WB | 7
        mov rsi, cr3
        and rsi, ~0xfff
        lea rdi, [rel gpml4]
        mov ecx, 512
        rep movsq
        lea rax, [rel gpml4]
        VMM_WRITE VMCS_GUEST_CR3, rax
        EPT_SET gpml4, 0
        call vmm_run
        CHECK "walk-reason", rax, 48
        VMM_CHECK "walk-qual", VMCS_EXIT_QUAL, 0x81     ; read, linear valid, not final
        lea rbx, [rel gpml4]
        VMM_CHECK "walk-gpa", GUEST_PHYS, rbx           ; PML4 entry 0
        lea rbx, [rel g_mis]
        VMM_CHECK "walk-linear", VMCS_GUEST_LINEAR, rbx
        VMM_CHECK "walk-rip", VMCS_GUEST_RIP, rbx

        EPT_SET gpml4, EPT_WB | 7
        VMM_WRITE VMCS_EXC_BITMAP, 1 << 14
        call vmm_run
        CHECK "pf-reason", rax, 0
        VMM_CHECK "pf-intr", VMCS_EXIT_INTR, 0x80000b0e
        VMM_CHECK "pf-error", VMCS_EXIT_INTR_ERR, 0
        mov rbx, 0x8000000123
        VMM_CHECK "pf-cr2", VMCS_EXIT_QUAL, rbx
        lea rbx, [rel g_pf]
        VMM_CHECK "pf-rip", VMCS_GUEST_RIP, rbx

        ; Accessed and dirty flags: EPTP bit 6, the flags of the page cleared.
        or qword [rel ept_desc], 0x40
        VMM_WRITE EPTP_FIELD, [rel ept_desc]
        lea rax, [rel tpage]
        call ept_entry_of
        and qword [rbx], ~0x300
        and qword [rel ept_pml4], ~0x100
        call ept_flush
        lea rax, [rel g_after_pf]
        VMM_WRITE VMCS_GUEST_RIP, rax
        call vmm_run
        CHECK "ad-read-exit", rax, 18
        lea rax, [rel tpage]
        call ept_entry_of
        mov rax, [rbx]
        and eax, 0x100
        CHECK "ad-accessed", rax, 0x100
        mov rax, [rbx]
        and eax, 0x200
        CHECK "ad-not-dirty", rax, 0
        mov rax, [rel ept_pml4]
        and eax, 0x100
        CHECK "ad-pml4-accessed", rax, 0x100
        call vmm_skip
        call vmm_run
        CHECK "ad-write-exit", rax, 18
        lea rax, [rel tpage]
        call ept_entry_of
        mov rax, [rbx]
        and eax, 0x200
        CHECK "ad-dirty", rax, 0x200

        mov rax, [rel g_val]
        CHECK "guest-read-value", rax, 0
        mov rax, [rel tpage + 0x456]
        CHECK "guest-write-value", rax, 0x5a5a
        mov rax, [rel g_eax]
        CHECK "guest-fetch-value", rax, 0x1234

        ; An injected NMI whose handler's IRETQ reads its frame from the page made
        ; not present: the violation unblocks NMIs no more, so the qualification says
        ; "NMI unblocking due to IRET" (bit 12) and blocking by NMI is saved as set.
        SET_HANDLER 2, nmi_iret_from_tpage
        EPT_SET tpage, 0
        VMM_GUEST g_nmi
        VMM_WRITE VMCS_ENTRY_INTR, 0x80000202
        call vmm_run
        CHECK "iret-nmi-reason", rax, 48
        VMM_CHECK "iret-nmi-qual", VMCS_EXIT_QUAL, 0x1181
        lea rbx, [rel tpage + 0x200]
        VMM_CHECK "iret-nmi-gpa", GUEST_PHYS, rbx
        lea rbx, [rel nmi_iret_from_tpage.iret]
        VMM_CHECK "iret-nmi-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK_MASK "iret-nmi-blocking", VMCS_GUEST_INTERRUPTIBILITY, 8, 8
        VMM_WRITE VMCS_GUEST_INTERRUPTIBILITY, 0

        ; "enable EPT" clear: an entry not present, then a misconfigured one, and
        ; the same accesses run without exits.
        VMM_CLRBITS VMCS_PROC2_CTLS, 2
        EPT_SET tpage, 0
        lea rax, [rel g_read]
        VMM_WRITE VMCS_GUEST_RIP, rax
        call vmm_run
        CHECK "no-ept-not-present-vmcall", rax, 18
        EPT_SET tpage, 2
        lea rax, [rel g_read]
        VMM_WRITE VMCS_GUEST_RIP, rax
        call vmm_run
        CHECK "no-ept-misconfig-vmcall", rax, 18
        call checks_done

guest:
g_read: mov rax, [rel tpage + 0x123]
        mov [rel g_val], rax
g_write: mov qword [rel tpage + 0x456], 0x5a5a
        call tpage + 0x10
        mov [rel g_eax], rax
        vmcall
g_mis:  mov rax, [rel tpage + 0x20]            ; misconfigured; then its fetch walks
        mov rbx, 0x8000000123                  ; PML4 entry 1: not present
g_pf:   mov rax, [rbx]
g_after_pf:
        mov rax, [rel tpage + 0x300]
        vmcall
        mov byte [rel tpage + 0x301], 1
        vmcall
        ud2

g_nmi:  vmcall                                 ; not reached: the NMI comes first
        ud2

; The guest's NMI handler (called from the IDT stub, in the guest): its IRETQ takes
; a frame from tpage.
nmi_iret_from_tpage:
        lea rsp, [rel tpage + 0x200]
.iret:  iretq

%include "ept64.inc"

; Identity EPT for 0-128 MiB: 4 KiB pages below 4 MiB, 2 MiB pages above.
ept_setup:
        EPT_LINK_FIRST_GIB 7
        lea rbx, [rel ept_pd]
        lea rax, [rel ept_pt]
        or rax, 7
        mov [rbx], rax
        add rax, 0x1000
        mov [rbx + 8], rax
        mov ecx, 2
.pd:    mov rax, rcx
        shl rax, 21
        or rax, 0x80 | EPT_WB | 7
        mov [rbx + rcx * 8], rax
        inc ecx
        cmp ecx, 64
        jne .pd
        lea rbx, [rel ept_pt]
        xor ecx, ecx
.pt:    mov rax, rcx
        shl rax, 12
        or rax, EPT_WB | 7
        mov [rbx + rcx * 8], rax
        inc ecx
        cmp ecx, 1024
        jne .pt
        lea rax, [rel ept_pml4]
        or rax, 0x1e                           ; WB, 4-level walk
        mov [rel ept_desc], rax
        ret

g_val:  dq -1
g_eax:  dq -1
ept_desc: dq 0, 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
ept_pml4: resb 4096
ept_pdpt: resb 4096
ept_pd:   resb 4096
ept_pt:   resb 8192
tpage:    resb 4096
gpml4:    resb 4096
ELF64_END
