; Control-register accesses from a guest (exit reason 28): CR0/CR4 guest/host masks
; and read shadows (a write that changes a host-owned bit against its shadow exits;
; reads of host-owned bits return the shadow; other writes keep host-owned bits),
; CR3-load and CR3-store exiting with a CR3-target value, CR8-load and CR8-store
; exiting, and
; MOV-DR exiting (reason 29: DR number 2:0, direction 4, GPR 11:8).
; Qualification: CR number 3:0, access type 5:4 (0 to CR, 1 from CR), GPR 11:8.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok cr0-read-shadow
;! stdout: ok cr0-write-exit-reason
;! stdout: ok cr0-write-exit-qual
;! stdout: ok cr0-write-exit-len
;! stdout: ok cr0-host-bit-kept
;! stdout: ok cr3-load-exit-qual
;! stdout: ok cr3-store-exit-qual
;! stdout: ok cr8-load-exit-qual
;! stdout: ok cr8-store-exit-qual
;! stdout: ok dr-read-exit-qual
;! stdout: ok dr-write-exit-qual
;! stdout: ok done-reason
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

; primary controls: CR3-load 15, CR3-store 16, CR8-load 19, CR8-store 20, MOV-DR 23
%define WANT_PROC ((1 << 15) | (1 << 16) | (1 << 19) | (1 << 20) | (1 << 23))

start:
        call idt_setup
        VMM_SETUP 0, WANT_PROC, 0, 0
        VMM_GUEST guest
        VMM_WRITE 0x6000, (1 << 3)             ; CR0 guest/host mask: TS is the host's
        VMM_WRITE 0x6004, (1 << 3)             ; CR0 read shadow: TS reads as 1
        mov rax, cr3
        VMM_WRITE 0x6008, rax                  ; CR3-target value 0 = the current CR3
        VMM_WRITE 0x400a, 1                    ; CR3-target count
        call vmm_run
        ; The guest read CR0 (TS from the shadow) into r8, then wrote CR0 with TS clear:
        ; that differs from the shadow in a host-owned bit.
        CHECK_MASK "cr0-read-shadow", r8, (1 << 3), (1 << 3)
        CHECK "cr0-write-exit-reason", rax, 28
        VMM_CHECK "cr0-write-exit-qual", VMCS_EXIT_QUAL, (0 | (0 << 4) | (1 << 8))   ; CR0, to, RCX
        VMM_CHECK "cr0-write-exit-len", VMCS_EXIT_INSLEN, 3
        call vmm_skip
        call vmm_run
        ; A write with TS as in the shadow did not exit; the real TS stayed the host's
        ; (0), as the guest CR0 saved at this exit shows.
        VMM_CHECK_MASK "cr0-host-bit-kept", 0x6800, (1 << 3), 0
        VMM_CHECK "cr3-load-exit-qual", VMCS_EXIT_QUAL, (3 | (0 << 4) | (2 << 8))    ; CR3, to, RDX
        call vmm_skip
        call vmm_run
        VMM_CHECK "cr3-store-exit-qual", VMCS_EXIT_QUAL, (3 | (1 << 4) | (3 << 8))   ; CR3, from, RBX
        call vmm_skip
        call vmm_run
        VMM_CHECK "cr8-load-exit-qual", VMCS_EXIT_QUAL, (8 | (0 << 4) | (0 << 8))    ; CR8, to, RAX
        call vmm_skip
        call vmm_run
        VMM_CHECK "cr8-store-exit-qual", VMCS_EXIT_QUAL, (8 | (1 << 4) | (10 << 8))  ; CR8, from, R10
        call vmm_skip
        call vmm_run
        VMM_CHECK "dr-read-exit-qual", VMCS_EXIT_QUAL, (7 | (1 << 4) | (9 << 8))     ; DR7, from, R9
        call vmm_skip
        call vmm_run
        VMM_CHECK "dr-write-exit-qual", VMCS_EXIT_QUAL, (0 | (0 << 4) | (5 << 8))    ; DR0, to, RBP
        call vmm_skip
        call vmm_run
        CHECK "done-reason", rax, 18
        call checks_done

guest:
        mov r8, cr0
        mov rcx, r8
        and rcx, ~(1 << 3)
        mov cr0, rcx                           ; exits: TS differs from the shadow
        mov rcx, r8                            ; TS = 1, as the shadow says: no exit
        mov cr0, rcx
        mov rdx, 0x5000
        mov cr3, rdx                           ; not a target: exits
        mov rbx, cr3                           ; store exiting: exits
        xor eax, eax
        mov cr8, rax                           ; CR8-load exiting: exits
        mov r10, cr8                           ; CR8-store exiting: exits
        mov r9, dr7                            ; MOV-DR exiting: exits
        mov dr0, rbp
        vmcall
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
