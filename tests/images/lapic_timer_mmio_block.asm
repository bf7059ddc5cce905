; Root operation, the same as vmx_guest_lapic_timer.asm without VMX: the first write to
; the timer's initial-count register (a one-shot count of 1 with RFLAGS.IF = 1) is the
; first time the run needs a clock, and the engine must stop to count instructions
; from there. Unicorn leaves a block right after the access that asked for the stop,
; with RIP at the block's start: nothing before the store may run twice (the counter
; is bumped once, the address is not doubled) and the interrupt comes after it.
;! status: 1
;! stdout: ok timer-taken
;! stdout: ok block-ran-once
;! stdout: ok address-kept
;! not-stdout: BAD
;! not-stderr: triple
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%define APIC 0xFEE00000
%define VEC 0x70
start:
        call idt_setup
        VMX_PAGING_WITH_APIC APIC, apic_pd
        lea rdi, [rel myidt + VEC * 16]
        lea rax, [rel handler]
        mov [rdi], ax
        mov word [rdi + 2], 0x08
        mov word [rdi + 4], 0x8E00
        shr rax, 16
        mov [rdi + 6], ax
        shr rax, 16
        mov [rdi + 8], eax
        lidt [rel idtr]
        mov eax, APIC + 0xF0
        mov dword [rax], 0x1FF
        mov eax, APIC + 0x3E0
        mov dword [rax], 0xB
        mov eax, APIC + 0x320
        mov dword [rax], VEC
        sti
        mov esi, 1
        mov edi, 0x380
        call arm
        mov [rel seen_rdi], rdi
.wait:  cmp qword [rel ticks], 0
        je .wait
        cli
        CHECK "timer-taken", [rel ticks], 1
        CHECK "block-ran-once", [rel bumps], 1
        mov rax, [rel seen_rdi]
        mov rdx, APIC + 0x380
        CHECK "address-kept", rax, rdx
        call checks_done
arm:                                    ; one block up to the RET
        mov edi, edi
        mov eax, APIC
        add rdi, rax
        inc qword [rel bumps]
        mov [rdi], esi
        ret
handler:
        inc qword [rel ticks]
        push rax
        mov eax, APIC + 0xB0
        mov dword [rax], 0
        pop rax
        iretq
idtr:   dw 0x80 * 16 - 1
        dq myidt
ELF64_BSS
ticks:    resq 1
bumps:    resq 1
seen_rdi: resq 1
        alignb 4096
apic_pd:  resb 4096
        alignb 16
myidt:    resb 0x80 * 16
VMX_BSS
ELF64_END
