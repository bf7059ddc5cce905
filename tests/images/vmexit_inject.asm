; Event injection at VM entry (VM_ENTRY_INTR_INFO_FIELD 4016h, error code 4018h,
; instruction length 401Ah): the event is delivered through the guest's IDT before
; its first instruction; the guest's handler reports with a VMCALL (R8 = vector,
; R9 = the return RIP in its frame, R10 = the error code). A hardware exception
; returns to GUEST_RIP (#UD; #GP with error code 1234h); a software interrupt
; (INT 80h, type 4) and a software exception (INT3, type 6) return to GUEST_RIP +
; the instruction length. The exit clears the valid bit of the entry
; interruption-information field, so the next VMRESUME injects nothing.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok ud-reason
;! stdout: ok ud-vector
;! stdout: ok ud-frame-rip
;! stdout: ok ud-error
;! stdout: ok ud-exit-rip
;! stdout: ok ud-entry-intr-cleared
;! stdout: ok gp-reason
;! stdout: ok gp-vector
;! stdout: ok gp-frame-rip
;! stdout: ok gp-error
;! stdout: ok int80-reason
;! stdout: ok int80-vector
;! stdout: ok int80-frame-rip
;! stdout: ok int3-reason
;! stdout: ok int3-vector
;! stdout: ok int3-frame-rip
;! stdout: ok none-reason
;! stdout: ok none-guest-main-ran
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

; intr info, error code, instruction length
%macro INJECT 3
        VMM_GUEST guest
        VMM_WRITE VMCS_GUEST_RFLAGS, 2
        VMM_WRITE VMCS_ENTRY_INTR, %1
        VMM_WRITE VMCS_ENTRY_ERRCODE, %2
        VMM_WRITE VMCS_ENTRY_INSLEN, %3
        mov r8, -1
        mov r9, -1
        mov r10, -1
        call vmm_run
%endmacro

start:
        call idt_setup
        SET_HANDLER 6, g_handler
        SET_HANDLER 13, g_handler
        SET_HANDLER 3, g_handler
        ; The guest's IDT: lib64's 32 gates plus vector 80h.
        lea rsi, [rel idt_table]
        lea rdi, [rel g_idt]
        mov ecx, 32 * 16
        cld
        rep movsb
        lea rax, [rel g_int80]
        lea rdi, [rel g_idt + 0x80 * 16]
        mov [rdi], ax
        mov word [rdi + 2], 0x08
        mov word [rdi + 4], 0x8e00
        shr rax, 16
        mov [rdi + 6], ax
        shr rax, 16
        mov [rdi + 8], eax
        VMM_SETUP 0, 0, 0, 0
        lea rax, [rel g_idt]
        VMM_WRITE VMCS_GUEST_IDTR_BASE, rax
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, 256 * 16 - 1

        INJECT 0x80000306, 0, 0                 ; #UD
        CHECK "ud-reason", rax, 18
        CHECK "ud-vector", r8, 6
        CHECK "ud-frame-rip", r9, guest
        CHECK "ud-error", r10, 0
        VMM_CHECK "ud-exit-rip", VMCS_GUEST_RIP, g_handler.vmcall
        VMM_CHECK_MASK "ud-entry-intr-cleared", VMCS_ENTRY_INTR, 0x80000000, 0

        INJECT 0x80000b0d, 0x1234, 0            ; #GP(1234h)
        CHECK "gp-reason", rax, 18
        CHECK "gp-vector", r8, 13
        CHECK "gp-frame-rip", r9, guest
        CHECK "gp-error", r10, 0x1234

        INJECT 0x80000480, 0, 2                 ; INT 80h
        CHECK "int80-reason", rax, 18
        CHECK "int80-vector", r8, 0x80
        CHECK "int80-frame-rip", r9, guest + 2

        INJECT 0x80000603, 0, 1                 ; INT3
        CHECK "int3-reason", rax, 18
        CHECK "int3-vector", r8, 3
        CHECK "int3-frame-rip", r9, guest + 1

        VMM_GUEST guest                         ; nothing to inject any more
        mov r8, -1
        call vmm_run
        CHECK "none-reason", rax, 18
        CHECK "none-guest-main-ran", r8, 0xdead
        call checks_done

g_handler:                              ; lib64's stubs call it with rdi = frame
        mov r8, [rdi + FR_VEC]
        mov r9, [rdi + FR_RIP]
        mov r10, [rdi + FR_ERR]
.vmcall:
        vmcall
        ud2

g_int80:
        mov r8d, 0x80
        mov r9, [rsp]
        xor r10d, r10d
        vmcall
        ud2

guest:
        mov r8d, 0xdead
        vmcall
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
g_idt:  resb 256 * 16
ELF64_END
