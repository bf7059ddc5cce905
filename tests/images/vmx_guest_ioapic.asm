; A guest that owns the I/O APIC's interrupts (kvm-unit-tests' "APIC pass-through":
; no external-interrupt exiting, no I/O exiting, the guest's own IDT): it raises
; pc-testdev's line for pin 14, routed level-triggered to vector 70H at APIC 0,
; takes the interrupt through its IDT, lowers the line in the handler and writes
; the physical APIC's EOI, whose broadcast clears the entry's remote IRR. Then a
; VMCALL; the VMM checks what the guest saw and the entry as it is left (one
; interrupt only: the line was low at the EOI).
;! args: --cpus 2
;! status: 1
;! stdout: ok vmcall-reason
;! stdout: ok guest-taken
;! stdout: ok guest-remote-irr-in-handler
;! stdout: ok guest-tmr-in-handler
;! stdout: ok remote-irr-after-guest-eoi
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"
%define APIC 0xFEE00000
%define VEC 0x70
%include "ioapic.inc"

start:
        call idt_setup
        VMX_PAGING_WITH_APIC APIC, apic_pd
        IOAPIC_MAP apic_pd
        APIC_WRITE 0xF0, 0x1FF          ; software-enabled
        call reset
        mov qword [rel lower_at], 1
        ROUTE VEC, LEVEL
        VMM_SETUP 0, 0, 0, 0            ; no external-interrupt or I/O exiting
        VMM_GUEST guest
        VMM_GUEST_GATE VEC, line_handler
        lea rax, [rel guest_idt]
        VMM_WRITE VMCS_GUEST_IDTR_BASE, rax
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, 0x80 * 16 - 1
        call vmm_run
        CHECK "vmcall-reason", rax, 18
        CHECK "guest-taken", [rel count], 1
        CHECK "guest-remote-irr-in-handler", [rel seen_irr], REMOTE_IRR
        CHECK "guest-tmr-in-handler", [rel seen_tmr], 1
        CHECK_REMOTE_IRR "remote-irr-after-guest-eoi", 0
        call checks_done

guest:
        sti
        LINE 1
        BOUNDARY
        cli
        vmcall

IOAPIC_TEST_CODE

ELF64_BSS
IOAPIC_TEST_BSS
        alignb 4096
apic_pd:  resb 4096
guest_idt: resb 0x80 * 16
VMX_BSS
VMM64_BSS
ELF64_END
