; VMLAUNCH / VMRESUME up to the point where VM entry would begin (SDM Vol. 3C
; "VMLAUNCH/VMRESUME" pseudocode; vmx_semantics.md section 3): with no current VMCS,
; or a shadow VMCS (bit 31 of its revision dword) current, VMfailInvalid -- before the
; MOV-SS check; VMfailValid(26) while events are blocked by MOV SS -- before the
; launch-state checks; VMRESUME of a clear VMCS VMfailValid(5). The MOV-SS blocking
; lasts for one instruction only. (VMfailValid(4), VMLAUNCH of a launched VMCS, needs a
; successful VM entry first: not here.)
;! args: --max-insns 10000000
;! status: 1
;! stdout: ok vmxon
;! stdout: ok novmcs-vmlaunch
;! stdout: ok novmcs-vmresume
;! stdout: ok novmcs-vmlaunch-mov-ss
;! stdout: ok novmcs-vmresume-mov-ss
;! stdout: ok vmptrld-shadow
;! stdout: ok shadow-vmlaunch
;! stdout: ok shadow-vmresume
;! stdout: ok shadow-vmlaunch-mov-ss
;! stdout: ok vmclear
;! stdout: ok vmptrld
;! stdout: ok vmresume-clear
;! stdout: ok vmlaunch-mov-ss
;! stdout: ok vmresume-mov-ss
;! stdout: ok vmresume-clear-after-mov-ss
;! stdout: ok vmresume-mov-ss-again
;! stdout: ok vmptrst-unchanged
;! stdout: ok vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

; MOVSS_INVALID name, insn / MOVSS_VALID name, n, insn: "mov ss, ax" right before insn
%macro MOVSS_INVALID 2
        mov ax, ss
        VMX_PRESET_INVALID
        mov ss, ax
        %2
        VMX_CHECK_INVALID %1
%endmacro
%macro MOVSS_VALID 3
        mov ax, ss
        VMX_PRESET_VALID
        mov ss, ax
        %3
        VMX_CHECK_VALID %1, %2
%endmacro

start:
        call idt_setup
        call vmx_setup
        VMX_ON
        VMX_EXPECT_FAIL_INVALID "novmcs-vmlaunch", vmlaunch
        VMX_EXPECT_FAIL_INVALID "novmcs-vmresume", vmresume
        MOVSS_INVALID "novmcs-vmlaunch-mov-ss", vmlaunch
        MOVSS_INVALID "novmcs-vmresume-mov-ss", vmresume

        mov eax, [rel vmx_rev]
        bts eax, 31
        mov [rel vmcs_c], eax
        VMX_EXPECT_OK "vmptrld-shadow", vmptrld [rel p_vmcs_c]
        VMX_EXPECT_FAIL_INVALID "shadow-vmlaunch", vmlaunch
        VMX_EXPECT_FAIL_INVALID "shadow-vmresume", vmresume
        MOVSS_INVALID "shadow-vmlaunch-mov-ss", vmlaunch

        VMX_EXPECT_OK "vmclear", vmclear [rel p_vmcs_a]
        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]
        VMX_EXPECT_FAIL_VALID "vmresume-clear", 5, vmresume
        MOVSS_VALID "vmlaunch-mov-ss", 26, vmlaunch
        MOVSS_VALID "vmresume-mov-ss", 26, vmresume
        VMX_EXPECT_FAIL_VALID "vmresume-clear-after-mov-ss", 5, vmresume
        MOVSS_VALID "vmresume-mov-ss-again", 26, vmresume
        mov qword [rel vmx_tmp], 0
        vmptrst [rel vmx_tmp]
        CHECK "vmptrst-unchanged", [rel vmx_tmp], [rel p_vmcs_a]
        VMX_EXPECT_OK "vmxoff", vmxoff
        call checks_done

ELF64_BSS
VMX_BSS
ELF64_END
