; VM exits for VMX instructions executed by a guest carry the exit qualification
; (the displacement of a memory operand) and the VM-exit instruction information
; (SDM "Information for VM Exits Due to Instruction Execution"): scaling, address
; size, register or memory form, segment, index, base and the register operands.
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
        call checks_done

guest:
        mov ebx, 0x1000
        mov ecx, 2
        mov edx, 0x681e
        vmread [rbx + rcx * 4 + 0x10], rdx
        vmread rax, rdx
        vmptrld [rsp + 8]
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
