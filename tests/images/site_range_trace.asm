; site_range under --trace=insn: another code hook on the engine, so that its
; translations check the range at run time (sim/cpu/sites.h, "One code hook": `wide`).
; The checks and their results are the same.
;! status: 1
;! stdout: ok reference
;! stdout: ok y4-far
;! stdout: ok y2-range-on-third
;! stdout: ok y0-range-on-second-third
;! stdout: ok y5-far
;! stdout: ok y3-far
;! stdout: ok y1-far
;! stdout: ok y6-no-site
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok z-mid-far
;! stdout: ok z-second
;! stdout: ok z-start
;! stdout: ok z-mid-again
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! args: --trace=insn
;! not-stderr: EXC|BAD

%include "site_range.inc"
