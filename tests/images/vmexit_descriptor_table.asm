; Descriptor-table exiting (secondary control 2): SGDT/SIDT/LGDT/LIDT exit with reason
; 46 and SLDT/STR/LLDT/LTR with 47; the qualification is the displacement and the
; instruction information names the operand (scaling, address size, segment, index,
; base, register form) and the instruction (bits 29:28). WBINVD exiting (secondary
; control 6) gives 54. With the control clear SGDT runs in the guest.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok sgdt-reason
;! stdout: ok sgdt-qual
;! stdout: ok sgdt-info
;! stdout: ok sgdt-len
;! stdout: ok lidt-reason
;! stdout: ok lidt-qual
;! stdout: ok lidt-info
;! stdout: ok sldt-reason
;! stdout: ok sldt-qual
;! stdout: ok sldt-info
;! stdout: ok ltr-reason
;! stdout: ok ltr-qual
;! stdout: ok ltr-info
;! stdout: ok wbinvd-reason
;! stdout: ok native-phase
;! stdout: ok native-sgdt-limit
;! stdout: ok native-sldt
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define VMCS_PROC2_CTLS 0x401e
%define GUEST_GDTR_LIMIT 0x4810
; info bits checked: all but operand size (bit 11, undefined in 64-bit mode)
%define INFO_MASK 0xfffff7ff

start:
        call idt_setup
        VMM_SETUP 0, (1 << 31), 0, 0
        VMM_WRITE VMCS_PROC2_CTLS, (1 << 2) | (1 << 6)
        VMM_GUEST guest
        call vmm_run
        CHECK "sgdt-reason", rax, 46
        VMM_CHECK "sgdt-qual", VMCS_EXIT_QUAL, 0x10
        VMM_CHECK_MASK "sgdt-info", VMCS_EXIT_INSINFO, INFO_MASK, 0x1c18100
        VMM_CHECK "sgdt-len", VMCS_EXIT_INSLEN, 4
        call vmm_skip
        call vmm_run
        CHECK "lidt-reason", rax, 46
        VMM_CHECK "lidt-qual", VMCS_EXIT_QUAL, 8
        VMM_CHECK_MASK "lidt-info", VMCS_EXIT_INSINFO, INFO_MASK, 0x32410100
        call vmm_skip
        call vmm_run
        CHECK "sldt-reason", rax, 47
        VMM_CHECK "sldt-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK_MASK "sldt-info", VMCS_EXIT_INSINFO, 0x30000478, 0x400
        call vmm_skip
        call vmm_run
        CHECK "ltr-reason", rax, 47
        VMM_CHECK "ltr-qual", VMCS_EXIT_QUAL, 0x20
        VMM_CHECK "ltr-info", VMCS_EXIT_INSINFO, 0x30058102
        call vmm_skip
        call vmm_run
        CHECK "wbinvd-reason", rax, 54
        call vmm_skip
        VMM_WRITE VMCS_PROC2_CTLS, 0
        call vmm_run
        CHECK "native-phase", rax, 18          ; the guest's VMCALL
        VMM_READ GUEST_GDTR_LIMIT
        movzx rbx, word [rel gdt_buf]
        CHECK "native-sgdt-limit", rbx, rax
        CHECK "native-sldt", VMM_GREG(0), 0
        call checks_done

guest:
        lea rbx, [rel gdt_buf - 0x10]
        sgdt [rbx + 0x10]
        lidt [rsp + 8]
        sldt ax
        lea rax, [rel gdt_buf - 0x20]
        mov ecx, 1
        ltr [rax + rcx * 4 + 0x20]
        wbinvd
        sgdt [rel gdt_buf]
        mov eax, 0xffff
        sldt ax                                ; natively: LDTR's selector, 0
        wbinvd
        vmcall
        ud2

gdt_buf: times 16 db 0xff

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
