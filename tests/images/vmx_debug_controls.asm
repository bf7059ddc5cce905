; DR7 and IA32_DEBUGCTL across VM entries and exits (SDM Vol. 3C: "Loading Guest
; Control Registers, Debug Registers, and MSRs", "Saving Control Registers, Debug
; Registers, and MSRs", "Loading Host Control Registers, Debug Registers, MSRs"):
; with "load debug controls" the guest starts with GUEST_DR7 and GUEST_IA32_DEBUGCTL,
; without it with the processor's own DR7 and DEBUGCTL; with "save debug controls" the
; exit stores the guest's DR7 and DEBUGCTL in the VMCS, without it the fields keep
; their values; every exit leaves DR7 = 400H and DEBUGCTL = 0. DEBUGCTL's reserved
; bits make WRMSR #GP.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok debugctl-write
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: ok debugctl-reserved-gp
;! stdout: ok load-exit-reason
;! stdout: ok load-guest-dr7
;! stdout: ok load-guest-debugctl
;! stdout: ok save-dr7-field
;! stdout: ok save-debugctl-field
;! stdout: ok exit-host-dr7
;! stdout: ok exit-host-debugctl
;! stdout: ok noload-exit-reason
;! stdout: ok noload-guest-dr7
;! stdout: ok noload-guest-debugctl
;! stdout: ok nosave-dr7-field
;! stdout: ok nosave-debugctl-field
;! stdout: ok noload-exit-host-dr7
;! stdout: ok noload-exit-host-debugctl
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define DEBUGCTL 0x1d9
%define VMCS_GUEST_DEBUGCTL 0x2802
%define DEBUG_CONTROLS 4                ; bit 2 of both the exit and entry controls
%define USE_MSR_BITMAPS (1 << 28)

; rax := IA32_DEBUGCTL
%macro RD_DEBUGCTL 0
        mov ecx, DEBUGCTL
        rdmsr
        shl rdx, 32
        or rax, rdx
%endmacro

%macro WR_DEBUGCTL 1
        mov ecx, DEBUGCTL
        mov eax, %1
        xor edx, edx
        wrmsr
%endmacro

start:
        call idt_setup
        WR_DEBUGCTL 3                   ; LBR | BTF
        RD_DEBUGCTL
        CHECK "debugctl-write", rax, 3
        mov ecx, DEBUGCTL
        mov eax, 4                      ; bit 2: reserved
        xor edx, edx
        TRY wrmsr
        RD_DEBUGCTL
        CHECK "debugctl-reserved-gp", rax, 3   ; checked by TRY, value unchanged

        VMM_SETUP 0, USE_MSR_BITMAPS, DEBUG_CONTROLS, DEBUG_CONTROLS
        VMM_GUEST guest
        VMM_WRITE VMCS_GUEST_DR7, 0x404
        VMM_WRITE VMCS_GUEST_DEBUGCTL, 2
        WR_DEBUGCTL 1
        mov rax, 0x401
        mov dr7, rax
        call vmm_run
        CHECK "load-exit-reason", rax, 18
        CHECK "load-guest-dr7", r8, 0x404
        CHECK "load-guest-debugctl", r9, 2
        VMM_CHECK "save-dr7-field", VMCS_GUEST_DR7, 0x408
        VMM_CHECK "save-debugctl-field", VMCS_GUEST_DEBUGCTL, 3
        mov rax, dr7
        CHECK "exit-host-dr7", rax, 0x400
        RD_DEBUGCTL
        CHECK "exit-host-debugctl", rax, 0

        ; Neither control: the guest runs with the processor's DR7 and DEBUGCTL.
        VMM_CLRBITS VMCS_EXIT_CTLS, DEBUG_CONTROLS
        VMM_CLRBITS VMCS_ENTRY_CTLS, DEBUG_CONTROLS
        VMM_WRITE VMCS_GUEST_RIP, guest
        VMM_WRITE VMCS_GUEST_DR7, 0x404
        VMM_WRITE VMCS_GUEST_DEBUGCTL, 2
        WR_DEBUGCTL 1
        mov rax, 0x402
        mov dr7, rax
        call vmm_run
        CHECK "noload-exit-reason", rax, 18
        CHECK "noload-guest-dr7", r8, 0x402
        CHECK "noload-guest-debugctl", r9, 1
        VMM_CHECK "nosave-dr7-field", VMCS_GUEST_DR7, 0x404
        VMM_CHECK "nosave-debugctl-field", VMCS_GUEST_DEBUGCTL, 2
        mov rax, dr7
        CHECK "noload-exit-host-dr7", rax, 0x400
        RD_DEBUGCTL
        CHECK "noload-exit-host-debugctl", rax, 0
        call checks_done

guest:
        mov r8, dr7
        mov ecx, DEBUGCTL
        rdmsr
        shl rdx, 32
        or rax, rdx
        mov r9, rax
        mov rax, 0x408
        mov dr7, rax
        WR_DEBUGCTL 3
        vmcall
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
