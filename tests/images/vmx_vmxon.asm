; VMXON (SDM Vol. 3C, VMX instruction reference "VMXON"), in its order of checks:
;   #UD with CR4.VMXE = 0, for the register form and with a LOCK prefix;
;   outside VMX operation: #GP(0) when CR0 violates IA32_VMX_CR0_FIXED0 (NE = 0);
;   the memory operand's own faults: #GP(0) non-canonical, #SS(0) non-canonical
;   through RSP, #PF (not-present page: error code 0, CR2);
;   VMfailInvalid for a pointer that is not 4 KiB aligned, sets a bit at or above
;   MAXPHYADDR, or names a region whose revision id is wrong or has bit 31 set;
;   VMsucceed, after which the current-VMCS pointer is invalid (VMPTRST: all ones);
;   in VMX root: VMfail(15) without reading the operand (VMfailInvalid with no current
;   VMCS, VMfailValid(15) with one, even for an operand on a not-present page);
;   CR4.VMXE and CR0.NE cannot be cleared in VMX operation (#GP(0), unchanged).
;! args: --max-insns 10000000
;! status: 1
;! stderr: ^vtsim: VMXON at RIP=0x100dee on lp0: VMfailInvalid; VMXON pointer 0x102008\. VMXON's operand must be a 4 KiB-aligned physical address below MAXPHYADDR: pass the address of a 4 KiB-aligned VMXON region in RAM \(SDM Vol\. 3C, "VMXON-Enter VMX Operation"\)$
;! stderr: ^vtsim: VMXON at RIP=0x100f7f on lp0: VMfailInvalid; VMXON pointer 0x106000\. VMXON needs the VMXON region's dword 0 to hold the revision identifier of IA32_VMX_BASIC\[30:0\], with bit 31 clear: write the revision identifier there before VMXON \(SDM Vol\. 3C, "VMXON-Enter VMX Operation"\)$
;! stderr: ^vtsim: VMXON at RIP=0x1011f5 on lp0: VMfailValid\(15\), VMXON executed in VMX root operation; in VMX operation since VMXON of 0x102000\. VMXON in VMX root operation: the processor is already in VMX operation: execute VMXON once, or VMXOFF before the next VMXON \(SDM Vol\. 3C, "VMXON-Enter VMX Operation"\)$
;! stdout: vmxon-vmxe0: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxon-ne0: EXC 0d ERR 00000000 RIP ok
;! stdout: vmxon-reg: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxon-lock: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxon-noncanonical: EXC 0d ERR 00000000 RIP ok
;! stdout: vmxon-ss-noncanonical: EXC 0c ERR 00000000 RIP ok
;! stdout: vmxon-operand-not-present: EXC 0e ERR 00000000 RIP ok CR2 00000000003fe010
;! stdout: ok vmxon-unaligned-8
;! stdout: ok vmxon-unaligned-800
;! stdout: ok vmxon-beyond-maxphyaddr
;! stdout: ok vmxon-bit63
;! stdout: ok vmxon-bad-revision
;! stdout: ok vmxon-shadow-bit
;! stdout: ok vmxon-pointer-not-present-read
;! stdout: ok vmxon
;! stdout: ok vmptrst-after-vmxon
;! stdout: ok vmptrst-value
;! stdout: ok vmxon-in-root-no-vmcs
;! stdout: ok vmptrld
;! stdout: ok vmxon-in-root
;! stdout: ok vmxon-in-root-operand-not-read
;! stdout: vmxon-in-root-lock: EXC 06 ERR 00000000 RIP ok
;! stdout: cr4-vmxe-clear: EXC 0d ERR 00000000 RIP ok
;! stdout: cr0-ne-clear: EXC 0d ERR 00000000 RIP ok
;! stdout: ok cr4-unchanged
;! stdout: ok cr0-unchanged
;! stdout: ok still-in-root
;! stdout: ok vmxoff
;! stdout: ok cr4-vmxe-clear-after-vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

start:
        call idt_setup
        call vmx_setup
        call vmx_paging_setup

        VMX_EXPECT_EXC "vmxon-vmxe0", vmxon [rel p_vmxon]
        call vmx_cr4_on
        mov r12, cr0
        mov rax, r12
        btr rax, 5                      ; NE: IA32_VMX_CR0_FIXED0 bit 5
        mov cr0, rax
        VMX_EXPECT_EXC "vmxon-ne0", vmxon [rel p_vmxon]
        mov cr0, r12
        VMX_EXPECT_EXC "vmxon-reg", db 0xF3, 0x0F, 0xC7, 0xF0   ; vmxon rax (mod = 3)
        VMX_EXPECT_EXC "vmxon-lock", db 0xF0, 0xF3, 0x0F, 0xC7, 0x35, 0, 0, 0, 0   ; lock vmxon [rip]
        mov rbx, 0x8000000000000000
        VMX_EXPECT_EXC "vmxon-noncanonical", vmxon [rbx]
        VMX_EXPECT_EXC "vmxon-ss-noncanonical", vmxon [rsp + rbx]
        mov rbx, VMX_NP_PAGE + 0x10
        VMX_EXPECT_EXC "vmxon-operand-not-present", vmxon [rbx]

        mov rax, [rel p_vmxon]
        add rax, 8
        VMX_SETP rax
        VMX_EXPECT_FAIL_INVALID "vmxon-unaligned-8", vmxon [rel vmx_ptr]
        add rax, 0x800 - 8
        VMX_SETP rax
        VMX_EXPECT_FAIL_INVALID "vmxon-unaligned-800", vmxon [rel vmx_ptr]
        mov rax, [rel p_vmxon]
        or rax, [rel vmx_beyond]
        VMX_SETP rax
        VMX_EXPECT_FAIL_INVALID "vmxon-beyond-maxphyaddr", vmxon [rel vmx_ptr]
        mov rax, [rel p_vmxon]
        bts rax, 63
        VMX_SETP rax
        VMX_EXPECT_FAIL_INVALID "vmxon-bit63", vmxon [rel vmx_ptr]
        mov eax, [rel vmx_rev]
        inc eax
        and eax, 0x7FFFFFFF
        mov [rel vmx_scratch], eax
        VMX_EXPECT_FAIL_INVALID "vmxon-bad-revision", vmxon [rel p_scratch]
        mov eax, [rel vmx_rev]
        bts eax, 31
        mov [rel vmx_scratch], eax
        VMX_EXPECT_FAIL_INVALID "vmxon-shadow-bit", vmxon [rel p_scratch]
        ; the pointer names a not-present linear page: VMXON reads the region by its
        ; physical address, paging does not matter (the revision there is 0: fail)
        VMX_SETP VMX_NP_PAGE
        VMX_EXPECT_FAIL_INVALID "vmxon-pointer-not-present-read", vmxon [rel vmx_ptr]

        VMX_EXPECT_OK "vmxon", vmxon [rel p_vmxon]
        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "vmptrst-after-vmxon", vmptrst [rel vmx_tmp]
        CHECK "vmptrst-value", [rel vmx_tmp], -1
        VMX_EXPECT_FAIL_INVALID "vmxon-in-root-no-vmcs", vmxon [rel p_vmxon]
        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]
        VMX_EXPECT_FAIL_VALID "vmxon-in-root", 15, vmxon [rel p_vmxon]
        mov rbx, VMX_NP_PAGE
        VMX_EXPECT_FAIL_VALID "vmxon-in-root-operand-not-read", 15, vmxon [rbx]
        VMX_EXPECT_EXC "vmxon-in-root-lock", db 0xF0, 0xF3, 0x0F, 0xC7, 0x35, 0, 0, 0, 0

        mov r13, cr4
        mov r12, cr0
        mov rax, r13
        btr rax, 13
        VMX_EXPECT_EXC "cr4-vmxe-clear", mov cr4, rax
        mov rax, r12
        btr rax, 5
        VMX_EXPECT_EXC "cr0-ne-clear", mov cr0, rax
        mov rax, cr4
        CHECK "cr4-unchanged", rax, r13
        mov rax, cr0
        CHECK "cr0-unchanged", rax, r12
        VMX_EXPECT_OK "still-in-root", vmptrst [rel vmx_tmp]
        VMX_EXPECT_OK "vmxoff", vmxoff
        call vmx_cr4_off
        mov rax, cr4
        CHECK_MASK "cr4-vmxe-clear-after-vmxoff", rax, 0x2000, 0
        call checks_done

ELF64_BSS
VMX_BSS
ELF64_END
