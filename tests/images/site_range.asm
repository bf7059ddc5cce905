; Sites whose blocks are translated while the sites' one code hook has its range
; elsewhere (sim/cpu/sites.h, "One code hook"): every site still runs in vtsim.
; What and how: site_range.inc.
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
;! not-stderr: triple|EXC

%include "site_range.inc"
