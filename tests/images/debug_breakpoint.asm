; Instruction breakpoints (DR0-DR3, DR7 Ln/Gn with R/Wn = 00): a #DB fault before the
; instruction at the address, RIP there, DR6's Bn set, RF not set in the pushed
; RFLAGS; with RF set by the handler the instruction then runs once, and the next
; time it faults again. An instruction the simulator executes itself (RDMSR) faults
; before it runs. Each #DB sets DR6's B0-B3 to the breakpoints that matched, clearing
; the others. A breakpoint with R/W = 01 (data write) or disabled in DR7 arms
; nothing; DR7 cleared disarms.
;! status: 1
;! stdout: ok bp-taken
;! stdout: ok bp-rip
;! stdout: ok bp-dr6
;! stdout: ok bp-rf-not-pushed
;! stdout: ok bp-insn-ran-once
;! stdout: ok bp-again
;! stdout: ok bp-g1-dr6
;! stdout: ok bp-rdmsr-before
;! stdout: ok bp-rdmsr-ran
;! stdout: ok bp-data-rw-not-exec
;! stdout: ok bp-disabled
;! not-stdout: BAD
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

%define DR6_INIT 0xFFFF0FF0

start:
        call idt_setup
        SET_HANDLER 1, db_handler
        mov rax, DR6_INIT
        mov dr6, rax

        ; DR0 on target, L0: the fault before `inc r12`.
        xor r12d, r12d
        lea rax, [rel target]
        mov dr0, rax
        mov eax, 1                      ; L0, R/W0 = 00, LEN0 = 00
        mov dr7, rax
        call target
        CHECK "bp-taken", [rel db_count], 1
        lea r14, [rel target]
        CHECK "bp-rip", [rel db_rip], r14
        CHECK "bp-dr6", [rel db_dr6], DR6_INIT | 1
        CHECK "bp-rf-not-pushed", [rel db_rf], 0
        CHECK "bp-insn-ran-once", r12, 1
        call target
        CHECK "bp-again", [rel db_count], 2

        ; DR1 on the RDMSR, G1 (bit 3): it faults before the instruction writes RAX.
        ; DR6 still has B0 from the last #DB: this one's B0-B3 replace it.
        lea rax, [rel at_rdmsr]
        mov dr1, rax
        mov eax, 1 << 3
        mov dr7, rax
        mov ecx, 0x1b                   ; IA32_APIC_BASE
        mov rax, 0x1234
at_rdmsr:
        rdmsr
        mov r13, rax
        CHECK "bp-g1-dr6", [rel db_dr6], DR6_INIT | 2
        CHECK "bp-rdmsr-before", [rel db_rax], 0x1234
        mov rax, r13
        and eax, 0xFFFFF000
        CHECK "bp-rdmsr-ran", rax, 0xFEE00000

        ; DR2 with R/W2 = 01 (data writes): not an instruction breakpoint.
        mov qword [rel db_count], 0
        lea rax, [rel target]
        mov dr2, rax
        mov eax, (1 << 4) | (1 << (16 + 8))
        mov dr7, rax
        call target
        CHECK "bp-data-rw-not-exec", [rel db_count], 0
        ; DR0 still on target, but DR7 clear.
        xor eax, eax
        mov dr7, rax
        call target
        CHECK "bp-disabled", [rel db_count], 0
        call checks_done

target:
        inc r12
        ret

; #DB: counts, notes RIP, DR6, RAX and whether RF was pushed set, then sets RF so
; that the instruction runs.
db_handler:
        inc qword [rel db_count]
        mov rax, [rdi + FR_RIP]
        mov [rel db_rip], rax
        mov rax, dr6
        mov [rel db_dr6], rax
        mov rax, [rdi + FR_RFLAGS]
        and eax, 1 << 16
        mov [rel db_rf], rax
        or qword [rdi + FR_RFLAGS], 1 << 16
        mov rax, [rdi - 8]              ; the interrupted RAX (exc_common pushed it first)
        mov [rel db_rax], rax
        ret

ELF64_BSS
db_count: resq 1
db_rip:   resq 1
db_dr6:   resq 1
db_rf:    resq 1
db_rax:   resq 1
ELF64_END
