; The trace decodes IDT-vectoring information: the guest's UD2 raises #UD, whose
; gate lies beyond the guest's IDT limit (0), so delivering it raises #GP with error
; 0x33 (IDT vector 6, external); #GP is in the exception bitmap, so the exit's
; interruption information is the #GP and its IDT-vectoring information the #UD
; that was being delivered.
;! args: --max-insns 20000000 --trace=vmx
;! status: 1
;! stdout: ok reason
;! stdout: ok intr-info
;! stdout: ok idt-vectoring
;! stderr: ^exit lp0 .* reason=0 EXCEPTION_NMI qual=0x0 len=0 rip=0x[0-9a-f]+ vector=13 name=#GP type=hw-exception err=0x33 idt_vector=6 idt_name=#UD idt_type=hw-exception insn=ud2$

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

start:
        call idt_setup
        VMM_SETUP 0, 0, 0, 0
        VMM_WRITE VMCS_EXC_BITMAP, 1 << 13
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, 0
        VMM_GUEST guest
        call vmm_run
        CHECK "reason", rax, 0
        VMM_CHECK "intr-info", VMCS_EXIT_INTR, 0x80000b0d
        VMM_CHECK "idt-vectoring", 0x4408, 0x80000306
        call checks_done

guest:
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
