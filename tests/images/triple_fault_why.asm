; The triple-fault report says why: each selector error code decoded (here the IDT
; entries beyond an IDT limit of 0) and the shutdown rule (triple_fault's chain).
;! status: 3
;! stderr: triple fault \(shutdown\): #UD \(vector 6, RIP=0x[0-9a-f]+\) -> #GP \(vector 13, error 0x33,
;! stderr: Why: #GP error 0x33 names IDT vector 6 while delivering an earlier event: its gate lies beyond the IDT limit 0x0 \(it needs a limit of at least 0x6f\); #GP error 0x6b names IDT vector 13 while delivering an earlier event: its gate lies beyond the IDT limit 0x0 \(it needs a limit of at least 0xdf\); a fault while the processor delivers a #DF cannot be handled, so it shuts down \(SDM Vol. 3A, "Interrupt 8 - Double Fault Exception \(#DF\)" and "Error Code"\)\.$
%include "triple_fault.asm"
