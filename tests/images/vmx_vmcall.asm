; VMCALL in VMX root operation while the dual-monitor treatment of SMIs and SMM is not
; enabled (IA32_SMM_MONITOR_CTL.valid = 0; vmx_smm_vmcall.asm enables it): VMfail(1) -- VMfailInvalid with no current VMCS,
; VMfailValid(1) with one -- and execution continues after it; outside VMX operation
; #UD. VMFUNC is #UD in VMX root (it exists only in non-root operation).
;! args: --max-insns 10000000
;! status: 1
;! stdout: vmcall-outside: EXC 06 ERR 00000000 RIP ok
;! stdout: ok vmxon
;! stdout: ok novmcs-vmcall
;! stdout: ok vmptrld
;! stdout: ok vmcall
;! stdout: ok vmcall-again
;! stdout: ok vmcall-regs-kept
;! stdout: root-vmfunc: EXC 06 ERR 00000000 RIP ok
;! stdout: root-vmfunc-eptp-switch: EXC 06 ERR 00000000 RIP ok
;! stdout: ok vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

start:
        call idt_setup
        call vmx_setup
        call vmx_cr4_on
        VMX_EXPECT_EXC "vmcall-outside", vmcall
        VMX_ON
        VMX_EXPECT_FAIL_INVALID "novmcs-vmcall", vmcall
        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]
        mov rax, 0x1111
        mov rbx, 0x2222
        mov rcx, 0x3333
        mov rdx, 0x4444
        VMX_EXPECT_FAIL_VALID "vmcall", 1, vmcall
        VMX_EXPECT_FAIL_VALID "vmcall-again", 1, vmcall
        lea rax, [rax + rbx]
        add rax, rcx
        add rax, rdx
        CHECK "vmcall-regs-kept", rax, 0xAAAA
        mov eax, 64
        VMX_EXPECT_EXC "root-vmfunc", vmfunc
        xor eax, eax
        xor ecx, ecx
        VMX_EXPECT_EXC "root-vmfunc-eptp-switch", vmfunc
        VMX_EXPECT_OK "vmxoff", vmxoff
        call checks_done

ELF64_BSS
VMX_BSS
ELF64_END
