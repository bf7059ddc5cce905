; An interrupt requested while RFLAGS.IF = 0 is taken at the first instruction
; boundary where IF = 1 and no STI shadow holds (SDM Vol. 3A "Maskable Hardware
; Interrupts", Vol. 2B STI), outside VMX operation, one processor, paging off. The
; handler records the EIP it interrupted (the return address on its stack):
;  - sti; nop; cli: taken after the NOP (STI's one-instruction shadow), before the
;    CLI: the recorded EIP is the CLI's;
;  - POPFD setting IF: taken before the next instruction; IRETD to a frame with IF
;    set: taken before the instruction it returns to;
;  - IF = 1 with TPR F0H holding the vector back: the WRMSR of TPR 0 lets it
;    through before the next instruction;
;  - the same in xAPIC mode through the MMIO page: ICR self-IPI with IF = 0, then
;    sti; nop; cli (the CLI's EIP again); TPR F0H, IF = 1, the MMIO write of TPR 0:
;    taken before the instruction that sets a flag after it (hardware takes it
;    right after the write; vtsim at the next start of a translated block, here
;    after the JMP: the write's instruction does not end one, docs/design.md);
;  - sti; nop; cli with nothing requested: no handler runs.
; Each case also checks that the handler ran exactly once.
;! status: 1
;! stdout: ok sti-shadow-taken
;! stdout: ok sti-shadow-eip
;! stdout: ok popf-taken
;! stdout: ok popf-eip
;! stdout: ok iret-taken
;! stdout: ok iret-eip
;! stdout: ok tpr-wrmsr-held
;! stdout: ok tpr-wrmsr-taken
;! stdout: ok tpr-wrmsr-eip
;! stdout: ok xapic-sti-shadow-taken
;! stdout: ok xapic-sti-shadow-eip
;! stdout: ok xapic-tpr-held
;! stdout: ok xapic-tpr-taken
;! stdout: ok xapic-tpr-before-next
;! stdout: ok nothing-requested

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

%include "apic32.inc"
%define VEC 0x60

start:
        mov esp, stack_top
        IDT32_WIDE idt, handler, VEC
        WR 0x1b, 0xFEE00D00, 0          ; x2APIC mode
        WR 0x80f, 0x1ff, 0              ; SPIV: software enabled

        ; ---- STI's shadow
        cli
        mov dword [taken], 0
        WR 0x83f, VEC, 0                ; SELF IPI, held by IF = 0
        sti
        nop
sti_cli:
        cli
        CHECK32 "sti-shadow-taken", [taken], 1
        CHECK32 "sti-shadow-eip", [seen_eip], sti_cli

        ; ---- POPFD
        mov dword [taken], 0
        WR 0x83f, VEC, 0
        pushfd
        or dword [esp], 0x200
        popfd
popf_next:
        cli
        CHECK32 "popf-taken", [taken], 1
        CHECK32 "popf-eip", [seen_eip], popf_next

        ; ---- IRETD
        mov dword [taken], 0
        WR 0x83f, VEC, 0
        pushfd
        or dword [esp], 0x200
        push cs
        push iret_target
        iretd
iret_target:
        cli
        CHECK32 "iret-taken", [taken], 1
        CHECK32 "iret-eip", [seen_eip], iret_target

        ; ---- TPR by WRMSR
        mov dword [taken], 0
        WR 0x808, 0xf0, 0               ; TPR F0H: vector 60H waits
        sti
        WR 0x83f, VEC, 0
        nop
        mov eax, [taken]
        mov [held], eax
        xor eax, eax
        xor edx, edx
        mov ecx, 0x808
        wrmsr                           ; TPR 0
tpr_next:
        cli
        CHECK32 "tpr-wrmsr-held", [held], 0
        CHECK32 "tpr-wrmsr-taken", [taken], 1
        CHECK32 "tpr-wrmsr-eip", [seen_eip], tpr_next

        ; ---- xAPIC mode (through disabled)
        WR 0x1b, 0xFEE00000, 0
        WR 0x1b, 0xFEE00800, 0
        mov R(0xf0), 0x1ff
        mov dword [x2apic], 0
        mov dword [taken], 0
        mov R(0x300), 0x40000 | VEC     ; fixed, shorthand self
        sti
        nop
xapic_cli:
        cli
        CHECK32 "xapic-sti-shadow-taken", [taken], 1
        CHECK32 "xapic-sti-shadow-eip", [seen_eip], xapic_cli

        mov dword [taken], 0
        mov dword [flag], 0
        mov R(0x80), 0xf0
        sti
        mov R(0x300), 0x40000 | VEC
        nop
        mov eax, [taken]
        mov [held], eax
        mov R(0x80), 0                  ; TPR 0: 60H goes through
        jmp .after_tpr                  ; (vtsim takes it here: see below)
.after_tpr:
        mov dword [flag], 1
        cli
        CHECK32 "xapic-tpr-held", [held], 0
        CHECK32 "xapic-tpr-taken", [taken], 1
        CHECK32 "xapic-tpr-before-next", [seen_flag], 0

        mov dword [taken], 0
        sti
        nop
        cli
        CHECK32 "nothing-requested", [taken], 0
        call checks_done32

; Records the interrupted EIP and the flag, EOIs (WRMSR or MMIO by mode).
handler:
        push eax
        push ecx
        push edx
        inc dword [taken]
        mov eax, [esp + 12]
        mov [seen_eip], eax
        mov eax, [flag]
        mov [seen_flag], eax
        APIC_EOI [x2apic]
        pop edx
        pop ecx
        pop eax
        iretd

        align 4, db 0
taken:     dd 0
held:      dd 0
flag:      dd 0
seen_eip:  dd 0
seen_flag: dd 0
x2apic:    dd 1

MB_BSS
        alignb 8
idt:    resb 256 * 8
        resb 4096
stack_top:
MB_END
