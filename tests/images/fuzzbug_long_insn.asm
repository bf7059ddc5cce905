; An instruction longer than 15 bytes raises #GP(0) at its first byte (SDM Vol. 2,
; "Instruction Format": the limit is 15 bytes). 64-bit mode sends #GP(0) through the
; check for a non-canonical stack access, whose decoder finds no instruction there:
; this once freed a NULL decoding and crashed vtsim (fuzz_vmx_guest, B01).
;   - 20 REX prefixes and CPUID (22 bytes)
;   - 15 operand-size prefixes and NOP (16 bytes)
;   - 14 REX prefixes and NOP (15 bytes) is a plain NOP
;! status: 1
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: done
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        TRY db 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x47, 0x0f, 0xa2
        TRY db 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90
        times 14 db 0x48
        nop
        PUTSLN "done"
        exit_with 0

ELF64_END
