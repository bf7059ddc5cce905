; null: boots, prints its line and ends: what booting and ending cost on each machine,
; subtracted from the other images' times. checksum = n.
%define BENCH_NAME "null"
%define BENCH_DEFAULT_N 1
%include "bench64.inc"

bench_main:
        mov rax, r8
        ret

BENCH_BSS
MB_END
