; RFLAGS.TF over instructions vtsim executes itself rather than the engine (RDRAND,
; RDMSR, WRMSR, MOV to DR, MOV to CR4, CLTS): each one, executed with TF = 1, is
; followed by a single-step #DB (a trap: RIP after it, DR6.BS = 1), as after an
; instruction the engine runs (the NOP at the end). The handler records each RIP and
; clears TF at the last one.
;! status: 1
;! stdout: ok traps
;! stdout: ok after-rdrand
;! stdout: ok after-rdmsr
;! stdout: ok after-wrmsr
;! stdout: ok after-mov-dr
;! stdout: ok after-mov-cr4
;! stdout: ok after-clts
;! stdout: ok after-nop
;! stdout: ok dr6-bs-every-trap
;! stdout: ok mov-dr-ran
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        SET_HANDLER 1, db_handler
        xor eax, eax
        mov dr6, rax
        mov rbx, cr4
        mov ecx, 0x277                  ; IA32_PAT
        rdmsr
        pushfq
        or qword [rsp], 0x100           ; TF
        popfq
        rdrand rsi
.a1:    rdmsr
.a2:    wrmsr
.a3:    mov dr0, rsi
.a4:    mov cr4, rbx
.a5:    clts
.a6:    nop
.a7:    CHECK "traps", [rel steps], 7
        lea rcx, [rel start.a1]
        CHECK "after-rdrand", [rel rips + 0 * 8], rcx
        lea rcx, [rel start.a2]
        CHECK "after-rdmsr", [rel rips + 1 * 8], rcx
        lea rcx, [rel start.a3]
        CHECK "after-wrmsr", [rel rips + 2 * 8], rcx
        lea rcx, [rel start.a4]
        CHECK "after-mov-dr", [rel rips + 3 * 8], rcx
        lea rcx, [rel start.a5]
        CHECK "after-mov-cr4", [rel rips + 4 * 8], rcx
        lea rcx, [rel start.a6]
        CHECK "after-clts", [rel rips + 5 * 8], rcx
        lea rcx, [rel start.a7]
        CHECK "after-nop", [rel rips + 6 * 8], rcx
        CHECK "dr6-bs-every-trap", [rel bs_missing], 0
        mov rax, dr0
        CHECK "mov-dr-ran", rax, rsi
        call checks_done

db_handler:
        mov eax, [rel steps]
        cmp eax, 8
        jae .full
        mov rdx, [rdi + FR_RIP]
        lea rcx, [rel rips]
        mov [rcx + rax * 8], rdx
.full:  inc qword [rel steps]
        mov rax, dr6
        bt rax, 14
        jc .bs
        inc qword [rel bs_missing]
.bs:    xor eax, eax
        mov dr6, rax
        lea rcx, [rel start.a7]
        cmp rcx, [rdi + FR_RIP]
        jne .ret
        btr qword [rdi + FR_RFLAGS], 8
.ret:   ret

        align 8, db 0
steps:      dq 0
bs_missing: dq 0
rips:       times 8 dq 0

ELF64_END
