; An INIT signal to a logical processor in VMX non-root operation is a VM exit
; (reason 3, qualification 0) and is not left pending; in VMX root operation the INIT
; is blocked. The BSP starts the AP (INIT, start-up IPI to a real-mode trampoline)
; and enters a guest that announces itself and spins; the AP then sends an INIT to
; APIC ID 0.
;! args: --cpus 2 --max-insns 50000000
;! status: 1
;! stdout: ok init-reason
;! stdout: ok init-qual
;! stdout: ok init-rip-in-spin
;! stdout: ok init-intr-info
;! stdout: ok vmm-runs-on
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define APIC 0xFEE00000
%define AP_ENTRY ap32
%include "smp.inc"

start:
        call idt_setup
        VMX_PAGING_WITH_APIC APIC, apic_pd
        SMP64_START_AP 1

        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        call vmm_run
        CHECK "init-reason", rax, 3
        VMM_CHECK "init-qual", VMCS_EXIT_QUAL, 0
        VMM_READ VMCS_GUEST_RIP
        lea rbx, [rel guest.spin]
        lea rcx, [rel guest.spin_end]
        cmp rax, rbx
        jb .bad_rip
        cmp rax, rcx
        jae .bad_rip
        PUTSLN "ok init-rip-in-spin"
        jmp .rip_done
.bad_rip:
        PUTSLN "BAD init-rip-in-spin"
.rip_done:
        VMM_CHECK_MASK "init-intr-info", VMCS_EXIT_INTR, 0x80000000, 0
        ; The INIT is gone: in VMX root operation the BSP runs on.
        mov ecx, 100000
.wait:  pause
        dec ecx
        jnz .wait
        CHECK "vmm-runs-on", 1, 1
        call checks_done

guest:
        mov byte [rel guest_ready], 1
.spin:  pause
        jmp .spin
.spin_end:

        bits 32
ap32:   mov ax, 0x10
        mov ds, ax
        mov ss, ax
.w:     pause
        cmp byte [guest_ready], 1
        jne .w
        mov dword [APIC + 0x310], 0                     ; to APIC ID 0
        mov dword [APIC + 0x300], 0x00004500            ; INIT, assert
.idle:  cli
        hlt
        jmp .idle

SMP_TRAMPOLINE
        bits 64

        align 8, db 0
guest_ready: db 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
apic_pd: resb 4096
ELF64_END
