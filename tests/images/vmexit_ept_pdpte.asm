; An EPT violation while the processor loads the PDPTEs (SDM Vol. 3C "EPT
; Violations" and "Loading Page-Directory-Pointer-Table Entries"): an unrestricted
; 32-bit guest without paging points CR3 at a PDPT whose guest-physical page EPT
; does not map, sets CR4.PAE and then CR0.PG. The MOV to CR0 loads the four PDPTEs
; from CR3 and takes the violation there: exit 48 at the MOV's RIP, qualification
; "data read" (bit 0) with bits 7 and 8 clear (the access is not one of a linear
; address's translation), the guest-physical address of the first PDPTE, and the
; guest's CR0 still without PG. The VMM then maps the page and the same MOV
; completes: the guest runs on with PAE paging through the PDPTEs it loaded.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok pdpte-reason
;! stdout: ok pdpte-qual
;! stdout: ok pdpte-gpa
;! stdout: ok pdpte-rip
;! stdout: ok pdpte-cr0-unchanged
;! stdout: ok paged-reason
;! stdout: ok paged-cr0
;! stdout: ok paged-pdpte0
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define GUEST_PHYS     0x2400
%define GUEST_PDPTE0   0x280a
%define PDPT_GPA       0x40000000             ; the second GiB: not in the EPT at first

start:
        call idt_setup
        call ept_setup
        VMM_SETUP 0, (1 << 31), 0, 0
        VMM_GUEST32_UG                         ; 32-bit, no paging, under EPT
        VMM_WRITE 0x6002, 0                    ; CR4 guest/host mask: all the guest's
        VMM_GUEST g_pae

        call vmm_run
        CHECK "pdpte-reason", rax, 48
        VMM_CHECK "pdpte-qual", VMCS_EXIT_QUAL, 1
        VMM_CHECK "pdpte-gpa", GUEST_PHYS, PDPT_GPA
        VMM_CHECK "pdpte-rip", VMCS_GUEST_RIP, g_pae.set_pg
        VMM_CHECK_MASK "pdpte-cr0-unchanged", VMCS_GUEST_CR0, 0x80000000, 0

        ; Map the second GiB onto the PDPT page (a 1 GiB EPT page would need the
        ; capability; a 2 MiB one through a second PD does not): GPA 0x40000000 ->
        ; pae_pdpt's host page. The PDPT maps the first GiB with 2 MiB pages.
        lea rax, [rel ept_pd2]
        or rax, 7
        mov [rel ept_pdpt + 8], rax
        lea rax, [rel pae_pdpt]
        and rax, ~0x1fffff                     ; its 2 MiB frame
        or rax, 0x80 | 0x30 | 7                ; 2 MiB, WB, RWX
        mov [rel ept_pd2], rax
        lea rax, [rel pae_pdpt]
        and eax, 0x1fffff
        mov [rel pdpt_offset], eax
        mov dword [rel pae_pd], 0x83           ; PD[0]: the first 2 MiB, P RW PS
        mov dword [rel pae_pd + 4], 0
        lea rax, [rel pae_pd]
        or rax, 1
        mov [rel pae_pdpt], rax                ; PDPTE 0 -> the PD
        mov qword [rel pae_pdpt + 8], 0
        mov qword [rel pae_pdpt + 16], 0
        mov qword [rel pae_pdpt + 24], 0
        mov rax, [rel pdpt_offset]
        or rax, PDPT_GPA
        mov [rel g_cr3], eax                   ; CR3 as the guest will load it
        VMM_WRITE VMCS_GUEST_RIP, g_pae        ; the whole sequence again
        call vmm_run
        CHECK "paged-reason", rax, 18
        VMM_CHECK_MASK "paged-cr0", VMCS_GUEST_CR0, 0x80000001, 0x80000001
        lea rbx, [rel pae_pd]
        or rbx, 1
        VMM_CHECK "paged-pdpte0", GUEST_PDPTE0, rbx
        call checks_done

EPT_IDENTITY_1G_ROUTINE

        BITS 32
g_pae:
        mov eax, [g_cr3]
        mov cr3, eax
        mov eax, cr4
        or eax, 0x20                           ; PAE
        mov cr4, eax
        mov eax, cr0
        or eax, 0x80000000                     ; PG: loads the PDPTEs
.set_pg:
        mov cr0, eax
        vmcall
        BITS 64

eptp:        dq 0
g_cr3:       dq PDPT_GPA
pdpt_offset: dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
ept_pml4: resb 4096
ept_pdpt: resb 4096
ept_pd:   resb 4096
ept_pd2:  resb 4096
pae_pdpt: resb 4096
pae_pd:   resb 4096
ELF64_END
