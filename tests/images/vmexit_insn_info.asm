; VM exits for VMX instructions executed by a guest carry the exit qualification
; (the displacement of a memory operand) and the VM-exit instruction information
; (SDM "Information for VM Exits Due to Instruction Execution"): scaling, address
; size, register or memory form, segment, index, base and the register operands:
; VMREAD, VMPTRLD, VMCLEAR, VMPTRST, VMWRITE, VMXON, INVEPT and INVVPID. Undefined
; bits are masked off.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok vmread-mem-reason
;! stdout: ok vmread-mem-qual
;! stdout: ok vmread-mem-info
;! stdout: ok vmread-reg-reason
;! stdout: ok vmread-reg-info
;! stdout: ok vmptrld-reason
;! stdout: ok vmptrld-qual
;! stdout: ok vmptrld-info
;! stdout: ok vmclear-reason
;! stdout: ok vmclear-qual
;! stdout: ok vmclear-info
;! stdout: ok vmptrst-reason
;! stdout: ok vmptrst-qual
;! stdout: ok vmptrst-info
;! stdout: ok vmwrite-mem-reason
;! stdout: ok vmwrite-mem-qual
;! stdout: ok vmwrite-mem-info
;! stdout: ok vmwrite-reg-reason
;! stdout: ok vmwrite-reg-info
;! stdout: ok vmxon-reason
;! stdout: ok vmxon-qual
;! stdout: ok vmxon-info
;! stdout: ok invept-reason
;! stdout: ok invept-qual
;! stdout: ok invept-info
;! stdout: ok invvpid-reason
;! stdout: ok invvpid-qual
;! stdout: ok invvpid-info
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

start:
        call idt_setup
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        call vmm_run
        ; vmread [rbx + rcx*4 + 0x10], rdx: scale 4 (2), 64-bit addresses (2 << 7),
        ; memory, DS (3 << 15), index RCX (1 << 18), base RBX (3 << 23), Reg2 RDX (2 << 28)
        CHECK "vmread-mem-reason", rax, 23
        VMM_CHECK "vmread-mem-qual", VMCS_EXIT_QUAL, 0x10
        VMM_CHECK "vmread-mem-info", VMCS_EXIT_INSINFO, 0x21858102
        call vmm_skip
        call vmm_run
        ; vmread rax, rdx: register form (1 << 10), Reg1 RAX (0 << 3), Reg2 RDX
        CHECK "vmread-reg-reason", rax, 23
        VMM_CHECK "vmread-reg-info", VMCS_EXIT_INSINFO, 0x20000400
        call vmm_skip
        call vmm_run
        ; vmptrld [rsp + 8]: no index (1 << 22), base RSP (4 << 23), SS (2 << 15)
        CHECK "vmptrld-reason", rax, 21
        VMM_CHECK "vmptrld-qual", VMCS_EXIT_QUAL, 8
        VMM_CHECK_MASK "vmptrld-info", VMCS_EXIT_INSINFO, 0x0fffff83, 0x02410100
        call vmm_skip
        call vmm_run
        ; vmclear [rbx + 0x20]: 64-bit addresses, DS, no index (1 << 22), base RBX
        CHECK "vmclear-reason", rax, 19
        VMM_CHECK "vmclear-qual", VMCS_EXIT_QUAL, 0x20
        VMM_CHECK_MASK "vmclear-info", VMCS_EXIT_INSINFO, 0x0fff8383, 0x01c18100
        call vmm_skip
        call vmm_run
        ; vmptrst [rbx + rcx*8 + 0x30]: scale 8 (3), index RCX
        CHECK "vmptrst-reason", rax, 22
        VMM_CHECK "vmptrst-qual", VMCS_EXIT_QUAL, 0x30
        VMM_CHECK_MASK "vmptrst-info", VMCS_EXIT_INSINFO, 0x0fff8383, 0x01858103
        call vmm_skip
        call vmm_run
        ; vmwrite rdx, [rbx + 0x40]: memory form, Reg2 RDX (the field)
        CHECK "vmwrite-mem-reason", rax, 25
        VMM_CHECK "vmwrite-mem-qual", VMCS_EXIT_QUAL, 0x40
        VMM_CHECK_MASK "vmwrite-mem-info", VMCS_EXIT_INSINFO, 0xffff8783, 0x21c18100
        call vmm_skip
        call vmm_run
        ; vmwrite rdx, rax: register form, Reg1 RAX (the value), Reg2 RDX
        CHECK "vmwrite-reg-reason", rax, 25
        VMM_CHECK_MASK "vmwrite-reg-info", VMCS_EXIT_INSINFO, 0xf0000478, 0x20000400
        call vmm_skip
        call vmm_run
        ; vmxon [rbx + 0x50] (the guest's CR4.VMXE is 1: no #UD before the exit)
        CHECK "vmxon-reason", rax, 27
        VMM_CHECK "vmxon-qual", VMCS_EXIT_QUAL, 0x50
        VMM_CHECK_MASK "vmxon-info", VMCS_EXIT_INSINFO, 0x0fff8383, 0x01c18100
        call vmm_skip
        call vmm_run
        ; invept rdx, [rbx + 0x60]: Reg2 RDX (the type)
        CHECK "invept-reason", rax, 50
        VMM_CHECK "invept-qual", VMCS_EXIT_QUAL, 0x60
        VMM_CHECK_MASK "invept-info", VMCS_EXIT_INSINFO, 0xffff8383, 0x21c18100
        call vmm_skip
        call vmm_run
        ; invvpid rdx, [rbx + 0x70]
        CHECK "invvpid-reason", rax, 53
        VMM_CHECK "invvpid-qual", VMCS_EXIT_QUAL, 0x70
        VMM_CHECK_MASK "invvpid-info", VMCS_EXIT_INSINFO, 0xffff8383, 0x21c18100
        call checks_done

guest:
        mov ebx, 0x1000
        mov ecx, 2
        mov edx, 0x681e
        vmread [rbx + rcx * 4 + 0x10], rdx
        vmread rax, rdx
        vmptrld [rsp + 8]
        vmclear [rbx + 0x20]
        vmptrst [rbx + rcx * 8 + 0x30]
        vmwrite rdx, [rbx + 0x40]
        vmwrite rdx, rax
        vmxon [rbx + 0x50]
        invept rdx, [rbx + 0x60]
        invvpid rdx, [rbx + 0x70]
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
