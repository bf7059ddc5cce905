; A guest's LTR marks its TSS busy, in the GDT and in the task register: the VM
; exit after it saves TR's access rights with the busy type (8BH for a 64-bit TSS,
; the type VM entry requires), so the VMM can resume the guest. The guest clears
; the busy flag of the GDT's TSS descriptor (selector 18H), loads TR from it and
; exits (VMCALL); the VMM checks what was saved and resumes it past the VMCALL, and
; the guest's second VMCALL must be a VMCALL exit, not a failed entry (reason 33).
; The engine's LTR leaves the descriptor's available type in its own TR cache.
;! status: 1
;! stdout: ok ltr-reason
;! stdout: ok ltr-tr-selector
;! stdout: ok ltr-tr-ar-busy
;! stdout: ok ltr-gdt-busy
;! stdout: ok resume-reason
;! not-stdout: BAD
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
        CHECK "ltr-reason", rax, 18
        VMM_CHECK "ltr-tr-selector", 0x080e, 0x18          ; GUEST_TR_SELECTOR
        VMM_CHECK "ltr-tr-ar-busy", 0x4822, 0x8b           ; GUEST_TR_AR_BYTES
        mov rbx, [rel vmm_gdtr + 2]
        movzx eax, byte [rbx + 0x18 + 5]
        and eax, 0xf
        CHECK "ltr-gdt-busy", rax, 0xb
        VMM_READ 0x681e                                    ; GUEST_RIP += 3
        add rax, 3
        VMM_WRITE 0x681e, rax
        call vmm_run
        CHECK "resume-reason", rax, 18
        call checks_done

guest:
        sgdt [rel guest_gdtr]
        mov rbx, [rel guest_gdtr + 2]
        and byte [rbx + 0x18 + 5], ~2                      ; available 64-bit TSS
        mov ax, 0x18
        ltr ax
        vmcall
        vmcall

ELF64_BSS
guest_gdtr: resb 10
VMX_BSS
VMM64_BSS
ELF64_END
