; #UD (vector 6, no error code) through the IDT with the RIP of the offending
; instruction: UD2, opcodes invalid in 64-bit mode, a LOCK prefix on a non-lockable
; instruction (NOP, and IN/OUT, which the engine would run: the simulator raises
; it), and VMX instructions while CR4.VMXE = 0.
;! status: 1
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: EXC 06 ERR 00000000 RIP ok
;! stdout: done
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        TRY ud2
        TRY db 0x06                     ; PUSH ES: invalid in 64-bit mode
        TRY db 0x37                     ; AAA: invalid in 64-bit mode
        TRY db 0xF0, 0x90               ; LOCK NOP
        mov dx, 0x80
        TRY db 0xF0, 0xEE               ; LOCK OUT DX, AL
        TRY db 0x66, 0xF0, 0xED         ; LOCK IN AX, DX (the prefix after another)
        TRY db 0xF0, 0xE6, 0x80         ; LOCK OUT 0x80, AL
        TRY vmxon [rel vmxon_region]    ; CR4.VMXE = 0
        TRY vmxoff
        TRY vmcall                      ; outside VMX operation
        PUTSLN "done"
        exit_with 0

        align 8, db 0
vmxon_region: dq 0

ELF64_END
