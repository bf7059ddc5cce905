; Exceptions in a guest and the exception bitmap (reason 0). A set bit makes the
; exception a VM exit instead of a delivery through the guest's IDT: #UD from UD2
; -> VM_EXIT_INTR_INFO 0x80000306 (vector 6, hardware exception, no error code),
; GUEST_RIP = the UD2; #BP from INT3 -> 0x80000603 (software exception, type 6) with
; instruction length 1; #PF on a non-present page -> 0x80000b0e with the error code
; in VM_EXIT_INTR_ERROR_CODE and the faulting linear address as the qualification.
; For #PF the PFEC mask/match decide with bit 14: bit 14 = 1 exits when
; (PFEC & mask) == match, bit 14 = 0 exits when it differs. A clear bit leaves the
; exception to the guest's own IDT (lib64's handlers, shared with the VMM).
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok ud-reason
;! stdout: ok ud-intr-info
;! stdout: ok ud-qual
;! stdout: ok ud-guest-rip
;! stdout: ok bp-reason
;! stdout: ok bp-intr-info
;! stdout: ok bp-len
;! stdout: ok bp-guest-rip
;! stdout: ok pf-read-reason
;! stdout: ok pf-read-intr-info
;! stdout: ok pf-read-error
;! stdout: ok pf-read-qual
;! stdout: ok pf-read-guest-rip
;! stdout: ok pf-write-intr-info
;! stdout: ok pf-write-error
;! stdout: ok pf-write-qual
;! stdout: ok phase1-end
;! stdout: ok phase1-guest-idt-unused
;! stdout: ok guest-ud-delivered
;! stdout: ok guest-ud-rip
;! stdout: ok guest-bp-delivered
;! stdout: ok guest-bp-rip
;! stdout: ok match-write-exits
;! stdout: ok match-write-error
;! stdout: ok match-write-guest-rip
;! stdout: ok match-read-delivered
;! stdout: ok match-read-error
;! stdout: ok match-read-cr2
;! stdout: ok match-read-rip
;! stdout: ok nomatch-read-exits
;! stdout: ok nomatch-read-error
;! stdout: ok nomatch-read-qual
;! stdout: ok nomatch-write-delivered
;! stdout: ok nomatch-write-error
;! stdout: ok nomatch-write-cr2
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define NP VMX_NP_PAGE

%macro SKIP_FAULT 1                     ; GUEST_RIP += %1 (hardware exceptions have no length)
        push rax
        VMM_READ VMCS_GUEST_RIP
        add rax, %1
        VMM_WRITE VMCS_GUEST_RIP, rax
        pop rax
%endmacro

start:
        call idt_setup
        call vmx_paging_setup           ; VMX_NP_PAGE is not present
        SET_HANDLER 6, g_handler
        SET_HANDLER 3, g_handler
        SET_HANDLER 14, g_handler
        VMM_SETUP 0, 0, 0, 0
        VMM_WRITE VMCS_EXC_BITMAP, (1 << 6) | (1 << 3) | (1 << 14)
        VMM_WRITE VMCS_PFEC_MASK, 0
        VMM_WRITE VMCS_PFEC_MATCH, 0
        VMM_GUEST guest
        mov rbx, NP
        call vmm_run
        CHECK "ud-reason", rax, 0
        VMM_CHECK "ud-intr-info", VMCS_EXIT_INTR, 0x80000306
        VMM_CHECK "ud-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK "ud-guest-rip", VMCS_GUEST_RIP, guest.ud
        SKIP_FAULT 2
        call vmm_run
        CHECK "bp-reason", rax, 0
        VMM_CHECK "bp-intr-info", VMCS_EXIT_INTR, 0x80000603
        VMM_CHECK "bp-len", VMCS_EXIT_INSLEN, 1
        VMM_CHECK "bp-guest-rip", VMCS_GUEST_RIP, guest.bp
        call vmm_skip
        call vmm_run
        CHECK "pf-read-reason", rax, 0
        VMM_CHECK "pf-read-intr-info", VMCS_EXIT_INTR, 0x80000b0e
        VMM_CHECK "pf-read-error", VMCS_EXIT_INTR_ERR, 0
        VMM_CHECK "pf-read-qual", VMCS_EXIT_QUAL, NP
        VMM_CHECK "pf-read-guest-rip", VMCS_GUEST_RIP, guest.pfr
        SKIP_FAULT 2
        call vmm_run
        VMM_CHECK "pf-write-intr-info", VMCS_EXIT_INTR, 0x80000b0e
        VMM_CHECK "pf-write-error", VMCS_EXIT_INTR_ERR, 2
        VMM_CHECK "pf-write-qual", VMCS_EXIT_QUAL, NP + 8
        SKIP_FAULT 2
        call vmm_run
        CHECK "phase1-end", rax, 18
        CHECK "phase1-guest-idt-unused", [rel g_count], 0
        ; ---- #UD and #BP to the guest; #PF exits only when PFEC.W matches (W = 1)
        VMM_WRITE VMCS_EXC_BITMAP, 1 << 14
        VMM_WRITE VMCS_PFEC_MASK, 2
        VMM_WRITE VMCS_PFEC_MATCH, 2
        call vmm_skip
        call vmm_run
        CHECK "guest-ud-delivered", [rel g_count + 6 * 8], 1
        CHECK "guest-ud-rip", [rel g_rip + 6 * 8], guest.ud2
        CHECK "guest-bp-delivered", [rel g_count + 3 * 8], 1
        CHECK "guest-bp-rip", [rel g_rip + 3 * 8], guest.bp2 + 1     ; a trap
        call vmm_skip
        call vmm_run
        CHECK "match-write-exits", rax, 0
        VMM_CHECK "match-write-error", VMCS_EXIT_INTR_ERR, 2
        VMM_CHECK "match-write-guest-rip", VMCS_GUEST_RIP, guest.pfw2
        SKIP_FAULT 2
        call vmm_run
        CHECK "match-read-delivered", [rel g_count + 14 * 8], 1
        CHECK "match-read-error", [rel g_err + 14 * 8], 0
        CHECK "match-read-cr2", [rel g_cr2], NP
        CHECK "match-read-rip", [rel g_rip + 14 * 8], guest.pfr2
        ; ---- bit 14 clear: #PF exits when PFEC.W does not match
        VMM_WRITE VMCS_EXC_BITMAP, 0
        call vmm_skip
        call vmm_run
        CHECK "nomatch-read-exits", rax, 0
        VMM_CHECK "nomatch-read-error", VMCS_EXIT_INTR_ERR, 0
        VMM_CHECK "nomatch-read-qual", VMCS_EXIT_QUAL, NP + 16
        SKIP_FAULT 2
        call vmm_run
        CHECK "nomatch-write-delivered", [rel g_count + 14 * 8], 2
        CHECK "nomatch-write-error", [rel g_err + 14 * 8], 2
        CHECK "nomatch-write-cr2", [rel g_cr2], NP + 24
        call checks_done

; The guest's handler (lib64's IDT stubs call it, rdi = frame): count, record,
; and resume after the 2-byte faulting instructions.
g_handler:
        mov rax, [rdi + FR_VEC]
        lea rdx, [rel g_count]
        inc qword [rdx + rax * 8]
        mov rcx, [rdi + FR_RIP]
        lea rdx, [rel g_rip]
        mov [rdx + rax * 8], rcx
        mov rcx, [rdi + FR_ERR]
        lea rdx, [rel g_err]
        mov [rdx + rax * 8], rcx
        mov rcx, cr2
        mov [rel g_cr2], rcx
        cmp eax, 3
        je .trap
        add qword [rdi + FR_RIP], 2
.trap:  ret

guest:                                  ; every faulting instruction is 2 bytes long
        lea rsi, [rbx + 8]
        lea rdi, [rbx + 16]
        lea rdx, [rbx + 24]
.ud:    ud2
.bp:    int3
.pfr:   mov al, [rbx]
.pfw:   mov [rsi], al
        vmcall
.ud2:   ud2
.bp2:   int3
        vmcall
.pfw2:  mov [rsi], al
.pfr2:  mov al, [rbx]
        vmcall
.pfr3:  mov al, [rdi]
.pfw3:  mov [rdx], al
        vmcall
        ud2

        align 8, db 0
g_count:        times 32 dq 0
g_rip:          times 32 dq 0
g_err:          times 32 dq 0
g_cr2:          dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
