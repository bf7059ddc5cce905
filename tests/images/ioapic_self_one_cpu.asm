; One processor raising interrupts for itself through the I/O APIC, with nothing
; counting instructions from the start (no --max-insns, no timer): each is taken
; right after the instruction that raised it, as on hardware, whether an MMIO write
; to the I/O APIC (the first, before the count is on) or pc-testdev's OUT sent it.
; - An OUT raising an edge line: the interrupt returns to the instruction after it
;   (the OUT is not performed again), whose read sees the handler's count.
; - An unmask of a masked level entry whose line is active, in one straight block
;   that writes IOWIN twice (the entry's high half, 0, then the low half): the
;   interrupt returns to the instruction after the second write, not to the write
;   itself, nor to the block's first IOWIN write, which stores something else.
;! status: 1
;! stdout: ok unmask-return-rip
;! stdout: ok unmask-taken
;! stdout: ok unmask-entry-kept
;! stdout: ok unmask-remote-irr-clear
;! stdout: ok out-edge-return-rip
;! stdout: ok out-edge-taken-at-once
;! stdout: ok out-edge-taken-once
;! not-stdout: BAD
;! not-stderr: triple
;! not-stderr: not found
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%define APIC 0xFEE00000
%include "ioapic.inc"

start:
        IOAPIC_ROOT_SETUP note_rip
        call reset
        sti

        ; The unmask first, so that no earlier interrupt turned counting on.
        mov qword [rel lower_at], 1
        ROUTE 0x7a, LEVEL | MASKED
        LINE 1
        ROUTE 0x7a, LEVEL               ; one block: IOWIN <- 0, then the unmask
.unmasked:
        mov r12, [rel count]
        BOUNDARY
        lea r13, [rel .unmasked]
        CHECK "unmask-return-rip", [rel int_rip], r13
        CHECK "unmask-taken", r12, 1
        IOAPIC_READ RTE_LO
        and eax, ~REMOTE_IRR
        CHECK "unmask-entry-kept", rax, 0x7a | LEVEL
        CHECK_REMOTE_IRR "unmask-remote-irr-clear", 0

        ; An edge from an OUT, read back by the very next instruction.
        call reset
        ROUTE 0x76, 0
        LINE 1
.raised:
        mov r12, [rel count]
        LINE 0
        BOUNDARY
        lea r13, [rel .raised]
        CHECK "out-edge-return-rip", [rel int_rip], r13
        CHECK "out-edge-taken-at-once", r12, 1
        CHECK "out-edge-taken-once", [rel count], 1
        cli
        call checks_done

; The interrupted RIP (the return address the processor pushed), then the common
; handler.
note_rip:
        push rax
        mov rax, [rsp + 8]
        mov [rel int_rip], rax
        pop rax
        jmp line_handler

IOAPIC_TEST_CODE
IOAPIC_ROOT_DATA
ELF64_BSS
IOAPIC_TEST_BSS
int_rip:  resq 1
IOAPIC_ROOT_BSS
VMX_BSS
ELF64_END
