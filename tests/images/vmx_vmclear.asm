; VMCLEAR m64 (SDM Vol. 3C "VMCLEAR"): the operand's faults (#GP(0) non-canonical,
; #SS(0) non-canonical through RSP, #PF on a not-present page: error 0, CR2); then
; VMfail(2) for a pointer not 4 KiB aligned or beyond MAXPHYADDR and VMfail(3) for the
; VMXON pointer -- VMfailInvalid while there is no current VMCS, VMfailValid(n) with
; one. No revision-id check: a region with a wrong revision id is cleared, and its
; first dword is left alone. The pointer is physical: a page that is not mapped
; linearly is fine. VMCLEAR of another VMCS keeps the current-VMCS pointer; VMCLEAR
; of the current VMCS makes it invalid (VMPTRST all ones, VMREAD VMfailInvalid) and the
; fields survive VMCLEAR + VMPTRLD.
;! args: --max-insns 10000000
;! status: 1
;! stderr: ^vtsim: VMCLEAR at RIP=0x100d27 on lp0: VMfailInvalid \(error 2, VMCLEAR with invalid physical address, with no current VMCS to hold it\); VMCS pointer 0x103008\. VMCLEAR's operand must be a 4 KiB-aligned physical address below MAXPHYADDR: pass the address of a 4 KiB-aligned VMCS region in RAM \(SDM Vol\. 3C, "VMCLEAR-Clear Virtual-Machine Control Structure"; VMfailInvalid: "Conventions" \(VMfail\)\)$
;! stderr: ^vtsim: VMCLEAR at RIP=0x1010df on lp0: VMfailValid\(3\), VMCLEAR with VMXON pointer; VMCS pointer 0x102000\. VMCLEAR's operand must not be the VMXON region's address: clear a VMCS region, not the VMXON region \(SDM Vol\. 3C, "VMCLEAR-Clear Virtual-Machine Control Structure"\)$
;! stdout: ok vmxon
;! stdout: vmclear-noncanonical: EXC 0d ERR 00000000 RIP ok
;! stdout: vmclear-ss-noncanonical: EXC 0c ERR 00000000 RIP ok
;! stdout: vmclear-operand-not-present: EXC 0e ERR 00000000 RIP ok CR2 00000000003fe008
;! stdout: ok novmcs-vmclear-unaligned
;! stdout: ok novmcs-vmclear-beyond-maxphyaddr
;! stdout: ok novmcs-vmclear-vmxon-pointer
;! stdout: ok novmcs-vmclear
;! stdout: ok vmptrld-b
;! stdout: ok vmclear-unaligned-8
;! stdout: ok vmclear-unaligned-800
;! stdout: ok vmclear-unaligned-1
;! stdout: ok vmclear-beyond-maxphyaddr
;! stdout: ok vmclear-bit63
;! stdout: ok vmclear-vmxon-pointer
;! stdout: ok vmclear-other
;! stdout: ok vmptrst-ok
;! stdout: ok current-kept
;! stdout: ok vmclear-bad-revision
;! stdout: ok bad-revision-kept
;! stdout: ok vmclear-phys-not-mapped
;! stdout: ok vmwrite-b
;! stdout: ok vmclear-current
;! stdout: ok revision-kept
;! stdout: ok vmptrst-after-clear
;! stdout: ok current-invalid
;! stdout: ok vmread-after-clear
;! stdout: ok vmwrite-after-clear
;! stdout: ok vmclear-unaligned-after-clear
;! stdout: ok vmptrld-b-again
;! stdout: ok field-survives-vmclear
;! stdout: ok vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

start:
        call idt_setup
        call vmx_setup
        call vmx_paging_setup
        VMX_ON

        mov rbx, 0x8000000000000000
        VMX_EXPECT_EXC "vmclear-noncanonical", vmclear [rbx]
        VMX_EXPECT_EXC "vmclear-ss-noncanonical", vmclear [rsp + rbx]
        mov rbx, VMX_NP_PAGE + 8
        VMX_EXPECT_EXC "vmclear-operand-not-present", vmclear [rbx]

        mov rax, [rel p_vmcs_a]
        add rax, 8
        VMX_SETP rax
        VMX_EXPECT_FAIL_INVALID "novmcs-vmclear-unaligned", vmclear [rel vmx_ptr]
        mov rax, [rel p_vmcs_a]
        or rax, [rel vmx_beyond]
        VMX_SETP rax
        VMX_EXPECT_FAIL_INVALID "novmcs-vmclear-beyond-maxphyaddr", vmclear [rel vmx_ptr]
        VMX_EXPECT_FAIL_INVALID "novmcs-vmclear-vmxon-pointer", vmclear [rel p_vmxon]
        VMX_EXPECT_OK "novmcs-vmclear", vmclear [rel p_vmcs_a]

        VMX_EXPECT_OK "vmptrld-b", vmptrld [rel p_vmcs_b]
        mov rax, [rel p_vmcs_a]
        add rax, 8
        VMX_SETP rax
        VMX_EXPECT_FAIL_VALID "vmclear-unaligned-8", 2, vmclear [rel vmx_ptr]
        add rax, 0x800 - 8
        VMX_SETP rax
        VMX_EXPECT_FAIL_VALID "vmclear-unaligned-800", 2, vmclear [rel vmx_ptr]
        mov rax, [rel p_vmcs_a]
        inc rax
        VMX_SETP rax
        VMX_EXPECT_FAIL_VALID "vmclear-unaligned-1", 2, vmclear [rel vmx_ptr]
        mov rax, [rel p_vmcs_a]
        or rax, [rel vmx_beyond]
        VMX_SETP rax
        VMX_EXPECT_FAIL_VALID "vmclear-beyond-maxphyaddr", 2, vmclear [rel vmx_ptr]
        mov rax, [rel p_vmcs_a]
        bts rax, 63
        VMX_SETP rax
        VMX_EXPECT_FAIL_VALID "vmclear-bit63", 2, vmclear [rel vmx_ptr]
        VMX_EXPECT_FAIL_VALID "vmclear-vmxon-pointer", 3, vmclear [rel p_vmxon]

        VMX_EXPECT_OK "vmclear-other", vmclear [rel p_vmcs_a]
        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "vmptrst-ok", vmptrst [rel vmx_tmp]
        CHECK "current-kept", [rel vmx_tmp], [rel p_vmcs_b]
        mov eax, [rel vmx_rev]
        inc eax
        and eax, 0x7FFFFFFF
        mov [rel vmx_scratch], eax
        mov r12, rax
        VMX_EXPECT_OK "vmclear-bad-revision", vmclear [rel p_scratch]
        mov eax, [rel vmx_scratch]
        CHECK "bad-revision-kept", rax, r12
        VMX_SETP VMX_NP_PAGE
        VMX_EXPECT_OK "vmclear-phys-not-mapped", vmclear [rel vmx_ptr]

        mov ebx, 0x4002                 ; primary processor-based controls
        mov ecx, 0x12345678
        VMX_EXPECT_OK "vmwrite-b", vmwrite rbx, rcx
        VMX_EXPECT_OK "vmclear-current", vmclear [rel p_vmcs_b]
        mov eax, [rel vmcs_b]
        CHECK "revision-kept", rax, [rel vmx_rev]
        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "vmptrst-after-clear", vmptrst [rel vmx_tmp]
        CHECK "current-invalid", [rel vmx_tmp], -1
        VMX_EXPECT_FAIL_INVALID "vmread-after-clear", vmread rax, rbx
        VMX_EXPECT_FAIL_INVALID "vmwrite-after-clear", vmwrite rbx, rcx
        mov rax, [rel p_vmcs_a]
        add rax, 8
        VMX_SETP rax
        VMX_EXPECT_FAIL_INVALID "vmclear-unaligned-after-clear", vmclear [rel vmx_ptr]
        VMX_EXPECT_OK "vmptrld-b-again", vmptrld [rel p_vmcs_b]
        VMX_READ_CHECK "field-survives-vmclear", 0x4002, 0x12345678
        VMX_EXPECT_OK "vmxoff", vmxoff
        call checks_done

ELF64_BSS
VMX_BSS
ELF64_END
