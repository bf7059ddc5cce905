; memory: a 32 MiB table at 16 MiB, filled with i * K, then n dependent random
; read-modify-writes: x = xorshift64(x); i = (x >> 11) mod 4Mi; v = t[i];
; acc += v; t[i] = v XOR x; x += v. checksum = acc XOR x.
%define BENCH_NAME "memory"
%define BENCH_DEFAULT_N 1000
%define TABLE 0x1000000
%define WORDS (4 << 20)
%include "bench64.inc"

bench_main:
        mov r9, 0x9e3779b97f4a7c15
        mov rdi, TABLE
        mov ecx, WORDS
        xor eax, eax
.fill:  mov [rdi], rax
        add rax, r9
        add rdi, 8
        dec ecx
        jnz .fill
        mov rax, 0x0123456789abcdef     ; x
        xor ebx, ebx                    ; acc
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
        shr rdx, 11
        and edx, WORDS - 1
        mov rcx, [TABLE + rdx * 8]
        add rbx, rcx
        mov rsi, rcx
        xor rsi, rax
        mov [TABLE + rdx * 8], rsi
        add rax, rcx
        dec r8
        jnz .loop
        xor rax, rbx
        ret

BENCH_BSS
MB_END
