; The VMX-preemption timer in the wait-for-SIPI activity state (SDM Vol. 3C
; "VMX-Preemption Timer": it operates in the wait-for-SIPI state, but reaching 0
; there causes no VM exit; "VMX-Preemption Timer" of VM entry: a timer value of 0
; exits before the first instruction unless the activity state blocks it). The BSP's
; guest is entered in wait-for-SIPI with the timer active (pin-based control 6) at
; value 0 and "save VMX-preemption timer value" (exit control 22): the AP's start-up
; IPI (vector 42H) is the first exit, reason 4 (no exit 52 at entry or while
; waiting), the activity state saved as wait-for-SIPI and the timer value as 0.
; Entered so again with the timer at 1000H (IA32_VMX_MISC[4:0] = 5: 20000H TSC
; ticks) while the AP waits 100000 loop iterations (over 200000 instructions) before
; its SIPI: the timer counts down while the guest waits, reaches 0 there without an
; exit, and the SIPI's exit (reason 4) saves 0. Entered in the active state with the
; timer at 0, the guest exits with reason 52 before its first instruction.
;! args: --cpus 2 --max-insns 50000000
;! status: 1
;! stdout: ok sipi-reason
;! stdout: ok sipi-qual
;! stdout: ok sipi-activity
;! stdout: ok sipi-timer-saved-0
;! stdout: ok sipi-guest-did-not-run
;! stdout: ok waited-reason
;! stdout: ok waited-timer-counted-to-0
;! stdout: ok active-timer-0-reason
;! stdout: ok active-timer-0-rip
;! stdout: ok active-guest-did-not-run
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define APIC 0xFEE00000
%define AP_ENTRY ap32
%include "smp.inc"
%define TIMER_VALUE 0x482e

start:
        call idt_setup
        VMX_PAGING_WITH_APIC APIC, apic_pd
        SMP64_START_AP 1

        VMM_SETUP (1 << 6), 0, (1 << 22), 0
        VMM_GUEST guest
        VMM_WRITE TIMER_VALUE, 0
        VMM_WRITE VMCS_GUEST_ACTIVITY, 3                ; wait-for-SIPI
        mov byte [rel bsp_waits], 1
        call vmm_run
        mov byte [rel bsp_exited], 1
        CHECK "sipi-reason", rax, 4
        VMM_CHECK "sipi-qual", VMCS_EXIT_QUAL, 0x42
        VMM_CHECK "sipi-activity", VMCS_GUEST_ACTIVITY, 3
        VMM_CHECK "sipi-timer-saved-0", TIMER_VALUE, 0
        movzx eax, byte [rel guest_ran]
        CHECK "sipi-guest-did-not-run", rax, 0
.ap1:   pause
        cmp byte [rel ap_done1], 1
        jne .ap1
        VMM_WRITE TIMER_VALUE, 0x1000
        mov byte [rel bsp_waits], 2
        call vmm_run
        mov byte [rel bsp_exited], 2
        CHECK "waited-reason", rax, 4
        VMM_CHECK "waited-timer-counted-to-0", TIMER_VALUE, 0
        VMM_WRITE VMCS_GUEST_ACTIVITY, 0
        VMM_WRITE TIMER_VALUE, 0
        call vmm_run
        CHECK "active-timer-0-reason", rax, 52
        lea rbx, [rel guest]
        VMM_CHECK "active-timer-0-rip", VMCS_GUEST_RIP, rbx
        movzx eax, byte [rel guest_ran]
        CHECK "active-guest-did-not-run", rax, 0
        call checks_done

guest:
        mov byte [rel guest_ran], 1
        vmcall
        ud2

; start-up IPIs (vector 42H) to APIC ID 0 until bsp_exited is %1
%macro SEND_SIPIS 1
%%s:    mov dword [APIC + 0x310], 0
        mov dword [APIC + 0x300], 0x00004642
        mov ecx, 1000
%%d:    pause
        dec ecx
        jnz %%d
        cmp byte [bsp_exited], %1
        jne %%s
%endmacro

        bits 32
ap32:   mov ax, 0x10
        mov ds, ax
        mov ss, ax
.w:     pause
        cmp byte [bsp_waits], 1
        jne .w
        SEND_SIPIS 1
        mov byte [ap_done1], 1
.w2:    pause
        cmp byte [bsp_waits], 2
        jne .w2
        mov ecx, 100000
.delay: dec ecx
        jnz .delay
        SEND_SIPIS 2
.idle:  cli
        hlt
        jmp .idle

SMP_TRAMPOLINE
        bits 64

        align 8, db 0
bsp_waits:  db 0
bsp_exited: db 0
guest_ran:  db 0
ap_done1:   db 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
apic_pd: resb 4096
ELF64_END
