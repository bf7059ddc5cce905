; The "minimal" CPU model (first-generation VT-x: no secondary controls, hence no EPT,
; VPID, VMCS shadowing or VM functions; IA32_VMX_MISC[29] = 0; no preemption timer,
; no PAT load/save). SDM Vol. 3C: VMWRITE to a VM-exit information field fails with
; VMfailValid(13) when IA32_VMX_MISC[29] = 0 (VMREAD of it works); a field the
; processor does not support is error 12 for both (checked before 13, e.g. the
; EPT-only guest-physical address); VMPTRLD of a region with bit 31 set needs VMCS
; shadowing: VMfailValid(11); INVEPT/INVVPID do not exist: #UD; VMFUNC #UD. The
; revision id comes from this model's IA32_VMX_BASIC; IA32_VMX_PROCBASED_CTLS2 (48BH)
; does not exist (#GP).
;! args: --cpu minimal --max-insns 10000000
;! status: 1
;! stdout: ok vmxon
;! stdout: ok novmcs-vmptrld-shadow
;! stdout: ok vmclear
;! stdout: ok vmptrld
;! stdout: ok vmptrld-shadow
;! stdout: ok vmptrld-shadow-rev-only
;! stdout: ok vmwrite-exit-reason
;! stdout: ok vmwrite-exit-qualification
;! stdout: ok vmwrite-instruction-error
;! stdout: ok vmwrite-exit-intr-info
;! stdout: ok vmwrite-guest-physical-address
;! stdout: ok vmread-exit-reason
;! stdout: ok vmread-exit-qualification
;! stdout: ok vmread-guest-physical-address
;! stdout: ok vmwrite-eptp
;! stdout: ok vmread-eptp
;! stdout: ok vmwrite-vpid
;! stdout: ok vmread-vpid
;! stdout: ok vmwrite-secondary-controls
;! stdout: ok vmwrite-preemption-timer
;! stdout: ok vmwrite-guest-pat
;! stdout: ok vmwrite-guest-rip
;! stdout: ok vmread-guest-rip
;! stdout: ok vmwrite-primary-controls
;! stdout: ok vmread-primary-controls
;! stdout: invept: EXC 06 ERR 00000000 RIP ok
;! stdout: invvpid: EXC 06 ERR 00000000 RIP ok
;! stdout: vmfunc: EXC 06 ERR 00000000 RIP ok
;! stdout: rdmsr-procbased-ctls2: EXC 0d ERR 00000000 RIP ok
;! stdout: ok vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

start:
        call idt_setup
        call vmx_setup
        VMX_ON
        mov eax, [rel vmx_rev]
        bts eax, 31
        mov [rel vmcs_c], eax
        VMX_EXPECT_FAIL_INVALID "novmcs-vmptrld-shadow", vmptrld [rel p_vmcs_c]
        VMX_EXPECT_OK "vmclear", vmclear [rel p_vmcs_a]
        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]
        VMX_EXPECT_FAIL_VALID "vmptrld-shadow", 11, vmptrld [rel p_vmcs_c]
        mov eax, 0x80000000             ; bit 31 alone, revision 0
        mov [rel vmcs_c], eax
        VMX_EXPECT_FAIL_VALID "vmptrld-shadow-rev-only", 11, vmptrld [rel p_vmcs_c]

        mov eax, 0x1234
        mov ebx, 0x4402
        VMX_EXPECT_FAIL_VALID "vmwrite-exit-reason", 13, vmwrite rbx, rax
        mov ebx, 0x6400
        VMX_EXPECT_FAIL_VALID "vmwrite-exit-qualification", 13, vmwrite rbx, rax
        mov ebx, 0x4400
        VMX_EXPECT_FAIL_VALID "vmwrite-instruction-error", 13, vmwrite rbx, rax
        mov ebx, 0x4404
        VMX_EXPECT_FAIL_VALID "vmwrite-exit-intr-info", 13, vmwrite rbx, rax
        mov ebx, 0x2400
        VMX_EXPECT_FAIL_VALID "vmwrite-guest-physical-address", 12, vmwrite rbx, rax
        mov ebx, 0x4402
        VMX_EXPECT_OK "vmread-exit-reason", vmread rax, rbx
        mov ebx, 0x6400
        VMX_EXPECT_OK "vmread-exit-qualification", vmread rax, rbx
        mov ebx, 0x2400
        VMX_EXPECT_FAIL_VALID "vmread-guest-physical-address", 12, vmread rax, rbx

        mov eax, 0x1000
        mov ebx, 0x201A
        VMX_EXPECT_FAIL_VALID "vmwrite-eptp", 12, vmwrite rbx, rax
        VMX_EXPECT_FAIL_VALID "vmread-eptp", 12, vmread rax, rbx
        mov eax, 1
        mov ebx, 0x0000
        VMX_EXPECT_FAIL_VALID "vmwrite-vpid", 12, vmwrite rbx, rax
        VMX_EXPECT_FAIL_VALID "vmread-vpid", 12, vmread rax, rbx
        xor eax, eax
        mov ebx, 0x401E
        VMX_EXPECT_FAIL_VALID "vmwrite-secondary-controls", 12, vmwrite rbx, rax
        mov ebx, 0x482E
        VMX_EXPECT_FAIL_VALID "vmwrite-preemption-timer", 12, vmwrite rbx, rax
        mov ebx, 0x2804
        VMX_EXPECT_FAIL_VALID "vmwrite-guest-pat", 12, vmwrite rbx, rax

        mov ebx, 0x681E
        mov rax, 0xFFFF800000001000
        VMX_EXPECT_OK "vmwrite-guest-rip", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-guest-rip", 0x681E, 0xFFFF800000001000
        mov ebx, 0x4002
        mov eax, 0x0401E172
        VMX_EXPECT_OK "vmwrite-primary-controls", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-primary-controls", 0x4002, 0x0401E172

        mov eax, 2
        VMX_EXPECT_EXC "invept", invept rax, [rel desc]
        VMX_EXPECT_EXC "invvpid", invvpid rax, [rel desc]
        xor eax, eax
        xor ecx, ecx
        VMX_EXPECT_EXC "vmfunc", vmfunc
        mov ecx, 0x48B
        VMX_EXPECT_EXC "rdmsr-procbased-ctls2", rdmsr
        VMX_EXPECT_OK "vmxoff", vmxoff
        call checks_done

        align 16, db 0
desc:   dq 0, 0

ELF64_BSS
VMX_BSS
ELF64_END
