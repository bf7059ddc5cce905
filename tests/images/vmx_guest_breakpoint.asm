; Instruction breakpoints in a guest (SDM Vol. 3C "Exception Bitmap", "Exit
; Qualification for ... Debug Exceptions", "Saving Control Registers, Debug
; Registers, and MSRs"): DR0 (carried from the VMM) armed by GUEST_DR7 under "load
; debug controls".
; - With #DB in the exception bitmap, the breakpoint is a VM exit before the
;   instruction: reason 0, interruption information 80000301H (hardware exception
;   1), the exit qualification holds B0, GUEST_RIP is the instruction's, and DR6
;   keeps its value. Resumed with RFLAGS.RF set, the instruction runs.
; - Without it, the guest's own #DB handler gets the fault (DR6.B0 set), sets RF in
;   the pushed RFLAGS and the instruction runs once.
; - The VM exit leaves DR7 = 400H: the VMM's code at the same address runs without
;   a #DB.
; - First, GUEST_DR7 = 400H arms nothing; the VMRESUME after the guest's CPUID
;   loads 401H, which arms it for the code the guest goes on with.
;! status: 1
;! stdout: ok unarmed-reason
;! stdout: ok unarmed-no-db
;! stdout: ok exit-reason
;! stdout: ok exit-intr-info
;! stdout: ok exit-qualification
;! stdout: ok exit-guest-rip
;! stdout: ok exit-dr6-kept
;! stdout: ok resumed-with-rf
;! stdout: ok resumed-insn-ran
;! stdout: ok host-no-bp
;! stdout: ok guest-handler-reason
;! stdout: ok guest-handler-count
;! stdout: ok guest-handler-rip
;! stdout: ok guest-handler-dr6
;! stdout: ok guest-handler-insn-ran
;! not-stdout: BAD
;! not-stderr: triple
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define DEBUG_CONTROLS 4                ; bit 2 of both the exit and entry controls
%define DR6_INIT 0xFFFF0FF0

start:
        call idt_setup
        mov rax, DR6_INIT
        mov dr6, rax
        lea rax, [rel guest_bp]
        mov dr0, rax
        VMM_SETUP 0, 0, DEBUG_CONTROLS, DEBUG_CONTROLS
        VMM_GUEST_GATE 1, guest_db
        lea rax, [rel guest_idt]
        VMM_WRITE VMCS_GUEST_IDTR_BASE, rax
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, 0x80 * 16 - 1
        VMM_GUEST guest_first
        VMM_WRITE VMCS_GUEST_DR7, 0x400
        call vmm_run
        CHECK "unarmed-reason", rax, 10
        CHECK "unarmed-no-db", [rel db_count], 0

        ; Resumed after the CPUID, where the guest calls guest_bp again.
        call vmm_skip
        VMM_WRITE VMCS_GUEST_DR7, 0x401          ; L0, instruction
        VMM_WRITE VMCS_EXC_BITMAP, 1 << 1
        xor r12d, r12d
        call vmm_run
        CHECK "exit-reason", rax, 0
        VMM_CHECK "exit-intr-info", VMCS_EXIT_INTR, 0x80000301
        VMM_CHECK "exit-qualification", VMCS_EXIT_QUAL, 1
        lea r14, [rel guest_bp]
        VMM_CHECK "exit-guest-rip", VMCS_GUEST_RIP, r14
        mov rax, dr6
        CHECK "exit-dr6-kept", rax, DR6_INIT
        VMM_SETBITS VMCS_GUEST_RFLAGS, 1 << 16
        call vmm_run
        CHECK "resumed-with-rf", rax, 18
        CHECK "resumed-insn-ran", r12, 1
        ; DR0 still holds guest_bp, DR7 is 400H after the exit.
        call guest_bp
        CHECK "host-no-bp", r12, 2

        ; The guest's own handler.
        call vmm_skip
        VMM_WRITE VMCS_EXC_BITMAP, 0
        VMM_WRITE VMCS_GUEST_RIP, guest
        VMM_WRITE VMCS_GUEST_DR7, 0x401
        xor r12d, r12d
        call vmm_run
        CHECK "guest-handler-reason", rax, 18
        CHECK "guest-handler-count", [rel db_count], 1
        lea r14, [rel guest_bp]
        CHECK "guest-handler-rip", [rel db_rip], r14
        CHECK "guest-handler-dr6", [rel db_dr6], DR6_INIT | 1
        CHECK "guest-handler-insn-ran", r12, 1
        call checks_done

guest_first:
        call guest_bp
        xor eax, eax
        cpuid                           ; an exit the guest engine resumes in place
guest:
        call guest_bp
        vmcall
        ud2
guest_bp:
        inc r12
        ret

; The guest's #DB: notes RIP and DR6, then RF in the pushed RFLAGS.
guest_db:
        push rax
        inc qword [rel db_count]
        mov rax, [rsp + 8]
        mov [rel db_rip], rax
        mov rax, dr6
        mov [rel db_dr6], rax
        or qword [rsp + 8 + 16], 1 << 16
        pop rax
        iretq

ELF64_BSS
VMX_BSS
VMM64_BSS
db_count: resq 1
db_rip:   resq 1
db_dr6:   resq 1
        alignb 16
guest_idt: resb 0x80 * 16
ELF64_END
