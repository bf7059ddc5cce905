; The host's local APIC timer fires while a guest runs (external-interrupt exiting,
; pin-based control 0; the timer: sim/cpu/lapic_timer.h). The host arms a one-shot
; count of 20000 ticks (divide by 1) and enters a guest that loops.
;  - "acknowledge interrupt on exit": exit reason 1, exit interruption information
;    80000040H, vector 40H in service at the host's APIC and no longer requested; the
;    guest ran until the count reached 0 (the entry's 1000 ticks and the host's few
;    instructions before it count too) and no further than a translated block.
;  - without it: reason 1, the information not valid, 40H still requested; the host
;    takes it through its own IDT once it sets RFLAGS.IF (a VM exit clears it).
;  - a guest HLT (no "HLT exiting") with the timer armed: the guest sleeps until the
;    deadline and exits with reason 1, activity state HLT saved, GUEST_RIP after
;    the HLT.
;  - a guest HLT with the VMX-preemption timer also armed: whichever deadline comes
;    first makes the exit (reason 52, then reason 1 at the next entry).
;! status: 1
;! stdout: ok ack-reason
;! stdout: ok ack-intr-info
;! stdout: ok ack-in-isr
;! stdout: ok ack-not-in-irr
;! stdout: ok ack-guest-ran-to-deadline
;! stdout: ok ack-guest-not-late
;! stdout: ok noack-reason
;! stdout: ok noack-intr-info
;! stdout: ok noack-in-irr
;! stdout: ok noack-host-if-clear
;! stdout: ok noack-host-takes-it
;! stdout: ok noack-host-handler-in-service
;! stdout: ok hlt-reason
;! stdout: ok hlt-intr-info
;! stdout: ok hlt-activity
;! stdout: ok hlt-guest-rip
;! stdout: ok hlt-slept-to-deadline
;! stdout: ok hlt-preemption-first
;! stdout: ok hlt-apic-timer-next
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define APIC 0xFEE00000
%define VEC 0x40
%define ISR_40 0x120                    ; ISR bits 95:64: vector 40H is bit 0
%define IRR_40 0x220
%define ACK_ON_EXIT (1 << 15)
%define PREEMPT_TIMER (1 << 6)
%define SAVE_PREEMPT  (1 << 22)
%define TIMER_VALUE 0x482e
%define COUNT 20000

; rax := TSC
%macro TSC 0
        rdtsc
        shl rdx, 32
        or rax, rdx
%endmacro

; "ok NAME" when %2 <= %3 (unsigned; rax, rdx clobbered)
%macro CHECK_LE 3
        mov rax, %2
        xor edx, edx
        cmp rax, %3
        setbe dl
        CHECK %1, rdx, 1
%endmacro

start:
        call setup_idt
        VMX_PAGING_WITH_APIC APIC, apic_pd
        APIC_WRITE 0xF0, 0x1FF          ; SPIV: APIC software-enabled
        APIC_WRITE 0x3E0, 0xB           ; divide by 1
        APIC_WRITE 0x320, VEC           ; one-shot, vector 40H
        VMM_SETUP 1, 0, ACK_ON_EXIT, 0  ; external-interrupt exiting
        VMM_GUEST guest_loop

        ; ---- acknowledged on exit
        APIC_WRITE 0x380, COUNT
        call vmm_run
        CHECK "ack-reason", rax, 1
        VMM_CHECK "ack-intr-info", VMCS_EXIT_INTR, 0x80000040
        APIC_READ ISR_40
        CHECK "ack-in-isr", rax, 1
        APIC_READ IRR_40
        CHECK "ack-not-in-irr", rax, 0
        APIC_WRITE 0xB0, 0              ; EOI
        ; Two instructions an iteration; of the 20000 ticks the entry took 1000
        ; and the host a few instructions; the interrupt comes at the end of the
        ; block in which the count reaches 0.
        mov rax, 1000000
        sub rax, VMM_GREG(1)
        shl rax, 1
        mov r12, rax
        CHECK_LE "ack-guest-ran-to-deadline", COUNT - 1000 - 100, r12
        CHECK_LE "ack-guest-not-late", r12, COUNT - 1000 + 2   ; and a 2-instruction block

        ; ---- not acknowledged: the host takes it with RFLAGS.IF = 1
        VMM_CLRBITS VMCS_EXIT_CTLS, ACK_ON_EXIT
        VMM_GUEST guest_loop
        APIC_WRITE 0x380, COUNT
        call vmm_run
        CHECK "noack-reason", rax, 1
        VMM_CHECK_MASK "noack-intr-info", VMCS_EXIT_INTR, 0x80000000, 0
        APIC_READ IRR_40
        CHECK "noack-in-irr", rax, 1
        mov rax, [rel vmm_exit_rflags]
        CHECK_MASK "noack-host-if-clear", rax, 1 << 9, 0
        sti
        nop
        cli
        CHECK "noack-host-takes-it", [rel host_ticks], 1
        CHECK "noack-host-handler-in-service", [rel host_isr], 1

        ; ---- a halted guest sleeps until the deadline
        VMM_SETBITS VMCS_EXIT_CTLS, ACK_ON_EXIT
        VMM_GUEST guest_hlt
        TSC
        mov r13, rax
        APIC_WRITE 0x380, 100000
        call vmm_run
        mov r15, rax
        TSC
        mov r14, rax
        CHECK "hlt-reason", r15, 1
        VMM_CHECK "hlt-intr-info", VMCS_EXIT_INTR, 0x80000040
        VMM_CHECK "hlt-activity", VMCS_GUEST_ACTIVITY, 1
        lea rbx, [rel guest_hlt.after]
        VMM_CHECK "hlt-guest-rip", VMCS_GUEST_RIP, rbx
        mov rax, r14
        sub rax, r13
        sub rax, 100000 + 1000          ; then the exit's 1000 ticks and the host's few
        CHECK_LE "hlt-slept-to-deadline", rax, 100
        APIC_WRITE 0xB0, 0

        ; ---- HLT with both timers: the preemption timer first, then the APIC's
        VMM_WRITE VMCS_GUEST_ACTIVITY, 0
        VMM_GUEST guest_hlt
        VMM_SETBITS VMCS_PIN_CTLS, PREEMPT_TIMER
        VMM_WRITE TIMER_VALUE, 1000     ; 1000 << X ticks
        APIC_WRITE 0x380, 1000000
        call vmm_run
        CHECK "hlt-preemption-first", rax, 52
        VMM_CLRBITS VMCS_PIN_CTLS, PREEMPT_TIMER
        call vmm_run                    ; still in the HLT state
        CHECK "hlt-apic-timer-next", rax, 1
        APIC_WRITE 0xB0, 0
        call checks_done

guest_loop:
        mov ecx, 1000000
.l:     dec ecx
        jnz .l
        vmcall
        ud2

guest_hlt:
        hlt
.after: vmcall
        ud2

; lib64's exception gates and the host's timer handler at vector 40H.
setup_idt:
        call idt_setup
        lea rsi, [rel idt_table]
        lea rdi, [rel big_idt]
        mov ecx, 32 * 16
        cld
        rep movsb
        lea rax, [rel host_timer]
        lea rdi, [rel big_idt + VEC * 16]
        mov [rdi], ax
        mov word [rdi + 2], 0x08
        mov word [rdi + 4], 0x8E00      ; P, DPL 0, 64-bit interrupt gate
        shr rax, 16
        mov [rdi + 6], ax
        shr rax, 16
        mov [rdi + 8], eax
        mov dword [rdi + 12], 0
        lidt [rel big_idt_ptr]
        ret

host_timer:
        push rax
        push rbx
        inc qword [rel host_ticks]
        APIC_READ ISR_40
        mov [rel host_isr], rax
        APIC_WRITE 0xB0, 0
        pop rbx
        pop rax
        iretq

        align 8, db 0
big_idt_ptr: dw 256 * 16 - 1
             dq big_idt
host_ticks:  dq 0
host_isr:    dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
apic_pd: resb 4096
big_idt: resb 256 * 16
ELF64_END
