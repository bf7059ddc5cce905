; IA32_PAT and IA32_EFER across VM entries and exits (SDM Vol. 3C: "Loading Guest
; Control Registers, Debug Registers, and MSRs", "Saving Control Registers, Debug
; Registers, and MSRs", "Loading Host Control Registers, Debug Registers, MSRs"):
; with "load IA32_PAT"/"load IA32_EFER" at entry the guest starts with GUEST_IA32_PAT
; and GUEST_IA32_EFER; with "save" at exit the guest's values land in those fields,
; with "load" at exit the host's come from HOST_IA32_PAT/HOST_IA32_EFER. Without the
; controls the guest runs with the processor's values, the fields keep theirs, and what
; the guest wrote is what the host has after the exit. The MSR bitmap passes both MSRs
; through.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok load-exit-reason
;! stdout: ok load-guest-pat
;! stdout: ok load-guest-efer
;! stdout: ok save-pat-field
;! stdout: ok save-efer-field
;! stdout: ok exit-host-pat
;! stdout: ok exit-host-efer
;! stdout: ok noload-exit-reason
;! stdout: ok noload-guest-pat
;! stdout: ok noload-guest-efer
;! stdout: ok nosave-pat-field
;! stdout: ok nosave-efer-field
;! stdout: ok noload-exit-host-pat
;! stdout: ok noload-exit-host-efer
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define PAT  0x277
%define EFER 0xc0000080
%define VMCS_GUEST_PAT  0x2804
%define VMCS_GUEST_EFER 0x2806
%define VMCS_HOST_PAT   0x2c00
%define VMCS_HOST_EFER  0x2c02
%define EXIT_PAT_EFER   ((1 << 18) | (1 << 19) | (1 << 20) | (1 << 21))  ; save/load PAT, EFER
%define ENTRY_PAT_EFER  ((1 << 14) | (1 << 15))                          ; load PAT, EFER
%define USE_MSR_BITMAPS (1 << 28)
%define EFER_SCE 1
%define EFER_NXE (1 << 11)
%define EFER_LONG 0x500                 ; LME | LMA

; rax := MSR %1
%macro RD_MSR 1
        mov ecx, %1
        rdmsr
        shl rdx, 32
        or rax, rdx
%endmacro

; MSR %1 := %2 (64-bit immediate)
%macro WR_MSR 2
        mov rax, %2
        mov rdx, rax
        shr rdx, 32
        mov ecx, %1
        wrmsr
%endmacro

start:
        call idt_setup
        VMM_SETUP 0, USE_MSR_BITMAPS, EXIT_PAT_EFER, ENTRY_PAT_EFER
        VMM_GUEST guest
        WR_MSR PAT, 0x0007040600070406
        WR_MSR EFER, EFER_LONG | EFER_NXE | EFER_SCE
        VMM_WRITE VMCS_GUEST_PAT, 0x0606060606060606
        VMM_WRITE VMCS_GUEST_EFER, EFER_LONG | EFER_SCE
        VMM_WRITE VMCS_HOST_PAT, 0x0101010101010101
        VMM_WRITE VMCS_HOST_EFER, EFER_LONG | EFER_NXE
        call vmm_run
        CHECK "load-exit-reason", rax, 18
        CHECK "load-guest-pat", r8, 0x0606060606060606
        CHECK "load-guest-efer", r9, EFER_LONG | EFER_SCE
        VMM_CHECK "save-pat-field", VMCS_GUEST_PAT, 0x0505050505050505
        VMM_CHECK "save-efer-field", VMCS_GUEST_EFER, EFER_LONG
        RD_MSR PAT
        CHECK "exit-host-pat", rax, 0x0101010101010101
        RD_MSR EFER
        CHECK "exit-host-efer", rax, EFER_LONG | EFER_NXE

        ; No control: the guest sees the processor's PAT and EFER, and the host keeps
        ; what the guest wrote.
        VMM_CLRBITS VMCS_EXIT_CTLS, EXIT_PAT_EFER
        VMM_CLRBITS VMCS_ENTRY_CTLS, ENTRY_PAT_EFER
        VMM_WRITE VMCS_GUEST_RIP, guest
        VMM_WRITE VMCS_GUEST_PAT, 0x0606060606060606
        VMM_WRITE VMCS_GUEST_EFER, EFER_LONG | EFER_SCE
        WR_MSR PAT, 0x0004040400040404
        WR_MSR EFER, EFER_LONG | EFER_NXE
        call vmm_run
        CHECK "noload-exit-reason", rax, 18
        CHECK "noload-guest-pat", r8, 0x0004040400040404
        CHECK "noload-guest-efer", r9, EFER_LONG | EFER_NXE
        VMM_CHECK "nosave-pat-field", VMCS_GUEST_PAT, 0x0606060606060606
        VMM_CHECK "nosave-efer-field", VMCS_GUEST_EFER, EFER_LONG | EFER_SCE
        RD_MSR PAT
        CHECK "noload-exit-host-pat", rax, 0x0505050505050505
        RD_MSR EFER
        CHECK "noload-exit-host-efer", rax, EFER_LONG | EFER_NXE | EFER_SCE
        call checks_done

; Reads PAT and EFER into r8 and r9, then changes both: PAT to all-WP, EFER.SCE
; flipped.
guest:
        RD_MSR PAT
        mov r8, rax
        RD_MSR EFER
        mov r9, rax
        WR_MSR PAT, 0x0505050505050505
        RD_MSR EFER
        xor rax, EFER_SCE
        mov rdx, rax
        shr rdx, 32
        wrmsr
        vmcall
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
