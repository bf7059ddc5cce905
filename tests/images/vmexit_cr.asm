; Control-register accesses from a guest (exit reason 28): CR0/CR4 guest/host masks
; and read shadows (a write that changes a host-owned bit against its shadow exits;
; reads of host-owned bits return the shadow; other writes keep host-owned bits),
; CR3-load and CR3-store exiting with a CR3-target value (a MOV to CR3 of a target
; value does not exit), CR8-load and CR8-store exiting, MOV-DR exiting (reason 29:
; DR number 2:0, direction 4, GPR 11:8), and then the same MOVs with CR3-load/store
; and CR8-load/store exiting at 0, which do not exit: the guest's CR8 is then the
; APIC's TPR (no TPR shadow), as it is in VMX root operation.
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
;! stdout: ok cr3-target-no-exit
;! stdout: ok cr8-load-exit-qual
;! stdout: ok cr8-store-exit-qual
;! stdout: ok cr4-read-shadow
;! stdout: ok cr4-write-exit-reason
;! stdout: ok cr4-write-exit-qual
;! stdout: ok cr4-write-exit-rip
;! stdout: ok cr4-guest-bit-written
;! stdout: ok cr4-host-bit-kept
;! stdout: ok dr-read-exit-qual
;! stdout: ok dr-write-exit-qual
;! stdout: ok done-reason
;! stdout: ok off-done-reason
;! stdout: ok off-cr3-loaded
;! stdout: ok off-cr3-stored
;! stdout: ok off-cr8-stored
;! stdout: ok off-cr8-is-apic-tpr
;! stdout: ok root-cr8-reads-tpr
;! stdout: ok root-cr8-writes-tpr
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

; primary controls: CR3-load 15, CR3-store 16, CR8-load 19, CR8-store 20, MOV-DR 23
%define WANT_PROC ((1 << 15) | (1 << 16) | (1 << 19) | (1 << 20) | (1 << 23))

%define APIC 0xFEE00000

start:
        call idt_setup
        VMX_PAGING_WITH_APIC APIC, apic_pd
        VMM_SETUP 0, WANT_PROC, 0, 0
        VMM_GUEST guest
        VMM_WRITE 0x6000, (1 << 3)             ; CR0 guest/host mask: TS is the host's
        VMM_WRITE 0x6004, (1 << 3)             ; CR0 read shadow: TS reads as 1
        mov rax, cr3
        VMM_WRITE 0x6008, rax                  ; CR3-target value 0 = the current CR3
        VMM_WRITE 0x400a, 1                    ; CR3-target count
        VMM_WRITE 0x6002, (1 << 2)             ; CR4 guest/host mask: TSD is the host's
        VMM_WRITE 0x6006, (1 << 2)             ; CR4 read shadow: TSD reads as 1
        mov r11, cr3                           ; the guest's CR3-target operand
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
        ; The MOV to CR3 of the target value between the two did not exit.
        VMM_CHECK "cr3-target-no-exit", VMCS_GUEST_RIP, guest.cr3_store
        call vmm_skip
        call vmm_run
        VMM_CHECK "cr8-load-exit-qual", VMCS_EXIT_QUAL, (8 | (0 << 4) | (0 << 8))    ; CR8, to, RAX
        call vmm_skip
        call vmm_run
        VMM_CHECK "cr8-store-exit-qual", VMCS_EXIT_QUAL, (8 | (1 << 4) | (10 << 8))  ; CR8, from, R10
        call vmm_skip
        call vmm_run
        ; The guest read CR4 (TSD from the shadow) into r12, then wrote it with TSD clear.
        CHECK_MASK "cr4-read-shadow", r12, (1 << 2), (1 << 2)
        CHECK "cr4-write-exit-reason", rax, 28
        VMM_CHECK "cr4-write-exit-qual", VMCS_EXIT_QUAL, (4 | (0 << 4) | (13 << 8))  ; CR4, to, R13
        VMM_CHECK "cr4-write-exit-rip", VMCS_GUEST_RIP, guest.cr4_masked
        call vmm_skip
        call vmm_run
        ; The next MOV to CR4 kept TSD as the shadow says and flipped OSXMMEXCPT, a
        ; guest-owned bit: no exit; the bit reached the guest's CR4, TSD stayed the
        ; host's (0).
        mov rbx, cr4
        not rbx
        and ebx, (1 << 10)
        VMM_CHECK_MASK "cr4-guest-bit-written", 0x6804, (1 << 10), rbx
        VMM_CHECK_MASK "cr4-host-bit-kept", 0x6804, (1 << 2), 0
        VMM_CHECK "dr-read-exit-qual", VMCS_EXIT_QUAL, (7 | (1 << 4) | (9 << 8))     ; DR7, from, R9
        call vmm_skip
        call vmm_run
        VMM_CHECK "dr-write-exit-qual", VMCS_EXIT_QUAL, (0 | (0 << 4) | (5 << 8))    ; DR0, to, RBP
        call vmm_skip
        call vmm_run
        CHECK "done-reason", rax, 18
        ; The same MOVs with CR3-load/store and CR8-load/store exiting at 0 and no
        ; CR3-target values: none exits.
        VMM_CLRBITS VMCS_PROC_CTLS, (1 << 15) | (1 << 16) | (1 << 19) | (1 << 20)
        VMM_WRITE 0x400a, 0
        lea rax, [rel guest_off]
        VMM_WRITE VMCS_GUEST_RIP, rax
        mov r11, cr3
        call vmm_run
        CHECK "off-done-reason", rax, 18
        mov rax, cr3
        VMM_CHECK "off-cr3-loaded", 0x6802, rax
        CHECK "off-cr3-stored", rbx, rax
        CHECK "off-cr8-stored", r10, 5
        APIC_READ 0x80
        CHECK "off-cr8-is-apic-tpr", rax, 0x50
        ; In VMX root operation too, CR8 is TPR[7:4] (SDM Vol. 3A "Interaction of Task
        ; Priorities between CR8 and APIC").
        APIC_WRITE 0x80, 0xa7
        mov rax, cr8
        CHECK "root-cr8-reads-tpr", rax, 0xa
        mov eax, 3
        mov cr8, rax
        APIC_READ 0x80
        CHECK "root-cr8-writes-tpr", rax, 0x30
        xor eax, eax
        mov cr8, rax
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
        mov cr3, r11                           ; CR3-target value 0: no exit
.cr3_store:
        mov rbx, cr3                           ; store exiting: exits
        xor eax, eax
        mov cr8, rax                           ; CR8-load exiting: exits
        mov r10, cr8                           ; CR8-store exiting: exits
        mov r12, cr4                           ; TSD from the shadow
        mov r13, r12
        and r13, ~(1 << 2)
.cr4_masked:
        mov cr4, r13                           ; TSD differs from the shadow: exits
        mov r13, r12
        xor r13, (1 << 10)
        mov cr4, r13                           ; only OSXMMEXCPT changes: no exit
        mov r9, dr7                            ; MOV-DR exiting: exits
        mov dr0, rbp
        vmcall
        ud2

guest_off:
        mov rdx, r11
        mov cr3, rdx                           ; CR3-load exiting 0: no exit
        mov rbx, cr3                           ; CR3-store exiting 0: no exit
        mov eax, 5
        mov cr8, rax                           ; CR8-load exiting 0: the TPR is 5
        mov r10, cr8                           ; CR8-store exiting 0: reads 5
        vmcall
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
apic_pd: resb 4096
ELF64_END
