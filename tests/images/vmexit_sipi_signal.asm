; A guest entered in the wait-for-SIPI activity state (3; IA32_VMX_MISC[8]) runs
; nothing until a start-up IPI arrives: the SIPI is a VM exit (reason 4) whose
; qualification is its vector, with the guest's RIP unchanged and the activity state
; saved as wait-for-SIPI (SDM Vol. 3C "Activity State", "Exit Qualification for
; ... SIPIs"). The BSP starts the AP (INIT, start-up IPI to a real-mode trampoline)
; and enters its guest in that state; the AP sends start-up IPIs (vector 42H) to
; APIC ID 0 until the BSP has had its exit (a SIPI to a processor not waiting for one
; is ignored). Entered again in the active state, the guest runs.
;! args: --cpus 2 --max-insns 50000000
;! status: 1
;! stdout: ok sipi-reason
;! stdout: ok sipi-qual
;! stdout: ok sipi-guest-rip
;! stdout: ok sipi-activity
;! stdout: ok sipi-guest-did-not-run
;! stdout: ok active-vmcall
;! stdout: ok active-guest-ran
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
        VMM_WRITE VMCS_GUEST_ACTIVITY, 3                ; wait-for-SIPI
        mov byte [rel bsp_waits], 1
        call vmm_run
        mov byte [rel bsp_exited], 1
        CHECK "sipi-reason", rax, 4
        VMM_CHECK "sipi-qual", VMCS_EXIT_QUAL, 0x42
        lea rbx, [rel guest]
        VMM_CHECK "sipi-guest-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "sipi-activity", VMCS_GUEST_ACTIVITY, 3
        movzx eax, byte [rel guest_ran]
        CHECK "sipi-guest-did-not-run", rax, 0
        VMM_WRITE VMCS_GUEST_ACTIVITY, 0
        call vmm_run
        CHECK "active-vmcall", rax, 18
        movzx eax, byte [rel guest_ran]
        CHECK "active-guest-ran", rax, 1
        call checks_done

guest:
        mov byte [rel guest_ran], 1
        vmcall
        ud2

        bits 32
ap32:   mov ax, 0x10
        mov ds, ax
        mov ss, ax
.w:     pause
        cmp byte [bsp_waits], 1
        jne .w
.sipi:  mov dword [APIC + 0x310], 0                     ; to APIC ID 0
        mov dword [APIC + 0x300], 0x00004642            ; start-up, vector 42H
        mov ecx, 1000
.d:     pause
        dec ecx
        jnz .d
        cmp byte [bsp_exited], 1
        jne .sipi
.idle:  cli
        hlt
        jmp .idle

SMP_TRAMPOLINE
        bits 64

        align 8, db 0
bsp_waits:  db 0
bsp_exited: db 0
guest_ran:  db 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
apic_pd: resb 4096
ELF64_END
