; TLB contexts across VMs (SDM Vol. 3C "Information That May Be Cached", "VPID and
; TLB", "INVEPT", "INVVPID"): two VMs, A (VPID 1, EPTP_A) and B (VPID 2, EPTP_B, its
; own EPT PML4 over the same identity tables), entered by turns. Each guest reads VA
; 4 MiB through its 2 MiB PDE, which the VMM points at another frame between entries
; without invalidating anything. A translation cached before switching to the other
; VM and back is still used (vtsim keeps each context's, as a processor may); one
; invalidated while its VM was away is gone: INVVPID single-context and individual-
; address for that VPID, INVEPT single-context for that EPTP, INVEPT all-context; an
; invalidation naming the other VM leaves it.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok a-first
;! stdout: ok b-first
;! stdout: ok a-kept-across-switch
;! stdout: ok b-kept-across-switch
;! stdout: ok a-kept-invvpid-b
;! stdout: ok b-invvpid-single-gone
;! stdout: ok b-kept-invept-a
;! stdout: ok a-invept-single-gone
;! stdout: ok b-kept-invvpid-addr-a
;! stdout: ok a-invvpid-addr-gone
;! stdout: ok b-invept-all-gone
;! stdout: ok a-invept-all-gone
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define VPID_FIELD  0x0000
%define EPTP_FIELD  0x201a
%define PROC_SECONDARY (1 << 31)
%define PROC2_EPT   (1 << 1)
%define PROC2_VPID  (1 << 5)
%define WINDOW      0x400000            ; the VA the guests read
%define FRAME_A     0x400000
%define FRAME_B     0x600000
%define FRAME_C     0x800000
%define MARK_A      0x4141414141414141
%define MARK_B      0x4242424242424242
%define MARK_C      0x4343434343434343
%define PDE_2M      0x83                ; present, writable, 2 MiB page

; WINDOW's PDE := frame %1
%macro POINT_WINDOW 1
        mov rax, [rel window_pde]
        mov qword [rax], %1 | PDE_2M
%endmacro

; Enters VM %1 (0: A, 1: B) and checks what its guest read.
%macro RUN_VM 3                         ; vm, name, expected mark
        mov edi, %1
        call enter_vm
        CHECK %2, r8, %3
%endmacro

; INVVPID / INVEPT type %1 with descriptor %2, %3.
%macro INV 4                            ; instruction, type, desc low, desc high
        mov rax, %3
        mov [rel desc], rax
        mov rax, %4
        mov [rel desc + 8], rax
        mov eax, %2
        %1 rax, [rel desc]
%endmacro

start:
        call idt_setup
        mov rax, MARK_A
        mov [abs FRAME_A], rax
        mov rax, MARK_B
        mov [abs FRAME_B], rax
        mov rax, MARK_C
        mov [abs FRAME_C], rax
        IDENTITY_PDE_ADDR 2
        mov [rel window_pde], rax
        call ept_setup                  ; EPTP_A = eptp; EPTP_B: a PML4 of its own
        mov rax, [rel ept_pml4]
        mov [rel ept_pml4_b], rax
        lea rax, [rel ept_pml4_b]
        or rax, 0x1e
        mov [rel eptp_b], rax

        VMM_SETUP 0, PROC_SECONDARY, 0, 0
        VMM_WRITE VMCS_PROC2_CTLS, PROC2_EPT | PROC2_VPID
        VMM_GUEST guest
        mov byte [rel first], 1

        RUN_VM 0, "a-first", MARK_A
        RUN_VM 1, "b-first", MARK_A
        POINT_WINDOW FRAME_B
        RUN_VM 0, "a-kept-across-switch", MARK_A
        RUN_VM 1, "b-kept-across-switch", MARK_A

        INV invvpid, 1, 2, 0            ; single context, VPID 2 (B)
        RUN_VM 0, "a-kept-invvpid-b", MARK_A
        RUN_VM 1, "b-invvpid-single-gone", MARK_B

        POINT_WINDOW FRAME_C
        INV invept, 1, [rel eptp], 0    ; single context, EPTP_A
        RUN_VM 1, "b-kept-invept-a", MARK_B
        RUN_VM 0, "a-invept-single-gone", MARK_C

        POINT_WINDOW FRAME_A
        INV invvpid, 0, 1, WINDOW       ; individual address, VPID 1 (A)
        RUN_VM 1, "b-kept-invvpid-addr-a", MARK_B
        RUN_VM 0, "a-invvpid-addr-gone", MARK_A

        POINT_WINDOW FRAME_C
        INV invept, 2, 0, 0             ; all contexts
        RUN_VM 1, "b-invept-all-gone", MARK_C
        RUN_VM 0, "a-invept-all-gone", MARK_C
        call checks_done

; VM edi (0: A, 1: B): its VPID and EPTP, then the guest once more.
enter_vm:
        push rdi
        lea rax, [rdi + 1]
        VMM_WRITE VPID_FIELD, rax
        pop rdi
        mov rax, [rel eptp]
        test edi, edi
        jz .a
        mov rax, [rel eptp_b]
.a:     VMM_WRITE EPTP_FIELD, rax
        cmp byte [rel first], 0
        jne .run
        call vmm_skip
.run:   mov byte [rel first], 0
        jmp vmm_run

; Reads the window, exits, and does it again on each resume.
guest:
        mov r8, [abs WINDOW]
        vmcall
        jmp guest

EPT_IDENTITY_1G_ROUTINE

window_pde: dq 0
eptp:       dq 0
eptp_b:     dq 0
first:      db 0
align 16
desc:   dq 0, 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
ept_pml4:   resb 4096
ept_pdpt:   resb 4096
ept_pd:     resb 4096
ept_pml4_b: resb 4096
ELF64_END
