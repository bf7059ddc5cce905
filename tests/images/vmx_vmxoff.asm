; VMXOFF (SDM Vol. 3C "VMXOFF"): #UD outside VMX operation; in VMX root it leaves VMX
; operation with VMsucceed. Afterwards every VMX instruction but VMXON is #UD again,
; CR4.VMXE may be cleared and set, and VMXON works again with the current-VMCS pointer
; invalid (VMPTRST all ones, VMREAD VMfailInvalid). A VMCS that was VMCLEARed before
; VMXOFF keeps its contents: VMPTRLD after the new VMXON reads them back.
;! args: --max-insns 10000000
;! status: 1
;! stdout: vmxoff-outside: EXC 06 ERR 00000000 RIP ok
;! stdout: ok vmxon
;! stdout: ok vmptrld
;! stdout: ok vmwrite
;! stdout: ok vmxoff
;! stdout: after-vmxoff-vmxoff: EXC 06 ERR 00000000 RIP ok
;! stdout: after-vmxoff-vmclear: EXC 06 ERR 00000000 RIP ok
;! stdout: after-vmxoff-vmptrld: EXC 06 ERR 00000000 RIP ok
;! stdout: after-vmxoff-vmptrst: EXC 06 ERR 00000000 RIP ok
;! stdout: after-vmxoff-vmread: EXC 06 ERR 00000000 RIP ok
;! stdout: after-vmxoff-vmwrite: EXC 06 ERR 00000000 RIP ok
;! stdout: after-vmxoff-vmlaunch: EXC 06 ERR 00000000 RIP ok
;! stdout: after-vmxoff-vmresume: EXC 06 ERR 00000000 RIP ok
;! stdout: after-vmxoff-invept: EXC 06 ERR 00000000 RIP ok
;! stdout: after-vmxoff-invvpid: EXC 06 ERR 00000000 RIP ok
;! stdout: after-vmxoff-vmcall: EXC 06 ERR 00000000 RIP ok
;! stdout: after-vmxoff-vmfunc: EXC 06 ERR 00000000 RIP ok
;! stdout: ok cr4-vmxe-cleared
;! stdout: ok vmxon
;! stdout: ok vmptrst-again
;! stdout: ok vmptrst-invalid
;! stdout: ok vmread-no-current-vmcs
;! stdout: ok vmptrld-again
;! stdout: ok vmwrite-again
;! stdout: ok vmclear
;! stdout: ok vmxoff-after-vmclear
;! stdout: ok vmxon
;! stdout: ok vmptrld-third
;! stdout: ok vmread-kept-across-vmxoff
;! stdout: ok vmxoff-final
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

%macro UD_CASE 3+
        PUTS %1, %2, ": "
        TRY %3
%endmacro

start:
        call idt_setup
        call vmx_setup
        call vmx_cr4_on
        VMX_EXPECT_EXC "vmxoff-outside", vmxoff
        VMX_ON
        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]
        mov ebx, 0x681E                 ; GUEST_RIP
        mov rcx, 0x123456789
        VMX_EXPECT_OK "vmwrite", vmwrite rbx, rcx
        VMX_EXPECT_OK "vmxoff", vmxoff

        mov eax, 2
        UD_CASE "after-vmxoff-", "vmxoff", vmxoff
        UD_CASE "after-vmxoff-", "vmclear", vmclear [rel p_vmcs_a]
        UD_CASE "after-vmxoff-", "vmptrld", vmptrld [rel p_vmcs_a]
        UD_CASE "after-vmxoff-", "vmptrst", vmptrst [rel vmx_tmp]
        UD_CASE "after-vmxoff-", "vmread", vmread rcx, rbx
        UD_CASE "after-vmxoff-", "vmwrite", vmwrite rbx, rcx
        UD_CASE "after-vmxoff-", "vmlaunch", vmlaunch
        UD_CASE "after-vmxoff-", "vmresume", vmresume
        UD_CASE "after-vmxoff-", "invept", invept rax, [rel desc]
        UD_CASE "after-vmxoff-", "invvpid", invvpid rax, [rel desc]
        UD_CASE "after-vmxoff-", "vmcall", vmcall
        xor eax, eax
        xor ecx, ecx
        UD_CASE "after-vmxoff-", "vmfunc", vmfunc

        call vmx_cr4_off                ; allowed again outside VMX operation
        mov rax, cr4
        CHECK_MASK "cr4-vmxe-cleared", rax, 0x2000, 0
        VMX_ON
        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "vmptrst-again", vmptrst [rel vmx_tmp]
        CHECK "vmptrst-invalid", [rel vmx_tmp], -1
        mov ebx, 0x681E
        VMX_EXPECT_FAIL_INVALID "vmread-no-current-vmcs", vmread rcx, rbx
        VMX_EXPECT_OK "vmptrld-again", vmptrld [rel p_vmcs_a]
        mov rcx, 0xFEDCBA9876543210
        VMX_EXPECT_OK "vmwrite-again", vmwrite rbx, rcx
        VMX_EXPECT_OK "vmclear", vmclear [rel p_vmcs_a]
        VMX_EXPECT_OK "vmxoff-after-vmclear", vmxoff
        VMX_ON
        VMX_EXPECT_OK "vmptrld-third", vmptrld [rel p_vmcs_a]
        VMX_READ_CHECK "vmread-kept-across-vmxoff", 0x681E, 0xFEDCBA9876543210
        VMX_EXPECT_OK "vmxoff-final", vmxoff
        call checks_done

        align 16, db 0
desc:   dq 0, 0

ELF64_BSS
VMX_BSS
ELF64_END
