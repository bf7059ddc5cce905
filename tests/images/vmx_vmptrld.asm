; VMPTRLD m64 and VMPTRST m64 (SDM Vol. 3C "VMPTRLD", "VMPTRST").
; VMPTRLD: the operand's faults (#GP(0) non-canonical, #SS(0) through RSP, #PF on a
; not-present page, error 0 and CR2) come first, even without a current VMCS; then
; VMfail(9) for a pointer not 4 KiB aligned or beyond MAXPHYADDR, VMfail(10) for the
; VMXON pointer, VMfail(11) for a region whose revision id is wrong (VMfailInvalid /
; VMfailValid depending on a current VMCS). A failed VMPTRLD leaves the current-VMCS
; pointer alone. With VMCS shadowing (xeon), a region with bit 31 set is accepted. The
; pointer is physical (a region on a page with no linear mapping loads) and the memory
; operand need not be aligned.
; VMPTRST: stores the current-VMCS pointer (all ones when there is none) as 8 bytes
; (unaligned operand fine); #PF with error code 2 (not present) / 3 (read-only page),
; #GP(0) for a non-canonical operand.
;! args: --max-insns 10000000
;! status: 1
;! stdout: ok vmxon
;! stdout: vmptrld-noncanonical: EXC 0d ERR 00000000 RIP ok
;! stdout: vmptrld-ss-noncanonical: EXC 0c ERR 00000000 RIP ok
;! stdout: vmptrld-operand-not-present: EXC 0e ERR 00000000 RIP ok CR2 00000000003fe018
;! stdout: ok novmcs-vmptrld-unaligned
;! stdout: ok novmcs-vmptrld-beyond-maxphyaddr
;! stdout: ok novmcs-vmptrld-vmxon-pointer
;! stdout: ok novmcs-vmptrld-bad-revision
;! stdout: ok novmcs-vmptrst
;! stdout: ok novmcs-vmptrst-value
;! stdout: ok vmptrld-a
;! stdout: ok vmptrst-a
;! stdout: ok vmptrst-a-value
;! stdout: ok vmptrld-unaligned-8
;! stdout: ok vmptrld-unaligned-800
;! stdout: ok vmptrld-beyond-maxphyaddr
;! stdout: ok vmptrld-bit63
;! stdout: ok vmptrld-vmxon-pointer
;! stdout: ok vmptrld-bad-revision
;! stdout: ok vmptrld-revision-0
;! stdout: ok vmptrst-after-failures
;! stdout: ok current-still-a
;! stdout: ok vmptrld-shadow-vmcs
;! stdout: ok vmptrst-shadow
;! stdout: ok current-shadow
;! stdout: ok vmwrite-shadow
;! stdout: ok vmread-shadow
;! stdout: ok vmptrld-phys-not-mapped
;! stdout: ok vmptrst-phys
;! stdout: ok current-phys
;! stdout: ok vmptrld-unaligned-operand
;! stdout: ok vmptrld-b-twice
;! stdout: ok vmptrst-unaligned-operand
;! stdout: ok vmptrst-unaligned-value
;! stdout: ok vmptrst-unaligned-neighbours
;! stdout: vmptrst-not-present: EXC 0e ERR 00000002 RIP ok CR2 00000000003fe020
;! stdout: vmptrst-read-only: EXC 0e ERR 00000003 RIP ok CR2 00000000003fd000
;! stdout: ok read-only-untouched
;! stdout: vmptrst-noncanonical: EXC 0d ERR 00000000 RIP ok
;! stdout: vmptrst-lock: EXC 06 ERR 00000000 RIP ok
;! stdout: ok vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

start:
        call idt_setup
        call vmx_setup
        mov eax, [rel vmx_rev]
        mov [abs VMX_NP_PAGE], eax      ; a VMCS region there, while it is still mapped
        mov qword [abs VMX_RO_PAGE], 0x77
        call vmx_paging_setup
        VMX_ON

        mov rbx, 0x8000000000000000
        VMX_EXPECT_EXC "vmptrld-noncanonical", vmptrld [rbx]
        VMX_EXPECT_EXC "vmptrld-ss-noncanonical", vmptrld [rsp + rbx]
        mov rbx, VMX_NP_PAGE + 0x18
        VMX_EXPECT_EXC "vmptrld-operand-not-present", vmptrld [rbx]

        mov rax, [rel p_vmcs_a]
        add rax, 8
        VMX_SETP rax
        VMX_EXPECT_FAIL_INVALID "novmcs-vmptrld-unaligned", vmptrld [rel vmx_ptr]
        mov rax, [rel p_vmcs_a]
        or rax, [rel vmx_beyond]
        VMX_SETP rax
        VMX_EXPECT_FAIL_INVALID "novmcs-vmptrld-beyond-maxphyaddr", vmptrld [rel vmx_ptr]
        VMX_EXPECT_FAIL_INVALID "novmcs-vmptrld-vmxon-pointer", vmptrld [rel p_vmxon]
        mov eax, [rel vmx_rev]
        inc eax
        and eax, 0x7FFFFFFF
        mov [rel vmx_scratch], eax
        VMX_EXPECT_FAIL_INVALID "novmcs-vmptrld-bad-revision", vmptrld [rel p_scratch]
        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "novmcs-vmptrst", vmptrst [rel vmx_tmp]
        CHECK "novmcs-vmptrst-value", [rel vmx_tmp], -1

        VMX_EXPECT_OK "vmptrld-a", vmptrld [rel p_vmcs_a]
        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "vmptrst-a", vmptrst [rel vmx_tmp]
        CHECK "vmptrst-a-value", [rel vmx_tmp], [rel p_vmcs_a]

        mov rax, [rel p_vmcs_b]
        add rax, 8
        VMX_SETP rax
        VMX_EXPECT_FAIL_VALID "vmptrld-unaligned-8", 9, vmptrld [rel vmx_ptr]
        add rax, 0x800 - 8
        VMX_SETP rax
        VMX_EXPECT_FAIL_VALID "vmptrld-unaligned-800", 9, vmptrld [rel vmx_ptr]
        mov rax, [rel p_vmcs_b]
        or rax, [rel vmx_beyond]
        VMX_SETP rax
        VMX_EXPECT_FAIL_VALID "vmptrld-beyond-maxphyaddr", 9, vmptrld [rel vmx_ptr]
        mov rax, [rel p_vmcs_b]
        bts rax, 63
        VMX_SETP rax
        VMX_EXPECT_FAIL_VALID "vmptrld-bit63", 9, vmptrld [rel vmx_ptr]
        VMX_EXPECT_FAIL_VALID "vmptrld-vmxon-pointer", 10, vmptrld [rel p_vmxon]
        VMX_EXPECT_FAIL_VALID "vmptrld-bad-revision", 11, vmptrld [rel p_scratch]
        mov dword [rel vmx_scratch], 0
        VMX_EXPECT_FAIL_VALID "vmptrld-revision-0", 11, vmptrld [rel p_scratch]
        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "vmptrst-after-failures", vmptrst [rel vmx_tmp]
        CHECK "current-still-a", [rel vmx_tmp], [rel p_vmcs_a]

        ; a shadow VMCS (bit 31) may be made current: VMCS shadowing is supported
        mov eax, [rel vmx_rev]
        bts eax, 31
        mov [rel vmx_scratch], eax
        VMX_EXPECT_OK "vmptrld-shadow-vmcs", vmptrld [rel p_scratch]
        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "vmptrst-shadow", vmptrst [rel vmx_tmp]
        CHECK "current-shadow", [rel vmx_tmp], [rel p_scratch]
        mov ebx, 0x681E
        mov rcx, 0x1234
        VMX_EXPECT_OK "vmwrite-shadow", vmwrite rbx, rcx
        VMX_READ_CHECK "vmread-shadow", 0x681E, 0x1234

        VMX_SETP VMX_NP_PAGE
        VMX_EXPECT_OK "vmptrld-phys-not-mapped", vmptrld [rel vmx_ptr]
        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "vmptrst-phys", vmptrst [rel vmx_tmp]
        CHECK "current-phys", [rel vmx_tmp], VMX_NP_PAGE

        mov rax, [rel p_vmcs_b]
        mov [rel odd + 1], rax
        VMX_EXPECT_OK "vmptrld-unaligned-operand", vmptrld [rel odd + 1]
        VMX_EXPECT_OK "vmptrld-b-twice", vmptrld [rel p_vmcs_b]
        mov rax, -1
        mov [rel odd], rax
        mov [rel odd + 8], rax
        VMX_EXPECT_OK "vmptrst-unaligned-operand", vmptrst [rel odd + 3]
        CHECK "vmptrst-unaligned-value", [rel odd + 3], [rel p_vmcs_b]
        mov eax, [rel odd]
        and eax, 0xFFFFFF
        mov edx, [rel odd + 11]
        and edx, 0xFFFFFF
        shl rdx, 24
        or rax, rdx
        CHECK "vmptrst-unaligned-neighbours", rax, 0xFFFFFFFFFFFF

        mov rbx, VMX_NP_PAGE + 0x20
        VMX_EXPECT_EXC "vmptrst-not-present", vmptrst [rbx]
        mov rbx, VMX_RO_PAGE
        VMX_EXPECT_EXC "vmptrst-read-only", vmptrst [rbx]
        CHECK "read-only-untouched", [abs VMX_RO_PAGE], 0x77
        mov rbx, 0x8000000000000000
        VMX_EXPECT_EXC "vmptrst-noncanonical", vmptrst [rbx]
        lea rsi, [rel vmx_tmp]
        VMX_EXPECT_EXC "vmptrst-lock", db 0xF0, 0x0F, 0xC7, 0x3E   ; lock vmptrst [rsi]
        VMX_EXPECT_OK "vmxoff", vmxoff
        call checks_done

        align 16, db 0
odd:    times 32 db 0

ELF64_BSS
VMX_BSS
ELF64_END
