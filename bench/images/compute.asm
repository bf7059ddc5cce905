; compute: a register-only loop (xorshift64, a multiply, a data-dependent rotate),
; n iterations. checksum = acc XOR x (bench/compare's model computes the same).
%define BENCH_NAME "compute"
%define BENCH_DEFAULT_N 1000
%include "bench64.inc"

bench_main:
        mov rax, 0x0123456789abcdef     ; x
        xor ebx, ebx                    ; acc
        mov r9, 0x9e3779b97f4a7c15
.loop:  mov rdx, rax
        shl rdx, 13
        xor rax, rdx
        mov rdx, rax
        shr rdx, 7
        xor rax, rdx
        mov rdx, rax
        shl rdx, 17
        xor rax, rdx
        mov rdx, rax
        imul rdx, r9
        add rbx, rdx
        test al, 1
        jz .even
        rol rbx, 1
.even:  dec r8
        jnz .loop
        xor rax, rbx
        ret

BENCH_BSS
MB_END
