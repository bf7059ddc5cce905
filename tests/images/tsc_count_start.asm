; A run with nothing that needs the instruction count counts from the first look at
; time: the 200000 instructions before the first RDTSC are not in its value; the
; reads after it differ by exactly the instructions between them (docs/machine.md,
; "Virtual time"). tsc_count_start_limit.asm is the same image under --max-insns.
;! status: 1
;! stdout: ok counted-between-reads
;! stdout: ok first-read-without-the-loop
%define FIRST_CHECK "first-read-without-the-loop"
%define FIRST_COUNTED 0
%include "tsc_count_start.inc"
