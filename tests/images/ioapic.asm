; The I/O APIC at FEC00000H (sim/cpu/ioapic.h) driven through pc-testdev's interrupt
; lines (OUT of a byte to port 2000H + pin), on one processor with its local APIC
; software-enabled: the registers' read-only and writable bits, edge and level
; delivery, remote IRR and the local APIC's EOI broadcast of a level-triggered vector
; (its TMR bit), masking, and a level line that stays active across an EOI. An
; interrupt a processor raises for itself is looked at at the start of the next
; translated block (docs/machine.md): each check of the handler's work comes after a
; jump. Two processors (the second never started); ioapic_self_one_cpu.asm runs on
; one.
;! args: --cpus 2
;! status: 1
;! stdout: ok version
;! stdout: ok version-read-only
;! stdout: ok id-bits-27-24
;! stdout: ok arbitration-id
;! stdout: ok arbitration-read-only
;! stdout: ok reset-masked
;! stdout: ok no-such-register
;! stdout: ok edge-taken
;! stdout: ok edge-tmr-clear
;! stdout: ok edge-no-remote-irr
;! stdout: ok level-taken
;! stdout: ok level-remote-irr-in-handler
;! stdout: ok level-tmr-in-handler
;! stdout: ok level-remote-irr-after-eoi
;! stdout: ok tmr-kept-after-eoi
;! stdout: ok level-again-while-active
;! stdout: ok masked-edge-lost
;! stdout: ok masked-level-not-sent
;! stdout: ok masked-level-sent-on-unmask
;! stdout: ok level-coalesced-remote-irr
;! stdout: ok level-coalesced
;! stdout: ok level-after-eoi-clear
;! stdout: ok edge-after-level-clears-tmr
;! not-stdout: BAD
;! not-stderr: triple
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%define APIC 0xFEE00000
%include "ioapic.inc"

start:
        IOAPIC_ROOT_SETUP line_handler

        ; Registers.
        IOAPIC_READ 1
        CHECK "version", rax, 0x00170011
        IOAPIC_WRITE 1, 0
        IOAPIC_READ 1
        CHECK "version-read-only", rax, 0x00170011
        IOAPIC_WRITE 0, 0xFFFFFFFF
        IOAPIC_READ 0
        CHECK "id-bits-27-24", rax, 0x0F000000
        IOAPIC_READ 2
        CHECK "arbitration-id", rax, 0x0F000000
        IOAPIC_WRITE 2, 0
        IOAPIC_READ 2
        CHECK "arbitration-read-only", rax, 0x0F000000
        IOAPIC_WRITE 0, 0
        IOAPIC_READ RTE_LO
        CHECK "reset-masked", rax, MASKED
        IOAPIC_READ 0x40
        CHECK "no-such-register", rax, 0

        sti
        ; Edge: one interrupt for a rising edge, TMR clear, no remote IRR.
        ROUTE 0x76, 0
        LINE 1
        LINE 0
        BOUNDARY
        CHECK "edge-taken", [rel count], 1
        CHECK "edge-tmr-clear", [rel seen_tmr], 0
        CHECK "edge-no-remote-irr", [rel seen_irr], 0

        ; Level: remote IRR and TMR set while in service; the handler lowers the
        ; line and its EOI clears remote IRR; TMR keeps its bit.
        call reset
        mov qword [rel lower_at], 1
        ROUTE 0x77, LEVEL
        LINE 1
        BOUNDARY
        CHECK "level-taken", [rel count], 1
        CHECK "level-remote-irr-in-handler", [rel seen_irr], REMOTE_IRR
        CHECK "level-tmr-in-handler", [rel seen_tmr], 1
        CHECK_REMOTE_IRR "level-remote-irr-after-eoi", 0
        call tmr_bit
        CHECK "tmr-kept-after-eoi", rax, 1

        ; A level line still active at the EOI sends again.
        call reset
        mov qword [rel lower_at], 2
        ROUTE 0x78, LEVEL
        LINE 1
        BOUNDARY
        CHECK "level-again-while-active", [rel count], 2

        ; Masked: an edge is lost; a level waits for the unmask.
        call reset
        ROUTE 0x79, MASKED
        LINE 1
        LINE 0
        ROUTE 0x79, 0
        BOUNDARY
        CHECK "masked-edge-lost", [rel count], 0
        mov qword [rel lower_at], 1
        ROUTE 0x7a, LEVEL | MASKED
        LINE 1
        BOUNDARY
        CHECK "masked-level-not-sent", [rel count], 0
        IOAPIC_WRITE RTE_LO, 0x7a | LEVEL
        BOUNDARY
        CHECK "masked-level-sent-on-unmask", [rel count], 1

        ; With interrupts closed the first message waits in IRR with remote IRR
        ; set: pulsing the line again sends nothing more.
        call reset
        mov qword [rel lower_at], 1
        ROUTE 0x7b, LEVEL
        cli
        LINE 1
        LINE 0
        LINE 1
        CHECK_REMOTE_IRR "level-coalesced-remote-irr", REMOTE_IRR
        sti
        BOUNDARY
        CHECK "level-coalesced", [rel count], 1
        CHECK_REMOTE_IRR "level-after-eoi-clear", 0

        ; The same vector edge-triggered: accepted with its TMR bit cleared.
        call reset
        ROUTE 0x7b, 0
        LINE 1
        LINE 0
        BOUNDARY
        CHECK "edge-after-level-clears-tmr", [rel seen_tmr], 0
        cli
        call checks_done

IOAPIC_TEST_CODE
IOAPIC_ROOT_DATA
ELF64_BSS
IOAPIC_TEST_BSS
IOAPIC_ROOT_BSS
VMX_BSS
ELF64_END
