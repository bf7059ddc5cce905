; Virtual time: the TSC advances with retired instructions, so it strictly increases
; from one RDTSC to the next, a longer loop takes more ticks than a shorter one, and
; RDTSCP returns IA32_TSC_AUX in ECX. An exception delivered through the IDT costs
; 1000 ticks beyond the instructions (docs/machine.md, "Virtual time"). The output
; is the same on every run and host.
;! status: 1
;! stdout: ok rdtsc-increases
;! stdout: ok rdtsc-strictly-monotonic
;! stdout: ok longer-loop-more-ticks
;! stdout: ok rdmsr-tsc-between
;! stdout: ok rdtscp-aux
;! stdout: ok rdtscp-increases
;! stdout: ok cpuid-rdtscp
;! stdout: ok delivery-costs-1000-ticks

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

; rax = TSC
%macro TSC 0
        rdtsc
        shl rdx, 32
        or rax, rdx
%endmacro

start:
        call idt_setup
        TSC
        mov rbx, rax
        TSC
        xor edx, edx
        cmp rax, rbx
        seta dl
        CHECK "rdtsc-increases", rdx, 1

        ; 1000 back-to-back reads never repeat or go back
        xor r9d, r9d
        TSC
        mov rbx, rax
        mov r8d, 1000
.mono:  TSC
        cmp rax, rbx
        ja .up
        inc r9d
.up:    mov rbx, rax
        dec r8d
        jnz .mono
        CHECK "rdtsc-strictly-monotonic", r9, 0

        ; ticks across 10 and 1000 iterations of the same loop
        mov ecx, 10
        call timed_loop
        mov r12, rax
        mov ecx, 1000
        call timed_loop
        xor edx, edx
        cmp rax, r12
        seta dl
        CHECK "longer-loop-more-ticks", rdx, 1

        TSC
        mov rbx, rax
        mov ecx, 0x10
        rdmsr
        shl rdx, 32
        or rax, rdx
        mov r12, rax
        TSC
        xor edx, edx
        cmp r12, rbx
        jbe .between
        cmp rax, r12
        jbe .between
        inc edx
.between:
        CHECK "rdmsr-tsc-between", rdx, 1

        mov ecx, 0xC0000103             ; IA32_TSC_AUX
        mov eax, 0x5A
        xor edx, edx
        wrmsr
        TSC
        mov rbx, rax
        xor ecx, ecx
        rdtscp
        shl rdx, 32
        or rax, rdx
        mov r12, rax
        CHECK "rdtscp-aux", rcx, 0x5A
        xor edx, edx
        cmp r12, rbx
        seta dl
        CHECK "rdtscp-increases", rdx, 1
        mov eax, 0x80000001
        cpuid
        mov eax, edx
        and eax, 1 << 27
        CHECK "cpuid-rdtscp", rax, 1 << 27

        ; INT3 to a handler that reads the TSC: 1000 ticks for the delivery, and
        ; fewer than 100 for the instructions of the stub and the handler.
        SET_HANDLER 3, bp_tsc
        TSC
        mov rbx, rax
        int3
        mov rax, [rel handler_tsc]
        sub rax, rbx
        xor edx, edx
        cmp rax, 1000
        jb .cost
        cmp rax, 1100
        jae .cost
        inc edx
.cost:  CHECK "delivery-costs-1000-ticks", rdx, 1
        call checks_done

bp_tsc:
        TSC
        mov [rel handler_tsc], rax
        ret

; ecx = iterations; rax = TSC ticks taken
timed_loop:
        push rbx
        push rcx
        TSC
        mov rbx, rax
        pop rcx
.l:     dec ecx
        jnz .l
        TSC
        sub rax, rbx
        pop rbx
        ret

align 8
handler_tsc: dq 0

ELF64_END
