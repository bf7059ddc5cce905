; VPIDs and the guest's TLB (SDM Vol. 3C "Virtual-Processor Identifiers (VPIDs)",
; "INVVPID", "Invalidation of TLBs and Paging-Structure Caches"): the guest reads VA
; 4 MiB through its 2 MiB PDE; between exits the VMM points that PDE at another frame
; without the guest invalidating anything. With VPID on and the same VPID the guest
; keeps its translation (vtsim caches it, as a processor may); every event after which
; the SDM says the old translation is gone gives the new frame: INVVPID of each type
; (individual address, single context, all contexts, single context retaining
; globals), a VPID the translation was not cached under, and VM entry with VPID off
; (which invalidates VPID 0000H's translations).
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok first-read
;! stdout: ok same-vpid-keeps
;! stdout: ok invvpid-single-context
;! stdout: ok invvpid-individual-address
;! stdout: ok other-vpid
;! stdout: ok invvpid-all-contexts
;! stdout: ok invvpid-retaining-globals
;! stdout: ok vpid-off-entry
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define VPID_FIELD  0x0000
%define PROC_SECONDARY (1 << 31)
%define PROC2_VPID  (1 << 5)
%define WINDOW      0x400000            ; the VA the guest reads
%define FRAME_A     0x400000
%define FRAME_B     0x600000
%define MARK_A      0x4141414141414141
%define MARK_B      0x4242424242424242
%define PDE_2M      0x83                ; present, writable, 2 MiB page

; WINDOW's PDE := frame %1 (the identity tables map 2 MiB pages: PML4[0] -> PDPT[0]
; -> PD[2] for 4 MiB)
%macro POINT_WINDOW 1
        mov rax, [rel window_pde]
        mov qword [rax], %1 | PDE_2M
%endmacro

; INVVPID type %1 for VPID %2 (and, for type 0, the address WINDOW)
%macro INVVPID 2
        mov qword [rel desc], %2
        mov qword [rel desc + 8], WINDOW
        mov eax, %1
        invvpid rax, [rel desc]
%endmacro

start:
        call idt_setup
        mov rax, MARK_A
        mov [abs FRAME_A], rax
        mov rax, MARK_B
        mov [abs FRAME_B], rax
        ; Find WINDOW's PDE through CR3.
        IDENTITY_PDE_ADDR 2
        mov [rel window_pde], rax

        VMM_SETUP 0, PROC_SECONDARY, 0, 0
        VMM_WRITE VMCS_PROC2_CTLS, PROC2_VPID
        VMM_WRITE VPID_FIELD, 1
        VMM_GUEST guest
        call vmm_run
        CHECK "first-read", r8, MARK_A

        POINT_WINDOW FRAME_B
        call vmm_skip
        call vmm_run
        CHECK "same-vpid-keeps", r8, MARK_A

        INVVPID 1, 1
        call vmm_skip
        call vmm_run
        CHECK "invvpid-single-context", r8, MARK_B

        POINT_WINDOW FRAME_A
        INVVPID 0, 1
        call vmm_skip
        call vmm_run
        CHECK "invvpid-individual-address", r8, MARK_A

        POINT_WINDOW FRAME_B
        VMM_WRITE VPID_FIELD, 2
        call vmm_skip
        call vmm_run
        CHECK "other-vpid", r8, MARK_B

        POINT_WINDOW FRAME_A
        INVVPID 2, 0
        call vmm_skip
        call vmm_run
        CHECK "invvpid-all-contexts", r8, MARK_A

        POINT_WINDOW FRAME_B
        INVVPID 3, 2
        call vmm_skip
        call vmm_run
        CHECK "invvpid-retaining-globals", r8, MARK_B

        POINT_WINDOW FRAME_A
        VMM_CLRBITS VMCS_PROC2_CTLS, PROC2_VPID
        call vmm_skip
        call vmm_run
        CHECK "vpid-off-entry", r8, MARK_A
        call checks_done

; Reads the window, exits, and does it again on each resume.
guest:
        mov r8, [abs WINDOW]
        vmcall
        jmp guest

window_pde: dq 0
align 16
desc:   dq 0, 0

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
