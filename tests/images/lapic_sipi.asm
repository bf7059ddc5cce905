; A start-up IPI to a second processor that waits for one: vtsim cannot run more than
; one processor yet, so the run stops with status 70 and says why (it does not spin or
; ignore it). INIT first, as an operating system sends it.
;! args: --cpus 2
;! status: 70
;! stdout: sending
;! stderr: start-up IPI \(vector 0x12\) to lp1: vtsim cannot run more than one processor yet

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

start:
        mov esp, stack_top
        PUTSLN32 "sending"
        mov dword [0xFEE00310], 0x01000000      ; APIC ID 1
        mov dword [0xFEE00300], 0x00004500      ; INIT, assert, physical
        mov dword [0xFEE00300], 0x00004612      ; start-up at 12000H
        PUTSLN32 "not stopped"
        exit_with 0

MB_BSS
        resb 4096
stack_top:
MB_END
