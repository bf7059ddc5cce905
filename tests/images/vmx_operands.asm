; Operand decoding of the VMX instructions in 64-bit mode (every form must reach the
; same architected result): SIB addressing with scale and displacement, R8-R15 as base,
; index and register operands (REX.R/X/B), R12/R13 bases (SIB / displacement forms),
; RSP-based operands, FS/GS segment overrides with nonzero bases, the address-size
; prefix (67h: a 32-bit effective address, upper register bits ignored), a redundant
; REX.W on VMREAD/VMWRITE (the operand size is 64 bits regardless).
;! args: --max-insns 10000000
;! status: 1
;! stdout: ok vmxon
;! stdout: ok vmptrld-sib
;! stdout: ok vmptrst-r12-r13
;! stdout: ok vmptrst-r12-r13-value
;! stdout: ok vmwrite-r11-r15
;! stdout: ok vmread-r9-r10
;! stdout: ok vmread-r9-value
;! stdout: ok vmread-mem-r14-r8
;! stdout: ok vmread-mem-r14-value
;! stdout: ok vmwrite-r13-base
;! stdout: ok vmwrite-r13-base-value
;! stdout: ok vmptrst-fs
;! stdout: ok vmptrst-fs-value
;! stdout: ok vmptrld-gs
;! stdout: ok vmread-gs
;! stdout: ok vmread-reference
;! stdout: ok vmread-gs-value
;! stdout: ok vmptrld-addr32
;! stdout: ok vmptrst-addr32
;! stdout: ok vmptrst-addr32-value
;! stdout: ok invept-rsp
;! stdout: ok invvpid-rsp
;! stdout: ok vmread-rsp
;! stdout: ok vmread-rsp-value
;! stdout: ok vmread-rex-w
;! stdout: ok vmread-rex-w-value
;! stdout: ok vmwrite-rex-w
;! stdout: ok vmwrite-rex-w-value
;! stdout: ok vmclear-r15-index
;! stdout: ok vmptrst-after-clear
;! stdout: ok vmxoff-final
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

start:
        call idt_setup
        call vmx_setup
        VMX_ON

        lea rax, [rel cells]
        mov rcx, [rel p_vmcs_a]
        mov [rel cells + 3 * 8 + 0x10], rcx
        mov ecx, 3
        VMX_EXPECT_OK "vmptrld-sib", vmptrld [rax + rcx * 8 + 0x10]
        lea r12, [rel cells]
        mov r13, 0x20
        VMX_EXPECT_OK "vmptrst-r12-r13", vmptrst [r12 + r13 * 2 - 8]
        CHECK "vmptrst-r12-r13-value", [rel cells + 0x38], [rel p_vmcs_a]
        mov r11, 0x681E
        mov r15, 0x0123456789ABCDEF
        VMX_EXPECT_OK "vmwrite-r11-r15", vmwrite r11, r15
        mov r10, 0x681E
        xor r9, r9
        VMX_EXPECT_OK "vmread-r9-r10", vmread r9, r10
        CHECK "vmread-r9-value", r9, 0x0123456789ABCDEF
        lea r14, [rel cells]
        mov r8, 0x681E
        VMX_EXPECT_OK "vmread-mem-r14-r8", vmread [r14 + 0x100], r8
        CHECK "vmread-mem-r14-value", [rel cells + 0x100], 0x0123456789ABCDEF
        lea r13, [rel cells + 0x180]
        mov qword [r13], 0x7777
        mov r12, 0x681C
        VMX_EXPECT_OK "vmwrite-r13-base", vmwrite r12, [r13]
        VMX_READ_CHECK "vmwrite-r13-base-value", 0x681C, 0x7777

        ; FS and GS bases
        lea rax, [rel cells + 0x200]
        mov rdx, rax
        shr rdx, 32
        mov ecx, 0xC0000100             ; IA32_FS_BASE
        wrmsr
        lea rax, [rel cells + 0x300]
        mov rdx, rax
        shr rdx, 32
        mov ecx, 0xC0000101             ; IA32_GS_BASE
        wrmsr
        mov qword [rel cells + 0x210], 0
        VMX_EXPECT_OK "vmptrst-fs", vmptrst [fs:abs 0x10]
        CHECK "vmptrst-fs-value", [rel cells + 0x210], [rel p_vmcs_a]
        mov rax, [rel p_vmcs_b]
        mov [rel cells + 0x308], rax
        mov ebx, 8
        VMX_EXPECT_OK "vmptrld-gs", vmptrld [gs:rbx]
        mov ebx, 0x681E
        mov ecx, 0x20
        VMX_EXPECT_OK "vmread-gs", vmread [gs:rcx], rbx
        mov rax, [rel cells + 0x320]
        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "vmread-reference", vmread [rel vmx_tmp], rbx
        CHECK "vmread-gs-value", rax, [rel vmx_tmp]
        xor eax, eax
        xor edx, edx
        mov ecx, 0xC0000100
        wrmsr
        mov ecx, 0xC0000101
        wrmsr

        ; address-size prefix: bits 63:32 of the base register do not count
        lea rax, [rel p_vmcs_a]
        mov rcx, 0xFFFF000000000000
        or rax, rcx
        VMX_EXPECT_OK "vmptrld-addr32", vmptrld [eax]
        lea rax, [rel cells + 0x400]
        or rax, rcx
        mov qword [rel cells + 0x400], 0
        VMX_EXPECT_OK "vmptrst-addr32", vmptrst [eax]
        CHECK "vmptrst-addr32-value", [rel cells + 0x400], [rel p_vmcs_a]

        ; operands on the stack
        sub rsp, 32
        mov qword [rsp + 8], 0
        mov qword [rsp + 16], 0
        mov eax, 2
        VMX_EXPECT_OK "invept-rsp", invept rax, [rsp + 8]
        VMX_EXPECT_OK "invvpid-rsp", invvpid rax, [rsp + 8]
        mov ebx, 0x681E
        VMX_EXPECT_OK "vmread-rsp", vmread [rsp], rbx
        mov rax, [rsp]
        add rsp, 32
        CHECK "vmread-rsp-value", rax, 0x0123456789ABCDEF

        ; REX.W
        mov ebx, 0x681E
        xor eax, eax
        VMX_EXPECT_OK "vmread-rex-w", db 0x48, 0x0F, 0x78, 0xD8       ; vmread rax, rbx
        CHECK "vmread-rex-w-value", rax, 0x0123456789ABCDEF
        mov rax, 0xFEDCBA9876543210
        VMX_EXPECT_OK "vmwrite-rex-w", db 0x48, 0x0F, 0x79, 0xD8      ; vmwrite rbx, rax
        VMX_READ_CHECK "vmwrite-rex-w-value", 0x681E, 0xFEDCBA9876543210

        lea rax, [rel cells]
        mov rcx, [rel p_vmcs_a]
        mov [rel cells + 0x500 + 2 * 4], rcx
        mov r15, 2
        VMX_EXPECT_OK "vmclear-r15-index", vmclear [rax + r15 * 4 + 0x500]
        mov qword [rel vmx_tmp], 0
        vmptrst [rel vmx_tmp]
        CHECK "vmptrst-after-clear", [rel vmx_tmp], -1
        VMX_EXPECT_OK "vmxoff-final", vmxoff
        call checks_done

ELF64_BSS
        alignb 16
cells:  resb 0x1000
VMX_BSS
ELF64_END
