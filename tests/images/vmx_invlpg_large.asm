; INVLPG inside a large page (SDM Vol. 3A "INVLPG"; "Invalidation of TLBs and
; Paging-Structure Caches"): INVLPG of any address a 2 MiB translation covers
; invalidates that whole translation, not only the 4 KiB piece the address is in.
; vtsim's guest engine caches a guest's translations 4 KiB at a time, so the guest
; here reads WINDOW+1000h (the piece is cached), repoints WINDOW's 2 MiB PDE at another
; frame, INVLPGs WINDOW (another piece of the same page) and reads WINDOW+1000h
; again: it must see the new frame. Without EPT, then under an identity EPT; and an
; INVLPG of an address outside the page that still sees the old frame is allowed but
; not required, so only the required outcome is checked.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok before
;! stdout: ok invlpg-other-piece
;! stdout: ok ept-before
;! stdout: ok ept-invlpg-other-piece
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define EPTP_FIELD  0x201a
%define PROC_SECONDARY (1 << 31)
%define PROC2_EPT   (1 << 1)
%define WINDOW      0x400000            ; the VA the guest reads (PD[2])
%define FRAME_A     0x400000
%define FRAME_B     0x600000
%define MARK_A      0x4141414141414141
%define MARK_B      0x4242424242424242
%define PDE_2M      0x83                ; present, writable, 2 MiB page

start:
        call idt_setup
        mov rax, MARK_A
        mov [abs FRAME_A + 0x1000], rax
        mov rax, MARK_B
        mov [abs FRAME_B + 0x1000], rax
        ; Find WINDOW's PDE through CR3 (the identity tables map 2 MiB pages).
        IDENTITY_PDE_ADDR 2
        mov [rel window_pde], rax

        VMM_SETUP 0, PROC_SECONDARY, 0, 0
        VMM_GUEST guest
        call vmm_run
        CHECK "before", r8, MARK_A
        CHECK "invlpg-other-piece", r9, MARK_B

        call ept_setup
        VMM_WRITE EPTP_FIELD, [rel eptp]
        VMM_WRITE VMCS_PROC2_CTLS, PROC2_EPT
        VMM_GUEST guest
        call vmm_run
        CHECK "ept-before", r8, MARK_A
        CHECK "ept-invlpg-other-piece", r9, MARK_B
        call checks_done

; The guest shares the VMM's page tables (identity-mapped): it writes WINDOW's PDE
; itself.
guest:
        mov rbx, [rel window_pde]
        mov qword [rbx], FRAME_A | PDE_2M
        invlpg [abs WINDOW]
        mov r8, [abs WINDOW + 0x1000]
        mov qword [rbx], FRAME_B | PDE_2M
        invlpg [abs WINDOW]
        mov r9, [abs WINDOW + 0x1000]
        vmcall
        ud2



EPT_IDENTITY_1G_ROUTINE

window_pde: dq 0
eptp:       dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
alignb 4096
ept_pml4: resb 4096
ept_pdpt: resb 4096
ept_pd:   resb 4096
ELF64_END
