; The VMX-preemption timer (pin-based control 6) counts down in virtual time, once
; every 2^IA32_VMX_MISC[4:0] TSC ticks, and its expiry is a VM exit (reason 52) at an
; instruction boundary of the guest; with "save VMX-preemption timer value" (exit
; control 22) every exit stores what is left.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok timer-reason
;! stdout: ok timer-qual
;! stdout: ok timer-rip-in-loop
;! stdout: ok timer-saved-zero
;! stdout: ok vmcall-before-expiry
;! stdout: ok timer-saved-left
;! stdout: ok timer-off-vmcall
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

start:
        call idt_setup
        VMM_SETUP (1 << 6), 0, (1 << 22), 0
        VMM_GUEST guest
        VMM_WRITE 0x482e, 100                  ; VMX_PREEMPTION_TIMER_VALUE
        call vmm_run
        CHECK "timer-reason", rax, 52
        VMM_CHECK "timer-qual", VMCS_EXIT_QUAL, 0
        VMM_READ VMCS_GUEST_RIP
        lea rbx, [rel guest.spin]
        cmp rax, rbx
        jb .bad
        cmp rax, guest.spin_end
        ja .bad
        PUTS "ok timer-rip-in-loop"
        call newline
        VMM_CHECK "timer-saved-zero", 0x482e, 0
        ; A long timer: the guest leaves the loop by itself and VMCALLs first.
        VMM_WRITE 0x482e, 0x1000000
        VMM_WRITE VMCS_GUEST_RIP, guest.counted
        call vmm_run
        CHECK "vmcall-before-expiry", rax, 18
        VMM_READ 0x482e
        test rax, rax
        jz .bad2
        cmp rax, 0x1000000
        jae .bad2
        PUTS "ok timer-saved-left"
        call newline
        ; A timer that expires within the counted loop (with the control set, exit
        ; 52 there), the control clear: the guest VMCALLs.
        VMM_CLRBITS VMCS_PIN_CTLS, 1 << 6
        VMM_CLRBITS VMCS_EXIT_CTLS, 1 << 22    ; save the value: only with the timer
        VMM_WRITE 0x482e, 2
        VMM_WRITE VMCS_GUEST_RIP, guest.counted
        call vmm_run
        CHECK "timer-off-vmcall", rax, 18
        call checks_done
.bad:   PUTS "BAD timer-rip-in-loop"
        call newline
        call checks_done
.bad2:  PUTS "BAD timer-saved-left"
        call newline
        call checks_done

guest:
.spin:  inc rax
        jmp .spin
.spin_end:
.counted:
        mov ecx, 1000
.c:     dec ecx
        jnz .c
        vmcall
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
