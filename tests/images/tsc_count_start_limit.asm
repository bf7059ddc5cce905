; tsc_count_start.asm under --max-insns: the limit needs the instruction count, so
; the run counts from its first instruction and the first read includes the loop
; before it; the reads after it differ by the same count as without the limit
; (docs/machine.md, "Virtual time").
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok counted-between-reads
;! stdout: ok first-read-with-the-loop
%define FIRST_CHECK "first-read-with-the-loop"
%define FIRST_COUNTED 1
%include "tsc_count_start.inc"
