; A guest that owns the local APIC timer (no external-interrupt exiting, pin-based
; control 0): it arms a one-shot count of 1 tick by its own MMIO write to the
; initial-count register with RFLAGS.IF = 1, the interrupt comes through its own
; IDT right after that instruction, its handler returns (IRETQ) and the guest goes
; on. Nothing before the store may run twice: the store's block bumps a counter
; and adds to the address register before it (kvm-unit-tests' vmx "interrupt"
; test took a #PF here: the block was run again from its start after the handler,
; the address doubled). The first write to the timer is also the first time the
; run needs a clock, so the engines start counting at that store.
;! status: 1
;! stdout: ok vmcall-reason
;! stdout: ok timer-taken
;! stdout: ok block-ran-once
;! stdout: ok address-kept
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define APIC 0xFEE00000
%define VEC 0x70

start:
        call idt_setup
        VMX_PAGING_WITH_APIC APIC, apic_pd
        APIC_WRITE 0xF0, 0x1FF          ; SPIV: APIC software-enabled
        APIC_WRITE 0x3E0, 0xB           ; divide by 1
        APIC_WRITE 0x320, VEC           ; one-shot, vector 70H
        VMM_SETUP 0, 0, 0, 0            ; the guest takes external interrupts itself
        VMM_GUEST guest
        VMM_GUEST_GATE VEC, guest.handler
        lea rax, [rel guest_idt]
        VMM_WRITE VMCS_GUEST_IDTR_BASE, rax
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, 0x80 * 16 - 1
        call vmm_run
        CHECK "vmcall-reason", rax, 18
        CHECK "timer-taken", [rel ticks], 1
        CHECK "block-ran-once", [rel bumps], 1
        mov rax, [rel seen_rdi]
        mov rdx, APIC + 0x380
        CHECK "address-kept", rax, rdx
        call checks_done

guest:
        sti
        mov esi, 1                      ; one tick
        mov edi, 0x380                  ; the initial-count register
        call .arm
        mov [rel seen_rdi], rdi
.wait:  cmp qword [rel ticks], 0
        je .wait
        cli
        vmcall
.arm:                                   ; one block up to the RET
        mov edi, edi
        mov eax, APIC
        add rdi, rax
        inc qword [rel bumps]
        mov [rdi], esi
        ret
.handler:
        inc qword [rel ticks]
        push rax
        mov eax, APIC + 0xB0
        mov dword [rax], 0              ; EOI
        pop rax
        iretq

ELF64_BSS
ticks:    resq 1
bumps:    resq 1
seen_rdi: resq 1
        alignb 4096
apic_pd:  resb 4096
guest_idt: resb 0x80 * 16
VMX_BSS
VMM64_BSS
ELF64_END
