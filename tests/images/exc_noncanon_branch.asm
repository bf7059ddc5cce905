; A branch to a non-canonical address in 64-bit mode is #GP(0) at the branch itself,
; which then has changed nothing: RSP is as before a CALL or RET (SDM Vol. 2 JMP,
; CALL, RET: "64-Bit Mode Exceptions"). The engine takes the branch and faults at
; the target's fetch; vtsim finds the branch in the last block it counted and undoes
; it (sim/cpu/noncanon.h), so the run counts instructions (--max-insns).
;! args: --max-insns 1000000000
;! status: 1
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: ok jmp-reg-rsp
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: ok call-rsp
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: ok call-mem-rsp
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: ok ret-rsp
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: ok ret-imm-rsp
;! stdout: EXC 0d ERR 00000000 RIP ok
;! stdout: ok rax-unchanged
;! stdout: done
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        mov rbx, 0xf4f4f4f4f4f4f4f4
        mov r12, rsp
        TRY jmp rbx                     ; through a register
        mov r13, rsp
        CHECK "jmp-reg-rsp", r13, r12
        TRY jmp [rel bad_ptr]           ; through memory
        TRY call rbx                    ; pushes nothing
        mov r13, rsp
        CHECK "call-rsp", r13, r12
        TRY call [rel bad_ptr]
        mov r13, rsp
        CHECK "call-mem-rsp", r13, r12
        push rbx
        mov r12, rsp
        TRY ret                         ; pops nothing
        mov r13, rsp
        CHECK "ret-rsp", r13, r12
        TRY ret 16
        mov r13, rsp
        CHECK "ret-imm-rsp", r13, r12
        pop rax
        ; The lowest non-canonical address, one past the top of the lower half.
        mov rax, 0x0000800000000000
        TRY jmp rax
        CHECK "rax-unchanged", rax, 0x0000800000000000
        PUTSLN "done"
        exit_with 0

bad_ptr: dq 0x8000000000000000

ELF64_END
